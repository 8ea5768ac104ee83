// CPU reference kernels for reductions (sum/mean, per-row sums, log-softmax) and for the copying
// shape ops (concat, narrow). Templated on the scalar type; sums run in a fixed sequential order
// (deterministic) and accumulate in double so float32 sums over large tensors keep their precision.
// Log-softmax's per-element terms are kernels/common/log_softmax_math.h, shared with CUDA.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/common/log_softmax_math.h"

namespace dg::cpu {

// out[0] = scale * sum(x[0..n)); assigns.
template <class T>
void sum_all_forward(const T* x, T* out, int64_t n, double scale) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  out[0] = static_cast<T>(s * scale);
}

// gx[i] = scale * g[0] for i < n; assigns. Backward of sum_all_forward.
template <class T>
void sum_all_backward(const T* g, T* gx, int64_t n, double scale) {
  const T v = static_cast<T>(g[0] * scale);
  std::fill(gx, gx + n, v);
}

// x (rows, cols) -> out (rows,): out[r] = scale * sum_c x[r, c]; assigns.
template <class T>
void sum_rows_forward(const T* x, T* out, int64_t rows, int64_t cols, double scale) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    double s = 0;
    for (int64_t c = 0; c < cols; ++c) s += xr[c];
    out[r] = static_cast<T>(s * scale);
  }
}

// g (rows,) -> gx (rows, cols): gx[r, c] = scale * g[r]; assigns. Backward of sum_rows_forward.
template <class T>
void sum_rows_backward(const T* g, T* gx, int64_t rows, int64_t cols, double scale) {
  for (int64_t r = 0; r < rows; ++r)
    std::fill(gx + r * cols, gx + (r + 1) * cols, static_cast<T>(g[r] * scale));
}

// x (rows, k) -> y (rows, k): y = x - max - log(sum exp(x - max)) per row; assigns.
// Subtracting the row max keeps every exp argument <= 0, so nothing overflows.
template <class T>
void log_softmax_forward(const T* x, T* y, int64_t rows, int64_t k) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * k;
    T* yr = y + r * k;
    T m = xr[0];
    for (int64_t c = 1; c < k; ++c) m = std::max(m, xr[c]);
    double s = 0;
    for (int64_t c = 0; c < k; ++c) s += log_softmax_exp_term(xr[c], m);
    const T lse = log_softmax_lse(m, s);
    for (int64_t c = 0; c < k; ++c) yr[c] = xr[c] - lse;
  }
}

// From the output y: gx[r, c] = gy[r, c] - exp(y[r, c]) * sum_c' gy[r, c']; assigns.
template <class T>
void log_softmax_backward(const T* y, const T* gy, T* gx, int64_t rows, int64_t k) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* yr = y + r * k;
    const T* gr = gy + r * k;
    T* gxr = gx + r * k;
    double s = 0;
    for (int64_t c = 0; c < k; ++c) s += gr[c];
    for (int64_t c = 0; c < k; ++c) gxr[c] = log_softmax_grad(gr[c], yr[c], static_cast<T>(s));
  }
}

// Byte-level strided block copy shared by concat and its backward (split): for each of `outer`
// blocks, copies `block` bytes from src + o * src_stride to dst + o * dst_stride. Assigns.
// Type-free because concat and narrow only move data.
inline void copy_blocks(const void* src, int64_t src_stride, void* dst, int64_t dst_stride,
                        int64_t outer, int64_t block) {
  if (block == 0) return;
  const char* s = static_cast<const char*>(src);
  char* d = static_cast<char*>(dst);
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(d + o * dst_stride, s + o * src_stride, static_cast<size_t>(block));
}

}  // namespace dg::cpu
