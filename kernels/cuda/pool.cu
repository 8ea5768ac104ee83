// Nearest-neighbour upsampling and max pooling on the GPU (contract: pool.h). One thread per
// output element in the forwards and one per input element in the backwards (gathers), so every
// element is written exactly once and no atomics are needed; grid-stride loops with 64-bit indices.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/pool.h"

namespace dg::cuda {

namespace {

struct PoolGeo {
  int64_t planes, H, W, k, s, Ho, Wo;
};

PoolGeo make_geo(const cpu::PoolGeometry& g) {
  return PoolGeo{g.planes, g.H, g.W, g.kernel, g.stride, g.Ho, g.Wo};
}

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
    const float* gp = gy + pl * H * s * Wo;
    float acc = 0.0f;
    for (int64_t r = 0; r < s; ++r) {
      const float* row = gp + (r0 * s + r) * Wo + j * s;
      for (int64_t c = 0; c < s; ++c) acc += row[c];
    }
    gx[i] = acc;
  }
}

// Offset within the plane of the window's first maximum (cpu::window_argmax, line for line).
__device__ inline int64_t window_argmax(const float* xp, const PoolGeo& g, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * g.s, w0 = ow * g.s;
  int64_t best = h0 * g.W + w0;
  float bv = xp[best];
  for (int64_t i = 0; i < g.k; ++i)
    for (int64_t j = 0; j < g.k; ++j) {
      const int64_t k = (h0 + i) * g.W + w0 + j;
      const float v = xp[k];
      if (v > bv || (v != v && bv == bv)) {
        bv = v;
        best = k;
      }
    }
  return best;
}

__global__ void max_pool_forward_kernel(const float* __restrict__ x, float* __restrict__ y,
                                        PoolGeo g) {
  const int64_t total = g.planes * g.Ho * g.Wo;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ow = i % g.Wo, oh = (i / g.Wo) % g.Ho, pl = i / (g.Wo * g.Ho);
    const float* xp = x + pl * g.H * g.W;
    y[i] = xp[window_argmax(xp, g, oh, ow)];
  }
}

__global__ void max_pool_backward_kernel(const float* __restrict__ x, const float* __restrict__ gy,
                                         float* __restrict__ gx, PoolGeo g) {
  const int64_t total = g.planes * g.H * g.W;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t w = i % g.W, h = (i / g.W) % g.H, pl = i / (g.W * g.H);
    const float* xp = x + pl * g.H * g.W;
    const float* gp = gy + pl * g.Ho * g.Wo;
    const int64_t self = h * g.W + w;
    // Windows containing (h, w): oh*s <= h <= oh*s + k - 1, and likewise for w.
    const int64_t oh_lo = h >= g.k ? (h - g.k) / g.s + 1 : 0;
    const int64_t ow_lo = w >= g.k ? (w - g.k) / g.s + 1 : 0;
    const int64_t oh_hi = h / g.s < g.Ho - 1 ? h / g.s : g.Ho - 1;
    const int64_t ow_hi = w / g.s < g.Wo - 1 ? w / g.s : g.Wo - 1;
    float acc = 0.0f;
    for (int64_t oh = oh_lo; oh <= oh_hi; ++oh)
      for (int64_t ow = ow_lo; ow <= ow_hi; ++ow)
        if (window_argmax(xp, g, oh, ow) == self) acc += gp[oh * g.Wo + ow];
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
  max_pool_forward_kernel<<<grid_for(total), kBlock, 0, stream()>>>(x, y, make_geo(g));
  DG_CUDA_CHECK_LAUNCH("max_pool_forward_kernel");
}

void max_pool2d_backward(const float* x, const float* gy, float* gx, const cpu::PoolGeometry& g) {
  const int64_t total = g.planes * g.H * g.W;
  if (total == 0) return;
  max_pool_backward_kernel<<<grid_for(total), kBlock, 0, stream()>>>(x, gy, gx, make_geo(g));
  DG_CUDA_CHECK_LAUNCH("max_pool_backward_kernel");
}

}  // namespace dg::cuda
