// Column-major GEMM in FP32 / TF32 / BF16 (contract: gemm.cuh).
#include <cuda_bf16.h>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/gemm.cuh"

namespace dg::cuda {

namespace {

__global__ void to_bf16_kernel(const float* in, __nv_bfloat16* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = __float2bfloat16_rn(in[i]);
}

// Elements an operand spans: `batch` matrices `stride` apart, each `ld` x `cols` column-major.
int64_t operand_extent(int ld, int cols, int64_t stride, int batch) {
  const int64_t one = static_cast<int64_t>(ld) * cols;
  return stride == 0 || batch == 1 ? one : stride * (batch - 1) + one;
}

const __nv_bfloat16* to_bf16(const float* x, int64_t n, DeviceBuffer& buf) {
  to_bf16_kernel<<<grid_for(n), kBlock, 0, stream()>>>(x, buf.as<__nv_bfloat16>(), n);
  DG_CUDA_CHECK_LAUNCH("to_bf16_kernel");
  return buf.as<__nv_bfloat16>();
}

}  // namespace

void gemm_cm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float* A,
             int lda, int64_t stride_a, const float* B, int ldb, int64_t stride_b, float beta,
             float* C, int ldc, int64_t stride_c, int batch, MatmulPrecision precision) {
  Context& c = context();
  const float alpha = 1.0f;
  switch (precision) {
    case MatmulPrecision::FP32:
      if (batch == 1)
        DG_CUBLAS_CHECK(
            cublasSgemm(c.cublas(), ta, tb, m, n, k, &alpha, A, lda, B, ldb, &beta, C, ldc));
      else
        DG_CUBLAS_CHECK(cublasSgemmStridedBatched(c.cublas(), ta, tb, m, n, k, &alpha, A, lda,
                                                  stride_a, B, ldb, stride_b, &beta, C, ldc,
                                                  stride_c, batch));
      break;
    case MatmulPrecision::TF32:
      DG_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
          c.cublas(), ta, tb, m, n, k, &alpha, A, CUDA_R_32F, lda, stride_a, B, CUDA_R_32F, ldb,
          stride_b, &beta, C, CUDA_R_32F, ldc, stride_c, batch, CUBLAS_COMPUTE_32F_FAST_TF32,
          CUBLAS_GEMM_DEFAULT));
      break;
    case MatmulPrecision::BF16: {
      // op(A) is m x k: stored m x k (ld >= m) when not transposed, k x m otherwise.
      const int64_t na = operand_extent(lda, ta == CUBLAS_OP_N ? k : m, stride_a, batch);
      const int64_t nb = operand_extent(ldb, tb == CUBLAS_OP_N ? n : k, stride_b, batch);
      DeviceBuffer a16(sizeof(__nv_bfloat16) * static_cast<size_t>(na));
      DeviceBuffer b16(sizeof(__nv_bfloat16) * static_cast<size_t>(nb));
      const __nv_bfloat16* a = to_bf16(A, na, a16);
      const __nv_bfloat16* b = to_bf16(B, nb, b16);
      DG_CUBLAS_CHECK(cublasGemmStridedBatchedEx(c.cublas(), ta, tb, m, n, k, &alpha, a,
                                                 CUDA_R_16BF, lda, stride_a, b, CUDA_R_16BF, ldb,
                                                 stride_b, &beta, C, CUDA_R_32F, ldc, stride_c,
                                                 batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
      break;
    }
  }
  c.count_launch();
  if (c.sync_launches() && !c.capturing()) DG_CUDA_CHECK(cudaStreamSynchronize(c.stream()));
}

}  // namespace dg::cuda
