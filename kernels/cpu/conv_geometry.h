// The geometry of one 2-D convolution, shared by the CPU reference (kernels/cpu/conv.h) and the
// CUDA kernels (kernels/cuda/conv.h). Kept in its own dependency-free header so that CUDA code
// can use it without pulling in Eigen.
#pragma once
#include <cstdint>

namespace dg::cpu {

struct ConvGeometry {
  int64_t N = 0, C = 0, H = 0, W = 0;  // convolution input (N,C,H,W)
  int64_t O = 0, kh = 0, kw = 0;       // weight (O,C,kh,kw)
  int64_t stride = 1, pad = 0;         // symmetric zero padding
  int64_t Ho = 0, Wo = 0;              // convolution output (N,O,Ho,Wo)

  int64_t col_rows() const { return C * kh * kw; }
  int64_t col_cols() const { return Ho * Wo; }
  int64_t in_image() const { return C * H * W; }
  int64_t out_image() const { return O * Ho * Wo; }
  // Multiply-adds of one image's GEMM; sizes the decision to use threads.
  int64_t image_macs() const { return O * col_rows() * col_cols(); }
  // A 1x1, stride-1, unpadded convolution reads the image itself as its im2col matrix.
  bool is_pointwise() const { return kh == 1 && kw == 1 && stride == 1 && pad == 0; }
};

}  // namespace dg::cpu
