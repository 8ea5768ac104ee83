// Progress bar (see progress.h).
#include "tools/progress.h"

#include <unistd.h>

#include <cstdio>

namespace dg::tools {

std::string format_duration(double s) {
  if (!(s >= 0) || s > 1e7) return "--:--";
  long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

ProgressBar::ProgressBar(int64_t start, int64_t total, std::string label, bool enabled)
    : start_(start),
      total_(total),
      label_(std::move(label)),
      enabled_(enabled),
      tty_(isatty(fileno(stderr))),
      t0_(std::chrono::steady_clock::now()),
      last_draw_(t0_) {}

void ProgressBar::update(int64_t done, const std::string& extra) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ < std::chrono::milliseconds(100) && done < total_) return;
    last_draw_ = now;
    draw(done, extra, false);
  } else {
    int64_t decile = total_ > 0 ? done * 10 / total_ : 10;
    if (decile == last_decile_) return;
    last_decile_ = decile;
    draw(done, extra, false);
  }
}

void ProgressBar::finish(const std::string& extra) {
  if (!enabled_) return;
  draw(total_, extra, true);
}

void ProgressBar::draw(int64_t done, const std::string& extra, bool final) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  int64_t did = done - start_;
  double rate = did > 0 && elapsed > 0 ? did / elapsed : 0;
  double eta = rate > 0 ? (total_ - done) / rate : -1;
  const int width = 30;
  int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
  std::string bar(filled, '#');
  bar.resize(width, '.');
  int pct = total_ > 0 ? static_cast<int>(100 * done / total_) : 100;
  std::fprintf(stderr, "%s%s [%s] %lld/%lld %3d%% %.1f it/s %s %s %s%s%s", tty_ ? "\r" : "",
               label_.c_str(), bar.c_str(), static_cast<long long>(done),
               static_cast<long long>(total_), pct, rate, final ? "took" : "ETA",
               format_duration(final ? elapsed : eta).c_str(), extra.c_str(), tty_ ? "\x1b[K" : "",
               (final || !tty_) ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace dg::tools
