// Per-element math of nearest-neighbour upsampling and max pooling over planes of H x W, shared by
// the CPU kernels (kernels/cpu/pool.h) and the CUDA kernels (kernels/cuda/pool.cu): the pooling
// geometry, the window's first maximum, and the sum of one upsampled block.
#pragma once
#include <cstdint>

#include "kernels/common/host_device.h"

namespace dg::cpu {

struct PoolGeometry {
  int64_t planes = 0, H = 0, W = 0;
  int64_t kernel = 1, stride = 1;  // square window, no padding, floor mode
  int64_t Ho = 0, Wo = 0;          // (H - kernel) / stride + 1
};

// Offset within the plane of the first maximum of the window at output (oh, ow), scanning the
// window row by row. A NaN wins over numbers (the first NaN), so a diverged activation shows
// downstream instead of being hidden by the pool.
template <class T>
DG_HOST_DEVICE inline int64_t window_argmax(const T* xp, const PoolGeometry& g, int64_t oh,
                                            int64_t ow) {
  const int64_t h0 = oh * g.stride, w0 = ow * g.stride;
  int64_t best = h0 * g.W + w0;
  T bv = xp[best];
  for (int64_t i = 0; i < g.kernel; ++i)
    for (int64_t j = 0; j < g.kernel; ++j) {
      const int64_t k = (h0 + i) * g.W + w0 + j;
      const T v = xp[k];
      if (v > bv || (v != v && bv == bv)) {
        bv = v;
        best = k;
      }
    }
  return best;
}

// Sum of the s x s block of gp (one plane of H*s rows of Wo = W*s) that input pixel (i, j) was
// upsampled to, row by row: one element of the upsampling's backward.
template <class T>
DG_HOST_DEVICE inline T upsample_block_sum(const T* gp, int64_t i, int64_t j, int64_t s,
                                           int64_t Wo) {
  T acc = T(0);
  for (int64_t r = 0; r < s; ++r) {
    const T* row = gp + (i * s + r) * Wo + j * s;
    for (int64_t c = 0; c < s; ++c) acc += row[c];
  }
  return acc;
}

}  // namespace dg::cpu
