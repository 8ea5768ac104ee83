// The shared run skeleton (see run.h).
#include "tools/run.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "base/atomic_file.h"
#include "tools/progress.h"
#include "tools/provenance.h"
#include "tools/train_loop.h"

namespace dg::tools {

namespace {
// The files a run writes into its folder; their presence means the folder holds a run.
const char* const kRunFiles[] = {"checkpoint.safetensors", "checkpoint_best.safetensors",
                                 "run.json", "metrics.jsonl", "eval.json"};
}  // namespace

RunLock::RunLock(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / ".divgan.lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  DG_CHECK(fd_ >= 0, "cannot open the lock file " << path << ": " << std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[64] = "";
    const ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
    holder[n > 0 ? n : 0] = '\0';
    ::close(fd_);
    fd_ = -1;
    DG_CHECK(err != EWOULDBLOCK, "'" << dir << "' is in use by another divgan run"
                                     << (holder[0] ? std::string(" (") + holder + ")" : "")
                                     << "; wait for it to end, or use another --out");
    DG_FAIL("cannot lock " << path << ": " << std::strerror(err));
  }
  // Who holds it, for the message of a second run (the lock itself is the flock, not this text).
  const std::string me = "pid " + std::to_string(::getpid()) + ", since " + local_time_iso();
  if (::ftruncate(fd_, 0) == 0) {
    // Failing, only a second run's message would lack the holder; the lock holds regardless.
    [[maybe_unused]] const ssize_t w = ::pwrite(fd_, me.data(), me.size(), 0);
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

RunStart begin_run(const gan::TrainConfig& requested, const std::string& dir,
                   const RunRequest& request) {
  namespace fs = std::filesystem;
  requested.validate();
  ensure_output_dir(dir);
  RunStart start;
  if (!request.writes()) {
    // Rank 0 has prepared the folder and decided the config by the time this answers.
    std::string text;
    broadcast_string(*request.group, text, "the run's config from rank 0");
    const nlohmann::json j = nlohmann::json::parse(text);
    start.cfg = gan::TrainConfig::from_json(j.at("config"));
    start.cfg.graph = requested.graph;
    start.resuming = j.at("resuming").get<bool>();
    return start;
  }
  start.lock = std::make_unique<RunLock>(dir);
  const std::string ckpt = checkpoint_path(dir);
  std::string found;
  for (const char* f : kRunFiles)
    if (fs::exists(fs::path(dir) / f)) found += std::string(found.empty() ? "" : ", ") + f;
  if (request.existing == ExistingRun::Refuse)
    DG_CHECK(found.empty(), "'" << dir << "' already holds a run (" << found
                                << "); continue it with --resume, or replace it with --overwrite");
  if (request.existing == ExistingRun::Overwrite)
    for (const char* f : kRunFiles) fs::remove(fs::path(dir) / f);
  start.cfg = resume_config(requested, ckpt, request.existing == ExistingRun::Resume, request.given,
                            request.override_config, &start.resuming);
  if (request.group && request.group->size() > 1) {
    std::string text =
        nlohmann::json{{"config", start.cfg.to_json()}, {"resuming", start.resuming}}.dump();
    broadcast_string(*request.group, text, "the run's config from rank 0");
  }
  return start;
}

std::function<void(int64_t, int64_t)> eval_progress(bool enabled) {
  if (!enabled) return nullptr;
  auto bar = std::make_shared<std::unique_ptr<ProgressBar>>();
  return [bar](int64_t done, int64_t total) {
    if (!*bar) *bar = std::make_unique<ProgressBar>(0, total, "final evaluation");
    if (done < total)
      (*bar)->update(done);
    else
      (*bar)->finish();
  };
}

RunOutcome run_training(const gan::TrainConfig& cfg, const std::string& dir, bool resuming,
                        bool progress, Device device, const RunParts& parts,
                        const RunRequest& request) {
  namespace fs = std::filesystem;
  const bool writer = request.writes();
  progress = progress && writer;
  gan::Models models = gan::make_models(cfg);
  models.g->to(device);
  models.d->to(device);
  nlohmann::json run = {{"config", cfg.to_json()}, {"provenance", provenance(device)}};
  if (resuming) {
    // Earlier sessions of the run keep their provenance, oldest first.
    run["provenance"]["resumed"] = true;
    nlohmann::json history = nlohmann::json::array();
    std::ifstream in(fs::path(dir) / "run.json");
    try {
      const nlohmann::json old = nlohmann::json::parse(in);
      if (old.contains("history") && old["history"].is_array()) history = old["history"];
      if (old.contains("provenance")) history.push_back(old["provenance"]);
    } catch (const std::exception&) {
      // No readable run.json (a run killed before writing it): nothing to keep.
    }
    if (!history.empty()) run["history"] = history;
  }
  if (parts.describe) run.update(parts.describe(models));
  gan::Trainer trainer(cfg, parts.train, models, request.group);
  trainer.set_extra_metadata(parts.checkpoint_metadata);
  if (resuming)
    trainer.load((fs::path(dir) / "checkpoint.safetensors").string(), request.override_config);
  if (trainer.group().size() > 1) {
    run["ranks"] = trainer.group().size();
    run["collectives"] = trainer.group().backend();
  }
  if (writer) write_file_atomic((fs::path(dir) / "run.json").string(), run.dump(2) + "\n");

  LoopOptions lo;
  lo.progress = progress;
  lo.resuming = resuming;
  lo.writer = writer;
  lo.check_replicas = request.check_replicas;
  if (parts.periodic_eval) {
    lo.eval_every = cfg.eval_every;
    lo.evaluate = [&](int64_t) { return parts.periodic_eval(*trainer.models().g); };
    lo.summarize = parts.summarize;
  }
  DG_ASSERT(!cfg.keep_best || (parts.periodic_eval && parts.objective),
            "keep_best without a periodic evaluation and an objective");
  lo.keep_best = cfg.keep_best;
  lo.objective = parts.objective;
  lo.objective_name = parts.objective_name;
  RunOutcome out;
  BestState best;
  out.seconds = train_loop(trainer, dir, lo, &best);
  out.steps = trainer.steps_done();
  nlohmann::json ev = {
      {"config", cfg.to_json()}, {"steps", out.steps}, {"train_seconds", out.seconds}};
  if (cfg.keep_best) ev["best"] = best.to_json(dir, parts.objective_name);
  if (parts.final_eval) ev.update(parts.final_eval(trainer.models()));
  if (writer) {
    write_file_atomic((fs::path(dir) / "eval.json").string(), ev.dump(2) + "\n");
    run["provenance"]["end"] = local_time_iso();
    write_file_atomic((fs::path(dir) / "run.json").string(), run.dump(2) + "\n");
  }
  out.eval = std::move(ev);
  return out;
}

}  // namespace dg::tools
