// Training-step measurement (see step_bench.h).
#include "bench/train_zdc/step_bench.h"

#include "bench/train_zdc/region_timer.h"
#include "engine/ops.h"
#include "engine/rng.h"
#include "kernels/cuda/graph.h"
#include "kernels/cuda/runtime.h"

namespace dg::bench {

using json = nlohmann::json;

StepResult run_step_case(const StepCase& c, const StepSettings& s, const tools::ZdcData& data) {
  gan::TrainConfig cfg;
  cfg.precision = c.precision;  // the trainer applies it to its step
  cfg.dataset = gan::Dataset::Zdc;
  cfg.generator = s.generator;
  cfg.latent = gan::kZdcLatent;
  cfg.reg = c.reg;
  cfg.batch = c.batch;
  cfg.seed = s.seed;
  if (!c.tip.empty()) gan::apply_tip_preset(c.tip, cfg);
  gan::Models models = gan::make_models(cfg);
  models.g->to(s.device);
  models.d->to(s.device);
  gan::Trainer tr(cfg, data.train, models);
  if (c.mode == "graph") tr.set_graph_mode(true);
  DG_CHECK(
      c.mode != "graph" || s.warmup >= 3,
      "--modes graph needs --warmup >= 3 (two eager steps and the capture come before timing)");
  for (int i = 0; i < s.warmup; ++i) tr.step_async();
  if (s.warmup > 0) tr.last_stats();  // waits, and throws if the warm-up diverged

  const bool gpu = s.device == Device::CUDA;
  if (gpu) cuda::reset_peak_memory();
  const uint64_t launches0 = cuda::launch_count();
  RegionTimer timer(s.device, s.steps);
  for (int i = 0; i < s.steps; ++i) {
    timer.begin();
    tr.step_async();
    timer.end();
  }
  const std::vector<double> ms = timer.take_ms();
  const gan::StepStats last = tr.last_stats();
  const uint64_t launches = cuda::launch_count() - launches0;
  const Summary sum = summarize(ms);

  json r;
  r["regularizer"] = gan::regularizer_name(c.reg);
  r["tip"] = c.tip.empty() ? json(nullptr) : json(c.tip);
  r["batch"] = c.batch;
  r["mode"] = c.mode;
  r["precision"] = matmul_precision_name(c.precision);
  r["step_ms_median"] = sum.median;
  r["step_ms_p10"] = sum.p10;
  r["step_ms_p90"] = sum.p90;
  r["step_ms_min"] = sum.min;
  r["samples_per_s"] = static_cast<double>(c.batch) / (sum.median * 1e-3);
  // Graph mode: the captured step's temporaries sit in the graph's pool, not in the active bytes,
  // so the reserved peak (everything obtained from cudaMalloc) is the figure to compare there.
  const cuda::AllocatorStats mem = cuda::allocator_stats();
  r["peak_device_bytes"] = gpu ? json(mem.peak_active_bytes) : json(nullptr);
  r["peak_reserved_bytes"] = gpu ? json(mem.peak_reserved_bytes) : json(nullptr);
  if (!gpu) {
    r["kernel_launches_per_step"] = nullptr;
  } else if (c.mode == "graph") {
    r["kernel_launches_per_step"] = tr.graph_kernel_nodes();
    r["launch_count_method"] = "kernel nodes of the captured graph (library kernels included)";
  } else {
    r["kernel_launches_per_step"] = static_cast<double>(launches) / s.steps;
    r["launch_count_method"] = "engine launches + cuBLAS/cuDNN calls (each call counted once)";
  }
  r["losses_last"] = {{"d", last.loss_d}, {"g_adv", last.loss_g_adv}, {"div", last.loss_div}};
  r["steps_timed"] = s.steps;
  r["warmup"] = s.warmup;
  return {r, sum.median, models};
}

double fused_kernel_ms(gan::Regularizer reg, int64_t batch, Device device, int reps) {
  int64_t f = 0;
  DiversityMode mode = DiversityMode::kRatioInverse;
  switch (reg) {
    case gan::Regularizer::SDI:
    case gan::Regularizer::DivBal:
      f = 64;
      break;
    case gan::Regularizer::DS:
      f = 44 * 44;
      mode = DiversityMode::kRatioNegative;
      break;
    default:
      return -1;
  }
  Philox rng(7, 0);
  auto input = [&](int64_t cols, bool grad) {
    Tensor t = rng.normal({batch, cols}).to(device);
    if (grad) t.set_requires_grad(true);
    return t;
  };
  Tensor e1 = input(f, true), e2 = input(f, true), z1 = input(10, false), z2 = input(10, false);
  Tensor w = Tensor::full({batch}, 0.5, DType::F32, device);
  RegionTimer timer(device, reps);
  for (int i = 0; i < reps + 3; ++i) {
    if (i >= 3) timer.begin();  // three untimed runs first
    Tensor loss = diversity_loss(e1, e2, z1, z2, w, mode);
    loss.backward();
    if (i >= 3) timer.end();
    e1.zero_grad();
    e2.zero_grad();
  }
  return summarize(timer.take_ms()).median;
}

}  // namespace dg::bench
