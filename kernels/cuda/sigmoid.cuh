// The overflow-free logistic function on the device, as kernels/cpu/unary.h's stable_sigmoid:
// shared by the activation kernels and the BCE loss, so both give the CPU's values.
#pragma once

namespace dg::cuda {

__device__ inline float stable_sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

}  // namespace dg::cuda
