// CPU reference kernels for batch normalization over x viewed as (N, C, S): S = H*W for (N,C,H,W)
// input and 1 for (N,C). Per-channel statistics are reduced over the M = N*S elements of a channel,
// always in the order n = 0..N-1, s = 0..S-1, with double accumulators whatever T is, so results
// are deterministic and the float path does not lose precision in long sums. The formulas
// (per-element terms, invstd, running update, affine map, dx) are kernels/common/batch_norm_math.h,
// shared with the CUDA kernels.
#pragma once
#include <cstdint>

#include "kernels/common/batch_norm_math.h"
#include "kernels/common/elementwise_math.h"

namespace dg::cpu {

// Batch statistics. Assigns mean[c] and var[c] (biased: divides by M) for every channel.
// Two passes (mean first, then squared deviations) avoid the cancellation of E[x^2] - E[x]^2.
template <class T>
void batch_norm_stats(const T* x, T* mean, T* var, int64_t N, int64_t C, int64_t S) {
  const double inv_m = 1.0 / static_cast<double>(N * S);
  for (int64_t c = 0; c < C; ++c) {
    double sum = 0;
    for (int64_t n = 0; n < N; ++n) {
      const T* xc = x + (n * C + c) * S;
      for (int64_t s = 0; s < S; ++s) sum += xc[s];
    }
    const double mu = sum * inv_m;
    double sq = 0;
    for (int64_t n = 0; n < N; ++n) {
      const T* xc = x + (n * C + c) * S;
      for (int64_t s = 0; s < S; ++s) sq += bn_squared_deviation(xc[s], mu);
    }
    mean[c] = static_cast<T>(mu);
    var[c] = static_cast<T>(sq * inv_m);
  }
}

// Assigns invstd[c] = 1 / sqrt(var[c] + eps), computed in double.
template <class T>
void batch_norm_invstd(const T* var, T* invstd, int64_t C, double eps) {
  for (int64_t c = 0; c < C; ++c) invstd[c] = static_cast<T>(bn_invstd(var[c], eps));
}

// Updates the running buffers in place (PyTorch convention):
//   running_mean = (1 - momentum) running_mean + momentum mean
//   running_var  = (1 - momentum) running_var  + momentum var * M / (M - 1)
// `var` is the biased batch variance; the running estimate uses the unbiased one. Needs M > 1.
template <class T>
void batch_norm_update_running(T* running_mean, T* running_var, const T* mean, const T* var,
                               int64_t C, int64_t M, double momentum) {
  const double unbias = bn_unbias(M);
  for (int64_t c = 0; c < C; ++c) {
    running_mean[c] = static_cast<T>(bn_running_mean(running_mean[c], mean[c], momentum));
    running_var[c] = static_cast<T>(bn_running_var(running_var[c], var[c], momentum, unbias));
  }
}

// out = (x - mean[c]) * invstd[c] * gamma[c] + beta[c]; assigns every element of out.
// gamma / beta may be null (scale 1, shift 0).
template <class T>
void batch_norm_forward(const T* x, const T* mean, const T* invstd, const T* gamma, const T* beta,
                        T* out, int64_t N, int64_t C, int64_t S) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      const T scale = bn_scale(invstd, gamma, c);
      const T shift = bn_shift(mean, beta, c, scale);
      const T* xc = x + (n * C + c) * S;
      T* oc = out + (n * C + c) * S;
      for (int64_t s = 0; s < S; ++s) oc[s] = scale_shift(xc[s], scale, shift);
    }
}

// Given g = dL/dout and the (mean, invstd) the forward normalized with, with xhat = (x - mean)
// invstd:
//   dbeta[c]  = sum g                 dgamma[c] = sum g xhat
//   training (mean, invstd are batch statistics, so they depend on x):
//     dx = gamma invstd / M * (M g - dbeta - xhat dgamma)
//   eval (running statistics are constants):
//     dx = gamma invstd g
// Assigns every element of each non-null output (dx, dgamma, dbeta); gamma may be null (= 1).
template <class T>
void batch_norm_backward(const T* g, const T* x, const T* mean, const T* invstd, const T* gamma,
                         T* dx, T* dgamma, T* dbeta, int64_t N, int64_t C, int64_t S,
                         bool training) {
  const double m = static_cast<double>(N * S);
  for (int64_t c = 0; c < C; ++c) {
    const double mu = mean[c], is = invstd[c];
    double sum_g = 0, sum_gx = 0;
    for (int64_t n = 0; n < N; ++n) {
      const T* gc = g + (n * C + c) * S;
      const T* xc = x + (n * C + c) * S;
      for (int64_t s = 0; s < S; ++s) {
        sum_g += gc[s];
        sum_gx += static_cast<double>(gc[s]) * bn_xhat(xc[s], mu, is);
      }
    }
    if (dbeta) dbeta[c] = static_cast<T>(sum_g);
    if (dgamma) dgamma[c] = static_cast<T>(sum_gx);
    if (!dx) continue;
    const double k = bn_grad_factor(gamma, c, is);
    const double mean_g = sum_g / m, mean_gx = sum_gx / m;
    for (int64_t n = 0; n < N; ++n) {
      const T* gc = g + (n * C + c) * S;
      const T* xc = x + (n * C + c) * S;
      T* dc = dx + (n * C + c) * S;
      for (int64_t s = 0; s < S; ++s)
        dc[s] = static_cast<T>(training ? bn_grad_input(k, gc[s], xc[s], mu, is, mean_g, mean_gx)
                                        : k * static_cast<double>(gc[s]));
    }
  }
}

}  // namespace dg::cpu
