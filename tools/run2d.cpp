// One 2D-benchmark run: data, models, training loop with logging and checkpoints, evaluation.
#include "tools/run2d.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "datasets/benchmark2d.h"
#include "gan/trainer.h"
#include "tools/progress.h"

namespace dg::tools {

namespace fs = std::filesystem;

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

void write_file_atomic(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    DG_CHECK(o, "cannot write '" << tmp << "': " << std::strerror(errno));
    o << text;
    o.flush();
    if (!o) {
      std::error_code ec;
      fs::remove(tmp, ec);
      DG_FAIL("write to '" << tmp << "' failed");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    DG_FAIL("cannot rename '" << tmp << "' to '" << path << "'");
  }
}

namespace {

Run2DResult evaluate(gan::ConditionalGenerator& g, const gan::TrainConfig& cfg, uint64_t eval_seed) {
  Run2DResult r;
  Philox rng(eval_seed, 3ULL << 48);
  r.test = gan::evaluate2d(g, data::make_points2d(cfg.seed, 1000, 1), rng);
  r.validation = gan::evaluate2d(g, data::make_points2d(cfg.seed, 1000, 2), rng);
  return r;
}

}  // namespace

Run2DResult run_2d(const gan::TrainConfig& cfg_in, const std::string& dir, bool resume, bool progress) {
  cfg_in.validate();
  ensure_output_dir(dir);
  const std::string ckpt = (fs::path(dir) / "checkpoint.safetensors").string();
  // A run killed mid-write leaves only its temporary file (the checkpoint itself is intact): drop it.
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("checkpoint.safetensors.tmp.", 0) == 0) {
      std::error_code ec;
      fs::remove(e.path(), ec);
    }
  }
  gan::TrainConfig cfg = cfg_in;
  const bool resuming = resume && fs::exists(ckpt);
  if (resuming) {
    gan::TrainConfig saved = gan::read_checkpoint_config(ckpt);
    saved.steps = cfg_in.steps;  // a resume may extend the run; everything else comes from the file
    cfg = saved;
  }
  auto data = std::make_shared<data::Benchmark2D>(data::make_points2d(cfg.seed, cfg.per_condition, 0));
  gan::Trainer trainer(cfg, data, gan::make_models(cfg));
  if (resuming) trainer.load(ckpt);
  write_file_atomic((fs::path(dir) / "run.json").string(), cfg.to_json().dump(2) + "\n");
  std::ofstream log((fs::path(dir) / "metrics.jsonl").string(), resuming ? std::ios::app : std::ios::trunc);
  DG_CHECK(log, "cannot write metrics.jsonl in '" << dir << "'");

  auto t0 = std::chrono::steady_clock::now();
  ProgressBar bar(trainer.steps_done(), cfg.steps, gan::regularizer_title(cfg.reg), progress);
  gan::StepStats st;
  char extra[96];
  while (trainer.steps_done() < cfg.steps) {
    st = trainer.step();
    const int64_t s = trainer.steps_done();
    std::snprintf(extra, sizeof extra, "D %.3f G %.3f div %.3g", st.loss_d, st.loss_g_adv, st.loss_div);
    bar.update(s, extra);
    if (s % cfg.log_every == 0 || s == cfg.steps)
      log << nlohmann::json{{"step", s}, {"loss_d", st.loss_d}, {"loss_g_adv", st.loss_g_adv},
                            {"loss_div", st.loss_div}}.dump()
          << "\n" << std::flush;
    if (s % cfg.checkpoint_every == 0 || s == cfg.steps) trainer.save(ckpt);
  }
  bar.finish(extra);
  Run2DResult r = evaluate(*trainer.models().g, cfg, cfg.seed);
  r.steps = trainer.steps_done();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json ev = {{"config", cfg.to_json()}, {"steps", r.steps}, {"train_seconds", r.seconds},
                       {"test", r.test.to_json()}, {"validation", r.validation.to_json()}};
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
