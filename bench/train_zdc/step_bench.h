// One training-step measurement of bench/train_zdc: a regularizer at a batch size, eager or
// graph-replayed, in one matmul precision, on the simulator's ZDC data.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/precision.h"
#include "gan/models_zdc.h"
#include "gan/regularizers.h"
#include "gan/trainer.h"
#include "tools/run_zdc.h"

namespace dg::bench {

struct StepCase {
  gan::Regularizer reg = gan::Regularizer::None;
  int64_t batch = 128;
  std::string mode = "eager";  // eager | graph
  MatmulPrecision precision = MatmulPrecision::FP32;
  // Paper 004's training tips on top of the regularizer: "" (none) or a preset of
  // gan::apply_tip_preset (aux, sparsity, labels, all).
  std::string tip;
};

struct StepSettings {
  Device device = Device::CPU;
  int warmup = 10;
  int steps = 50;
  uint64_t seed = 1;
  gan::GeneratorArch generator = gan::GeneratorArch::Original;
};

struct StepResult {
  nlohmann::json json;  // the fields shared with bench/reference (see bench/README.md)
  double median_ms = 0;
  gan::Models models;  // after training, for the generation benchmark
};

// Trains a fresh pair of networks for warmup + steps steps and measures the timed ones.
StepResult run_step_case(const StepCase& c, const StepSettings& s, const tools::ZdcData& data);

// Median milliseconds of the fused diversity kernel, forward and backward, at the shapes the
// regularizer feeds it in a step of batch `batch` (SDI/DivBal: (B, 64) features; DS: (B, 1936)
// images); negative when the regularizer does not use it (none, MS, DivCo).
double fused_kernel_ms(gan::Regularizer reg, int64_t batch, Device device, int reps);

}  // namespace dg::bench
