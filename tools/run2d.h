// Training and evaluating one 2D-benchmark run into an output folder (used by `train` and
// `study2d`).
#pragma once
#include <string>

#include "datasets/benchmark2d.h"
#include "gan/config.h"
#include "gan/eval2d.h"
#include "tools/run.h"
#include "tools/train_loop.h"

namespace dg::tools {

struct Run2DResult {
  gan::Eval2D test, validation;
  int64_t steps = 0;
  double seconds = 0;
  nlohmann::json eval;  // what eval.json holds (after training)
};

// Trains cfg into `dir` (run.json, metrics.jsonl, checkpoint.safetensors, eval.json); `existing`
// says what to do with a run already there. Every cfg.eval_every steps, the test and validation
// figures go to metrics.jsonl (the validation ones select the best checkpoint with keep_best).
Run2DResult run_2d(const gan::TrainConfig& cfg, const std::string& dir, const RunRequest& request,
                   bool progress, Device device = Device::CPU);

// Evaluates a trained generator on the test and validation splits of its config's seed.
Run2DResult evaluate_checkpoint_2d(const std::string& checkpoint, uint64_t eval_seed);

// The test draw of a checkpoint's config (`per_condition` points per class and spread) and one
// generated point for each, latents from `seed`: what the report's scatter shows.
struct Points2DPair {
  data::Points2D real;
  std::vector<double> generated;  // (N, 2)
};
Points2DPair checkpoint_points_2d(const std::string& checkpoint, int64_t per_condition,
                                  uint64_t seed);

}  // namespace dg::tools
