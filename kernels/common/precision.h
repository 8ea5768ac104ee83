// Matrix-multiply precision modes shared by the CPU and CUDA kernels, and the operand rounding that
// lets the CPU compute what the tensor cores compute.
//   FP32: plain float32 products and sums (the default; every parity test runs in it).
//   TF32: operands rounded to 10 mantissa bits (TF32), products and sums in float32.
//   BF16: operands rounded to 7 mantissa bits (bfloat16), products and sums in float32.
// The products of two TF32 or two BF16 values are exact in float32, so rounding the operands and
// then multiplying in float32 gives the tensor-core result up to the order of the sums. BF16 on the
// GPU rounds operands to nearest even as here; TF32 operands are converted by cuBLAS' kernels,
// which need not round to nearest even, so GPU and CPU TF32 agree to about one TF32 ulp per
// operand rather than to the order of the sums.
// Host/device functions: usable from .cu files.
#pragma once
#include <cstdint>
#include <cstring>

#include "kernels/common/host_device.h"

namespace dg {

enum class MatmulPrecision { FP32, TF32, BF16 };

namespace cpu {

// Round to nearest, ties to even, keeping the top `keep` of float32's 23 mantissa bits; inf and NaN
// are returned unchanged (the rounding add could turn a NaN payload into inf). A carry out of the
// mantissa correctly bumps the exponent, up to inf for values beyond the format's largest.
DG_HOST_DEVICE inline float round_mantissa(float v, int keep) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  if ((u & 0x7f800000u) == 0x7f800000u) return v;  // inf / NaN
  const int drop = 23 - keep;
  const uint32_t lsb = (u >> drop) & 1u;
  u += (1u << (drop - 1)) - 1u + lsb;
  u &= ~((1u << drop) - 1u);
  std::memcpy(&v, &u, sizeof v);
  return v;
}

DG_HOST_DEVICE inline float round_to_precision(float v, MatmulPrecision p) {
  switch (p) {
    case MatmulPrecision::TF32:
      return round_mantissa(v, 10);
    case MatmulPrecision::BF16:
      return round_mantissa(v, 7);
    default:
      return v;
  }
}

// Rounds n values in place (the CPU emulation of a reduced-precision GEMM's operands).
inline void round_operands(float* x, int64_t n, MatmulPrecision p) {
  if (p == MatmulPrecision::FP32) return;
  for (int64_t i = 0; i < n; ++i) x[i] = round_to_precision(x[i], p);
}

}  // namespace cpu
}  // namespace dg
