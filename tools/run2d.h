// Training and evaluating one 2D-benchmark run into an output folder (used by `train` and `study2d`).
#pragma once
#include <string>

#include "gan/config.h"
#include "gan/eval2d.h"

namespace dg::tools {

struct Run2DResult {
  gan::Eval2D test, validation;
  int64_t steps = 0;
  double seconds = 0;
};

// Creates `dir` if needed and proves it is writable; throws dg::Error naming it otherwise.
void ensure_output_dir(const std::string& dir);

// Trains cfg into `dir` (run.json, metrics.jsonl, checkpoint.safetensors, eval.json). With
// `resume`, continues from dir/checkpoint.safetensors when it exists.
Run2DResult run_2d(const gan::TrainConfig& cfg, const std::string& dir, bool resume, bool progress);

// Evaluates a trained generator on the test and validation splits of its config's seed.
Run2DResult evaluate_checkpoint_2d(const std::string& checkpoint, uint64_t eval_seed);

// Writes text to path atomically (temporary file + rename).
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace dg::tools
