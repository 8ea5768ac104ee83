// A terminal progress bar with rate and ETA on stderr. On a terminal it redraws one line; when
// stderr is a file or pipe it prints a line every 10% so logs stay readable.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace dg::tools {

class ProgressBar {
 public:
  ProgressBar(int64_t start, int64_t total, std::string label, bool enabled = true);
  void update(int64_t done, const std::string& extra = {});
  void finish(const std::string& extra = {});

 private:
  void draw(int64_t done, const std::string& extra, bool final);
  int64_t start_, total_;
  std::string label_;
  bool enabled_, tty_;
  int64_t last_decile_ = -1;
  std::chrono::steady_clock::time_point t0_, last_draw_;
};

std::string format_duration(double seconds);

}  // namespace dg::tools
