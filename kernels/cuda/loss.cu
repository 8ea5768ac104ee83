// Binary cross-entropy on logits on the GPU (contract: loss.h); the CPU's per-element terms
// (kernels/common/loss_math.h) in float, summed in double in a fixed order (block_reduce.cuh).
#include "kernels/common/loss_math.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/loss.h"

namespace dg::cuda {

namespace {

struct BceTerm {
  const float* x;
  const float* t;
  int64_t t_stride;
  __device__ double operator()(int64_t i) const {
    return cpu::bce_with_logits_term(x[i], t[i * t_stride]);
  }
};

__global__ void bce_backward_logits_kernel(const float* x, const float* t, int64_t t_stride,
                                           const float* g, float* gx, int64_t n) {
  const float scale = g[0] / static_cast<float>(n);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    gx[i] = cpu::bce_with_logits_grad(x[i], t[i * t_stride], scale);
}

__global__ void bce_backward_targets_kernel(const float* x, const float* g, float* gt, int64_t n) {
  const float scale = -g[0] / static_cast<float>(n);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    gt[i] = scale * x[i];
}

}  // namespace

void bce_with_logits_forward(const float* x, const float* t, int64_t t_stride, float* out,
                             int64_t n) {
  DG_CHECK(n > 0, "bce_with_logits_forward (cuda): empty input");
  deterministic_sum(BceTerm{x, t, t_stride}, n, 1.0 / static_cast<double>(n), out,
                    "bce_with_logits_forward");
}

void bce_with_logits_backward_logits(const float* x, const float* t, int64_t t_stride,
                                     const float* g, float* gx, int64_t n) {
  if (n == 0) return;
  bce_backward_logits_kernel<<<grid_for(n), kBlock, 0, stream()>>>(x, t, t_stride, g, gx, n);
  DG_CUDA_CHECK_LAUNCH("bce_backward_logits_kernel");
}

void bce_with_logits_backward_targets(const float* x, const float* g, float* gt, int64_t n) {
  if (n == 0) return;
  bce_backward_targets_kernel<<<grid_for(n), kBlock, 0, stream()>>>(x, g, gt, n);
  DG_CUDA_CHECK_LAUNCH("bce_backward_targets_kernel");
}

}  // namespace dg::cuda
