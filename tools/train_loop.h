// The training loop shared by every data set: steps with a progress bar, metrics.jsonl, periodic
// evaluation, atomic checkpoints, and clean-up of a killed run's temporary files.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>

#include "base/atomic_file.h"
#include "gan/trainer.h"

namespace dg::tools {

// Creates `dir` if needed and proves it is writable; throws dg::Error naming it otherwise.
void ensure_output_dir(const std::string& dir);

// dir/checkpoint.safetensors; removes temporary files a killed run left beside it (the checkpoint
// itself is always whole, being written under another name and renamed).
std::string checkpoint_path(const std::string& dir);

// The config a run continues with. Without `resume` or without a checkpoint: `requested`.
// Resuming: the checkpoint's config, and of the fields the command set explicitly (`given`, by
// their JSON names):
// - how the run proceeds, not what it computes (steps, graph, checkpoint_every, log_every,
//   eval_every, eval_regenerations): the command's value;
// - what the model and its data are (dataset, generator, latent, hidden, per_condition, responses,
//   particles, sim_particles, data_seed, split): must equal the checkpoint's, else an error naming
//   the field and both values;
// - the rest (regularizer, lambda, batch, seed, optimizer settings, precision, keep_best): must
//   equal the checkpoint's unless `override_config`, which takes the command's value (from the
//   resumed step on; such a run is no longer bit-exact with the uninterrupted one).
// Sets *resuming accordingly.
gan::TrainConfig resume_config(const gan::TrainConfig& requested, const std::string& ckpt,
                               bool resume, const std::set<std::string>& given,
                               bool override_config, bool* resuming);

// "cpu", "cuda" or "auto" (a GPU when one is usable, else the CPU with a one-line notice); "cuda"
// without a usable GPU is an error that says why.
Device select_device(const std::string& name);

// dir/checkpoint_best.safetensors: the training state with the best periodic validation figure.
std::string best_checkpoint_path(const std::string& dir);

// Thrown by train_loop after SIGINT or SIGTERM, once the checkpoint of the last finished step is
// written; main() reports it and exits with 128 + signal.
struct Interrupted : std::runtime_error {
  Interrupted(int signal, int64_t step, std::string checkpoint);
  int signal;
  int64_t step;
  std::string checkpoint;
};

struct LoopOptions {
  bool progress = true;
  bool resuming = false;  // append to metrics.jsonl instead of starting it
  // False on the ranks of a data-parallel run but 0: they train, evaluate and decide as rank 0
  // does (their replicas are bitwise equal) but write no file.
  bool writer = true;
  // Data-parallel runs: compare a hash of the replicas' states after every step (a diagnostic;
  // without it they are compared at every checkpoint) and stop with an error when they differ.
  bool check_replicas = false;
  int64_t eval_every = 0;  // 0: no periodic evaluation
  // Called every eval_every steps (the generator is in eval mode when it runs); the fields of its
  // JSON object ("eval": the test figures, "validation": the selecting ones) go into that step's
  // metrics.jsonl line, and `summarize` of it to the progress output.
  std::function<nlohmann::json(int64_t step)> evaluate;
  std::function<std::string(const nlohmann::json&)> summarize;
  // With keep_best: the figure of an evaluation to minimize (NaN never wins) and its name; the
  // best state goes to best_checkpoint_path(dir), its metadata naming step, figure and value.
  bool keep_best = false;
  std::function<double(const nlohmann::json&)> objective;
  std::string objective_name;
};

// Where the best checkpoint of a run stands (eval.json's "best").
struct BestState {
  int64_t step = -1;  // -1: none yet
  double value = 0;
  nlohmann::json to_json(const std::string& dir, const std::string& name) const;
};

// Trains until trainer.config().steps; returns the wall-clock seconds spent and fills *best (when
// keeping the best). A divergence (dg::Error from the trainer) propagates after the metrics
// written so far are flushed; the last checkpoint stays the last good state. SIGINT or SIGTERM
// stops the loop after the step in flight: it writes the checkpoint and throws Interrupted (a
// second signal ends the process at once; the checkpoint on disk is whole either way). In a
// data-parallel run the ranks agree after every step whether a signal reached any of them, so all
// stop after the same step.
double train_loop(gan::Trainer& trainer, const std::string& dir, const LoopOptions& opt,
                  BestState* best = nullptr);

}  // namespace dg::tools
