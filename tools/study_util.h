// Pieces shared by the study commands (study2d, studyzdc): mean ± std over seeds, lambda and
// regularizer lists, the grid of runs, and a pool of threads that runs independent training jobs.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gan/config.h"

namespace dg::tools {

struct Stat {
  double mean = 0, sd = 0;  // sd: sample standard deviation (n - 1), 0 for one value
};
Stat stat(const std::vector<double>& v);
std::string fmt(const Stat& s, int prec);  // "m ± s"

// "0.1,1" -> {0.1, 1}; every value > 0; errors name `flag`.
std::vector<double> parse_list(const std::string& s, const std::string& flag);
// "none,ms" -> the regularizers (gan::parse_regularizer names the unknown one).
std::vector<gan::Regularizer> parse_regularizers(const std::string& s);
// A lambda as it appears in run folders and tables ("%g").
std::string lambda_str(double l);

// One training run of a study: `base` with a regularizer, lambda and seed, in
// <out>/<reg>/lambda_<l>/seed_<s>, checkpointed only at its end.
struct StudyRun {
  gan::TrainConfig cfg;
  std::string dir;
};
// Every regularizer over the lambda grid (none: lambda 0 only) and seeds 1..seeds, in that order.
std::vector<StudyRun> study_runs(const gan::TrainConfig& base,
                                 const std::vector<gan::Regularizer>& regs,
                                 const std::vector<double>& lambdas, int64_t seeds,
                                 const std::string& out);

// Calls job(i) for i in [0, n) on `threads` threads; job(i) must only touch its own state (it may
// lock `log` to print).
void run_parallel(int64_t n, int64_t threads, const std::function<void(int64_t)>& job);

// The jobs of a study, on `threads` threads: job i is reused when reuse(i) finds its finished
// results, trained with train(i) otherwise (train(i) must only touch job i's state; a dg::Error
// marks the job failed and its message, prefixed with name(i), goes to *failures). One line per
// job on stderr. Returns whether each job finished.
std::vector<bool> run_study(int64_t n, int64_t threads,
                            const std::function<std::string(int64_t)>& name,
                            const std::function<bool(int64_t)>& reuse,
                            const std::function<void(int64_t)>& train,
                            const std::function<double(int64_t)>& seconds,
                            std::vector<std::string>* failures);

}  // namespace dg::tools
