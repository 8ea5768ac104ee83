// The geometry of one 2-D convolution, shared by the CPU reference (kernels/cpu/conv.h), the CUDA
// kernels (kernels/cuda/conv.cu, cudnn_conv.cu) and the engine's conv ops. Kept in its own
// dependency-free header so that CUDA code can use it without pulling in Eigen; its members are
// DG_HOST_DEVICE, so device code takes the struct by value.
#pragma once
#include <cstdint>

#include "kernels/common/host_device.h"

namespace dg::cpu {

struct ConvGeometry {
  int64_t N = 0, C = 0, H = 0, W = 0;  // convolution input (N,C,H,W)
  int64_t O = 0, kh = 0, kw = 0;       // weight (O,C,kh,kw)
  int64_t stride = 1, pad = 0;         // symmetric zero padding
  int64_t Ho = 0, Wo = 0;              // convolution output (N,O,Ho,Wo)

  DG_HOST_DEVICE int64_t col_rows() const { return C * kh * kw; }
  DG_HOST_DEVICE int64_t col_cols() const { return Ho * Wo; }
  DG_HOST_DEVICE int64_t in_image() const { return C * H * W; }
  DG_HOST_DEVICE int64_t out_image() const { return O * Ho * Wo; }
  // Multiply-adds of one image's GEMM; sizes the decision to use threads.
  DG_HOST_DEVICE int64_t image_macs() const { return O * col_rows() * col_cols(); }
  // A 1x1, stride-1, unpadded convolution reads the image itself as its im2col matrix.
  DG_HOST_DEVICE bool is_pointwise() const { return kh == 1 && kw == 1 && stride == 1 && pad == 0; }
  // The input row (or column) that output row (column) o reads at kernel offset k; outside
  // [0, H) (or [0, W)) the tap reads zero padding.
  DG_HOST_DEVICE int64_t tap_input(int64_t o, int64_t k) const { return o * stride - pad + k; }
};

}  // namespace dg::cpu
