// The training loop shared by every data set: steps with a progress bar, metrics.jsonl, periodic
// evaluation, atomic checkpoints, and clean-up of a killed run's temporary files.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "base/atomic_file.h"
#include "gan/trainer.h"

namespace dg::tools {

// Creates `dir` if needed and proves it is writable; throws dg::Error naming it otherwise.
void ensure_output_dir(const std::string& dir);

// dir/checkpoint.safetensors; removes temporary files a killed run left beside it (the checkpoint
// itself is always whole, being written under another name and renamed).
std::string checkpoint_path(const std::string& dir);

// The config a run continues with: with `resume` and an existing checkpoint, the checkpoint's own
// config with only the step budget taken from `requested` (a resume may extend a run); otherwise
// `requested`. Sets *resuming accordingly.
gan::TrainConfig resume_config(const gan::TrainConfig& requested, const std::string& ckpt,
                               bool resume, bool* resuming);

// "cpu", "cuda" or "auto" (a GPU when one is usable, else the CPU with a one-line notice); "cuda"
// without a usable GPU is an error that says why.
Device select_device(const std::string& name);

struct LoopOptions {
  bool progress = true;
  bool resuming = false;   // append to metrics.jsonl instead of starting it
  int64_t eval_every = 0;  // 0: no periodic evaluation
  // Called every eval_every steps (the generator is in eval mode when it runs); its JSON is written
  // to metrics.jsonl under "eval" and a one-line summary to the progress output.
  std::function<nlohmann::json(int64_t step)> evaluate;
  std::function<std::string(const nlohmann::json&)> summarize;
};

// Trains until trainer.config().steps; returns the wall-clock seconds spent. A divergence
// (dg::Error from the trainer) propagates after the metrics written so far are flushed; the last
// checkpoint stays the last good state.
double train_loop(gan::Trainer& trainer, const std::string& dir, const LoopOptions& opt);

}  // namespace dg::tools
