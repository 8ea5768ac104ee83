// CPU reference kernels for nearest-neighbour upsampling and max pooling, contiguous NCHW.
// Templated on the scalar type. Images and channels are independent, so every kernel works on
// planes = N*C planes of H x W. The geometry and per-element math (window argmax, block sums) are
// kernels/common/pool_math.h, shared with the CUDA kernels.
#pragma once
#include <algorithm>
#include <cstdint>

#include "kernels/common/pool_math.h"

namespace dg::cpu {

// y (planes, H*s, W*s) <- x (planes, H, W): each input pixel becomes an s x s block.
// Assigns every element of y.
template <class T>
void upsample_nearest2d_forward(const T* x, T* y, int64_t planes, int64_t H, int64_t W, int64_t s) {
  const int64_t Wo = W * s;
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* xp = x + pl * H * W;
    T* yp = y + pl * H * s * Wo;
    for (int64_t i = 0; i < H; ++i) {
      T* first = yp + i * s * Wo;
      for (int64_t j = 0; j < W; ++j) std::fill(first + j * s, first + (j + 1) * s, xp[i * W + j]);
      // The other s-1 rows of the block repeat the first one.
      for (int64_t r = 1; r < s; ++r) std::copy(first, first + Wo, first + r * Wo);
    }
  }
}

// gx (planes, H, W) = sum of gy (planes, H*s, W*s) over each s x s block. Assigns every element.
template <class T>
void upsample_nearest2d_backward(const T* gy, T* gx, int64_t planes, int64_t H, int64_t W,
                                 int64_t s) {
  const int64_t Wo = W * s;
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* gp = gy + pl * H * s * Wo;
    T* xp = gx + pl * H * W;
    for (int64_t i = 0; i < H; ++i)
      for (int64_t j = 0; j < W; ++j) xp[i * W + j] = upsample_block_sum(gp, i, j, s, Wo);
  }
}

// y (planes, Ho, Wo) = max over each window of x (planes, H, W). Assigns every element of y.
template <class T>
void max_pool2d_forward(const T* x, T* y, const PoolGeometry& g) {
  for (int64_t pl = 0; pl < g.planes; ++pl) {
    const T* xp = x + pl * g.H * g.W;
    T* yp = y + pl * g.Ho * g.Wo;
    for (int64_t oh = 0; oh < g.Ho; ++oh)
      for (int64_t ow = 0; ow < g.Wo; ++ow) yp[oh * g.Wo + ow] = xp[window_argmax(xp, g, oh, ow)];
  }
}

// gx (planes, H, W) = gradient of max_pool2d_forward given gy (planes, Ho, Wo): each window's
// gradient goes to its first maximum in x, found again here rather than stored by the forward.
// Assigns every element of gx (overlapping windows add up on a shared maximum).
template <class T>
void max_pool2d_backward(const T* x, const T* gy, T* gx, const PoolGeometry& g) {
  for (int64_t pl = 0; pl < g.planes; ++pl) {
    const T* xp = x + pl * g.H * g.W;
    const T* gp = gy + pl * g.Ho * g.Wo;
    T* gxp = gx + pl * g.H * g.W;
    std::fill(gxp, gxp + g.H * g.W, T(0));
    for (int64_t oh = 0; oh < g.Ho; ++oh)
      for (int64_t ow = 0; ow < g.Wo; ++ow) gxp[window_argmax(xp, g, oh, ow)] += gp[oh * g.Wo + ow];
  }
}

}  // namespace dg::cpu
