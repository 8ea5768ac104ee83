// conv2d / conv_transpose2d on the GPU: the device side of kernels/cpu/conv.h (the reference), same
// names and argument order, float32, device pointers. As on the CPU, everything is phrased as one
// convolution y = conv(x, w) (geometry: kernels/common/conv_geometry.h) and its two adjoints, so
// conv_transpose2d's forward is conv2d_backward_data and its gradients are conv2d_forward and
// conv2d_backward_weight of the same geometry. Plain C++ (no CUDA include).
#pragma once
#include <cstdint>

#include "kernels/common/conv_geometry.h"
#include "kernels/common/precision.h"

namespace dg::cuda {

// y (N,O,Ho,Wo) = conv(x (N,C,H,W), w (O,C,kh,kw)), no bias. Assigns every element of y.
void conv2d_forward(const float* x, const float* w, float* y, const cpu::ConvGeometry& g,
                    MatmulPrecision precision = MatmulPrecision::FP32);
// gx (N,C,H,W) = transposed convolution of gy (N,O,Ho,Wo). Assigns every element of gx.
void conv2d_backward_data(const float* gy, const float* w, float* gx, const cpu::ConvGeometry& g,
                          MatmulPrecision precision = MatmulPrecision::FP32);
// gw (O,C,kh,kw) = sum over images of gy_n * im2col(x_n)^T. Assigns every element of gw; images
// are summed in index order (deterministic, no atomics).
void conv2d_backward_weight(const float* x, const float* gy, float* gw, const cpu::ConvGeometry& g,
                            MatmulPrecision precision = MatmulPrecision::FP32);
// y (N,C,HW) += b[c]. Accumulates.
void channel_bias_forward(const float* b, float* y, int64_t N, int64_t C, int64_t HW);
// gb[c] = sum over images and pixels of gy (N,C,HW), in double, fixed order. Assigns.
void channel_bias_backward(const float* gy, float* gb, int64_t N, int64_t C, int64_t HW);

}  // namespace dg::cuda
