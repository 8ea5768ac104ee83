// Per-element math of inverted dropout and of the fused dropout + leaky ReLU, shared by the CPU
// kernels (kernels/cpu/dropout.h) and the CUDA kernel (kernels/cuda/dropout.cu): the keep test on a
// Philox word and the fused forward and backward of one element. The products go through
// math::mul_rn: __fmul_rn on the device, as the CUDA kernel always had, a plain product on the
// host.
#pragma once
#include <cstdint>

#include "kernels/common/host_device.h"
#include "kernels/common/philox.h"
#include "kernels/common/scalar_math.h"

namespace dg::cpu {

// Whether the element drawn as Philox word w is kept: its uniform is below keep_prob.
DG_HOST_DEVICE inline bool dropout_kept(uint32_t w, double keep_prob) {
  return philox_word_to_unit(w) < keep_prob;
}

// kept ? lrelu(in * scale) : 0 with slope > 0, the unfused ops' arithmetic (dropout, then leaky
// ReLU); slope 1 gives plain dropout bit for bit.
template <class T>
DG_HOST_DEVICE inline T dropout_leaky_relu_value(T in, bool kept, T scale, T slope) {
  const T d = math::mul_rn(in, scale);
  return kept ? (d > T(0) ? d : math::mul_rn(slope, d)) : T(0);
}

// Its backward from the forward's output `out` (kept elements have the sign of the dropout output
// since slope > 0): kept ? gy * (out > 0 ? 1 : slope) * scale : 0, in the unfused backward's order.
template <class T>
DG_HOST_DEVICE inline T dropout_leaky_relu_grad(T out, T gy, bool kept, T scale, T slope) {
  const T g = math::mul_rn(gy, out > T(0) ? T(1) : slope);
  return kept ? math::mul_rn(g, scale) : T(0);
}

}  // namespace dg::cpu
