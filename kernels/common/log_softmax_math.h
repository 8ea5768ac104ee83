// Per-element terms of the row-wise log-softmax, shared by the CPU kernels (kernels/cpu/reduce.h)
// and the CUDA kernels (kernels/cuda/reduce.cu); each backend finds the row max and sums the terms
// in its own fixed order.
#pragma once
#include "kernels/common/host_device.h"
#include "kernels/common/scalar_math.h"

namespace dg::cpu {

// exp(x - m) in double, m the row max (so the argument is <= 0): the term of the row's sum.
template <class T>
DG_HOST_DEVICE inline double log_softmax_exp_term(T x, T m) {
  return math::exp(static_cast<double>(x - m));
}

// The row's log-sum-exp from its max m and its sum s of exp terms: m + log(s), rounded to T.
template <class T>
DG_HOST_DEVICE inline T log_softmax_lse(T m, double s) {
  return m + static_cast<T>(math::log(s));
}

// One element of the backward from the output y: gy - exp(y) * sum_row(gy).
template <class T>
DG_HOST_DEVICE inline T log_softmax_grad(T gy, T y, T gy_sum) {
  return gy - math::exp(y) * gy_sum;
}

}  // namespace dg::cpu
