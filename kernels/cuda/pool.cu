// Nearest-neighbour upsampling and max pooling on the GPU (contract: pool.h), with the CPU's
// per-element math (kernels/common/pool_math.h: window argmax, block sums). One thread per
// output element in the forwards and one per input element in the backwards (gathers), so every
// element is written exactly once and no atomics are needed; grid-stride loops with 64-bit indices.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/pool.h"

namespace dg::cuda {

namespace {

__global__ void upsample_forward_kernel(const float* __restrict__ x, float* __restrict__ y,
                                        int64_t planes, int64_t H, int64_t W, int64_t s) {
  const int64_t Ho = H * s, Wo = W * s, total = planes * Ho * Wo;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ow = i % Wo, oh = (i / Wo) % Ho, pl = i / (Wo * Ho);
    y[i] = x[(pl * H + oh / s) * W + ow / s];
  }
}

__global__ void upsample_backward_kernel(const float* __restrict__ gy, float* __restrict__ gx,
                                         int64_t planes, int64_t H, int64_t W, int64_t s) {
  const int64_t Wo = W * s, total = planes * H * W;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t j = i % W, r0 = (i / W) % H, pl = i / (W * H);
    gx[i] = cpu::upsample_block_sum(gy + pl * H * s * Wo, r0, j, s, Wo);
  }
}

__global__ void max_pool_forward_kernel(const float* __restrict__ x, float* __restrict__ y,
                                        cpu::PoolGeometry g) {
  const int64_t total = g.planes * g.Ho * g.Wo;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ow = i % g.Wo, oh = (i / g.Wo) % g.Ho, pl = i / (g.Wo * g.Ho);
    const float* xp = x + pl * g.H * g.W;
    y[i] = xp[cpu::window_argmax(xp, g, oh, ow)];
  }
}

__global__ void max_pool_backward_kernel(const float* __restrict__ x, const float* __restrict__ gy,
                                         float* __restrict__ gx, cpu::PoolGeometry g) {
  const int64_t total = g.planes * g.H * g.W;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t w = i % g.W, h = (i / g.W) % g.H, pl = i / (g.W * g.H);
    const float* xp = x + pl * g.H * g.W;
    const float* gp = gy + pl * g.Ho * g.Wo;
    const int64_t self = h * g.W + w;
    // Windows containing (h, w): oh*s <= h <= oh*s + k - 1, and likewise for w.
    const int64_t k = g.kernel, s = g.stride;
    const int64_t oh_lo = h >= k ? (h - k) / s + 1 : 0;
    const int64_t ow_lo = w >= k ? (w - k) / s + 1 : 0;
    const int64_t oh_hi = h / s < g.Ho - 1 ? h / s : g.Ho - 1;
    const int64_t ow_hi = w / s < g.Wo - 1 ? w / s : g.Wo - 1;
    float acc = 0.0f;
    for (int64_t oh = oh_lo; oh <= oh_hi; ++oh)
      for (int64_t ow = ow_lo; ow <= ow_hi; ++ow)
        if (cpu::window_argmax(xp, g, oh, ow) == self) acc += gp[oh * g.Wo + ow];
    gx[i] = acc;
  }
}

}  // namespace

void upsample_nearest2d_forward(const float* x, float* y, int64_t planes, int64_t H, int64_t W,
                                int64_t s) {
  const int64_t total = planes * H * s * W * s;
  if (total == 0) return;
  upsample_forward_kernel<<<grid_for(total), kBlock, 0, stream()>>>(x, y, planes, H, W, s);
  DG_CUDA_CHECK_LAUNCH("upsample_forward_kernel");
}

void upsample_nearest2d_backward(const float* gy, float* gx, int64_t planes, int64_t H, int64_t W,
                                 int64_t s) {
  const int64_t total = planes * H * W;
  if (total == 0) return;
  upsample_backward_kernel<<<grid_for(total), kBlock, 0, stream()>>>(gy, gx, planes, H, W, s);
  DG_CUDA_CHECK_LAUNCH("upsample_backward_kernel");
}

void max_pool2d_forward(const float* x, float* y, const cpu::PoolGeometry& g) {
  const int64_t total = g.planes * g.Ho * g.Wo;
  if (total == 0) return;
  max_pool_forward_kernel<<<grid_for(total), kBlock, 0, stream()>>>(x, y, g);
  DG_CUDA_CHECK_LAUNCH("max_pool_forward_kernel");
}

void max_pool2d_backward(const float* x, const float* gy, float* gx, const cpu::PoolGeometry& g) {
  const int64_t total = g.planes * g.H * g.W;
  if (total == 0) return;
  max_pool_backward_kernel<<<grid_for(total), kBlock, 0, stream()>>>(x, gy, gx, g);
  DG_CUDA_CHECK_LAUNCH("max_pool_backward_kernel");
}

}  // namespace dg::cuda
