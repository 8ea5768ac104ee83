// CUDA runtime wrappers: device discovery, memory, copies. Every call is checked.
#include <cuda_runtime.h>

#include <string>

#include "engine/error.h"
#include "kernels/cuda/runtime.h"

#define DG_CUDA_CHECK(call)                                                                    \
  do {                                                                                         \
    cudaError_t dg_err_ = (call);                                                              \
    if (dg_err_ != cudaSuccess)                                                                \
      ::dg::throw_error(__FILE__, __LINE__, std::string(#call) + ": " + cudaGetErrorString(dg_err_), \
                        "is a GPU visible (nvidia-smi) and the driver new enough for CUDA 13?"); \
  } while (0)

namespace dg::cuda {

namespace {
__global__ void fill_kernel(float* dst, float value, size_t count) {
  size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < count) dst[i] = value;
}
}  // namespace

bool built_with_cuda() { return true; }

int device_count() {
  int n = 0;
  // Without a driver this returns an error: that means "no GPU", never a crash.
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

void* device_malloc(size_t nbytes) {
  void* p = nullptr;
  DG_CUDA_CHECK(cudaMalloc(&p, nbytes));
  return p;
}

void device_free(void* ptr) noexcept {
  if (ptr) cudaFree(ptr);
}

void copy_host_to_device(void* dst, const void* src, size_t n) {
  DG_CUDA_CHECK(cudaMemcpy(dst, src, n, cudaMemcpyHostToDevice));
}
void copy_device_to_host(void* dst, const void* src, size_t n) {
  DG_CUDA_CHECK(cudaMemcpy(dst, src, n, cudaMemcpyDeviceToHost));
}
void copy_device_to_device(void* dst, const void* src, size_t n) {
  DG_CUDA_CHECK(cudaMemcpy(dst, src, n, cudaMemcpyDeviceToDevice));
}

void fill_f32(float* dst, float value, size_t count) {
  if (count == 0) return;
  unsigned blocks = static_cast<unsigned>((count + 255) / 256);
  fill_kernel<<<blocks, 256>>>(dst, value, count);
  DG_CUDA_CHECK(cudaGetLastError());
}

void not_implemented(const char* op) {
  throw Error(std::string(op) + ": not implemented on CUDA yet (move the tensors to the CPU)");
}

}  // namespace dg::cuda
