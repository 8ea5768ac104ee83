// Batch normalization on the GPU (contract: batch_norm.h), with the CPU's formulas
// (kernels/common/batch_norm_math.h). The statistics and the backward use one
// block per channel: the ZDC layers have 64..21632 channels of 128..86528 values each, so a block
// per channel fills the GPU without a second reduction pass, and the block tree fixes the order.
// Element (n, s) of channel c lives at (n*C + c)*S + s; the block walks m = n*S + s.
#include <limits>

#include "kernels/common/batch_norm_math.h"
#include "kernels/common/elementwise_math.h"
#include "kernels/cuda/batch_norm.h"
#include "kernels/cuda/block_reduce.cuh"

namespace dg::cuda {

namespace {

__device__ inline int64_t bn_index(int64_t m, int64_t c, int64_t C, int64_t S) {
  return (m / S * C + c) * S + m % S;
}

// Block total broadcast to every thread (block_sum leaves it in thread 0 only).
__device__ inline double block_sum_all(double v) {
  __shared__ double total;
  v = block_sum(v);
  if (threadIdx.x == 0) total = v;
  __syncthreads();
  const double t = total;
  __syncthreads();  // `total` may be rewritten by a later call
  return t;
}

__global__ void bn_stats_kernel(const float* __restrict__ x, float* __restrict__ mean,
                                float* __restrict__ var, int64_t N, int64_t C, int64_t S) {
  const int64_t c = blockIdx.x, M = N * S;
  const double inv_m = 1.0 / static_cast<double>(M);
  double s = 0.0;
  for (int64_t m = threadIdx.x; m < M; m += blockDim.x) s += x[bn_index(m, c, C, S)];
  const double mu = block_sum_all(s) * inv_m;
  double sq = 0.0;
  for (int64_t m = threadIdx.x; m < M; m += blockDim.x)
    sq += cpu::bn_squared_deviation(x[bn_index(m, c, C, S)], mu);
  sq = block_sum(sq);
  if (threadIdx.x == 0) {
    mean[c] = static_cast<float>(mu);
    var[c] = static_cast<float>(sq * inv_m);
  }
}

__global__ void bn_invstd_kernel(const float* __restrict__ var, float* __restrict__ invstd,
                                 int64_t C, double eps) {
  for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < C;
       c += int64_t(gridDim.x) * blockDim.x)
    invstd[c] = static_cast<float>(cpu::bn_invstd(var[c], eps));
}

__global__ void bn_update_running_kernel(float* running_mean, float* running_var, const float* mean,
                                         const float* var, int64_t C, double unbias,
                                         double momentum) {
  for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < C;
       c += int64_t(gridDim.x) * blockDim.x) {
    running_mean[c] = static_cast<float>(cpu::bn_running_mean(running_mean[c], mean[c], momentum));
    running_var[c] =
        static_cast<float>(cpu::bn_running_var(running_var[c], var[c], momentum, unbias));
  }
}

__global__ void bn_forward_kernel(const float* __restrict__ x, const float* __restrict__ mean,
                                  const float* __restrict__ invstd, const float* __restrict__ gamma,
                                  const float* __restrict__ beta, float* __restrict__ out,
                                  int64_t total, int64_t C, int64_t S) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = (i / S) % C;
    // The CPU's float expression: scale and shift per channel, then one multiply-add.
    const float scale = cpu::bn_scale(invstd, gamma, c);
    const float shift = cpu::bn_shift(mean, beta, c, scale);
    out[i] = cpu::scale_shift(x[i], scale, shift);
  }
}

__global__ void bn_backward_kernel(const float* __restrict__ g, const float* __restrict__ x,
                                   const float* __restrict__ mean, const float* __restrict__ invstd,
                                   const float* __restrict__ gamma, float* __restrict__ dx,
                                   float* __restrict__ dgamma, float* __restrict__ dbeta, int64_t N,
                                   int64_t C, int64_t S, bool training) {
  const int64_t c = blockIdx.x, M = N * S;
  const double mu = mean[c], is = invstd[c];
  double sg = 0.0, sgx = 0.0;
  for (int64_t m = threadIdx.x; m < M; m += blockDim.x) {
    const int64_t i = bn_index(m, c, C, S);
    const double gv = g[i];
    sg += gv;
    sgx += gv * cpu::bn_xhat(x[i], mu, is);
  }
  sg = block_sum_all(sg);
  sgx = block_sum_all(sgx);
  if (threadIdx.x == 0) {
    if (dbeta) dbeta[c] = static_cast<float>(sg);
    if (dgamma) dgamma[c] = static_cast<float>(sgx);
  }
  if (!dx) return;
  const double k = cpu::bn_grad_factor(gamma, c, is);
  const double mean_g = sg / static_cast<double>(M), mean_gx = sgx / static_cast<double>(M);
  for (int64_t m = threadIdx.x; m < M; m += blockDim.x) {
    const int64_t i = bn_index(m, c, C, S);
    dx[i] = static_cast<float>(training ? cpu::bn_grad_input(k, g[i], x[i], mu, is, mean_g, mean_gx)
                                        : k * static_cast<double>(g[i]));
  }
}

unsigned channel_grid(int64_t C, const char* op) {
  DG_CHECK(C <= std::numeric_limits<int>::max(), op << " (cuda): " << C << " channels");
  return static_cast<unsigned>(C);
}

}  // namespace

void batch_norm_stats(const float* x, float* mean, float* var, int64_t N, int64_t C, int64_t S) {
  if (C == 0) return;
  bn_stats_kernel<<<channel_grid(C, "batch_norm_stats"), kBlock, 0, stream()>>>(x, mean, var, N, C,
                                                                                S);
  DG_CUDA_CHECK_LAUNCH("bn_stats_kernel");
}

void batch_norm_invstd(const float* var, float* invstd, int64_t C, double eps) {
  if (C == 0) return;
  bn_invstd_kernel<<<grid_for(C), kBlock, 0, stream()>>>(var, invstd, C, eps);
  DG_CUDA_CHECK_LAUNCH("bn_invstd_kernel");
}

void batch_norm_update_running(float* running_mean, float* running_var, const float* mean,
                               const float* var, int64_t C, int64_t M, double momentum) {
  if (C == 0) return;
  const double unbias = cpu::bn_unbias(M);
  bn_update_running_kernel<<<grid_for(C), kBlock, 0, stream()>>>(running_mean, running_var, mean,
                                                                 var, C, unbias, momentum);
  DG_CUDA_CHECK_LAUNCH("bn_update_running_kernel");
}

void batch_norm_forward(const float* x, const float* mean, const float* invstd, const float* gamma,
                        const float* beta, float* out, int64_t N, int64_t C, int64_t S) {
  const int64_t total = N * C * S;
  if (total == 0) return;
  bn_forward_kernel<<<grid_for(total), kBlock, 0, stream()>>>(x, mean, invstd, gamma, beta, out,
                                                              total, C, S);
  DG_CUDA_CHECK_LAUNCH("bn_forward_kernel");
}

void batch_norm_backward(const float* g, const float* x, const float* mean, const float* invstd,
                         const float* gamma, float* dx, float* dgamma, float* dbeta, int64_t N,
                         int64_t C, int64_t S, bool training) {
  if (C == 0) return;
  bn_backward_kernel<<<channel_grid(C, "batch_norm_backward"), kBlock, 0, stream()>>>(
      g, x, mean, invstd, gamma, dx, dgamma, dbeta, N, C, S, training);
  DG_CUDA_CHECK_LAUNCH("bn_backward_kernel");
}

}  // namespace dg::cuda
