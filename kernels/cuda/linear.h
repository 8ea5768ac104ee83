// Dense layers on the GPU: the device side of kernels/cpu/linear.h (row-major GEMM through cuBLAS,
// the bias broadcast and its reduction), same names and argument order, float32, device pointers.
// Plain C++ (no CUDA include).
#pragma once
#include <cstdint>

#include "kernels/common/precision.h"

namespace dg::cuda {

// C (M,N) = op(A) (M,K) * op(B) (K,N), all row-major; A stored (K,M) when trans_a, B stored (N,K)
// when trans_b. accumulate: C += ...; else C = ... (assigns every element; no aliasing). FP32
// cuBLAS SGEMM by default (tensor cores off); TF32 / BF16 as kernels/cuda/gemm.cuh describes.
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
          const float* B, float* C, bool accumulate,
          MatmulPrecision precision = MatmulPrecision::FP32);
// y (rows, cols) += bias (cols,) broadcast over rows.
void add_row_bias(float* y, const float* bias, int64_t rows, int64_t cols);
// gb (cols,) = sum over rows of g (rows, cols); assigns. One thread per column, rows summed in
// order (the CPU's order and float accumulation, so the two agree to the last bit absent FMA).
void bias_backward(const float* g, float* gb, int64_t rows, int64_t cols);

}  // namespace dg::cuda
