// Generation throughput and precision effect (see generation_bench.h).
#include "bench/train_zdc/generation_bench.h"

#include <array>
#include <cmath>

#include "bench/train_zdc/region_timer.h"
#include "engine/nn/module.h"
#include "engine/ops.h"
#include "engine/rng.h"
#include "gan/eval_zdc.h"
#include "gan/zdc_channels.h"

namespace dg::bench {

using json = nlohmann::json;

namespace {

// Standardized test-split conditions for n showers (rows cycled), as a (n, 9) host tensor.
Tensor test_conditions(const tools::ZdcData& data, int64_t n) {
  std::vector<int64_t> idx(n);
  for (int64_t i = 0; i < n; ++i) idx[i] = i % data.test->size();
  return data.test->conditions(idx);
}

// Photon counts (n, 44, 44) of the showers generated for latents z and conditions c, in batches.
std::vector<double> counts_of(gan::ConditionalGenerator& g, const Tensor& z, const Tensor& c,
                              int64_t batch, Device dev) {
  std::vector<double> out;
  const int64_t n = z.size(0);
  for (int64_t s = 0; s < n; s += batch) {
    const int64_t b = std::min(batch, n - s);
    Tensor img = g.generate(narrow(z, s, b).to(dev), narrow(c, s, b).to(dev)).to(Device::CPU);
    const float* p = img.data<float>();
    for (int64_t i = 0; i < img.numel(); ++i) out.push_back(std::expm1(static_cast<double>(p[i])));
  }
  return out;
}

}  // namespace

json run_generation(gan::ConditionalGenerator& g, const tools::ZdcData& data,
                    const GenerationSettings& s) {
  NoGradGuard ng;
  g.eval();
  const int folded = s.fold_bn ? nn::fold_batch_norms(g) : 0;
  const int64_t k = g.latent_dim();
  Philox rng(11, 0);
  // Timing inputs live on the device: the figure is the generator's own throughput.
  Tensor z = rng.normal({s.batch, k}).to(s.device);
  Tensor c = test_conditions(data, s.batch).to(s.device);
  Tensor z_ws = rng.normal({s.ws_showers, k});
  Tensor c_ws = test_conditions(data, s.ws_showers);

  json out = json::array();
  std::vector<double> fp32_counts;
  std::array<double, 5> fp32_scale{};  // mean |channel| of the FP32 showers
  for (MatmulPrecision p : s.precisions) {
    MatmulPrecisionGuard guard(p);
    RegionTimer timer(s.device, s.reps);
    for (int i = 0; i < s.reps + 2; ++i) {
      if (i >= 2) timer.begin();  // two untimed calls (cuBLAS heuristics, allocator)
      Tensor img = g.generate(z, c);
      if (i >= 2) timer.end();
    }
    const Summary t = summarize(timer.take_ms());
    json e;
    e["precision"] = matmul_precision_name(p);
    e["batch"] = s.batch;
    e["reps"] = s.reps;
    e["call_ms_median"] = t.median;
    e["call_ms_p10"] = t.p10;
    e["call_ms_p90"] = t.p90;
    e["showers_per_s"] = static_cast<double>(s.batch) / (t.median * 1e-3);
    e["emulated"] = s.device == Device::CPU && p != MatmulPrecision::FP32;
    e["bn_folded_layers"] = folded;
    const std::vector<double> counts = counts_of(g, z_ws, c_ws, s.batch, s.device);
    if (p == MatmulPrecision::FP32) {
      fp32_counts = counts;
      for (const gan::ZdcChannels& ch : gan::zdc_channels_batch(counts))
        for (int q = 0; q < 5; ++q) fp32_scale[q] += std::fabs(ch[q]) / s.ws_showers;
    } else if (!fp32_counts.empty()) {
      // The same latents and conditions as the FP32 run: any difference is the precision's. The
      // FP32 showers stand where the real ones do in the evaluation (gan/eval_zdc.h).
      const gan::ZdcEval ev = gan::evaluate_zdc_counts(fp32_counts, counts, s.ws_showers, 1);
      json ws = json::array(), rel = json::array();
      for (int q = 0; q < 5; ++q) {
        ws.push_back(ev.ws[q]);
        rel.push_back(fp32_scale[q] > 0 ? ev.ws[q] / fp32_scale[q] : 0.0);
      }
      e["channel_ws_vs_fp32"] = ws;
      e["channel_ws_vs_fp32_relative_to_mean"] = rel;
      e["mean_channel_ws_vs_fp32"] = ev.ws_mean;
      e["ws_showers"] = s.ws_showers;
    }
    out.push_back(e);
  }
  return out;
}

}  // namespace dg::bench
