// CPU reference kernels for the fused diversity regularizer (docs/design.md#fused-diversity-kernel;
// the contract is the diversity_loss comment in engine/ops.h). Templated on the scalar type; sums,
// ratios and the loss are carried in double on the float path, since per-row L1 means of small
// feature differences and a batch mean of ratios lose digits in float32.
// Layout: e1, e2 (B, F) row-major; z1, z2 (B, K) row-major; w, d_g, d_z (B,). The per-element
// math (the per-sample term and its derivative, the gradient's sign pass) and DiversityMode are
// kernels/common/diversity_math.h, shared with the CUDA kernels.
#pragma once
#include <cstdint>

#include "kernels/common/diversity_math.h"

namespace dg::cpu {

// One pass over rows. Assigns d_g[0..B), d_z[0..B) and *loss:
//   d_g,i = mean_f |e1_if - e2_if|, d_z,i = mean_k |z1_ik - z2_ik|, *loss = mean_i term_i.
// Requires B, F, K > 0. A zero d_z under kRatioInverse gives inf/NaN, as the unfused graph would.
template <class T>
void diversity_forward(const T* e1, const T* e2, const T* z1, const T* z2, const T* w, int64_t B,
                       int64_t F, int64_t K, DiversityMode mode, double eps, T* d_g, T* d_z,
                       T* loss) {
  double total = 0.0;
  for (int64_t i = 0; i < B; ++i) {
    const T* a = e1 + i * F;
    const T* b = e2 + i * F;
    double sg = 0.0;
    for (int64_t f = 0; f < F; ++f) sg += diversity_abs_diff(a[f], b[f]);
    const T* u = z1 + i * K;
    const T* v = z2 + i * K;
    double sz = 0.0;
    for (int64_t k = 0; k < K; ++k) sz += diversity_abs_diff(u[k], v[k]);
    const double dg = sg / static_cast<double>(F), dz = sz / static_cast<double>(K);
    d_g[i] = static_cast<T>(dg);
    d_z[i] = static_cast<T>(dz);
    total += diversity_term(mode, static_cast<double>(w[i]), dg, dz, eps).value;
  }
  *loss = static_cast<T>(total / static_cast<double>(B));
}

// One pass over rows, from the d_g, d_z the forward produced. g_loss points at dL_total/dL (a
// scalar; a pointer so a device version can read it without a host round trip). Assigns (does not
// accumulate) grad_e1 (B, F) and, when grad_e2 is non-null, grad_e2 (B, F) = -grad_e1:
//   grad_e1_if = g * (1/B) * dL_i/dd_g,i * sign(e1_if - e2_if) / F,   sign(0) = 0.
template <class T>
void diversity_backward(const T* e1, const T* e2, const T* w, int64_t B, int64_t F,
                        DiversityMode mode, double eps, const T* g_loss, const T* d_g, const T* d_z,
                        T* grad_e1, T* grad_e2) {
  const double g = static_cast<double>(*g_loss);
  for (int64_t i = 0; i < B; ++i) {
    const DiversityTerm t =
        diversity_term(mode, static_cast<double>(w[i]), static_cast<double>(d_g[i]),
                       static_cast<double>(d_z[i]), eps);
    const double c = diversity_grad_coefficient(g, t, B, F);
    const T pos = static_cast<T>(c), neg = static_cast<T>(-c);
    const T* a = e1 + i * F;
    const T* b = e2 + i * F;
    T* ga = grad_e1 + i * F;
    for (int64_t f = 0; f < F; ++f) ga[f] = diversity_sign_grad(a[f], b[f], pos, neg);
    if (grad_e2) {
      T* gb = grad_e2 + i * F;
      for (int64_t f = 0; f < F; ++f) gb[f] = -ga[f];
    }
  }
}

}  // namespace dg::cpu
