// Batch normalization on the GPU: the device side of kernels/cpu/batch_norm.h (the reference), same
// names and argument order, float32, device pointers, x viewed as (N, C, S). Per-channel sums are
// carried in double and reduced in a fixed order (one block per channel, grid-stride partials, the
// fixed warp/block tree of block_reduce.cuh): deterministic, no float atomics. Plain C++.
#pragma once
#include <cstdint>

namespace dg::cuda {

// Assigns mean[c] and the biased var[c] (two passes: mean, then squared deviations).
void batch_norm_stats(const float* x, float* mean, float* var, int64_t N, int64_t C, int64_t S);
// Assigns invstd[c] = 1 / sqrt(var[c] + eps), in double.
void batch_norm_invstd(const float* var, float* invstd, int64_t C, double eps);
// running = (1 - momentum) running + momentum batch (variance unbiased by M / (M - 1)); in place.
void batch_norm_update_running(float* running_mean, float* running_var, const float* mean,
                               const float* var, int64_t C, int64_t M, double momentum);
// out = (x - mean) invstd gamma + beta; gamma / beta may be null. Assigns every element of out.
void batch_norm_forward(const float* x, const float* mean, const float* invstd, const float* gamma,
                        const float* beta, float* out, int64_t N, int64_t C, int64_t S);
// dbeta = sum g, dgamma = sum g xhat, dx (training or eval formula, see the CPU header). Assigns
// every element of each non-null output; gamma may be null (= 1).
void batch_norm_backward(const float* g, const float* x, const float* mean, const float* invstd,
                         const float* gamma, float* dx, float* dgamma, float* dbeta, int64_t N,
                         int64_t C, int64_t S, bool training);

}  // namespace dg::cuda
