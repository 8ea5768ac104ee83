// The CUDA runtime surface the engine uses, as plain C++ declarations (the engine never includes a
// CUDA header): device discovery, the caching allocator and its counters, copies on the context's
// stream, the debug-sync switch. Implemented in runtime.cu / allocator.cu when CUDA is compiled, by
// stub.cpp otherwise (every entry throws "built without CUDA" there, except the queries).
#pragma once
#include <cstddef>
#include <cstdint>

namespace dg::cuda {

bool built_with_cuda();
// Number of usable GPUs; 0 (never an exception) when there is no driver or no device.
int device_count();

// Device memory from the caching allocator (context.cuh); device_free returns the block to the
// cache. Both are stream-ordered on the context's single stream.
void* device_malloc(size_t nbytes);
void device_free(void* ptr) noexcept;

// Counters of the caching allocator, in bytes of size-class-rounded blocks. All zero before the
// first device allocation (and in a CPU-only build).
struct AllocatorStats {
  size_t active_bytes = 0;       // handed out, not yet freed
  size_t peak_active_bytes = 0;  // max of active_bytes since start / reset_peak_memory()
  size_t reserved_bytes = 0;     // obtained from cudaMalloc (active + cached)
  size_t peak_reserved_bytes = 0;
  uint64_t cuda_malloc_count =
      0;  // cudaMalloc calls made; constant after a training step's first run
  uint64_t cuda_free_count = 0;  // cudaFree calls made (empty_cache, out-of-memory retry)
  uint64_t alloc_count = 0;      // device_malloc calls
  uint64_t cache_hits = 0;       // device_malloc calls served from a free list
};
AllocatorStats allocator_stats();
void reset_peak_memory();
// Returns every cached (free) block to the driver; blocks in use are untouched.
void empty_cache();

// Copies run on the context's stream; device-to-host ones wait for it (the host reads the result).
void copy_host_to_device(void* dst, const void* src, size_t nbytes);
void copy_device_to_host(void* dst, const void* src, size_t nbytes);
void copy_device_to_device(void* dst, const void* src, size_t nbytes);
// Device-side cpu::copy_blocks (kernels/cpu/reduce.h), same arguments: for each of `outer` blocks,
// copies `block` bytes from src + o * src_stride to dst + o * dst_stride (strides in bytes).
void copy_blocks(const void* src, int64_t src_stride, void* dst, int64_t dst_stride, int64_t outer,
                 int64_t block);
void fill_f32(float* dst, float value, size_t count);
// Makes `device` the GPU this process uses; must run before the first CUDA call that creates the
// device context (it binds to the current device), e.g. one rank per GPU of a data-parallel run.
void select_device(int device);
// Waits for all work queued on the context's stream.
void synchronize();

// Debug mode: synchronize after every kernel launch so an asynchronous fault is reported by the
// launch that caused it. Starts from the environment (DG_CUDA_SYNC=1); this switch overrides it.
void set_sync_launches(bool on);
bool sync_launches();

// Which implementation conv2d, conv_transpose2d and batch_norm use for CUDA tensors: the
// hand-written kernels (conv.h, batch_norm.h; the default) or cuDNN (cudnn.h; the baseline and a
// fallback). Starts from the environment (DG_CUDNN=1 selects cuDNN; ignored with a one-line notice
// in a build without cuDNN); this switch overrides it. Setting Cudnn throws "built without cuDNN"
// where cuDNN was not found at configure time. The choice is read at each call, so a backward runs
// with the backend selected when it runs.
enum class ConvBackend { Handwritten, Cudnn };
void set_conv_backend(ConvBackend backend);
ConvBackend conv_backend();

}  // namespace dg::cuda
