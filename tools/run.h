// The skeleton every training run shares, whatever its data set (train, study2d, studyzdc):
// validate, prepare the folder, resume, build the models on the device, train with metrics and
// checkpoints, evaluate, and write run.json and eval.json atomically. A data set contributes only
// what differs (RunParts): its training data, what it adds to run.json and the checkpoint, its
// periodic and final evaluations.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "datasets/conditional.h"
#include "gan/config.h"
#include "gan/trainer.h"

namespace dg::tools {

// Validates `requested`, creates `dir` and returns the config the run continues with (the
// checkpoint's own, with the step budget from `requested`, when resuming; see resume_config).
gan::TrainConfig begin_run(const gan::TrainConfig& requested, const std::string& dir, bool resume,
                           bool* resuming);

struct RunParts {
  std::shared_ptr<const data::ConditionalDataset> train;
  // Fields of run.json besides "config"; called once the models exist (it may print a banner).
  std::function<nlohmann::json(const gan::Models&)> describe;
  std::map<std::string, std::string> checkpoint_metadata;
  // Every cfg.eval_every steps: the evaluation written to metrics.jsonl, and its one-line summary.
  std::function<nlohmann::json(gan::ConditionalGenerator&)> periodic_eval;
  std::function<std::string(const nlohmann::json&)> summarize;
  // At the end: the fields of eval.json besides config, steps and train_seconds.
  std::function<nlohmann::json(gan::ConditionalGenerator&)> final_eval;
};

struct RunOutcome {
  int64_t steps = 0;
  double seconds = 0;
  nlohmann::json eval;  // what eval.json holds
};

// Trains `cfg` (from begin_run) into `dir`: run.json, metrics.jsonl, checkpoint.safetensors,
// eval.json.
RunOutcome run_training(const gan::TrainConfig& cfg, const std::string& dir, bool resuming,
                        bool progress, Device device, const RunParts& parts);

}  // namespace dg::tools
