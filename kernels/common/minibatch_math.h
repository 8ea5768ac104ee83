// Per-pair math of minibatch discrimination (Salimans et al. 2016; contract: minibatch_similarity
// in engine/ops.h), shared by the CPU kernels (kernels/cpu/minibatch.h) and the CUDA kernels
// (kernels/cuda/minibatch.cu). M is (N, B, C) row-major: N samples, B kernels of C dimensions.
// Distances, kernel values and the forward's sums are carried in double on both backends; the
// backward's per-element accumulator is rounded to T after each pair. Both backends visit the
// pairs in the same order (j ascending, c ascending), so they agree to the final rounding.
#pragma once
#include <cstdint>

#include "kernels/common/host_device.h"
#include "kernels/common/scalar_math.h"

namespace dg::cpu {

// exp(-sum_c |M[i,b,c] - M[j,b,c]|): how close samples i and j are under kernel b.
template <class T>
DG_HOST_DEVICE inline double minibatch_kernel(const T* m, int64_t i, int64_t j, int64_t b,
                                              int64_t B, int64_t C) {
  const T* mi = m + (i * B + b) * C;
  const T* mj = m + (j * B + b) * C;
  double d = 0.0;
  for (int64_t c = 0; c < C; ++c)
    d += math::abs(static_cast<double>(mi[c]) - static_cast<double>(mj[c]));
  return math::exp(-d);
}

// o[i,b] = sum_{j != i} kernel(i, j, b) / (N - 1); 0 for a batch of one.
template <class T>
DG_HOST_DEVICE inline double minibatch_output(const T* m, int64_t i, int64_t b, int64_t N,
                                              int64_t B, int64_t C) {
  if (N < 2) return 0.0;
  double s = 0.0;
  for (int64_t j = 0; j < N; ++j)
    if (j != i) s += minibatch_kernel(m, i, j, b, B, C);
  return s / static_cast<double>(N - 1);
}

// The gradient of row i, kernel b, written to gm[c] for c in [0, C) (assigns):
//   gm[c] = -sum_{j != i} (g[i,b] + g[j,b]) kernel(i, j, b) sign(M[i,b,c] - M[j,b,c]) / (N - 1)
// (o[i,b] and o[j,b] both hold the pair), sign 0 on a tie.
template <class T>
DG_HOST_DEVICE inline void minibatch_grad_row(const T* m, const T* g, int64_t i, int64_t b,
                                              int64_t N, int64_t B, int64_t C, T* gm) {
  for (int64_t c = 0; c < C; ++c) gm[c] = T(0);
  if (N < 2) return;
  const T* mi = m + (i * B + b) * C;
  const double inv = 1.0 / static_cast<double>(N - 1);
  for (int64_t j = 0; j < N; ++j) {
    if (j == i) continue;
    const T* mj = m + (j * B + b) * C;
    const double w = -(static_cast<double>(g[i * B + b]) + static_cast<double>(g[j * B + b])) *
                     minibatch_kernel(m, i, j, b, B, C) * inv;
    for (int64_t c = 0; c < C; ++c) {
      const double s = mi[c] > mj[c] ? 1.0 : (mi[c] < mj[c] ? -1.0 : 0.0);
      gm[c] = static_cast<T>(static_cast<double>(gm[c]) + w * s);
    }
  }
}

}  // namespace dg::cpu
