// Pieces shared by the study commands (study2d, studyzdc): mean ± std over seeds, lambda and
// regularizer lists, the grid of runs, and a pool of threads that runs independent training jobs.
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gan/config.h"
#include "tools/run.h"
#include "tools/shard.h"

namespace dg::tools {

struct Stat {
  double mean = 0, sd = 0;  // sd: sample standard deviation (n - 1), 0 for one value
};
Stat stat(const std::vector<double>& v);
std::string fmt(const Stat& s, int prec);  // "m ± s"

// "0.1,1" -> {0.1, 1}; every value > 0; errors name `flag`.
std::vector<double> parse_list(const std::string& s, const std::string& flag);
// A lambda grid: a list as parse_list, or "lo:hi:n", n values log-spaced from lo to hi inclusive
// ("1e-6:1e-2:9" is 1e-6, 1e-5.5, ..., 1e-2), each rounded to 3 significant digits so that folder
// names and tables stay readable.
std::vector<double> parse_lambda_grid(const std::string& s, const std::string& flag);
// "none,ms" -> the regularizers (gan::parse_regularizer names the unknown one).
std::vector<gan::Regularizer> parse_regularizers(const std::string& s);
// A lambda as it appears in run folders and tables ("%g").
std::string lambda_str(double l);

// One arm of a study: a regularizer, alone or with one of paper 004's tip presets
// (gan::apply_tip_preset). Named "<reg>" or "<reg>+<tip>" in folders and study.json.
struct StudyArm {
  gan::Regularizer reg = gan::Regularizer::None;
  std::string tip;  // empty: none
  std::string name() const;
  std::string title() const;  // for tables: "DivBal-GAN + aux"
};
// Each regularizer alone, then each regularizer other than none with each tip (the baseline stays
// plain: it is what the tips are measured against).
std::vector<StudyArm> study_arms(const std::vector<gan::Regularizer>& regs,
                                 const std::vector<std::string>& tips);

// One training run of a study: `base` with an arm, lambda and seed, in
// <out>/<arm>/lambda_<l>/seed_<s>, checkpointed only at its end.
struct StudyRun {
  gan::TrainConfig cfg;
  std::string tip;
  std::string dir;
};
// The lambda grid of each regularizer of a study.
using LambdaGrids = std::map<gan::Regularizer, std::vector<double>>;

// Every arm over its regularizer's lambda grid (none: lambda 0 only) and seeds 1..seeds, in that
// order.
std::vector<StudyRun> study_runs(const gan::TrainConfig& base, const std::vector<StudyArm>& arms,
                                 const LambdaGrids& lambdas, int64_t seeds, const std::string& out);

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

// ---- The one study driver (study2d, studyzdc): the grid of runs, trained or reused in parallel,
// grouped by regularizer and lambda, lambda chosen per regularizer on the validation score, tables
// and study.json written atomically. A study command supplies only what is its own (StudySpec).

struct StudyJob {
  gan::TrainConfig cfg;
  std::string tip;
  std::string dir;
  nlohmann::json eval;  // the run's eval.json; null when it failed
  bool ok = false;      // finished with a finite validation score
};

// The runs of one regularizer at one lambda.
struct LambdaRuns {
  double lambda = 0;
  std::vector<const StudyJob*> ok;
  int failed = 0;
};

struct RegularizerRuns {
  gan::Regularizer reg = gan::Regularizer::None;
  std::string tip;                    // the arm's tip preset (empty: none)
  std::vector<LambdaRuns> by_lambda;  // ascending lambda
  // The selected lambda: lowest mean validation score over seeds among the lambdas where no seed
  // failed (a lambda that destabilizes any seed is not eligible); null when none qualifies.
  const LambdaRuns* best = nullptr;
  int failed = 0;  // over every lambda
};

struct StudySpec {
  gan::TrainConfig base;
  std::vector<gan::Regularizer> regs;
  std::vector<std::string> tips;  // paper 004's tip presets on top of the regularizers (ZDC)
  LambdaGrids lambdas;            // one grid per regularizer of `regs` (none: unused)
  int64_t seeds = 3, jobs = 2;
  std::string out;
  // Trains one run into `dir`; returns what its eval.json holds.
  // `existing`: Resume where the folder holds an unfinished run of this very config (an
  // interrupted study continues it), Overwrite otherwise.
  std::function<nlohmann::json(const gan::TrainConfig& cfg, const std::string& dir,
                               ExistingRun existing)>
      train;
  // A run's validation score from its eval.json, lower is better; non-finite: the run failed.
  std::function<double(const nlohmann::json& eval)> validation_score;
  nlohmann::json header;  // study.json's fields besides runs, best and failures
  // The Markdown tables, and each regularizer's entry of study.json's "best" (by name).
  std::function<std::string(const std::vector<RegularizerRuns>&, nlohmann::json* best)> tables;
  // The study's report (<out>/report, tools/report.h): "pictures", "tables" or "none". It shows
  // the first seed's run at each regularizer's selected lambda, under the study's tables.
  std::string report = "pictures";
  Device device = Device::CPU;
  // A study spread over processes (a job array, MPI ranks): this process trains only the runs
  // i with i % count == index (round robin, so every shard gets a share of each regularizer's
  // cost) and writes no tables; `merge` writes the tables from the runs of every shard, refusing
  // while any was never started (it reuses the finished ones; a diverged one fails again, as in one
  // process). Both read and write the same --out.
  std::optional<Shard> shard;
  // The shard is an MPI rank's (from the launcher): when every rank has trained its runs, rank 0
  // merges (with MPI built and a real launch; otherwise the merge is a command of its own).
  bool shard_from_launcher = false;
  bool merge = false;
};

// Runs the study; writes <out>/study.json and <out>/table.md and prints the tables.
void run_study_grid(const StudySpec& spec);

// The command-line options every study takes (--steps, --batch, --seeds, --lambdas,
// --lambdas-for, --regs, --jobs, --out, --shard, --merge), bound to `spec` (base config, seeds,
// jobs, out) and to `lists` (the lambda and regularizer lists as typed; parse them into spec with
// take_lists in the callback). `lambdas_for` holds "reg=grid" items that replace --lambdas for one
// regularizer; `default_grids` a command's own grid per regularizer name, used where neither
// --lambdas nor
// --lambdas-for names one (a --lambdas given on the command line applies to every regularizer).
struct StudyLists {
  std::string lambdas, regs = "none,ms,ds,divco,sdi,divbal";
  std::vector<std::string> lambdas_for;
  std::map<std::string, std::string> default_grids;
  std::string shard;
};
void add_study_options(CLI::App* cmd, StudySpec& spec, StudyLists& lists);
// `lambdas_given`: --lambdas was on the command line. Also takes --shard, or the shard of an MPI
// launcher's rank.
void take_lists(const StudyLists& lists, StudySpec& spec, bool lambdas_given);

// Sets g.best: the lambda with the lowest mean `score` over its seeds among those where no seed
// failed (null when none qualifies); for the baseline (none), its one lambda when any seed
// finished. `g` must not move afterwards (best points into it).
void select_lambda(RegularizerRuns& g,
                   const std::function<double(const nlohmann::json& eval)>& score);

// `key(eval)` of each run, in order (e.g. a test metric per seed).
std::vector<double> values_of(const std::vector<const StudyJob*>& runs,
                              const std::function<double(const nlohmann::json& eval)>& key);
// Mean ± std over the runs of `key(eval)`.
Stat stat_of(const std::vector<const StudyJob*>& runs,
             const std::function<double(const nlohmann::json& eval)>& key);

}  // namespace dg::tools
