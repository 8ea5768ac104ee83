// The overflow-free logistic function, one definition for the sigmoid activation
// (kernels/common/unary_math.h) and the BCE-with-logits gradient (kernels/common/loss_math.h) on
// both backends, so the CPU and the GPU compute the same values.
#pragma once
#include "kernels/common/host_device.h"
#include "kernels/common/scalar_math.h"

namespace dg::cpu {

// 1 / (1 + exp(-x)) without overflow: exp is only ever taken of a non-positive argument, so large
// |x| saturates to exactly 0 or 1 instead of producing inf / inf.
template <class T>
DG_HOST_DEVICE inline T stable_sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + math::exp(-x));
  const T e = math::exp(x);
  return e / (T(1) + e);
}

}  // namespace dg::cpu
