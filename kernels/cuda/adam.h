// Adam / AdamW on the GPU as one fused multi-tensor update: the device side of the CPU loop in
// engine/optim.cpp (adam_update), float32, device pointers. Plain C++ (no CUDA include).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common/adam_math.h"

namespace dg::cuda {

// One parameter: p, m, v updated in place from g; n elements each.
struct AdamTensor {
  float* p;
  const float* g;
  float* m;
  float* v;
  int64_t n;
};

// The per-step constants of engine/optim.cpp's AdamStep (computed there in double).
struct AdamStepConstants {
  double beta1, beta2, eps;
  double l2;            // added to the gradient (torch.optim.Adam's weight_decay)
  double decay_factor;  // p *= decay_factor first (AdamW); 1 otherwise
  double step_size;     // lr / (1 - beta1^t)
  double sqrt_bc2;      // sqrt(1 - beta2^t)
};

// Updates every tensor of the list with the CPU's arithmetic, in float, in the same order:
//   g' = g + l2 p; p' = p decay; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
//   p = p' - step m / (sqrt(v) / sqrt_bc2 + eps).
// Tensors are packed up to 32 per launch (a kernel-argument table; no host-to-device copy).
// With `step_slot` (device memory, an AdamStepFloats read when the kernel runs) the per-step
// constants come from there instead of `s`: a captured graph replays later steps, and sees later
// changes of lr or weight decay, by updating it (engine/graph.h). adam_step_floats gives the
// values to store; beta1, beta2 and eps stay as captured.
void adam_update_multi(const AdamTensor* tensors, size_t count, const AdamStepConstants& s,
                       const float* step_slot = nullptr);
struct AdamStepFloats {
  float step_size, sqrt_bc2, l2, decay;
};
inline AdamStepFloats adam_step_floats(const AdamStepConstants& s) {
  const cpu::AdamCoefficients<float> c = cpu::adam_coefficients<float>(s);
  return {c.step, c.sqrt_bc2, c.l2, c.decay};
}

}  // namespace dg::cuda
