// One 2D-benchmark run: data, models, training loop with logging and checkpoints, evaluation.
#include "tools/run2d.h"

#include <cstdio>
#include <memory>

#include "datasets/benchmark2d.h"
#include "gan/trainer.h"
#include "tools/format.h"
#include "tools/run.h"
#include "tools/train_loop.h"

namespace dg::tools {

namespace {

Run2DResult evaluate(gan::ConditionalGenerator& g, const gan::TrainConfig& cfg,
                     uint64_t eval_seed) {
  Run2DResult r;
  Philox rng(eval_seed, 3ULL << 48);
  r.test = gan::evaluate2d(g, data::make_points2d(cfg.seed, 1000, 1), rng);
  r.validation = gan::evaluate2d(g, data::make_points2d(cfg.seed, 1000, 2), rng);
  return r;
}

// The figure that selects (lower is better): the mean over both spreads of the Wasserstein
// distance on the validation draw.
double objective(const nlohmann::json& line) {
  const nlohmann::json& v = line.at("validation");
  return 0.5 * (json_figure(v, "wasserstein_spread0") + json_figure(v, "wasserstein_spread1"));
}

std::string summary(const nlohmann::json& line) {
  const nlohmann::json& t = line.at("eval");
  char b[160];
  std::snprintf(b, sizeof b, "test Wasserstein %.3f / %.3f, variance %.3f / %.3f",
                json_figure(t, "wasserstein_spread0"), json_figure(t, "wasserstein_spread1"),
                json_figure(t, "variance_spread0"), json_figure(t, "variance_spread1"));
  return b;
}

}  // namespace

Run2DResult run_2d(const gan::TrainConfig& cfg_in, const std::string& dir,
                   const RunRequest& request, bool progress, Device device) {
  const RunStart start = begin_run(cfg_in, dir, request);
  progress = progress && request.writes();  // rank 0 alone speaks for a data-parallel run
  const gan::TrainConfig& cfg = start.cfg;
  const bool resuming = start.resuming;
  Run2DResult r;
  RunParts parts;
  parts.train =
      std::make_shared<data::Benchmark2D>(data::make_points2d(cfg.seed, cfg.per_condition, 0));
  // Periodic evaluations draw their latents from the final evaluation's seed, so the last point
  // of a curve is the final figure's protocol.
  parts.periodic_eval = [&](gan::ConditionalGenerator& g) {
    const Run2DResult e = evaluate(g, cfg, cfg.seed);
    return nlohmann::json{{"eval", e.test.to_json()}, {"validation", e.validation.to_json()}};
  };
  parts.describe = [&](const gan::Models&) {
    if (progress)
      std::fprintf(stderr,
                   "2D benchmark (the SDI-GAN paper's synthetic data: %lld training points; "
                   "--data zdc trains the calorimeter model)\n",
                   static_cast<long long>(parts.train->size()));
    return nlohmann::json{{"data", "2d benchmark"}};
  };
  parts.summarize = summary;
  parts.objective = objective;
  parts.objective_name = "validation mean Wasserstein";
  parts.final_eval = [&](gan::Models& m) {
    const Run2DResult e = evaluate(*m.g, cfg, cfg.seed);
    r.test = e.test;
    r.validation = e.validation;
    return nlohmann::json{{"test", r.test.to_json()}, {"validation", r.validation.to_json()}};
  };
  const RunOutcome o = run_training(cfg, dir, resuming, progress, device, parts, request);
  r.steps = o.steps;
  r.seconds = o.seconds;
  r.eval = o.eval;
  return r;
}

namespace {

// A trainer holding the checkpoint's state (its training data is not needed: a small draw).
std::unique_ptr<gan::Trainer> load_2d(const std::string& checkpoint, gan::TrainConfig* cfg) {
  *cfg = gan::read_checkpoint_config(checkpoint);
  DG_CHECK(cfg->dataset == gan::Dataset::Points2D,
           checkpoint << ": a ZDC checkpoint; expected one of the 2D benchmark");
  auto data = std::make_shared<data::Benchmark2D>(data::make_points2d(cfg->seed, 2, 0));
  auto trainer = std::make_unique<gan::Trainer>(*cfg, data, gan::make_models(*cfg));
  trainer->load(checkpoint, true);  // inference: any rank count's checkpoint is a model
  return trainer;
}

}  // namespace

Run2DResult evaluate_checkpoint_2d(const std::string& checkpoint, uint64_t eval_seed) {
  gan::TrainConfig cfg;
  const auto trainer = load_2d(checkpoint, &cfg);
  Run2DResult r = evaluate(*trainer->models().g, cfg, eval_seed);
  r.steps = trainer->steps_done();
  return r;
}

Points2DPair checkpoint_points_2d(const std::string& checkpoint, int64_t per_condition,
                                  uint64_t seed) {
  gan::TrainConfig cfg;
  const auto trainer = load_2d(checkpoint, &cfg);
  Points2DPair p;
  p.real = data::make_points2d(cfg.seed, per_condition, 1);
  Philox rng(seed, 3ULL << 48);
  p.generated = gan::generate_points2d(*trainer->models().g, p.real, rng);
  return p;
}

}  // namespace dg::tools
