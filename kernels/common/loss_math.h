// Per-element terms of binary cross-entropy on logits, shared by the CPU kernels
// (kernels/cpu/loss.h) and the CUDA kernels (kernels/cuda/loss.cu); each backend sums the terms
// in its own fixed order.
#pragma once
#include "kernels/common/host_device.h"
#include "kernels/common/scalar_math.h"
#include "kernels/common/sigmoid.h"

namespace dg::cpu {

// max(x, 0) - x t + log1p(exp(-|x|)), in T: equals -t log s(x) - (1 - t) log(1 - s(x)) but never
// takes exp of a positive number or log of a value that rounds to 0, so logits of +-100 (or
// +-1e4) stay finite and exact.
template <class T>
DG_HOST_DEVICE inline T bce_with_logits_term(T x, T t) {
  return (x > T(0) ? x : T(0)) - x * t + math::log1p(math::exp(-math::abs(x)));
}

// d/dx of the mean loss for one element, scale = g / n: scale (sigmoid(x) - t).
template <class T>
DG_HOST_DEVICE inline T bce_with_logits_grad(T x, T t, T scale) {
  return scale * (stable_sigmoid(x) - t);
}

}  // namespace dg::cpu
