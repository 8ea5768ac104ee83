// The shared run skeleton (see run.h).
#include "tools/run.h"

#include <filesystem>

#include "base/atomic_file.h"
#include "tools/train_loop.h"

namespace dg::tools {

gan::TrainConfig begin_run(const gan::TrainConfig& requested, const std::string& dir, bool resume,
                           bool* resuming) {
  requested.validate();
  ensure_output_dir(dir);
  return resume_config(requested, checkpoint_path(dir), resume, resuming);
}

RunOutcome run_training(const gan::TrainConfig& cfg, const std::string& dir, bool resuming,
                        bool progress, Device device, const RunParts& parts) {
  namespace fs = std::filesystem;
  gan::Models models = gan::make_models(cfg);
  models.g->to(device);
  models.d->to(device);
  nlohmann::json run = {{"config", cfg.to_json()}};
  if (parts.describe) run.update(parts.describe(models));
  gan::Trainer trainer(cfg, parts.train, models);
  trainer.set_extra_metadata(parts.checkpoint_metadata);
  if (resuming) trainer.load(checkpoint_path(dir));
  write_file_atomic((fs::path(dir) / "run.json").string(), run.dump(2) + "\n");

  LoopOptions lo;
  lo.progress = progress;
  lo.resuming = resuming;
  if (parts.periodic_eval) {
    lo.eval_every = cfg.eval_every;
    lo.evaluate = [&](int64_t) { return parts.periodic_eval(*trainer.models().g); };
    lo.summarize = parts.summarize;
  }
  RunOutcome out;
  out.seconds = train_loop(trainer, dir, lo);
  out.steps = trainer.steps_done();
  nlohmann::json ev = {
      {"config", cfg.to_json()}, {"steps", out.steps}, {"train_seconds", out.seconds}};
  if (parts.final_eval) ev.update(parts.final_eval(*trainer.models().g));
  write_file_atomic((fs::path(dir) / "eval.json").string(), ev.dump(2) + "\n");
  out.eval = std::move(ev);
  return out;
}

}  // namespace dg::tools
