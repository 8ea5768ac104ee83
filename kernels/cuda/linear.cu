// Dense layers on the GPU (contract: linear.h).
// Row-major through column-major cuBLAS: a row-major (r, c) buffer is the column-major (c, r)
// matrix, its transpose. So C = op(A) op(B) (row-major, M x N) is computed as the column-major
// product C^T (N x M, ldc = N) = op(B)^T op(A)^T, i.e. cuBLAS gets B first:
//   B's buffer as column-major is B^T (N x K, ld N) when not trans_b -> CUBLAS_OP_N, ldb = N;
//   stored (N,K) when trans_b, its buffer is (K x N, ld K), transposed -> CUBLAS_OP_T, ldb = K;
//   A likewise: not trans_a -> CUBLAS_OP_N, lda = K; trans_a -> CUBLAS_OP_T, lda = M.
#include <limits>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/linear.h"

namespace dg::cuda {

namespace {

__global__ void add_row_bias_kernel(float* y, const float* bias, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] += bias[i % cols];
}

__global__ void bias_backward_kernel(const float* g, float* gb, int64_t rows, int64_t cols) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c >= cols) return;
  float s = 0.0f;
  for (int64_t r = 0; r < rows; ++r) s += g[r * cols + c];  // adjacent threads: adjacent columns
  gb[c] = s;
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
          const float* B, float* C, bool accumulate, MatmulPrecision precision) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // the empty sum: C = 0 (or unchanged when accumulating), without asking cuBLAS
    if (!accumulate) fill_f32(C, 0.0f, static_cast<size_t>(M * N));
    return;
  }
  constexpr int64_t kMax = std::numeric_limits<int>::max();
  DG_CHECK(M <= kMax && N <= kMax && K <= kMax,
           "gemm (cuda): sizes " << M << " x " << N << " x " << K << " exceed cuBLAS' int range");
  const int m = static_cast<int>(M), n = static_cast<int>(N), k = static_cast<int>(K);
  const float beta = accumulate ? 1.0f : 0.0f;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int ldb = trans_b ? k : n;
  const int lda = trans_a ? m : k;
  gemm_cm(op_b, op_a, n, m, k, B, ldb, 0, A, lda, 0, beta, C, n, 0, 1, precision);
}

void add_row_bias(float* y, const float* bias, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  if (n == 0) return;
  add_row_bias_kernel<<<grid_for(n), kBlock, 0, stream()>>>(y, bias, rows, cols);
  DG_CUDA_CHECK_LAUNCH("add_row_bias_kernel");
}

void bias_backward(const float* g, float* gb, int64_t rows, int64_t cols) {
  if (cols == 0) return;
  bias_backward_kernel<<<static_cast<unsigned>((cols + kBlock - 1) / kBlock), kBlock, 0,
                         stream()>>>(g, gb, rows, cols);
  DG_CUDA_CHECK_LAUNCH("bias_backward_kernel");
}

}  // namespace dg::cuda
