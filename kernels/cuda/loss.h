// Binary cross-entropy on logits on the GPU: the device side of kernels/cpu/loss.h, same names and
// argument order, float32, device pointers (the upstream gradient g is a device scalar, so no host
// round trip). Targets are read as t[i * t_stride]: 1 for a tensor, 0 for one shared scalar.
// Plain C++ (no CUDA include).
#pragma once
#include <cstdint>

namespace dg::cuda {

// out[0] = mean_i [max(x_i, 0) - x_i t_i + log1p(exp(-|x_i|))]; assigns. Deterministic two-pass
// sum.
void bce_with_logits_forward(const float* x, const float* t, int64_t t_stride, float* out,
                             int64_t n);
// gx[i] = g[0] (sigmoid(x_i) - t_i) / n; assigns.
void bce_with_logits_backward_logits(const float* x, const float* t, int64_t t_stride,
                                     const float* g, float* gx, int64_t n);
// gt[i] = -g[0] x_i / n; assigns.
void bce_with_logits_backward_targets(const float* x, const float* g, float* gt, int64_t n);

}  // namespace dg::cuda
