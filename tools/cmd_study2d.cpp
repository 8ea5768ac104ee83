// `divgan study2d`: the README's 2D benchmark table. Every regularizer is trained with the same
// budget over a lambda grid and several seeds; the lambda of each variant is chosen on a separate
// validation draw (mean over seeds of W(spread 0) + W(spread 1)); the test figures of that lambda
// are reported as mean ± std over seeds beside the SDI-GAN paper's Table 1.
#include <cmath>
#include <cstdio>
#include <map>

#include "tools/commands.h"
#include "tools/run2d.h"
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

// The README's two tables: the selected lambda per regularizer beside the paper, then every lambda.
std::string study2d_tables(const std::vector<RegularizerRuns>& grouped, nlohmann::json* best) {
  const std::map<gan::Regularizer, std::string> paper = {
      {gan::Regularizer::None, "0.2 / 2.3 / 0.7 / 7.4"},
      {gan::Regularizer::MS, "115.5 / 280.7 / 9.0 / 6.7"},
      {gan::Regularizer::DivCo, "163.3 / 3.7 / 1.1 / 7.0"},
      {gan::Regularizer::SDI, "3.3 / 127.4 / 1.2 / 2.1"},
      {gan::Regularizer::DS, "-"},
      {gan::Regularizer::DivBal, "-"}};
  auto test = [](const char* key) {
    return [key](const nlohmann::json& ev) { return metric(ev, "test", key); };
  };
  std::string table =
      "| Model | best λ | Variance spread 0 | Variance spread 1 | Wasserstein spread 0 | "
      "Wasserstein spread 1 | failed runs | paper (Var0 / Var1 / W0 / W1) |\n"
      "|---|---|---|---|---|---|---|---|\n";
  bool real_row = false;
  for (const RegularizerRuns& g : grouped) {
    const std::string title = gan::regularizer_title(g.reg);
    if (!g.best) {
      table += "| " + title + " | - | every lambda failed | | | | | " + paper.at(g.reg) + " |\n";
      continue;
    }
    const auto& runs = g.best->ok;
    const Stat v0 = stat_of(runs, test("variance_spread0")),
               v1 = stat_of(runs, test("variance_spread1"));
    const Stat w0 = stat_of(runs, test("wasserstein_spread0"));
    const Stat w1 = stat_of(runs, test("wasserstein_spread1"));
    if (!real_row) {
      table += "| Real (test split) | | " + fmt(stat_of(runs, test("real_variance_spread0")), 2) +
               " | " + fmt(stat_of(runs, test("real_variance_spread1")), 1) +
               " | - | - | | 1 / 100 / - / - |\n";
      real_row = true;
    }
    table += "| " + title + " | " +
             (g.reg == gan::Regularizer::None ? "-" : lambda_str(g.best->lambda)) + " | " +
             fmt(v0, 2) + " | " + fmt(v1, 1) + " | " + fmt(w0, 2) + " | " + fmt(w1, 2) + " | " +
             std::to_string(g.failed) + " | " + paper.at(g.reg) + " |\n";
    (*best)[gan::regularizer_name(g.reg)] = {{"lambda", g.best->lambda},
                                             {"variance_spread0", {v0.mean, v0.sd}},
                                             {"variance_spread1", {v1.mean, v1.sd}},
                                             {"wasserstein_spread0", {w0.mean, w0.sd}},
                                             {"wasserstein_spread1", {w1.mean, w1.sd}},
                                             {"failed_runs", g.failed}};
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
      table += head + " | " + fmt(stat_of(l.ok, test("variance_spread0")), 2) + " | " +
               fmt(stat_of(l.ok, test("variance_spread1")), 1) + " | " +
               fmt(stat_of(l.ok, test("wasserstein_spread0")), 2) + " | " +
               fmt(stat_of(l.ok, test("wasserstein_spread1")), 2) + " | " +
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
  spec->base.steps = 3000;
  spec->out = "runs/study2d";
  lists->lambdas = "0.00001,0.0001,0.001,0.01,0.1,1";
  add_study_options(cmd, *spec, *lists);
  cmd->callback([=] {
    take_lists(*lists, *spec);
    spec->train = [](const gan::TrainConfig& cfg, const std::string& dir, ExistingRun existing) {
      return run_2d(cfg, dir, existing, false).eval;
    };
    spec->validation_score = validation_w;
    spec->header = {{"steps", spec->base.steps},
                    {"batch", spec->base.batch},
                    {"selection", "min mean over seeds of validation W0 + W1"}};
    spec->tables = study2d_tables;
    run_study_grid(*spec);
  });
}

}  // namespace dg::tools
