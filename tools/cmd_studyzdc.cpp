// `divgan studyzdc`: the README's ZDC table. Every regularizer is trained with the same budget
// (steps, batch, data, generator) over a lambda grid and several seeds on the built-in simulator;
// the test split is halved into a validation half, on which lambda is chosen (lowest mean over
// seeds of the mean channel Wasserstein), and a test half, whose figures are reported as mean ± std
// over seeds beside the papers' ZDC results.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "tools/commands.h"
#include "tools/run_zdc.h"
#include "tools/study_util.h"
#include "tools/train_loop.h"
#include "tools/validators.h"

namespace dg::tools {

namespace {

struct Job {
  gan::TrainConfig cfg;
  std::string dir;
  double test_ws = NAN, test_div = NAN, test_empty = NAN, val_ws = NAN, seconds = 0;
  int64_t nonfinite = 0, empty_real = 0;
  bool done = false;
};

void take(Job& j, const nlohmann::json& ev) {
  auto num = [](const nlohmann::json& v) { return v.is_null() ? NAN : v.get<double>(); };
  const auto& t = ev.at("test");
  j.test_ws = num(t.at("ws_mean"));
  j.test_div = num(t.at("diversity_error"));
  j.test_empty = num(t.at("empty_generated"));
  j.empty_real = t.at("empty_real").get<int64_t>();
  j.nonfinite = t.at("nonfinite_generated").get<int64_t>();
  j.val_ws = num(ev.at("validation").at("ws_mean"));
  j.seconds = ev.at("train_seconds").get<double>();
}

// Reuses a finished run's eval.json when its config matches (so an interrupted study resumes).
bool load_finished(Job& j) {
  std::ifstream in(std::filesystem::path(j.dir) / "eval.json");
  if (!in) return false;
  try {
    nlohmann::json e = nlohmann::json::parse(in);
    if (e.at("config") != j.cfg.to_json() || e.at("steps").get<int64_t>() != j.cfg.steps)
      return false;
    take(j, e);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

void add_studyzdc_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("studyzdc",
                         "Train every regularizer over a lambda grid and seeds on the built-in "
                         "ZDC simulator; print the README table");
  auto base = std::make_shared<gan::TrainConfig>();
  base->dataset = "zdc";
  base->latent = 10;
  base->generator = "dcgan";
  base->steps = 200;
  base->batch = 16;
  base->sim_particles = 400;
  auto out = std::make_shared<std::string>("runs/studyzdc");
  auto seeds = std::make_shared<int64_t>(3);
  auto jobs = std::make_shared<int64_t>(2);
  auto lambdas = std::make_shared<std::string>("0.1,1");
  auto regs = std::make_shared<std::string>("none,ms,ds,divco,sdi,divbal");
  auto device = std::make_shared<std::string>("cpu");
  cmd->add_option("--steps", base->steps, "Training steps per run")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--batch", base->batch, "Batch size")->check(positive())->capture_default_str();
  cmd->add_option("--generator", base->generator, "Generator: dcgan or original")
      ->check(CLI::IsMember({"original", "dcgan"}))
      ->capture_default_str();
  cmd->add_option("--sim-particles", base->sim_particles,
                  "Simulated particles (each showered 3-8 times)")
      ->check(CLI::Range(int64_t{10}, int64_t{100000000}))
      ->capture_default_str();
  cmd->add_option("--data-seed", base->data_seed, "Seed of the simulated data and the split")
      ->capture_default_str();
  cmd->add_option("--seeds", *seeds,
                  "Seeds (initialization and latents) per configuration: 1..seeds")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--lambdas", *lambdas, "Lambda grid for every regularizer")
      ->capture_default_str();
  cmd->add_option("--regs", *regs, "Regularizers to include")->capture_default_str();
  cmd->add_option("--jobs", *jobs, "Runs in parallel (threads)")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--out", *out, "Output directory (one folder per run, study.json, table.md)")
      ->capture_default_str();
  cmd->add_option("--device", *device, "cpu, cuda, or auto (a GPU when one is usable)")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  cmd->callback([=] {
    const Device dev = select_device(*device);
    ensure_output_dir(*out);
    const std::vector<double> grid = parse_list(*lambdas, "--lambdas");
    const std::vector<gan::Regularizer> rs = parse_regularizers(*regs);
    std::vector<Job> all;
    for (StudyRun& run : study_runs(*base, rs, grid, *seeds, *out)) {
      Job j;
      j.cfg = run.cfg;
      j.dir = run.dir;
      all.push_back(j);
    }
    std::vector<std::string> failures;
    const std::vector<bool> ok = run_study(
        static_cast<int64_t>(all.size()), *jobs, [&](int64_t i) { return all[i].dir; },
        [&](int64_t i) { return load_finished(all[i]); },
        [&](int64_t i) {
          const ZdcRunResult r = run_zdc(all[i].cfg, all[i].dir, false, false, true, dev);
          take(all[i], {{"test", r.test.to_json()},
                        {"validation", r.validation.to_json()},
                        {"train_seconds", r.seconds}});
        },
        [&](int64_t i) { return all[i].seconds; }, &failures);
    for (size_t i = 0; i < all.size(); ++i) all[i].done = ok[i];

    // The papers' mean channel Wasserstein on real ZDC data (DivBal-GAN paper, Table 1).
    const std::map<gan::Regularizer, std::string> paper = {
        {gan::Regularizer::None, "7.6"}, {gan::Regularizer::MS, "21.7"},
        {gan::Regularizer::DS, "-"},     {gan::Regularizer::DivCo, "14.3"},
        {gan::Regularizer::SDI, "4.5"},  {gan::Regularizer::DivBal, "4.4"}};
    nlohmann::json report = {
        {"config", base->to_json()},
        {"seeds", *seeds},
        {"lambdas", grid},
        {"selection", "min mean over seeds of the validation half's mean channel WS"},
        {"runs", nlohmann::json::array()},
        {"best", nlohmann::json::object()}};
    for (const Job& j : all)
      report["runs"].push_back({{"dir", j.dir},
                                {"reg", gan::regularizer_name(j.cfg.reg)},
                                {"lambda", j.cfg.lambda},
                                {"seed", j.cfg.seed},
                                {"ok", j.done},
                                {"test_ws_mean", j.test_ws},
                                {"test_diversity_error", j.test_div},
                                {"validation_ws_mean", j.val_ws},
                                {"train_seconds", j.seconds}});
    std::string best_table =
        "| Model | best λ | Mean channel WS (test half) | Diversity error | Empty responses (gen / "
        "real) | "
        "non-finite images | failed runs | paper WS (real ZDC) "
        "|\n|---|---|---|---|---|---|---|---|\n";
    std::string grid_table =
        "| Model | λ | Mean channel WS (test half) | Diversity error | validation WS | failed runs "
        "| train s / run |\n"
        "|---|---|---|---|---|---|---|\n";
    for (gan::Regularizer r : rs) {
      std::map<double, std::vector<const Job*>> ok;
      std::map<double, int> failed;
      for (const Job& j : all)
        if (j.cfg.reg == r) {
          if (j.done && std::isfinite(j.val_ws))
            ok[j.cfg.lambda].push_back(&j);
          else
            failed[j.cfg.lambda]++;
        }
      double best_score = INFINITY, best_l = 0;
      int nfail = 0;
      for (auto& [l, n] : failed) nfail += n;
      for (auto& [l, js] : ok) {
        std::vector<double> ws, div, val, sec;
        for (const Job* j : js)
          ws.push_back(j->test_ws), div.push_back(j->test_div), val.push_back(j->val_ws),
              sec.push_back(j->seconds);
        grid_table += "| " + gan::regularizer_title(r) + " | " +
                      (r == gan::Regularizer::None ? "-" : lambda_str(l)) + " | " +
                      fmt(stat(ws), 2) + " | " + fmt(stat(div), 3) + " | " + fmt(stat(val), 2) +
                      " | " + std::to_string(failed[l]) + " | " + fmt(stat(sec), 0) + " |\n";
        // A lambda that destabilizes any seed is not eligible.
        if (failed[l] == 0 && stat(val).mean < best_score) best_score = stat(val).mean, best_l = l;
      }
      if (!std::isfinite(best_score)) {
        best_table += "| " + gan::regularizer_title(r) + " | - | every lambda failed | | | | " +
                      std::to_string(nfail) + " | " + paper.at(r) + " |\n";
        continue;
      }
      std::vector<double> ws, div, emp;
      int64_t nonfinite = 0, empty_real = 0;
      for (const Job* j : ok[best_l]) {
        ws.push_back(j->test_ws);
        div.push_back(j->test_div);
        emp.push_back(j->test_empty);
        nonfinite += j->nonfinite;
        empty_real = j->empty_real;
      }
      best_table += "| " + gan::regularizer_title(r) + " | " +
                    (r == gan::Regularizer::None ? "-" : lambda_str(best_l)) + " | " +
                    fmt(stat(ws), 2) + " | " + fmt(stat(div), 3) + " | " + fmt(stat(emp), 1) +
                    " / " + std::to_string(empty_real) + " | " + std::to_string(nonfinite) + " | " +
                    std::to_string(nfail) + " | " + paper.at(r) + " |\n";
      report["best"][gan::regularizer_name(r)] = {
          {"lambda", best_l},
          {"ws_mean", {stat(ws).mean, stat(ws).sd}},
          {"diversity_error", {stat(div).mean, stat(div).sd}},
          {"failed_runs", nfail}};
    }
    report["failures"] = failures;
    const std::string table = best_table + "\n" + grid_table;
    write_file_atomic((std::filesystem::path(*out) / "study.json").string(), report.dump(2) + "\n");
    write_file_atomic((std::filesystem::path(*out) / "table.md").string(), table);
    std::printf("%s", table.c_str());
    for (const auto& f : failures) std::fprintf(stderr, "failed: %s\n", f.c_str());
  });
}

}  // namespace dg::tools
