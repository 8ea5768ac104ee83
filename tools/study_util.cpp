// Study helpers (see study_util.h).
#include "tools/study_util.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include "engine/error.h"

namespace dg::tools {

Stat stat(const std::vector<double>& v) {
  Stat s;
  if (v.empty()) return {NAN, NAN};
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(s.sd / static_cast<double>(v.size() - 1)) : 0.0;
  return s;
}

std::string fmt(const Stat& s, int prec) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f ± %.*f", prec, s.mean, prec, s.sd);
  return b;
}

std::vector<double> parse_list(const std::string& s, const std::string& flag) {
  std::vector<double> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      v.push_back(std::stod(item));
    } catch (const std::exception&) {
      DG_FAIL(flag << ": '" << item
                   << "' is not a number (expected a comma-separated list like 0.1,1)");
    }
    DG_CHECK(v.back() > 0, flag << ": values must be > 0, got " << v.back());
  }
  DG_CHECK(!v.empty(), flag << ": empty list");
  return v;
}

std::vector<gan::Regularizer> parse_regularizers(const std::string& s) {
  std::vector<gan::Regularizer> rs;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) rs.push_back(gan::parse_regularizer(item));
  return rs;
}

std::string lambda_str(double l) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", l);
  return b;
}

std::vector<StudyRun> study_runs(const gan::TrainConfig& base,
                                 const std::vector<gan::Regularizer>& regs,
                                 const std::vector<double>& lambdas, int64_t seeds,
                                 const std::string& out) {
  std::vector<StudyRun> runs;
  for (gan::Regularizer r : regs)
    for (double l : r == gan::Regularizer::None ? std::vector<double>{0.0} : lambdas)
      for (int64_t s = 1; s <= seeds; ++s) {
        StudyRun run;
        run.cfg = base;
        run.cfg.reg = r;
        run.cfg.lambda = l;
        run.cfg.seed = static_cast<uint64_t>(s);
        run.cfg.checkpoint_every = run.cfg.steps;
        run.dir = (std::filesystem::path(out) / gan::regularizer_name(r) /
                   ("lambda_" + lambda_str(l)) / ("seed_" + std::to_string(s)))
                      .string();
        runs.push_back(run);
      }
  return runs;
}

void run_parallel(int64_t n, int64_t threads, const std::function<void(int64_t)>& job) {
  std::atomic<int64_t> next{0};
  auto worker = [&] {
    for (int64_t i = next++; i < n; i = next++) job(i);
  };
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
}

std::vector<bool> run_study(int64_t n, int64_t threads,
                            const std::function<std::string(int64_t)>& name,
                            const std::function<bool(int64_t)>& reuse,
                            const std::function<void(int64_t)>& train,
                            const std::function<double(int64_t)>& seconds,
                            std::vector<std::string>* failures) {
  std::vector<char> ok(n, 0);  // not vector<bool>: threads write neighbouring elements
  std::mutex print;
  int64_t finished = 0;
  run_parallel(n, threads, [&](int64_t i) {
    std::string what = "reused";
    if (!reuse(i)) {
      try {
        train(i);
        what = "trained";
      } catch (const Error& e) {
        std::lock_guard<std::mutex> l(print);
        failures->push_back(name(i) + ": " + e.what());
        what = "FAILED";
      }
    }
    ok[i] = what != "FAILED";
    std::lock_guard<std::mutex> l(print);
    std::fprintf(stderr, "[%lld/%lld] %s %s (%.0f s)\n", static_cast<long long>(++finished),
                 static_cast<long long>(n), what.c_str(), name(i).c_str(), seconds(i));
  });
  return std::vector<bool>(ok.begin(), ok.end());
}

}  // namespace dg::tools
