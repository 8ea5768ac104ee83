// CUDA kernels for elementwise unary math and activations: the device side of kernels/cpu/unary.h,
// same names and argument order, float32 only, device pointers; the ops and their functors are
// kernels/common/unary_math.h. Plain C++ (no CUDA include).
#pragma once
#include <cstdint>

#include "kernels/common/unary_math.h"

namespace dg::cuda {

// y[i] = op(x[i]); assigns every element of y. x and y may alias.
void unary_forward(cpu::UnaryOp op, const cpu::UnaryParams& p, const float* x, float* y, int64_t n);
// gx[i] = gy[i] * op'(x[i]); assigns (never accumulates). x or y may be null when the op's
// derivative does not read it (cpu::unary_grad_uses_input / unary_grad_uses_output).
void unary_backward(cpu::UnaryOp op, const cpu::UnaryParams& p, const float* x, const float* y,
                    const float* gy, float* gx, int64_t n);

}  // namespace dg::cuda
