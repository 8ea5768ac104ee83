// `divgan study2d`: the README's 2D benchmark table. Every regularizer is trained with the same
// budget over a lambda grid and several seeds; the lambda of each variant is chosen on a separate
// validation draw (mean over seeds of W(spread 0) + W(spread 1)); the test figures of that lambda
// are reported as mean ± std over seeds beside the SDI-GAN paper's Table 1.
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "tools/commands.h"
#include "tools/run2d.h"
#include "tools/study_stats.h"
#include "tools/study_util.h"
#include "tools/validators.h"

namespace dg::tools {

namespace {

double metric(const nlohmann::json& ev, const char* split, const char* key) {
  return ev.at(split).at(key).get<double>();
}

// The selection score: W(spread 0) + W(spread 1) on the validation draw.
double validation_w(const nlohmann::json& ev) {
  return metric(ev, "validation", "wasserstein_spread0") +
         metric(ev, "validation", "wasserstein_spread1");
}

// A metric of one run, and the variance ratio generated / real of a spread on the test draw.
using Key = std::function<double(const nlohmann::json&)>;
Key test_metric(const char* key) {
  return [key](const nlohmann::json& ev) { return metric(ev, "test", key); };
}
Key variance_ratio(int spread) {
  return [spread](const nlohmann::json& ev) {
    const std::string s = std::to_string(spread);
    return metric(ev, "test", ("variance_spread" + s).c_str()) /
           metric(ev, "test", ("real_variance_spread" + s).c_str());
  };
}
// How far a spread's generated variance is from the real one, in either direction (twice or half
// the real variance are equally far): |log(generated / real)|.
Key variance_distance(int spread) {
  return
      [r = variance_ratio(spread)](const nlohmann::json& ev) { return std::fabs(std::log(r(ev))); };
}

// "m ± sd [lo, hi]": mean, standard deviation and 95% interval over the seeds.
std::string fmt_interval(const MeanInterval& m, int prec) {
  char b[160];
  if (m.n < 2)
    std::snprintf(b, sizeof b, "%.*f", prec, m.mean);
  else
    std::snprintf(b, sizeof b, "%.*f ± %.*f [%.*f, %.*f]", prec, m.mean, prec, m.sd, prec, m.lo,
                  prec, m.hi);
  return b;
}

nlohmann::json interval_json(const MeanInterval& m) {
  return {{"mean", m.mean}, {"sd", m.sd}, {"ci95", {m.lo, m.hi}}, {"n", m.n}};
}

// The comparisons of the paired table: each lower-is-better figure, regularizer minus DC-GAN.
struct Comparison {
  const char* name;  // study.json key
  Key key;
};
const std::vector<Comparison>& comparisons() {
  static const std::vector<Comparison> c = {
      {"wasserstein_spread0", test_metric("wasserstein_spread0")},
      {"wasserstein_spread1", test_metric("wasserstein_spread1")},
      {"variance_distance_spread0", variance_distance(0)},
      {"variance_distance_spread1", variance_distance(1)}};
  return c;
}

// The seeds both variants finished, and a figure of each on those seeds (same order).
struct Paired {
  std::vector<double> reg, base;
  std::vector<uint64_t> seeds;
};
Paired pair_by_seed(const std::vector<const StudyJob*>& reg,
                    const std::vector<const StudyJob*>& base, const Key& key) {
  std::map<uint64_t, double> b;
  for (const StudyJob* j : base) b[j->cfg.seed] = key(j->eval);
  Paired p;
  std::map<uint64_t, double> r;
  for (const StudyJob* j : reg) r[j->cfg.seed] = key(j->eval);
  for (const auto& [seed, v] : r)
    if (b.count(seed)) {
      p.seeds.push_back(seed);
      p.reg.push_back(v);
      p.base.push_back(b.at(seed));
    }
  return p;
}

// "d [lo, hi], p = x" with a mark: * when the 95% interval excludes 0, ** when the difference also
// survives Holm's correction over every comparison of the table.
std::string fmt_difference(const PairedDifference& d, bool holm) {
  if (d.diff.n < 2) return "-";
  char b[160];
  std::snprintf(b, sizeof b, "%+.2f [%+.2f, %+.2f], p = %.3f%s", d.diff.mean, d.diff.lo, d.diff.hi,
                d.p,
                holm                               ? " **"
                : (d.diff.lo > 0 || d.diff.hi < 0) ? " *"
                                                   : "");
  return b;
}

// The selected lambda per regularizer beside the paper, then each regularizer against DC-GAN
// paired by seed; each regularizer's figures go to (*best)[name].
std::string selected_tables(const std::vector<RegularizerRuns>& grouped, nlohmann::json* best) {
  const std::map<gan::Regularizer, std::string> paper = {
      {gan::Regularizer::None, "0.2 / 2.3 / 0.7 / 7.4"},
      {gan::Regularizer::MS, "115.5 / 280.7 / 9.0 / 6.7"},
      {gan::Regularizer::DivCo, "163.3 / 3.7 / 1.1 / 7.0"},
      {gan::Regularizer::SDI, "3.3 / 127.4 / 1.2 / 2.1"},
      {gan::Regularizer::DS, "-"},
      {gan::Regularizer::DivBal, "-"}};
  std::string table =
      "| Model | best λ | Variance spread 0 | Variance spread 1 | Wasserstein spread 0 | "
      "Wasserstein spread 1 | failed runs | paper (Var0 / Var1 / W0 / W1) |\n"
      "|---|---|---|---|---|---|---|---|\n";
  bool real_row = false;
  const RegularizerRuns* baseline = nullptr;
  for (const RegularizerRuns& g : grouped) {
    const std::string title = gan::regularizer_title(g.reg);
    if (g.reg == gan::Regularizer::None && g.best) baseline = &g;
    if (!g.best) {
      table += "| " + title + " | - | every lambda failed | | | | | " + paper.at(g.reg) + " |\n";
      continue;
    }
    const auto& runs = g.best->ok;
    auto ci = [&](const Key& k) { return mean_interval(values_of(runs, k)); };
    if (!real_row) {
      table += "| Real (test draw) | | " +
               fmt_interval(ci(test_metric("real_variance_spread0")), 2) + " | " +
               fmt_interval(ci(test_metric("real_variance_spread1")), 1) +
               " | - | - | | 1 / 100 / - / - |\n";
      real_row = true;
    }
    const MeanInterval v0 = ci(test_metric("variance_spread0")),
                       v1 = ci(test_metric("variance_spread1")),
                       w0 = ci(test_metric("wasserstein_spread0")),
                       w1 = ci(test_metric("wasserstein_spread1"));
    table += "| " + title + " | " +
             (g.reg == gan::Regularizer::None ? "-" : lambda_str(g.best->lambda)) + " | " +
             fmt_interval(v0, 2) + " | " + fmt_interval(v1, 1) + " | " + fmt_interval(w0, 2) +
             " | " + fmt_interval(w1, 2) + " | " + std::to_string(g.failed) + " | " +
             paper.at(g.reg) + " |\n";
    (*best)[gan::regularizer_name(g.reg)] = {
        {"lambda", g.best->lambda},
        {"variance_spread0", interval_json(v0)},
        {"variance_spread1", interval_json(v1)},
        {"wasserstein_spread0", interval_json(w0)},
        {"wasserstein_spread1", interval_json(w1)},
        {"variance_ratio_spread0", interval_json(ci(variance_ratio(0)))},
        {"variance_ratio_spread1", interval_json(ci(variance_ratio(1)))},
        {"failed_runs", g.failed}};
  }

  // Against DC-GAN, paired by seed (same seed: same data draw, initialization and latents).
  if (baseline) {
    struct Row {
      const RegularizerRuns* g;
      std::vector<PairedDifference> d;
    };
    std::vector<Row> rows;
    std::vector<double> p_all;
    for (const RegularizerRuns& g : grouped) {
      if (g.reg == gan::Regularizer::None || !g.best) continue;
      Row row{&g, {}};
      for (const Comparison& c : comparisons()) {
        const Paired p = pair_by_seed(g.best->ok, baseline->best->ok, c.key);
        row.d.push_back(paired_difference(p.reg, p.base));
        p_all.push_back(row.d.back().p);
      }
      rows.push_back(row);
    }
    const std::vector<bool> holm = holm_reject(p_all);
    table +=
        "\n| Model | λ | generated / real variance, spread 0 | generated / real variance, "
        "spread 1 | Δ Wasserstein spread 0 | Δ Wasserstein spread 1 | Δ variance distance "
        "spread 0 | Δ variance distance spread 1 |\n"
        "|---|---|---|---|---|---|---|---|\n";
    auto ratios = [](const RegularizerRuns& g) {
      return fmt_interval(mean_interval(values_of(g.best->ok, variance_ratio(0))), 2) + " | " +
             fmt_interval(mean_interval(values_of(g.best->ok, variance_ratio(1))), 2);
    };
    table += "| DC-GAN | - | " + ratios(*baseline) + " | | | | |\n";
    size_t k = 0;
    for (const Row& row : rows) {
      std::string line = "| " + gan::regularizer_title(row.g->reg) + " | " +
                         lambda_str(row.g->best->lambda) + " | " + ratios(*row.g);
      nlohmann::json& entry = (*best)[gan::regularizer_name(row.g->reg)]["against_dcgan"];
      for (size_t c = 0; c < row.d.size(); ++c, ++k) {
        line += " | " + fmt_difference(row.d[c], holm[k]);
        entry[comparisons()[c].name] = {
            {"difference", interval_json(row.d[c].diff)},
            {"p", row.d[c].p},
            {"significant_95", row.d[c].diff.lo > 0 || row.d[c].diff.hi < 0},
            {"significant_holm", static_cast<bool>(holm[k])}};
      }
      table += line + " |\n";
    }
  }

  return table;
}

// A run stopped early on the validation draw: its periodic evaluation (metrics.jsonl) with the
// lowest validation W0 + W1, as an eval.json would hold it (plus the step). Null when the run has
// no periodic evaluation.
nlohmann::json early_stopped_eval(const StudyJob& j) {
  std::ifstream in(std::filesystem::path(j.dir) / "metrics.jsonl");
  nlohmann::json best;
  double best_score = INFINITY;
  auto figures = [](const nlohmann::json& e) {  // the figures, all numbers (NaN is written null)
    for (const char* k : {"wasserstein_spread0", "wasserstein_spread1", "variance_spread0",
                          "variance_spread1", "real_variance_spread0", "real_variance_spread1"})
      if (!e.is_object() || !e.contains(k) || !e.at(k).is_number()) return false;
    return true;
  };
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json m = nlohmann::json::parse(line, nullptr, false);
    if (m.is_discarded() || !m.is_object() || !m.contains("validation") || !m.contains("eval") ||
        !figures(m.at("validation")) || !figures(m.at("eval")))
      continue;
    nlohmann::json e = {{"test", m.at("eval")}, {"validation", m.at("validation")}};
    const double score = validation_w(e);
    if (std::isfinite(score) && score < best_score) {
      best_score = score;
      e["step"] = m.at("step");
      best = std::move(e);
    }
  }
  return best;
}

// `grouped` with every run replaced by its early-stopped evaluation (the copies live in
// `storage`) and lambda selected again on it; empty when a run has no periodic evaluation.
std::vector<RegularizerRuns> early_stopped(const std::vector<RegularizerRuns>& grouped,
                                           std::deque<StudyJob>* storage) {
  std::vector<RegularizerRuns> out;
  for (const RegularizerRuns& g : grouped) {
    RegularizerRuns e{g.reg, g.tip, {}, nullptr, g.failed};
    for (const LambdaRuns& l : g.by_lambda) {
      LambdaRuns el{l.lambda, {}, l.failed};
      for (const StudyJob* j : l.ok) {
        StudyJob copy = *j;
        copy.eval = early_stopped_eval(*j);
        if (copy.eval.is_null()) {
          std::fprintf(stderr,
                       "note: %s has no periodic evaluation (--eval-every); the early-stopped "
                       "tables are left out\n",
                       j->dir.c_str());
          return {};
        }
        storage->push_back(std::move(copy));
        el.ok.push_back(&storage->back());
      }
      e.by_lambda.push_back(el);
    }
    out.push_back(std::move(e));
    select_lambda(out.back(), validation_w);
  }
  return out;
}

// The README's tables: the selected lambda per regularizer at the end of training and, when the
// runs logged periodic evaluations, stopped early on the validation draw; every lambda.
std::string study2d_tables(const std::vector<RegularizerRuns>& grouped, nlohmann::json* best) {
  std::string table = selected_tables(grouped, best);
  std::deque<StudyJob> storage;
  const std::vector<RegularizerRuns> early = early_stopped(grouped, &storage);
  if (!early.empty()) {
    nlohmann::json early_best = nlohmann::json::object();
    table +=
        "\nStopped early: each run's periodic evaluation with the lowest validation W0 + W1, "
        "lambda selected again on it:\n\n" +
        selected_tables(early, &early_best);
    for (auto& [name, entry] : early_best.items()) {
      nlohmann::json steps = nlohmann::json::array();
      for (const RegularizerRuns& g : early)
        if (g.best && gan::regularizer_name(g.reg) == name)
          for (const StudyJob* j : g.best->ok) steps.push_back(j->eval.at("step"));
      entry["steps"] = steps;
      (*best)[name]["early_stopped"] = entry;
    }
  }

  // Every lambda, to show where a regularizer is inert and where it destabilizes training.
  table +=
      "\n| Model | λ | Variance spread 0 | Variance spread 1 | Wasserstein spread 0 | "
      "Wasserstein spread 1 | validation W0 + W1 | failed runs |\n"
      "|---|---|---|---|---|---|---|---|\n";
  for (const RegularizerRuns& g : grouped)
    for (const LambdaRuns& l : g.by_lambda) {
      const std::string head = "| " + gan::regularizer_title(g.reg) + " | " + lambda_str(l.lambda);
      if (l.ok.empty()) {
        table += head + " | diverged in every seed | | | | | " + std::to_string(l.failed) + " |\n";
        continue;
      }
      table += head + " | " + fmt(stat_of(l.ok, test_metric("variance_spread0")), 2) + " | " +
               fmt(stat_of(l.ok, test_metric("variance_spread1")), 1) + " | " +
               fmt(stat_of(l.ok, test_metric("wasserstein_spread0")), 2) + " | " +
               fmt(stat_of(l.ok, test_metric("wasserstein_spread1")), 2) + " | " +
               fmt(stat_of(l.ok, validation_w), 2) + " | " + std::to_string(l.failed) + " |\n";
    }
  return table;
}

}  // namespace

void add_study2d_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("study2d",
                                 "Train every regularizer over a lambda grid and seeds on the 2D "
                                 "benchmark; print the README table");
  auto spec = std::make_shared<StudySpec>();
  auto lists = std::make_shared<StudyLists>();
  // The README's study (docs/design.md#the-2d-study): 6000 steps at batch 256, just past where
  // DC-GAN's test Wasserstein is lowest; 5 seeds; 8 half-decade lambdas per regularizer around
  // its best region; periodic evaluations for the early-stopped tables.
  spec->base.steps = 6000;
  spec->base.batch = 256;
  spec->base.eval_every = 1000;
  spec->seeds = 5;
  spec->out = "runs/study2d";
  lists->lambdas = "1e-5:0.0316:8";
  lists->default_grids = {
      {"ds", "1e-4:0.316:8"}, {"sdi", "1e-7:3.16e-4:8"}, {"divbal", "1e-6:3.16e-3:8"}};
  add_study_options(cmd, *spec, *lists);
  const char* const side = "Networks (the collapse side study)";
  cmd->add_option("--latent", spec->base.latent, "Latent dimension of the generator")
      ->check(positive())
      ->capture_default_str()
      ->group(side);
  cmd->add_flag("--condition-every-layer", spec->base.condition_every_layer,
                "The generator sees the condition at every layer, not only at its input")
      ->group(side);
  cmd->callback([=] {
    take_lists(*lists, *spec, cmd->count("--lambdas") > 0);
    spec->train = [](const gan::TrainConfig& cfg, const std::string& dir, ExistingRun existing) {
      return run_2d(cfg, dir, existing, false).eval;
    };
    spec->validation_score = validation_w;
    spec->header = {{"steps", spec->base.steps},
                    {"batch", spec->base.batch},
                    {"latent", spec->base.latent},
                    {"condition_every_layer", spec->base.condition_every_layer},
                    {"selection", "min mean over seeds of validation W0 + W1"}};
    spec->tables = study2d_tables;
    run_study_grid(*spec);
  });
}

}  // namespace dg::tools
