// Per-element and per-channel formulas of batch normalization, shared by the CPU kernels
// (kernels/cpu/batch_norm.h) and the CUDA kernels (kernels/cuda/batch_norm.cu); the per-channel
// sums themselves are each backend's own (fixed orders, double accumulators). The statistics and
// the backward run in double whatever the tensor's type; the forward in the tensor's type.
#pragma once
#include <cstdint>

#include "kernels/common/host_device.h"
#include "kernels/common/scalar_math.h"

namespace dg::cpu {

// (x - mu)^2, the term of the second (variance) pass.
DG_HOST_DEVICE inline double bn_squared_deviation(double x, double mu) {
  const double d = x - mu;
  return d * d;
}

// 1 / sqrt(var + eps).
DG_HOST_DEVICE inline double bn_invstd(double var, double eps) {
  return 1.0 / math::sqrt(var + eps);
}

// M / (M - 1): turns the biased batch variance into the unbiased one for the running estimate.
DG_HOST_DEVICE inline double bn_unbias(int64_t M) {
  return static_cast<double>(M) / static_cast<double>(M - 1);
}

// The running buffers' update (PyTorch convention):
//   running_mean = (1 - momentum) running_mean + momentum mean
//   running_var  = (1 - momentum) running_var  + momentum unbias var
DG_HOST_DEVICE inline double bn_running_mean(double running, double mean, double momentum) {
  return (1.0 - momentum) * running + momentum * mean;
}
DG_HOST_DEVICE inline double bn_running_var(double running, double var, double momentum,
                                            double unbias) {
  return (1.0 - momentum) * running + momentum * unbias * var;
}

// The forward's per-channel affine map out = x * scale + shift (scale_shift in
// elementwise_math.h): scale = invstd gamma, shift = beta - mean scale; gamma / beta null mean
// 1 / 0.
template <class T>
DG_HOST_DEVICE inline T bn_scale(const T* invstd, const T* gamma, int64_t c) {
  return invstd[c] * (gamma ? gamma[c] : T(1));
}
template <class T>
DG_HOST_DEVICE inline T bn_shift(const T* mean, const T* beta, int64_t c, T scale) {
  return (beta ? beta[c] : T(0)) - mean[c] * scale;
}

// xhat = (x - mu) invstd, in double.
DG_HOST_DEVICE inline double bn_xhat(double x, double mu, double is) { return (x - mu) * is; }

// The backward's per-channel factor k = gamma invstd (gamma null means 1), and dx of one element
// (x, g) of a channel with batch statistics (mu, is) and mean(g), mean(g xhat) in training mode:
// k (g - mean(g) - xhat mean(g xhat)). In eval mode (running statistics are constants) dx is k g,
// which callers write inline so that x is not read.
template <class T>
DG_HOST_DEVICE inline double bn_grad_factor(const T* gamma, int64_t c, double is) {
  return (gamma ? static_cast<double>(gamma[c]) : 1.0) * is;
}
DG_HOST_DEVICE inline double bn_grad_input(double k, double g, double x, double mu, double is,
                                           double mean_g, double mean_gx) {
  return k * (g - mean_g - bn_xhat(x, mu, is) * mean_gx);
}

}  // namespace dg::cpu
