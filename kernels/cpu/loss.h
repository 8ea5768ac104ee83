// CPU reference kernels for binary cross-entropy on logits. Templated on the scalar type; the
// per-element terms are kernels/common/loss_math.h, shared with the CUDA kernels.
// Targets are read as t[i * t_stride]: stride 1 for a target tensor, 0 for one shared scalar.
#pragma once
#include <cstdint>

#include "kernels/common/loss_math.h"

namespace dg::cpu {

// out[0] = mean_i [max(x_i, 0) - x_i t_i + log1p(exp(-|x_i|))] (bce_with_logits_term, summed in
// double in index order); assigns.
template <class T>
void bce_with_logits_forward(const T* x, const T* t, int64_t t_stride, T* out, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += bce_with_logits_term(x[i], t[i * t_stride]);
  out[0] = static_cast<T>(s / static_cast<double>(n));
}

// gx[i] = g[0] (sigmoid(x_i) - t_i) / n; assigns.
template <class T>
void bce_with_logits_backward_logits(const T* x, const T* t, int64_t t_stride, const T* g, T* gx,
                                     int64_t n) {
  const T scale = g[0] / static_cast<T>(n);
  for (int64_t i = 0; i < n; ++i) gx[i] = bce_with_logits_grad(x[i], t[i * t_stride], scale);
}

// gt[i] = -g[0] x_i / n; assigns (soft targets produced by another network).
template <class T>
void bce_with_logits_backward_targets(const T* x, const T* g, T* gt, int64_t n) {
  const T scale = -g[0] / static_cast<T>(n);
  for (int64_t i = 0; i < n; ++i) gt[i] = scale * x[i];
}

}  // namespace dg::cpu
