// The one cuBLAS entry of the hand-written path: a column-major strided-batched GEMM in a chosen
// MatmulPrecision (kernels/common/precision.h), used by linear.cu and conv.cu.
//   FP32: cublasSgemm / cublasSgemmStridedBatched, tensor cores off (the parity-tested default).
//   TF32: cublasGemmStridedBatchedEx with CUBLAS_COMPUTE_32F_FAST_TF32.
//   BF16: both operands converted to bfloat16 (round to nearest even) in scratch memory, then
//         cublasGemmStridedBatchedEx with bf16 inputs, float32 output and float32 accumulation.
// Counts one library call (graph.h launch_count) and honours the debug-sync mode.
#pragma once
#include <cublas_v2.h>

#include <cstdint>

#include "kernels/common/precision.h"

namespace dg::cuda {

// C_b = A_b op B_b (+ beta C_b) for b < batch, column-major with cuBLAS' argument meaning; strides
// in elements (0: the same matrix for every b). alpha is 1.
void gemm_cm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float* A,
             int lda, int64_t stride_a, const float* B, int ldb, int64_t stride_b, float beta,
             float* C, int ldc, int64_t stride_c, int batch, MatmulPrecision precision);

}  // namespace dg::cuda
