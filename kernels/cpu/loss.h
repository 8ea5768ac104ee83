// CPU reference kernels for binary cross-entropy on logits. Templated on the scalar type.
// Targets are read as t[i * t_stride]: stride 1 for a target tensor, 0 for one shared scalar.
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/cpu/unary.h"

namespace dg::cpu {

// out[0] = mean_i [max(x_i, 0) - x_i t_i + log1p(exp(-|x_i|))]; assigns.
// This form equals -t log s(x) - (1 - t) log(1 - s(x)) but never takes exp of a positive number or
// log of a value that rounds to 0, so logits of +-100 (or +-1e4) stay finite and exact.
template <class T>
void bce_with_logits_forward(const T* x, const T* t, int64_t t_stride, T* out, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T xi = x[i];
    s += (xi > T(0) ? xi : T(0)) - xi * t[i * t_stride] + std::log1p(std::exp(-std::abs(xi)));
  }
  out[0] = static_cast<T>(s / static_cast<double>(n));
}

// gx[i] = g[0] (sigmoid(x_i) - t_i) / n; assigns.
template <class T>
void bce_with_logits_backward_logits(const T* x, const T* t, int64_t t_stride, const T* g, T* gx,
                                     int64_t n) {
  const T scale = g[0] / static_cast<T>(n);
  for (int64_t i = 0; i < n; ++i) gx[i] = scale * (stable_sigmoid(x[i]) - t[i * t_stride]);
}

// gt[i] = -g[0] x_i / n; assigns (soft targets produced by another network).
template <class T>
void bce_with_logits_backward_targets(const T* x, const T* g, T* gt, int64_t n) {
  const T scale = -g[0] / static_cast<T>(n);
  for (int64_t i = 0; i < n; ++i) gt[i] = scale * x[i];
}

}  // namespace dg::cpu
