// One 2D-benchmark run: data, models, training loop with logging and checkpoints, evaluation.
#include "tools/run2d.h"

#include "datasets/benchmark2d.h"
#include "gan/trainer.h"
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

}  // namespace

Run2DResult run_2d(const gan::TrainConfig& cfg_in, const std::string& dir, bool resume,
                   bool progress, Device device) {
  bool resuming = false;
  const gan::TrainConfig cfg = begin_run(cfg_in, dir, resume, &resuming);
  Run2DResult r;
  RunParts parts;
  parts.train =
      std::make_shared<data::Benchmark2D>(data::make_points2d(cfg.seed, cfg.per_condition, 0));
  parts.final_eval = [&](gan::ConditionalGenerator& g) {
    const Run2DResult e = evaluate(g, cfg, cfg.seed);
    r.test = e.test;
    r.validation = e.validation;
    return nlohmann::json{{"test", r.test.to_json()}, {"validation", r.validation.to_json()}};
  };
  const RunOutcome o = run_training(cfg, dir, resuming, progress, device, parts);
  r.steps = o.steps;
  r.seconds = o.seconds;
  r.eval = o.eval;
  return r;
}

Run2DResult evaluate_checkpoint_2d(const std::string& checkpoint, uint64_t eval_seed) {
  gan::TrainConfig cfg = gan::read_checkpoint_config(checkpoint);
  auto data = std::make_shared<data::Benchmark2D>(data::make_points2d(cfg.seed, 2, 0));
  gan::Trainer trainer(cfg, data, gan::make_models(cfg));
  trainer.load(checkpoint);
  Run2DResult r = evaluate(*trainer.models().g, cfg, eval_seed);
  r.steps = trainer.steps_done();
  return r;
}

}  // namespace dg::tools
