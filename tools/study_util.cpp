// Study helpers (see study_util.h).
#include "tools/study_util.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "base/atomic_file.h"
#include "base/error.h"
#include "engine/collective.h"
#include "gan/trainer.h"
#include "tools/report.h"
#include "tools/train_loop.h"
#include "tools/validators.h"

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
    DG_CHECK(std::isfinite(v.back()) && v.back() > 0,
             flag << ": values must be finite and > 0, got " << v.back());
  }
  DG_CHECK(!v.empty(), flag << ": empty list");
  return v;
}

std::vector<double> parse_lambda_grid(const std::string& s, const std::string& flag) {
  if (s.find(':') == std::string::npos) {
    // Twice the same lambda would be the same runs in the same folders, counted twice.
    std::vector<double> v = parse_list(s, flag);
    std::vector<double> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    DG_CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(),
             flag << ": '" << s << "' names a lambda twice");
    return v;
  }
  std::stringstream ss(s);
  std::string lo_s, hi_s, n_s, extra;
  std::getline(ss, lo_s, ':');
  std::getline(ss, hi_s, ':');
  std::getline(ss, n_s, ':');
  const char* expected = " (expected lo:hi:n, n log-spaced values, like 1e-6:1e-2:9)";
  DG_CHECK(!std::getline(ss, extra, ':'),
           flag << ": '" << s << "' has too many fields" << expected);
  double lo = 0, hi = 0;
  long n = 0;
  try {
    size_t a = 0, b = 0, c = 0;
    lo = std::stod(lo_s, &a);
    hi = std::stod(hi_s, &b);
    n = std::stol(n_s, &c);
    if (a != lo_s.size() || b != hi_s.size() || c != n_s.size())
      throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    DG_FAIL(flag << ": '" << s << "' is not a grid" << expected);
  }
  DG_CHECK(std::isfinite(hi) && lo > 0 && hi > lo && n >= 2 && n <= 100,
           flag << ": '" << s << "' needs 0 < lo < hi and 2 <= n <= 100" << expected);
  std::vector<double> v;
  for (long i = 0; i < n; ++i) {
    const double x =
        std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * static_cast<double>(i) /
                                    static_cast<double>(n - 1));
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", x);
    v.push_back(std::stod(b));
    DG_CHECK(v.size() < 2 || v.back() > v[v.size() - 2],
             flag << ": '" << s << "' has values closer than 3 significant digits tell apart ("
                  << v.back() << " twice); use fewer values");
  }
  return v;
}

std::vector<gan::Regularizer> parse_regularizers(const std::string& s) {
  std::vector<gan::Regularizer> rs;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const gan::Regularizer r = gan::parse_regularizer(item);
    // Twice the same regularizer would be the same runs in the same folders, trained twice.
    DG_CHECK(std::find(rs.begin(), rs.end(), r) == rs.end(),
             "regularizer '" << item << "' given twice");
    rs.push_back(r);
  }
  return rs;
}

std::string lambda_str(double l) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", l);
  return b;
}

std::string StudyArm::name() const {
  return gan::regularizer_name(reg) + (tip.empty() ? "" : "+" + tip);
}

std::string StudyArm::title() const {
  return gan::regularizer_title(reg) + (tip.empty() ? "" : " + " + tip);
}

std::vector<StudyArm> study_arms(const std::vector<gan::Regularizer>& regs,
                                 const std::vector<std::string>& tips) {
  std::vector<StudyArm> arms;
  for (gan::Regularizer r : regs) {
    arms.push_back({r, ""});
    if (r != gan::Regularizer::None)
      for (const std::string& t : tips) arms.push_back({r, t});
  }
  return arms;
}

std::vector<StudyRun> study_runs(const gan::TrainConfig& base, const std::vector<StudyArm>& arms,
                                 const LambdaGrids& lambdas, int64_t seeds,
                                 const std::string& out) {
  std::vector<StudyRun> runs;
  for (const StudyArm& a : arms)
    for (double l : a.reg == gan::Regularizer::None ? std::vector<double>{0.0} : lambdas.at(a.reg))
      for (int64_t s = 1; s <= seeds; ++s) {
        StudyRun run;
        run.cfg = base;
        run.cfg.reg = a.reg;
        run.cfg.lambda = l;
        run.cfg.seed = static_cast<uint64_t>(s);
        run.cfg.checkpoint_every = run.cfg.steps;
        if (!a.tip.empty()) gan::apply_tip_preset(a.tip, run.cfg);
        run.tip = a.tip;
        run.dir = (std::filesystem::path(out) / a.name() / ("lambda_" + lambda_str(l)) /
                   ("seed_" + std::to_string(s)))
                      .string();
        runs.push_back(run);
      }
  return runs;
}

void run_parallel(int64_t n, int64_t threads, const std::function<void(int64_t)>& job) {
  std::atomic<int64_t> next{0};
  std::mutex first_error_lock;
  std::exception_ptr first_error;
  // An exception a job lets through (an interruption, a bug) stops every worker taking new jobs
  // and is rethrown once the jobs in flight have ended; it never escapes a thread.
  auto worker = [&] {
    for (int64_t i = next++; i < n; i = next++) try {
        job(i);
      } catch (...) {
        std::lock_guard<std::mutex> l(first_error_lock);
        if (!first_error) first_error = std::current_exception();
        next = n;
      }
  };
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (first_error) std::rethrow_exception(first_error);
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

namespace {

// A finished run's eval.json when its config matches (so an interrupted study resumes); null
// otherwise.
// A run's config as a study compares it: how often it logs, evaluates or checkpoints and whether
// it replays a graph do not make it another run (a study rerun with another --eval-every reuses
// its finished runs and continues its interrupted ones).
nlohmann::json comparable(const gan::TrainConfig& c) {
  nlohmann::json j = c.to_json();
  for (const char* k : {"eval_every", "log_every", "checkpoint_every", "graph"}) j.erase(k);
  return j;
}

nlohmann::json finished_eval(const StudyJob& j) {
  std::ifstream in(std::filesystem::path(j.dir) / "eval.json");
  if (!in) return nullptr;
  try {
    nlohmann::json e = nlohmann::json::parse(in);
    // Through from_json, so a config written with fields this version no longer records (or
    // without ones it added, at their defaults) still matches.
    if (comparable(gan::TrainConfig::from_json(e.at("config"))) != comparable(j.cfg) ||
        e.at("steps").get<int64_t>() != j.cfg.steps)
      return nullptr;
    return e;
  } catch (const std::exception&) {
    return nullptr;
  }
}

// A study run that failed leaves this file in its folder: its config and the error.
constexpr const char* kFailureFile = "study_failure.json";

// The error a run of this config failed with, as recorded in its folder; empty when none is.
std::string recorded_failure(const StudyJob& j) {
  std::ifstream in(std::filesystem::path(j.dir) / kFailureFile);
  if (!in) return "";
  try {
    const nlohmann::json f = nlohmann::json::parse(in);
    if (comparable(gan::TrainConfig::from_json(f.at("config"))) != comparable(j.cfg)) return "";
    return f.at("error").get<std::string>();
  } catch (const std::exception&) {
    return "";
  }
}

// Resume when the folder holds an interrupted run of this very config, else start afresh.
ExistingRun existing_run(const StudyJob& j) {
  const auto ckpt = std::filesystem::path(j.dir) / "checkpoint.safetensors";
  try {
    if (std::filesystem::exists(ckpt) &&
        comparable(gan::read_checkpoint_config(ckpt.string())) == comparable(j.cfg))
      return ExistingRun::Resume;
  } catch (const std::exception&) {
    // An unreadable checkpoint is replaced.
  }
  return ExistingRun::Overwrite;
}

double seconds_of(const StudyJob& j) {
  return j.eval.is_object() ? j.eval.value("train_seconds", 0.0) : 0.0;
}

}  // namespace

void select_lambda(RegularizerRuns& g,
                   const std::function<double(const nlohmann::json& eval)>& score) {
  g.best = nullptr;
  // The baseline has one lambda and nothing to choose: its finished seeds stand even if another
  // failed (and the comparisons pair what both finished).
  if (g.reg == gan::Regularizer::None) {
    if (!g.by_lambda.empty() && !g.by_lambda.front().ok.empty()) g.best = &g.by_lambda.front();
    return;
  }
  double best_score = INFINITY;
  for (const LambdaRuns& l : g.by_lambda) {
    if (l.failed > 0 || l.ok.empty()) continue;
    const double v = stat_of(l.ok, score).mean;
    if (v < best_score) best_score = v, g.best = &l;
  }
}

std::vector<double> values_of(const std::vector<const StudyJob*>& runs,
                              const std::function<double(const nlohmann::json& eval)>& key) {
  std::vector<double> v;
  for (const StudyJob* j : runs) v.push_back(key(j->eval));
  return v;
}

Stat stat_of(const std::vector<const StudyJob*>& runs,
             const std::function<double(const nlohmann::json& eval)>& key) {
  return stat(values_of(runs, key));
}

namespace {

// The report of a study: one run per regularizer (the first seed at the selected lambda), the
// study's tables above them. A failure here is a warning: the study's results are written.
void write_study_report(const StudySpec& spec, const std::vector<RegularizerRuns>& grouped,
                        const std::string& table) {
  ReportOptions o;
  for (const RegularizerRuns& g : grouped) {
    if (!g.best || g.best->ok.empty()) continue;
    const StudyJob* first = g.best->ok.front();
    for (const StudyJob* j : g.best->ok)
      if (j->cfg.seed < first->cfg.seed) first = j;
    o.runs.push_back(first->dir);
  }
  if (o.runs.empty()) return;
  o.out = (std::filesystem::path(spec.out) / "report").string();
  o.title = "Study " + spec.out;
  o.notes = "Every regularizer over the lambda grid and " + std::to_string(spec.seeds) +
            " seeds; lambda selected on the validation figure. The runs shown below are the "
            "first seed's at each selected lambda.\n\n" +
            table;
  o.pictures = spec.report == "pictures";
  o.device = spec.device;
  try {
    std::printf("\nreport: %s\n", write_report(o).c_str());
  } catch (const std::exception& e) {  // filesystem and JSON errors too: the study stands
    std::fprintf(stderr, "divgan: warning: the study's report was not written: %s\n", e.what());
  }
}

}  // namespace

void run_study_grid(const StudySpec& spec) {
  ensure_output_dir(spec.out);
  std::vector<StudyJob> all;
  const std::vector<StudyArm> arms = study_arms(spec.regs, spec.tips);
  for (StudyRun& run : study_runs(spec.base, arms, spec.lambdas, spec.seeds, spec.out)) {
    StudyJob j;
    j.cfg = run.cfg;
    j.tip = run.tip;
    j.dir = run.dir;
    all.push_back(j);
  }
  if (spec.merge) {
    // Under mpirun every rank runs the merge command: rank 0 writes the tables.
    if (const std::optional<Shard> rank = launcher_shard(); rank && rank->index != 0) {
      std::printf("MPI rank %lld: the merge is rank 0's\n", static_cast<long long>(rank->index));
      return;
    }
    // Every run must have ended in its shard: finished, or failed with its failure recorded. A
    // merge trains nothing, so its tables are the ones a single process would have written.
    int64_t missing = 0;
    std::string first;
    for (StudyJob& j : all) {
      j.eval = finished_eval(j);  // kept: the reuse below does not read it again
      if (j.eval.is_null() && recorded_failure(j).empty() && missing++ == 0) first = j.dir;
    }
    DG_CHECK(missing == 0, "--merge: " << missing << " of " << all.size() << " runs in " << spec.out
                                       << " have not ended (first: " << first
                                       << "): a shard is still running, was stopped, or ran "
                                          "another configuration; run the shards that hold them");
  }
  if (spec.shard && spec.shard->count > 1) {
    // This process's runs only; the others belong to the other shards.
    std::vector<StudyJob> mine;
    for (size_t i = 0; i < all.size(); ++i)
      if (static_cast<int64_t>(i) % spec.shard->count == spec.shard->index) mine.push_back(all[i]);
    all = std::move(mine);
  }
  std::vector<std::string> failures;
  const std::vector<bool> finished = run_study(
      static_cast<int64_t>(all.size()), spec.jobs, [&](int64_t i) { return all[i].dir; },
      [&](int64_t i) {
        if (all[i].eval.is_null()) all[i].eval = finished_eval(all[i]);
        return !all[i].eval.is_null();
      },
      [&](int64_t i) {
        const std::filesystem::path marker = std::filesystem::path(all[i].dir) / kFailureFile;
        if (spec.merge) DG_FAIL(recorded_failure(all[i]));  // as the shard that ran it saw it
        try {
          all[i].eval = spec.train(all[i].cfg, all[i].dir,
                                   existing_run(all[i]));  // the run's results, not a re-read
        } catch (const Error& e) {
          // For a later --merge (another process, which must not train the run again).
          write_file_atomic(
              marker.string(),
              nlohmann::json{{"config", all[i].cfg.to_json()}, {"error", e.what()}}.dump(2) + "\n");
          throw;
        }
        std::filesystem::remove(marker);
      },
      [&](int64_t i) { return seconds_of(all[i]); }, &failures);
  for (size_t i = 0; i < all.size(); ++i)
    all[i].ok = finished[i] && std::isfinite(spec.validation_score(all[i].eval));
  if (spec.shard && spec.shard->count > 1) {
    const auto done = std::count(finished.begin(), finished.end(), true);
    for (const auto& f : failures) std::fprintf(stderr, "failed: %s\n", f.c_str());
    const bool meet = spec.shard_from_launcher && mpi_built() && launched_with_mpi();
    std::printf("shard %lld/%lld: %lld of its %zu runs finished in %s; %s\n",
                static_cast<long long>(spec.shard->index),
                static_cast<long long>(spec.shard->count), static_cast<long long>(done), all.size(),
                spec.out.c_str(),
                meet ? "rank 0 writes the tables once every rank has finished"
                     : "once every shard has finished, the same command with --merge (instead "
                       "of --shard) writes the tables");
    if (meet) {
      // Under mpirun the ranks meet once all have trained their runs (a study's runs take hours:
      // the wait is bounded by days, not by a collective's usual timeout), then rank 0 merges.
      MpiOptions mo;
      mo.timeout_s = 30 * 24 * 3600.0;
      mpi_world(mo)->any(false, "the end of every rank's runs");
      if (spec.shard->index != 0) return;
      StudySpec merged = spec;
      merged.shard.reset();
      merged.shard_from_launcher = false;
      merged.merge = true;
      std::printf("rank 0: every rank has finished; merging\n");
      run_study_grid(merged);
    }
    return;
  }

  std::vector<RegularizerRuns> grouped;
  for (const StudyArm& arm : arms) {
    RegularizerRuns g;
    g.reg = arm.reg;
    g.tip = arm.tip;
    std::map<double, LambdaRuns> by;
    for (const StudyJob& j : all)
      if (j.cfg.reg == arm.reg && j.tip == arm.tip) {
        LambdaRuns& l = by[j.cfg.lambda];
        l.lambda = j.cfg.lambda;
        if (j.ok)
          l.ok.push_back(&j);
        else
          ++l.failed, ++g.failed;
      }
    for (auto& [l, runs] : by) g.by_lambda.push_back(runs);
    grouped.push_back(std::move(g));
    select_lambda(grouped.back(), spec.validation_score);
  }

  nlohmann::json report = spec.header;
  report["seeds"] = spec.seeds;
  report["lambdas"] = nlohmann::json::object();
  for (const auto& [reg, grid] : spec.lambdas)
    if (reg != gan::Regularizer::None) report["lambdas"][gan::regularizer_name(reg)] = grid;
  report["tips"] = spec.tips;
  report["runs"] = nlohmann::json::array();
  for (const StudyJob& j : all)
    report["runs"].push_back(
        {{"dir", j.dir},
         {"reg", gan::regularizer_name(j.cfg.reg)},
         {"tip", j.tip.empty() ? nlohmann::json(nullptr) : nlohmann::json(j.tip)},
         {"lambda", j.cfg.lambda},
         {"seed", j.cfg.seed},
         {"ok", j.ok},
         {"test", j.eval.is_object() ? j.eval.value("test", nlohmann::json()) : nlohmann::json()},
         {"validation",
          j.eval.is_object() ? j.eval.value("validation", nlohmann::json()) : nlohmann::json()},
         {"train_seconds", seconds_of(j)}});
  nlohmann::json best = nlohmann::json::object();
  const std::string table = spec.tables(grouped, &best);
  report["best"] = best;
  report["failures"] = failures;
  write_file_atomic((std::filesystem::path(spec.out) / "study.json").string(),
                    report.dump(2) + "\n");
  write_file_atomic((std::filesystem::path(spec.out) / "table.md").string(), table);
  std::printf("%s", table.c_str());
  for (const auto& f : failures) std::fprintf(stderr, "failed: %s\n", f.c_str());
  if (spec.report != "none") write_study_report(spec, grouped, table);
}

void add_study_options(CLI::App* cmd, StudySpec& spec, StudyLists& lists) {
  cmd->add_option("--steps", spec.base.steps, "Training steps per run")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--batch", spec.base.batch, "Batch size")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--seeds", spec.seeds,
                  "Seeds (initialization and latents) per configuration: 1..seeds")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--lambdas", lists.lambdas,
                  "Lambda grid for every regularizer: a list (0.001,0.01) or lo:hi:n (n values "
                  "log-spaced from lo to hi)")
      ->capture_default_str();
  std::string own =
      "REG=GRID: the grid of one regularizer, replacing --lambdas for it (repeatable; "
      "sdi=1e-6:1e-3:7)";
  if (!lists.default_grids.empty()) {
    own += "; without --lambdas, by default";
    for (const auto& [reg, grid] : lists.default_grids) own += " " + reg + "=" + grid;
  }
  cmd->add_option("--lambdas-for", lists.lambdas_for, own);
  cmd->add_option("--regs", lists.regs, "Regularizers to include")->capture_default_str();
  cmd->add_option("--eval-every", spec.base.eval_every,
                  "Steps between test evaluations in each run's metrics.jsonl (learning curves; "
                  "0: only the final one)")
      ->check(non_negative())
      ->capture_default_str();
  cmd->add_option("--jobs", spec.jobs, "Runs in parallel (threads)")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--out", spec.out,
                  "Output directory (one folder per run, study.json, table.md, report/)")
      ->capture_default_str();
  auto* shard = cmd->add_option(
      "--shard", lists.shard,
      "i/n: train only part i of n of the runs (0-based; for a scheduler's job array, every part "
      "writing to the same --out); under mpirun each rank takes its part. Then --merge");
  cmd->add_flag("--merge", spec.merge,
                "Train nothing: write the tables from the runs every --shard has finished in --out")
      ->excludes(shard);
  cmd->add_option("--report", spec.report,
                  "The study's report in <out>/report: pictures, tables (no Python) or none")
      ->check(CLI::IsMember({"pictures", "tables", "none"}))
      ->capture_default_str();
}

void take_lists(const StudyLists& lists, StudySpec& spec, bool lambdas_given) {
  if (!lists.shard.empty())
    spec.shard = parse_shard(lists.shard, "--shard");
  else if (!spec.merge)
    spec.shard = launcher_shard();
  spec.shard_from_launcher = lists.shard.empty() && spec.shard.has_value();
  spec.regs = parse_regularizers(lists.regs);
  const std::vector<double> common = parse_lambda_grid(lists.lambdas, "--lambdas");
  LambdaGrids own;
  for (const std::string& item : lists.lambdas_for) {
    const size_t eq = item.find('=');
    DG_CHECK(eq != std::string::npos,
             "--lambdas-for: '" << item << "' is not REG=GRID (like sdi=1e-6:1e-3:7)");
    gan::Regularizer r = gan::Regularizer::None;
    try {
      r = gan::parse_regularizer(item.substr(0, eq));
    } catch (const Error& e) {
      DG_FAIL("--lambdas-for '" << item << "': " << e.what());
    }
    DG_CHECK(r != gan::Regularizer::None,
             "--lambdas-for: '" << item << "': the baseline 'none' has no lambda");
    DG_CHECK(!own.count(r), "--lambdas-for: '" << item.substr(0, eq) << "' given twice");
    DG_CHECK(std::find(spec.regs.begin(), spec.regs.end(), r) != spec.regs.end(),
             "--lambdas-for: '" << item.substr(0, eq) << "' is not among --regs");
    own[r] = parse_lambda_grid(item.substr(eq + 1), "--lambdas-for " + item.substr(0, eq));
  }
  spec.lambdas.clear();
  for (gan::Regularizer r : spec.regs) {
    const auto d = lists.default_grids.find(gan::regularizer_name(r));
    spec.lambdas[r] = own.count(r) ? own.at(r)
                      : !lambdas_given && d != lists.default_grids.end()
                          ? parse_lambda_grid(d->second, "--lambdas-for " + d->first)
                          : common;
  }
}

}  // namespace dg::tools
