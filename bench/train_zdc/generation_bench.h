// Generation throughput of bench/train_zdc: showers per second of a ZDC generator in eval mode at
// a large batch, per matmul precision (FP32, TF32, BF16), and how far each reduced precision moves
// the 5 channel distributions from the FP32 generation of the same latents and conditions.
#pragma once
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/precision.h"
#include "gan/networks.h"
#include "tools/run_zdc.h"

namespace dg::bench {

struct GenerationSettings {
  Device device = Device::CPU;
  int64_t batch = 4096;        // showers per generator call in the timing
  int reps = 20;               // timed calls per precision
  int64_t ws_showers = 20000;  // showers per precision in the channel comparison
  bool fold_bn = true;         // fold batch norm into the preceding layers first (as generate does)
  std::vector<MatmulPrecision> precisions{MatmulPrecision::FP32, MatmulPrecision::TF32,
                                          MatmulPrecision::BF16};
};

// `g` must be on settings.device; it is folded in place when settings.fold_bn. Conditions are drawn
// from the test split.
nlohmann::json run_generation(gan::ConditionalGenerator& g, const tools::ZdcData& data,
                              const GenerationSettings& s);

}  // namespace dg::bench
