// One 2D-benchmark run: data, models, training loop with logging and checkpoints, evaluation.
#include "tools/run2d.h"

#include <filesystem>

#include "datasets/benchmark2d.h"
#include "gan/trainer.h"
#include "tools/train_loop.h"

namespace dg::tools {

namespace fs = std::filesystem;

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
  cfg_in.validate();
  ensure_output_dir(dir);
  const std::string ckpt = checkpoint_path(dir);
  bool resuming = false;
  const gan::TrainConfig cfg = resume_config(cfg_in, ckpt, resume, &resuming);
  auto data =
      std::make_shared<data::Benchmark2D>(data::make_points2d(cfg.seed, cfg.per_condition, 0));
  gan::Models models = gan::make_models(cfg);
  models.g->to(device);
  models.d->to(device);
  gan::Trainer trainer(cfg, data, models);
  if (resuming) trainer.load(ckpt);
  write_file_atomic((fs::path(dir) / "run.json").string(), cfg.to_json().dump(2) + "\n");
  LoopOptions lo;
  lo.progress = progress;
  lo.resuming = resuming;
  const double seconds = train_loop(trainer, dir, lo);
  Run2DResult r = evaluate(*trainer.models().g, cfg, cfg.seed);
  r.steps = trainer.steps_done();
  r.seconds = seconds;
  nlohmann::json ev = {{"config", cfg.to_json()},
                       {"steps", r.steps},
                       {"train_seconds", r.seconds},
                       {"test", r.test.to_json()},
                       {"validation", r.validation.to_json()}};
  write_file_atomic((fs::path(dir) / "eval.json").string(), ev.dump(2) + "\n");
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
