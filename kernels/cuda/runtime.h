// The CUDA runtime surface the engine uses, as plain C++ declarations (the engine never includes a
// CUDA header). Implemented in runtime.cu when CUDA is compiled, by stub.cpp otherwise.
#pragma once
#include <cstddef>

namespace dg::cuda {

bool built_with_cuda();
// Number of usable GPUs; 0 (never an exception) when there is no driver or no device.
int device_count();
void* device_malloc(size_t nbytes);
void device_free(void* ptr) noexcept;
void copy_host_to_device(void* dst, const void* src, size_t nbytes);
void copy_device_to_host(void* dst, const void* src, size_t nbytes);
void copy_device_to_device(void* dst, const void* src, size_t nbytes);
void fill_f32(float* dst, float value, size_t count);

// Thrown by ops that have no CUDA kernel yet.
[[noreturn]] void not_implemented(const char* op);

}  // namespace dg::cuda
