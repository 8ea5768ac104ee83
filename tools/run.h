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
#include <set>
#include <string>

#include "datasets/conditional.h"
#include "engine/collective.h"
#include "gan/config.h"
#include "gan/trainer.h"

namespace dg::tools {

// What a run does with an output folder that already holds a run (a checkpoint, run.json,
// metrics.jsonl or eval.json): refuse with an error naming --resume and --overwrite (train's
// default: a finished run is never replaced by accident), continue it, or replace it.
enum class ExistingRun { Refuse, Resume, Overwrite };

struct RunRequest {
  RunRequest(ExistingRun e = ExistingRun::Refuse) : existing(e) {}  // NOLINT: implicit on purpose
  ExistingRun existing;
  // With Resume: the config fields (their JSON names) this command set explicitly. See
  // resume_config for which may differ from the checkpoint's.
  std::set<std::string> given;
  bool override_config = false;
  // A data-parallel run's ranks (docs/design.md#data-parallel-training); null: one process. Rank
  // 0 alone touches the output folder (lock, run.json, metrics.jsonl, checkpoints, eval.json) and
  // prints; every rank trains, evaluates and reads the checkpoint it resumes from (the folder
  // must be visible to every rank: a shared file system on a cluster).
  std::shared_ptr<Collective> group;
  // Compare the replicas after every step, not only at checkpoints (LoopOptions).
  bool check_replicas = false;
  // True on the process that writes the run's files and progress (rank 0, or the only one).
  bool writes() const { return !group || group->rank() == 0; }
};

// Holds an output folder for one run: an exclusive flock on DIR/.divgan.lock, which the kernel
// drops when the process ends however it ends, so a killed run never leaves a folder stuck.
class RunLock {
 public:
  // Throws naming the folder and the process holding it.
  explicit RunLock(const std::string& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

struct RunStart {
  gan::TrainConfig cfg;  // what the run continues with
  bool resuming = false;
  std::unique_ptr<RunLock> lock;  // held until the run is over
};

// Validates `requested`, creates and locks `dir`, applies `request.existing`, and returns the
// config the run continues with (the checkpoint's when resuming; see resume_config). In a
// data-parallel run rank 0 does all of that and the other ranks receive its config.
RunStart begin_run(const gan::TrainConfig& requested, const std::string& dir,
                   const RunRequest& request);

struct RunParts {
  std::shared_ptr<const data::ConditionalDataset> train;
  // Fields of run.json besides "config"; called once the models exist (it may print a banner).
  std::function<nlohmann::json(const gan::Models&)> describe;
  std::map<std::string, std::string> checkpoint_metadata;
  // Every cfg.eval_every steps: the fields added to that metrics.jsonl line ("eval": the test
  // figures; with cfg.keep_best also "validation"), and their one-line summary.
  std::function<nlohmann::json(gan::ConditionalGenerator&)> periodic_eval;
  std::function<std::string(const nlohmann::json&)> summarize;
  // With cfg.keep_best: the figure of a periodic evaluation that selects the best checkpoint
  // (lower is better) and its name.
  std::function<double(const nlohmann::json&)> objective;
  std::string objective_name;
  // At the end: the fields of eval.json besides config, steps and train_seconds.
  std::function<nlohmann::json(gan::Models&)> final_eval;  // the trained networks
};

struct RunOutcome {
  int64_t steps = 0;
  double seconds = 0;
  nlohmann::json eval;  // what eval.json holds
};

// The final evaluation's progress on stderr ("final evaluation [####....] 40%"), or nothing.
std::function<void(int64_t, int64_t)> eval_progress(bool enabled);

// Trains `cfg` (from begin_run) into `dir`: run.json (config, data, provenance: command line,
// commit, host, device, start and end time), metrics.jsonl, checkpoint.safetensors (and
// checkpoint_best.safetensors with cfg.keep_best, named in eval.json's "best"), eval.json.
// `request` says which ranks train together and whether a checkpoint of another rank count may
// be resumed (its override_config).
RunOutcome run_training(const gan::TrainConfig& cfg, const std::string& dir, bool resuming,
                        bool progress, Device device, const RunParts& parts,
                        const RunRequest& request);

}  // namespace dg::tools
