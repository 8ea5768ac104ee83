// Per-element math of the Adam / AdamW update, shared by the CPU loop (engine/optim.cpp) and the
// fused multi-tensor CUDA kernel (kernels/cuda/adam.cu): the per-step constants cast once to the
// parameter's scalar type, and the update of one element, in PyTorch's single-tensor order.
#pragma once
#include "kernels/common/host_device.h"
#include "kernels/common/scalar_math.h"

namespace dg::cpu {

// The per-step constants in the parameter's scalar type (each a static_cast of the double the
// optimizer computed, 1 - beta cast after the subtraction in double).
template <class T>
struct AdamCoefficients {
  T b1, b2, one_b1, one_b2;
  T l2;        // added to the gradient (torch.optim.Adam's weight_decay)
  T decay;     // p *= decay first (AdamW); 1 otherwise
  T step;      // lr / (1 - beta1^t)
  T sqrt_bc2;  // sqrt(1 - beta2^t)
  T eps;
};

// `s`: the optimizer's per-step constants in double, any struct with the fields beta1, beta2, eps,
// l2, decay_factor, step_size and sqrt_bc2 (the engine's AdamStep, the CUDA AdamStepConstants).
template <class T, class Step>
inline AdamCoefficients<T> adam_coefficients(const Step& s) {
  AdamCoefficients<T> c;
  c.b1 = static_cast<T>(s.beta1);
  c.b2 = static_cast<T>(s.beta2);
  c.one_b1 = static_cast<T>(1.0 - s.beta1);
  c.one_b2 = static_cast<T>(1.0 - s.beta2);
  c.l2 = static_cast<T>(s.l2);
  c.decay = static_cast<T>(s.decay_factor);
  c.step = static_cast<T>(s.step_size);
  c.sqrt_bc2 = static_cast<T>(s.sqrt_bc2);
  c.eps = static_cast<T>(s.eps);
  return c;
}

// One element, in place: g' = g + l2 p; p' = p decay; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
// p = p' - step m / (sqrt(v) / sqrt_bc2 + eps).
template <class T>
DG_HOST_DEVICE inline void adam_update_element(T& p, T g, T& m, T& v,
                                               const AdamCoefficients<T>& c) {
  const T gi = g + c.l2 * p;
  const T pi = p * c.decay;
  m = c.b1 * m + c.one_b1 * gi;
  v = c.b2 * v + c.one_b2 * gi * gi;
  const T denom = math::sqrt(v) / c.sqrt_bc2 + c.eps;
  p = pi - c.step * m / denom;
}

}  // namespace dg::cpu
