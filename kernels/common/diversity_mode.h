// Which term the fused diversity regularizer sums (formulas at diversity_loss in engine/ops.h),
// one enum for the engine and both backends; the per-element math is in diversity_math.h.
#pragma once

namespace dg {

//   kRatioInverse (SDI, DivBal): w / (d_g / d_z + eps)
//   kRatioNegative (DS):         -w d_g / (d_z + eps)
enum class DiversityMode { kRatioInverse, kRatioNegative };

}  // namespace dg
