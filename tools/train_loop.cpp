// The shared training loop (see train_loop.h).
#include "tools/train_loop.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "engine/checkpoint.h"
#include "engine/device.h"
#include "tools/progress.h"

namespace dg::tools {

namespace fs = std::filesystem;

namespace {

// The signal that asked the loop to stop (0: none). A handler may only set a lock-free atomic.
std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int sig) { g_stop_signal.store(sig); }

// SIGINT and SIGTERM set g_stop_signal while at least one loop runs (a study runs several in
// threads: the handlers are the process's, installed by the first loop and restored by the last).
// SA_RESETHAND makes a second signal act as it would without us (the process ends; checkpoints on
// disk are whole in any case); SA_RESTART keeps the writes of the other threads going.
class StopSignals {
 public:
  StopSignals() {
    std::lock_guard<std::mutex> l(lock_);
    if (users_++ > 0) return;
    g_stop_signal.store(0);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    std::lock_guard<std::mutex> l(lock_);
    if (--users_ > 0) return;
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  static inline std::mutex lock_;
  static inline int users_ = 0;
  static inline struct sigaction old_int_ { }, old_term_{}; };

const char* kBestStep = "best.step";
const char* kBestValue = "best.value";

// The best state a resumed run had reached (from its best checkpoint's metadata).
BestState read_best(const std::string& path) {
  BestState b;
  if (!fs::exists(path)) return b;
  const SafetensorsFile f = load_safetensors(path);
  b.step = static_cast<int64_t>(gan::checkpoint_metadata_u64(f, path, kBestStep));
  auto it = f.metadata.find(kBestValue);
  DG_CHECK(it != f.metadata.end(), path << ": checkpoint metadata lacks '" << kBestValue << "'");
  try {
    b.value = std::stod(it->second);
  } catch (const std::exception&) {
    DG_FAIL(path << ": checkpoint metadata '" << kBestValue << "' is not a number: '" << it->second
                 << "'");
  }
  return b;
}

}  // namespace

Interrupted::Interrupted(int sig, int64_t st, std::string ckpt)
    : std::runtime_error("interrupted by " + std::string(sig == SIGTERM ? "SIGTERM" : "SIGINT")),
      signal(sig),
      step(st),
      checkpoint(std::move(ckpt)) {}

std::string best_checkpoint_path(const std::string& dir) {
  return (fs::path(dir) / "checkpoint_best.safetensors").string();
}

nlohmann::json BestState::to_json(const std::string& dir, const std::string& name) const {
  if (step < 0) return nullptr;
  return {{"checkpoint", best_checkpoint_path(dir)},
          {"step", step},
          {"metric", name},
          {"value", value}};
}

void ensure_output_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  DG_CHECK(!ec, "cannot create output directory '" << dir << "': " << ec.message());
  std::string probe = (fs::path(dir) / (".write-test." + std::to_string(getpid()))).string();
  FILE* f = std::fopen(probe.c_str(), "w");
  DG_CHECK(f, "output directory '" << dir << "' is not writable: " << std::strerror(errno));
  std::fclose(f);
  fs::remove(probe, ec);
}

std::string checkpoint_path(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("checkpoint.safetensors.tmp.", 0) == 0 ||
        name.rfind("checkpoint_best.safetensors.tmp.", 0) == 0) {
      std::error_code ec;
      fs::remove(e.path(), ec);
    }
  }
  return (fs::path(dir) / "checkpoint.safetensors").string();
}

Device select_device(const std::string& name) {
  DG_CHECK(name == "cpu" || name == "cuda" || name == "auto",
           "--device '" << name << "': expected cpu, cuda or auto");
  if (name == "cpu") return Device::CPU;
  const bool built = cuda_backend_built();
  const int gpus = built ? cuda_device_count() : 0;
  if (gpus > 0) return Device::CUDA;
  const std::string why =
      built ? "no usable GPU was found (no driver or no device)" : "this build has no CUDA backend";
  DG_CHECK(name == "auto", "--device cuda: " << why << "; use --device cpu");
  std::fprintf(stderr, "divgan: %s; running on the CPU\n", why.c_str());
  return Device::CPU;
}

gan::TrainConfig resume_config(const gan::TrainConfig& requested, const std::string& ckpt,
                               bool resume, const std::set<std::string>& given,
                               bool override_config, bool* resuming) {
  *resuming = resume && fs::exists(ckpt);
  if (!*resuming) return requested;
  const gan::TrainConfig saved = gan::read_checkpoint_config(ckpt);
  static const std::set<std::string> kRunControl = {
      "steps", "graph", "checkpoint_every", "log_every", "eval_every", "eval_regenerations"};
  static const std::set<std::string> kFixed = {
      "dataset", "generator", "latent", "hidden", "per_condition", "condition_every_layer",
      "responses", "sim_particles", "data_seed", "split", "particles",
      // Paper 004's discriminator tips change D's layers.
      "aux_regression", "soft_sparsity", "sparsity_alpha", "sparsity_beta", "minibatch_kernels"};
  nlohmann::json cfg = saved.to_json();
  const nlohmann::json want = requested.to_json();
  auto str = [](const nlohmann::json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  std::set<std::string> fields = given;
  // Another regularizer (with --override) brings its own default weight unless --lambda is given.
  if (override_config && given.count("reg") && !given.count("lambda") && saved.reg != requested.reg)
    fields.insert("lambda");
  for (const std::string& field : fields) {
    if (!want.contains(field)) continue;  // not a field of this data set (refused before)
    const nlohmann::json& have = cfg.contains(field) ? cfg[field] : nlohmann::json(nullptr);
    if (kRunControl.count(field) || have == want[field]) {
      cfg[field] = want[field];
      continue;
    }
    std::string flag = "--" + field;
    std::replace(flag.begin(), flag.end(), '_', '-');
    DG_CHECK(!kFixed.count(field), flag << " " << str(want[field]) << " contradicts the checkpoint "
                                        << ckpt << " (" << field << " " << str(have)
                                        << "): a resumed run keeps its model and data");
    DG_CHECK(override_config, flag << " " << str(want[field]) << " contradicts the checkpoint "
                                   << ckpt << " (" << field << " " << str(have)
                                   << "); resume without it, or add --override to change it from "
                                      "the resumed step on");
    std::fprintf(stderr, "divgan: --override: %s changes from %s to %s at the resumed step\n",
                 field.c_str(), str(have).c_str(), str(want[field]).c_str());
    cfg[field] = want[field];
  }
  // The budget is the checkpoint's unless --steps extends (or shortens) it.
  gan::TrainConfig out = gan::TrainConfig::from_json(cfg);
  out.graph = requested.graph;  // how to run, not what to compute: this command decides
  out.validate();
  return out;
}

double train_loop(gan::Trainer& trainer, const std::string& dir, const LoopOptions& opt,
                  BestState* best_out) {
  const gan::TrainConfig& cfg = trainer.config();
  const std::string ckpt = (fs::path(dir) / "checkpoint.safetensors").string();
  const std::string best_ckpt = best_checkpoint_path(dir);
  std::ofstream log;
  if (opt.writer) {
    log.open((fs::path(dir) / "metrics.jsonl").string(),
             opt.resuming ? std::ios::app : std::ios::trunc);
    DG_CHECK(log, "cannot write metrics.jsonl in '" << dir << "'");
  }
  Collective& group = trainer.group();
  BestState best = opt.keep_best && opt.resuming ? read_best(best_ckpt) : BestState{};

  auto t0 = std::chrono::steady_clock::now();
  ProgressBar bar(trainer.steps_done(), cfg.steps, gan::regularizer_title(cfg.reg),
                  opt.progress && opt.writer);
  gan::StepStats st;
  char extra[96] = "";
  // On the GPU the steps run ahead of the host: losses are read (and checked for divergence) only
  // every kReadEvery steps and where they are logged, evaluated or checkpointed, so the host does
  // not wait for the device every step. A diverged step is then caught up to kReadEvery - 1 steps
  // late, always before a checkpoint is written. On the CPU every step is read (it costs nothing).
  constexpr int64_t kReadEvery = 16;
  const bool on_gpu = trainer.models().g->device() == Device::CUDA;
  StopSignals signals;
  while (trainer.steps_done() < cfg.steps) {
    trainer.step_async();
    const int64_t s = trainer.steps_done();
    int stop = g_stop_signal.load();
    if (group.size() > 1 && group.any(stop != 0, "the stop-signal agreement"))
      stop = stop ? stop : SIGTERM;
    const bool logged = s % cfg.log_every == 0 || s == cfg.steps;
    // The last step is evaluated by the final evaluation, except when it competes for the best
    // checkpoint. A step stopped by a signal is evaluated as it would have been: the resumed run
    // starts after it.
    const bool evaluated =
        opt.evaluate && opt.eval_every > 0 &&
        ((s % opt.eval_every == 0 && s < cfg.steps) || (opt.keep_best && s == cfg.steps));
    const bool saved = s % cfg.checkpoint_every == 0 || s == cfg.steps || stop;
    if (!on_gpu || logged || evaluated || saved || s % kReadEvery == 0) {
      st = trainer.last_stats();
      std::snprintf(extra, sizeof extra, "D %.3f G %.3f div %.3g", st.loss_d, st.loss_g_adv,
                    st.loss_div);
      if (cfg.aux_regression())
        std::snprintf(extra + std::strlen(extra), sizeof extra - std::strlen(extra), " aux %.3g",
                      st.loss_aux);
    }
    bar.update(s, extra);
    nlohmann::json line;
    if (logged)
      line = {{"step", s},
              {"loss_d", st.loss_d},
              {"loss_g_adv", st.loss_g_adv},
              {"loss_div", st.loss_div}};
    if (logged && cfg.aux_regression()) line["loss_aux"] = st.loss_aux;
    if (logged) {
      line["d_feature_scale"] = st.d_feature_scale;
      line["fake_mean"] = st.fake_mean;
    }
    if (evaluated) {
      const nlohmann::json ev = opt.evaluate(s);
      if (line.is_null()) line = {{"step", s}};
      line.update(ev);
      if (opt.summarize && opt.progress && opt.writer)
        std::fprintf(stderr, "\n  step %lld: %s\n", static_cast<long long>(s),
                     opt.summarize(ev).c_str());
      if (opt.keep_best) {
        const double v = opt.objective(ev);
        if (std::isfinite(v) && (best.step < 0 || v < best.value)) {
          best.step = s;
          best.value = v;
          char value[32];
          std::snprintf(value, sizeof value, "%.17g", v);
          if (opt.writer)
            trainer.save(best_ckpt, {{kBestStep, std::to_string(s)},
                                     {kBestValue, value},
                                     {"best.metric", opt.objective_name}});
          line["best"] = true;
        }
      }
    }
    if (group.size() > 1 && (opt.check_replicas || saved))
      DG_CHECK(same_on_all_ranks(group, trainer.state_hash(), "the replica check"),
               "the " << group.size() << " replicas differ after step " << s
                      << " (ranks running different builds or data?); stopping");
    if (!line.is_null() && opt.writer) log << line.dump() << "\n" << std::flush;
    if (saved && opt.writer) trainer.save(ckpt);
    if (stop) {
      bar.finish(extra);
      throw Interrupted(stop, s, ckpt);
    }
  }
  bar.finish(extra);
  if (best_out) *best_out = best;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace dg::tools
