// CPU-only build: the CUDA entry points exist and throw "built without CUDA".
#include <string>

#include "engine/error.h"
#include "kernels/cuda/runtime.h"

namespace dg::cuda {

namespace {
[[noreturn]] void no_cuda(const char* call) {
  throw Error(std::string(call) + ": built without CUDA (reconfigure with -DDG_CUDA=ON on a machine with nvcc)");
}
}  // namespace

bool built_with_cuda() { return false; }
int device_count() { return 0; }
void* device_malloc(size_t) { no_cuda("device_malloc"); }
void device_free(void*) noexcept {}
void copy_host_to_device(void*, const void*, size_t) { no_cuda("copy_host_to_device"); }
void copy_device_to_host(void*, const void*, size_t) { no_cuda("copy_device_to_host"); }
void copy_device_to_device(void*, const void*, size_t) { no_cuda("copy_device_to_device"); }
void fill_f32(float*, float, size_t) { no_cuda("fill_f32"); }
void not_implemented(const char* op) { no_cuda(op); }

}  // namespace dg::cuda
