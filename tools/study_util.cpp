// Study helpers (see study_util.h).
#include "tools/study_util.h"

#include <atomic>
#include <cmath>
#include <cstdio>
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
      DG_FAIL(flag << ": '" << item << "' is not a number (expected a comma-separated list like 0.1,1)");
    }
    DG_CHECK(v.back() > 0, flag << ": values must be > 0, got " << v.back());
  }
  DG_CHECK(!v.empty(), flag << ": empty list");
  return v;
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

}  // namespace dg::tools
