// Minibatch discrimination on the GPU (contract: minibatch.h) with the CPU's per-pair math
// (kernels/common/minibatch_math.h). A discriminator batch has a few hundred rows and a few
// kernels, so one thread per (row, kernel) loops over the other rows; grid-stride loops with
// 64-bit indices.
#include "kernels/common/minibatch_math.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/minibatch.h"

namespace dg::cuda {

namespace {

__global__ void minibatch_forward_kernel(const float* __restrict__ m, float* __restrict__ o,
                                         int64_t N, int64_t B, int64_t C) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < N * B;
       t += int64_t(gridDim.x) * blockDim.x)
    o[t] = static_cast<float>(cpu::minibatch_output(m, t / B, t % B, N, B, C));
}

__global__ void minibatch_backward_kernel(const float* __restrict__ m, const float* __restrict__ g,
                                          float* __restrict__ gm, int64_t N, int64_t B, int64_t C) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < N * B;
       t += int64_t(gridDim.x) * blockDim.x)
    cpu::minibatch_grad_row(m, g, t / B, t % B, N, B, C, gm + t * C);
}

}  // namespace

void minibatch_similarity_forward(const float* m, float* o, int64_t N, int64_t B, int64_t C) {
  if (N * B == 0) return;
  minibatch_forward_kernel<<<grid_for(N * B), kBlock, 0, stream()>>>(m, o, N, B, C);
  DG_CUDA_CHECK_LAUNCH("minibatch_forward_kernel");
}

void minibatch_similarity_backward(const float* m, const float* g, float* gm, int64_t N, int64_t B,
                                   int64_t C) {
  if (N * B == 0) return;
  minibatch_backward_kernel<<<grid_for(N * B), kBlock, 0, stream()>>>(m, g, gm, N, B, C);
  DG_CUDA_CHECK_LAUNCH("minibatch_backward_kernel");
}

}  // namespace dg::cuda
