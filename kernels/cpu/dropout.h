// CPU reference kernel for inverted dropout. The keep mask is never stored: element i is kept when
// element i of the uniform Philox draw starting at counter `offset` is below keep_prob, so the
// forward and the backward regenerate the identical mask from (seed, offset) alone.
#pragma once
#include <cstdint>

#include "kernels/common/dropout_math.h"
#include "kernels/common/philox.h"

namespace dg::cpu {

// Calls f(i, kept) for i in [0, n): element i is kept when word i of the uniform Philox draw at
// `offset` is below keep_prob. One Philox block serves four consecutive elements (the uniform
// layout of engine/rng.h).
template <class F>
void for_each_mask(int64_t n, uint64_t seed, uint64_t offset, double keep_prob, F&& f) {
  for (int64_t b = 0; b * 4 < n; ++b) {
    const PhiloxWords w = philox_block(seed, offset + static_cast<uint64_t>(b));
    const int64_t end = n - b * 4 < 4 ? n - b * 4 : 4;
    for (int64_t k = 0; k < end; ++k) f(b * 4 + k, dropout_kept(w.w[k], keep_prob));
  }
}

// out[i] = in[i] * scale where kept, 0 elsewhere; assigns every element of out (in == out is fine).
// Forward passes x, backward passes dL/dout with the same (seed, offset, keep_prob, scale).
template <class T>
void dropout_apply(const T* in, T* out, int64_t n, uint64_t seed, uint64_t offset, double keep_prob,
                   T scale) {
  for_each_mask(n, seed, offset, keep_prob,
                [&](int64_t i, bool kept) { out[i] = kept ? in[i] * scale : T(0); });
}

// Dropout followed by leaky ReLU in one pass (slope > 0), the pair that ends every hidden block of
// the ZDC networks: out[i] = kept ? lrelu(in[i] * scale) : 0, with the unfused ops' arithmetic,
// so the result is bitwise that of dropout_apply then the leaky ReLU. Assigns every element.
template <class T>
void dropout_leaky_relu_forward(const T* in, T* out, int64_t n, uint64_t seed, uint64_t offset,
                                double keep_prob, T scale, T slope) {
  for_each_mask(n, seed, offset, keep_prob, [&](int64_t i, bool kept) {
    out[i] = dropout_leaky_relu_value(in[i], kept, scale, slope);
  });
}

// Its backward from the forward's output (kept elements have the sign of the dropout output since
// slope > 0): gx[i] = kept ? gy[i] * (out[i] > 0 ? 1 : slope) * scale : 0, the unfused backward's
// arithmetic in its order. Assigns every element of gx.
template <class T>
void dropout_leaky_relu_backward(const T* out, const T* gy, T* gx, int64_t n, uint64_t seed,
                                 uint64_t offset, double keep_prob, T scale, T slope) {
  for_each_mask(n, seed, offset, keep_prob, [&](int64_t i, bool kept) {
    gx[i] = dropout_leaky_relu_grad(out[i], gy[i], kept, scale, slope);
  });
}

}  // namespace dg::cpu
