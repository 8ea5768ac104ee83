// The fused diversity regularizer on the GPU: the device side of kernels/cpu/diversity.h (the
// reference; contract: diversity_loss in engine/ops.h), same names and argument order, float32,
// device pointers. Plain C++ (no CUDA include).
#pragma once
#include <cstdint>

#include "kernels/common/diversity_mode.h"

namespace dg::cuda {

// One pass: assigns d_g[0..B), d_z[0..B) and *loss (device scalar):
//   d_g,i = mean_f |e1_if - e2_if|, d_z,i = mean_k |z1_ik - z2_ik|, *loss = mean_i term_i.
// One launch of one block (a warp per row, then the warps' totals in index order): deterministic.
void diversity_forward(const float* e1, const float* e2, const float* z1, const float* z2,
                       const float* w, int64_t B, int64_t F, int64_t K, DiversityMode mode,
                       double eps, float* d_g, float* d_z, float* loss);
// One pass over (B, F): assigns grad_e1 and, when non-null, grad_e2 = -grad_e1, from the forward's
// d_g, d_z and the device scalar g_loss = dL_total/dL.
void diversity_backward(const float* e1, const float* e2, const float* w, int64_t B, int64_t F,
                        DiversityMode mode, double eps, const float* g_loss, const float* d_g,
                        const float* d_z, float* grad_e1, float* grad_e2);

}  // namespace dg::cuda
