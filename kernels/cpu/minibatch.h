// Minibatch discrimination on the CPU (the reference; contract: minibatch_similarity in
// engine/ops.h), with the per-pair math of kernels/common/minibatch_math.h. O(N^2 B C) work, which
// for a discriminator's batch and a few kernels is negligible beside its convolutions.
#pragma once
#include <cstdint>

#include "kernels/common/minibatch_math.h"

namespace dg::cpu {

// o (N, B) <- M (N, B, C). Assigns every element of o.
template <class T>
void minibatch_similarity_forward(const T* m, T* o, int64_t N, int64_t B, int64_t C) {
  for (int64_t i = 0; i < N; ++i)
    for (int64_t b = 0; b < B; ++b)
      o[i * B + b] = static_cast<T>(minibatch_output(m, i, b, N, B, C));
}

// gm (N, B, C) from g = dL/do (N, B). Assigns every element of gm.
template <class T>
void minibatch_similarity_backward(const T* m, const T* g, T* gm, int64_t N, int64_t B, int64_t C) {
  for (int64_t i = 0; i < N; ++i)
    for (int64_t b = 0; b < B; ++b) minibatch_grad_row(m, g, i, b, N, B, C, gm + (i * B + b) * C);
}

}  // namespace dg::cpu
