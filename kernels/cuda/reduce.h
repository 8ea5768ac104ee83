// CUDA kernels for reductions: the device side of kernels/cpu/reduce.h (sum/mean over all
// elements, per-row sums, log-softmax), same names and argument order, float32, device pointers.
// Sums are carried in double in a fixed order (deterministic; see block_reduce.cuh). Plain C++.
#pragma once
#include <cstdint>

namespace dg::cuda {

// out[0] = scale * sum(x[0..n)); assigns. Two-pass block reduction.
void sum_all_forward(const float* x, float* out, int64_t n, double scale);
// gx[i] = scale * g[0]; assigns (g is a device scalar).
void sum_all_backward(const float* g, float* gx, int64_t n, double scale);
// x (rows, cols) -> out (rows,): out[r] = scale * sum_c x[r, c]; assigns. One warp per row.
void sum_rows_forward(const float* x, float* out, int64_t rows, int64_t cols, double scale);
// gx[r, c] = scale * g[r]; assigns.
void sum_rows_backward(const float* g, float* gx, int64_t rows, int64_t cols, double scale);
// x (rows, k) -> y: y = x - max - log(sum exp(x - max)) per row; assigns. One warp per row.
void log_softmax_forward(const float* x, float* y, int64_t rows, int64_t k);
// gx[r, c] = gy[r, c] - exp(y[r, c]) * sum_c' gy[r, c']; assigns.
void log_softmax_backward(const float* y, const float* gy, float* gx, int64_t rows, int64_t k);

}  // namespace dg::cuda
