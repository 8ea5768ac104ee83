// Pieces shared by the study commands (study2d, studyzdc): mean ± std over seeds, lambda lists,
// and a pool of threads that runs independent training jobs.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dg::tools {

struct Stat {
  double mean = 0, sd = 0;  // sd: sample standard deviation (n - 1), 0 for one value
};
Stat stat(const std::vector<double>& v);
std::string fmt(const Stat& s, int prec);  // "m ± s"

// "0.1,1" -> {0.1, 1}; every value > 0; errors name `flag`.
std::vector<double> parse_list(const std::string& s, const std::string& flag);

// Calls job(i) for i in [0, n) on `threads` threads; job(i) must only touch its own state (it may
// lock `log` to print).
void run_parallel(int64_t n, int64_t threads, const std::function<void(int64_t)>& job);

}  // namespace dg::tools
