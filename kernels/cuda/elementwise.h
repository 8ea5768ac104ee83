// CUDA kernels for broadcasting binary arithmetic: the device side of kernels/cpu/elementwise.h,
// same names and argument order, float32 only, device pointers. Plain C++ (no CUDA include): the
// engine calls these; stub.cpp throws "built without CUDA" in a CPU-only build.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/common/elementwise_math.h"

namespace dg::cuda {

// out[i] = a[ia] op b[ib]; assigns every element of out. Strides as cpu::binary_forward (0 along
// broadcast dims). Same-shape and scalar operands take fast paths; up to 8 dims.
void binary_forward(cpu::BinaryOp op, const float* a, const float* b, float* out,
                    const std::vector<int64_t>& out_shape, const std::vector<int64_t>& a_strides,
                    const std::vector<int64_t>& b_strides);
// out[j] = sum of g over the elements that broadcast onto j; assigns (no atomics: one block per
// output element, fixed-order double sums).
void sum_to_forward(const float* g, float* out, int64_t out_numel,
                    const std::vector<int64_t>& g_shape, const std::vector<int64_t>& out_strides);
// out[i] = x[i] * scale + shift; assigns.
void scale_shift_forward(const float* x, float* out, int64_t n, float scale, float shift);
// a += b, elementwise.
void accumulate(float* a, const float* b, int64_t n);

}  // namespace dg::cuda
