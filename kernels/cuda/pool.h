// Nearest-neighbour upsampling and max pooling on the GPU: the device side of kernels/cpu/pool.h
// (the reference), same names and argument order, float32, device pointers, planes = N*C planes.
// Plain C++ (no CUDA include).
#pragma once
#include <cstdint>

#include "kernels/common/pool_math.h"

namespace dg::cuda {

// y (planes, H*s, W*s) <- x (planes, H, W). Assigns every element of y.
void upsample_nearest2d_forward(const float* x, float* y, int64_t planes, int64_t H, int64_t W,
                                int64_t s);
// gx (planes, H, W) = sum of gy over each s x s block (row by row, the CPU's order). Assigns.
void upsample_nearest2d_backward(const float* gy, float* gx, int64_t planes, int64_t H, int64_t W,
                                 int64_t s);
// y = max over each window (first maximum, NaN wins: cpu::window_argmax). Assigns every element.
void max_pool2d_forward(const float* x, float* y, const cpu::PoolGeometry& g);
// gx: each window's gradient goes to its first maximum; a gather (one thread per input pixel adds
// the windows that chose it in (oh, ow) order, the CPU's order), no atomics. Assigns every element.
void max_pool2d_backward(const float* x, const float* gy, float* gx, const cpu::PoolGeometry& g);

}  // namespace dg::cuda
