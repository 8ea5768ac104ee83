// CPU reference kernels for broadcasting binary arithmetic. Templated on the scalar type; the ops'
// per-element math is kernels/common/elementwise_math.h, shared with the CUDA kernels.
// Shapes are given as the output shape plus per-input strides that are 0 along broadcast dims.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/common/elementwise_math.h"

namespace dg::cpu {

// out[i] = a[ia] op b[ib]; assigns every element of out (n = prod(out_shape)).
// a_strides/b_strides are element strides per output dim (0 where that input broadcasts).
template <class T>
void binary_forward(BinaryOp op, const T* a, const T* b, T* out,
                    const std::vector<int64_t>& out_shape, const std::vector<int64_t>& a_strides,
                    const std::vector<int64_t>& b_strides) {
  const size_t nd = out_shape.size();
  int64_t n = 1;
  for (int64_t d : out_shape) n *= d;
  if (n == 0) return;
  // Inner dimension handled in a tight loop; outer ones by an odometer.
  const int64_t inner = nd ? out_shape[nd - 1] : 1;
  const int64_t as = nd ? a_strides[nd - 1] : 0, bs = nd ? b_strides[nd - 1] : 0;
  with_binary_op(op, [&](auto tag) {
    constexpr BinaryOp Op = decltype(tag)::value;
    std::vector<int64_t> idx(nd, 0);
    int64_t ao = 0, bo = 0;
    for (int64_t o = 0; o < n; o += inner) {
      T* dst = out + o;
      for (int64_t i = 0; i < inner; ++i) dst[i] = apply_binary<Op>(a[ao + i * as], b[bo + i * bs]);
      for (int64_t d = static_cast<int64_t>(nd) - 2; d >= 0; --d) {
        ++idx[d];
        ao += a_strides[d];
        bo += b_strides[d];
        if (idx[d] < out_shape[d]) break;
        ao -= a_strides[d] * out_shape[d];
        bo -= b_strides[d] * out_shape[d];
        idx[d] = 0;
      }
    }
  });
}

// out[j] = sum of g over the elements that broadcast onto j; assigns every element of out.
// g has shape g_shape; out_strides are out's element strides per g dim (0 where out broadcasts).
template <class T>
void sum_to_forward(const T* g, T* out, int64_t out_numel, const std::vector<int64_t>& g_shape,
                    const std::vector<int64_t>& out_strides) {
  for (int64_t j = 0; j < out_numel; ++j) out[j] = T(0);
  const size_t nd = g_shape.size();
  int64_t n = 1;
  for (int64_t d : g_shape) n *= d;
  std::vector<int64_t> idx(nd, 0);
  int64_t oo = 0;
  for (int64_t i = 0; i < n; ++i) {
    out[oo] += g[i];
    for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
      ++idx[d];
      oo += out_strides[d];
      if (idx[d] < g_shape[d]) break;
      oo -= out_strides[d] * g_shape[d];
      idx[d] = 0;
    }
  }
}

template <class T>
void scale_shift_forward(const T* x, T* out, int64_t n, T scale, T shift) {
  for (int64_t i = 0; i < n; ++i) out[i] = scale_shift(x[i], scale, shift);
}

// a += b, elementwise.
template <class T>
void accumulate(T* a, const T* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) a[i] += b[i];
}

}  // namespace dg::cpu
