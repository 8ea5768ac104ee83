// Inverted dropout on the GPU: the device side of kernels/cpu/dropout.h (the reference), same name
// and argument order, float32, device pointers. The mask comes from kernels/common/philox.h's
// host/device functions, so the GPU keeps exactly the elements the CPU keeps for the same
// (seed, offset). Plain C++ (no CUDA include).
#pragma once
#include <cstdint>

namespace dg::cuda {

// out[i] = in[i] * scale where element i of the uniform draw at `offset` is below keep_prob, else
// 0. Assigns every element of out; in == out is fine. With `offset_delta` (device memory, read when
// the kernel runs) the draw is at offset + *offset_delta: a captured graph replays the dropout of
// later steps by updating that one value (engine/graph.h).
void dropout_apply(const float* in, float* out, int64_t n, uint64_t seed, uint64_t offset,
                   double keep_prob, float scale, const uint64_t* offset_delta = nullptr);

// kernels/cpu/dropout.h's dropout_leaky_relu_forward / _backward on the GPU (same results bit for
// bit), with the same optional offset_delta.
void dropout_leaky_relu_forward(const float* in, float* out, int64_t n, uint64_t seed,
                                uint64_t offset, double keep_prob, float scale, float slope,
                                const uint64_t* offset_delta = nullptr);
void dropout_leaky_relu_backward(const float* out, const float* gy, float* gx, int64_t n,
                                 uint64_t seed, uint64_t offset, double keep_prob, float scale,
                                 float slope, const uint64_t* offset_delta = nullptr);

}  // namespace dg::cuda
