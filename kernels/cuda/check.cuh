// CUDA-only helpers shared by every .cu file: error macros that throw dg::Error with the failing
// call, file:line and a hint (docs/design.md#error-handling), the after-launch check (with the
// DG_CUDA_SYNC debug mode), and launch-geometry helpers. Never included by engine/ (it pulls in
// CUDA headers).
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "base/error.h"

namespace dg::cuda {

// A hint for the error codes a user can act on; empty where the message says it all.
const char* hint_for(cudaError_t err);
[[noreturn]] void throw_cuda(cudaError_t err, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas(cublasStatus_t st, const char* call, const char* file, int line);
// After a kernel launch: checks cudaGetLastError and, in sync mode (DG_CUDA_SYNC=1 or
// set_sync_launches(true)), synchronizes the context stream so an asynchronous fault is reported
// at the launch that caused it.
void check_launch(const char* kernel, const char* file, int line);

// Elementwise launches: 256 threads, grid-stride loops, grid capped so that the block count is a
// function of n only (launch shape never depends on the device: results stay bitwise reproducible
// across GPUs of one architecture).
constexpr int kBlock = 256;
constexpr int64_t kMaxGrid = int64_t(1) << 20;
inline unsigned grid_for(int64_t n, int block = kBlock) {
  int64_t g = (n + block - 1) / block;
  if (g < 1) g = 1;
  return static_cast<unsigned>(g < kMaxGrid ? g : kMaxGrid);
}

// Kernels that use 32-bit index arithmetic guard their element count with this.
void check_int32_range(int64_t n, const char* op);

}  // namespace dg::cuda

#define DG_CUDA_CHECK(call)                                                                 \
  do {                                                                                      \
    cudaError_t dg_err_ = (call);                                                           \
    if (dg_err_ != cudaSuccess) ::dg::cuda::throw_cuda(dg_err_, #call, __FILE__, __LINE__); \
  } while (0)

#define DG_CUBLAS_CHECK(call)                                      \
  do {                                                             \
    cublasStatus_t dg_st_ = (call);                                \
    if (dg_st_ != CUBLAS_STATUS_SUCCESS)                           \
      ::dg::cuda::throw_cublas(dg_st_, #call, __FILE__, __LINE__); \
  } while (0)

// Use right after every <<<...>>> launch; `name` is the kernel's name for the message.
#define DG_CUDA_CHECK_LAUNCH(name) ::dg::cuda::check_launch(name, __FILE__, __LINE__)
