// Minibatch discrimination on the GPU: the device side of kernels/cpu/minibatch.h (the reference),
// same names and argument order, float32, device pointers. Plain C++ (no CUDA include).
#pragma once
#include <cstdint>

namespace dg::cuda {

// o (N, B) <- M (N, B, C); one thread per (i, b). Assigns every element of o.
void minibatch_similarity_forward(const float* m, float* o, int64_t N, int64_t B, int64_t C);
// gm (N, B, C) from g (N, B); one thread per (i, b) owns gm[i, b, :] (no atomics, the CPU's order).
// Assigns every element of gm.
void minibatch_similarity_backward(const float* m, const float* g, float* gm, int64_t N, int64_t B,
                                   int64_t C);

}  // namespace dg::cuda
