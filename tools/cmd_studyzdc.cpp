// `divgan studyzdc`: the README's ZDC table. Every regularizer is trained with the same budget
// (steps, batch, data, generator) over a lambda grid and several seeds on the built-in simulator;
// the test split is halved into a validation half, on which lambda is chosen (lowest mean over
// seeds of the mean channel Wasserstein), and a test half, whose figures are reported as mean ± std
// over seeds beside the papers' ZDC results.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "gan/models_zdc.h"
#include "tools/commands.h"
#include "tools/format.h"
#include "tools/run_zdc.h"
#include "tools/study_util.h"
#include "tools/train_loop.h"
#include "tools/validators.h"

namespace dg::tools {

namespace {

// A test-half figure of a run (NaN when the evaluation had none, e.g. no diversity groups).
double test_metric(const nlohmann::json& ev, const char* key) {
  return json_figure(ev.at("test"), key);
}

// The selection score: the validation half's mean channel Wasserstein.
double validation_ws(const nlohmann::json& ev) {
  return json_figure(ev.at("validation"), "ws_mean");
}

// The README's two tables: the selected lambda per regularizer beside the papers, then every
// lambda.
std::string studyzdc_tables(const std::vector<RegularizerRuns>& grouped, nlohmann::json* best) {
  // The papers' mean channel Wasserstein on real ZDC data (DivBal-GAN paper, Table 1).
  const std::map<gan::Regularizer, std::string> paper = {
      {gan::Regularizer::None, "7.6"}, {gan::Regularizer::MS, "21.7"},
      {gan::Regularizer::DS, "-"},     {gan::Regularizer::DivCo, "14.3"},
      {gan::Regularizer::SDI, "4.5"},  {gan::Regularizer::DivBal, "4.4"}};
  auto test = [](const char* key) {
    return [key](const nlohmann::json& ev) { return test_metric(ev, key); };
  };
  auto seconds = [](const nlohmann::json& ev) { return ev.at("train_seconds").get<double>(); };
  // The charged species' empty fraction, in percent (NaN when the test half has no charged row).
  auto charged_empty = [](const char* side) {
    return [side](const nlohmann::json& ev) {
      const nlohmann::json& v = ev.at("test").at("empty_fraction").at("charged").at(side);
      return v.is_number() ? 100.0 * v.get<double>() : NAN;
    };
  };
  auto percent = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", v);
    return std::string(b);
  };
  std::string best_table =
      "| Model | best λ | Mean channel WS (test half) | Occupancy WS | Diversity error | Empty "
      "responses (gen / real) | charged empty % (gen / real) | non-finite images | failed runs | "
      "paper WS (real ZDC) |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n";
  std::string grid_table =
      "| Model | λ | Mean channel WS (test half) | Diversity error | validation WS | failed runs "
      "| train s / run |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const RegularizerRuns& g : grouped) {
    const StudyArm arm{g.reg, g.tip};
    const std::string title = arm.title();
    // The papers trained no tips: their figure sits beside the plain arms only.
    const std::string paper_ws = g.tip.empty() ? paper.at(g.reg) : "-";
    auto lambda_cell = [&](double l) {
      return g.reg == gan::Regularizer::None ? std::string("-") : lambda_str(l);
    };
    for (const LambdaRuns& l : g.by_lambda) {
      if (l.ok.empty()) continue;
      grid_table += "| " + title + " | " + lambda_cell(l.lambda) + " | " +
                    fmt(stat_of(l.ok, test("ws_mean")), 2) + " | " +
                    fmt(stat_of(l.ok, test("diversity_error")), 3) + " | " +
                    fmt(stat_of(l.ok, validation_ws), 2) + " | " + std::to_string(l.failed) +
                    " | " + fmt(stat_of(l.ok, seconds), 0) + " |\n";
    }
    if (!g.best) {
      best_table += "| " + title + " | - | every lambda failed | | | | | | " +
                    std::to_string(g.failed) + " | " + paper_ws + " |\n";
      continue;
    }
    const auto& runs = g.best->ok;
    const Stat ws = stat_of(runs, test("ws_mean")), div = stat_of(runs, test("diversity_error"));
    int64_t nonfinite = 0, empty_real = 0;
    for (const StudyJob* j : runs) {
      nonfinite += j->eval.at("test").at("nonfinite_generated").get<int64_t>();
      empty_real = j->eval.at("test").at("empty_real").get<int64_t>();
    }
    best_table +=
        "| " + title + " | " + lambda_cell(g.best->lambda) + " | " + fmt(ws, 2) + " | " +
        fmt(stat_of(runs, test("occupancy_ws")), 4) + " | " + fmt(div, 3) + " | " +
        fmt(stat_of(runs, test("empty_generated")), 1) + " / " + std::to_string(empty_real) +
        " | " + fmt(stat_of(runs, charged_empty("generated")), 1) + " / " +
        percent(stat_of(runs, charged_empty("real")).mean) + " | " + std::to_string(nonfinite) +
        " | " + std::to_string(g.failed) + " | " + paper_ws + " |\n";
    (*best)[arm.name()] = {{"lambda", g.best->lambda},
                           {"ws_mean", {ws.mean, ws.sd}},
                           {"diversity_error", {div.mean, div.sd}},
                           {"failed_runs", g.failed}};
  }
  return best_table + "\n" + grid_table;
}

}  // namespace

void add_studyzdc_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("studyzdc",
                         "Train every regularizer over a lambda grid and seeds on ZDC data (the "
                         "built-in simulator, or your files); print the README table");
  auto spec = std::make_shared<StudySpec>();
  auto lists = std::make_shared<StudyLists>();
  gan::TrainConfig& base = spec->base;
  base.dataset = gan::Dataset::Zdc;
  base.latent = gan::kZdcLatent;
  base.generator = gan::GeneratorArch::Dcgan;
  base.steps = 200;
  base.batch = 16;
  base.sim_particles = 400;
  spec->out = "runs/studyzdc";
  lists->lambdas = "0.1,1";
  auto device = std::make_shared<std::string>("cpu");
  auto generator = std::make_shared<std::string>(gan::generator_arch_name(base.generator));
  add_study_options(cmd, *spec, *lists);
  auto tips = std::make_shared<std::string>();
  cmd->add_option("--tips", *tips,
                  "Paper 004's tips, each an extra arm on top of every regularizer but none: aux, "
                  "sparsity, labels, all (comma-separated; presets of docs/design.md#tip-presets)");
  cmd->add_option("--generator", *generator, "Generator: dcgan or original")
      ->check(CLI::IsMember({"original", "dcgan"}))
      ->capture_default_str();
  cmd->add_option("--responses", base.responses,
                  "ZDC responses file, as for train (default: the built-in simulator)");
  cmd->add_option("--particles", base.particles, "ZDC particles file, as for train");
  auto split = std::make_shared<std::string>(gan::split_kind_name(base.split));
  cmd->add_option("--split", *split,
                  "80/20 split: row (the papers' convention) or particle (unseen particles)")
      ->check(CLI::IsMember({"row", "particle"}))
      ->capture_default_str();
  cmd->add_option("--sim-particles", base.sim_particles,
                  "Simulated particles (each showered 3-8 times)")
      ->check(CLI::Range(int64_t{10}, int64_t{100000000}))
      ->capture_default_str();
  cmd->add_option("--data-seed", base.data_seed, "Seed of the simulated data and the split")
      ->capture_default_str();
  cmd->add_option("--device", *device, "cpu, cuda, or auto (a GPU when one is usable)")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  cmd->callback([=] {
    const Device dev = select_device(*device);
    spec->device = dev;
    spec->base.generator = gan::parse_generator_arch(*generator);
    spec->base.split = gan::parse_split_kind(*split);
    take_lists(*lists, *spec, cmd->count("--lambdas") > 0);
    spec->tips.clear();
    std::stringstream ts(*tips);
    for (std::string t; std::getline(ts, t, ',');) {
      gan::TrainConfig probe;
      gan::apply_tip_preset(t, probe);  // an unknown name is refused before any training
      DG_CHECK(std::find(spec->tips.begin(), spec->tips.end(), t) == spec->tips.end(),
               "--tips: '" << t << "' given twice");
      spec->tips.push_back(t);
    }
    DG_CHECK(spec->tips.empty() ||
                 std::any_of(spec->regs.begin(), spec->regs.end(),
                             [](gan::Regularizer r) { return r != gan::Regularizer::None; }),
             "--tips adds arms on top of the regularizers other than none; --regs has none");
    spec->train = [dev](const gan::TrainConfig& cfg, const std::string& dir, ExistingRun existing) {
      return run_zdc(cfg, dir, existing, false, true, dev).eval;
    };
    spec->validation_score = validation_ws;
    spec->header = {{"config", spec->base.to_json()},
                    {"selection", "min mean over seeds of the validation half's mean channel WS"}};
    spec->tables = studyzdc_tables;
    run_study_grid(*spec);
  });
}

}  // namespace dg::tools
