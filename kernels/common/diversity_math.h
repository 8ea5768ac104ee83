// Per-element math of the fused diversity regularizer (docs/design.md#fused-diversity-kernel;
// contract: diversity_loss in engine/ops.h), shared by the CPU kernels (kernels/cpu/diversity.h)
// and the CUDA kernels (kernels/cuda/diversity.cu), for each DiversityMode (diversity_mode.h).
// Distances, terms and coefficients are in double,
// as both backends carry them; only the gradient elements are in the tensors' type.
#pragma once
#include <cstdint>

#include "kernels/common/diversity_mode.h"
#include "kernels/common/host_device.h"
#include "kernels/common/scalar_math.h"

namespace dg::cpu {

// |a - b| in double: one element of the per-row L1 means d_g and d_z.
template <class T>
DG_HOST_DEVICE inline double diversity_abs_diff(T a, T b) {
  return math::abs(static_cast<double>(a) - static_cast<double>(b));
}

// Loss contribution of one sample, and dL_i/dd_g,i of that contribution (before the 1/B of the
// batch mean). Shared by forward and backward so the two cannot drift apart.
struct DiversityTerm {
  double value;
  double d_dg;
};
DG_HOST_DEVICE inline DiversityTerm diversity_term(DiversityMode mode, double w, double dg,
                                                   double dz, double eps) {
  if (mode == DiversityMode::kRatioInverse) {
    // The ratio is formed exactly as the unfused graph forms it (d_g / d_z, then + eps), so the
    // fused and unfused losses agree to rounding rather than to an algebraic rearrangement.
    const double denom = dg / dz + eps;
    return {w / denom, -w / (dz * denom * denom)};
  }
  const double inv = 1.0 / (dz + eps);
  return {-w * dg * inv, -w * inv};
}

// The backward's per-row coefficient g * (1/B) * dL_i/dd_g,i / F, from the upstream gradient g.
DG_HOST_DEVICE inline double diversity_grad_coefficient(double g, const DiversityTerm& t, int64_t B,
                                                        int64_t F) {
  return g * t.d_dg / (static_cast<double>(B) * static_cast<double>(F));
}

// One element of grad_e1: pos = (T)c where e1 > e2, neg = (T)-c where e1 < e2, 0 where they tie.
template <class T>
DG_HOST_DEVICE inline T diversity_sign_grad(T a, T b, T pos, T neg) {
  return a > b ? pos : (a < b ? neg : T(0));
}

}  // namespace dg::cpu
