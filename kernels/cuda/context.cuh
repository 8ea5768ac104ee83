// The device context, the CUDA backend's mutable state in one object: the one stream every kernel,
// copy and cuBLAS call runs on, the cuBLAS handle with its workspace, the caching allocator, the
// debug-sync flag, the conv/batch-norm backend switch and the cuDNN state (handle, descriptors,
// plan cache; created on first cuDNN use, defined in cudnn_common.cuh).
//
// Ownership: one process-wide Context, created on first use by context() as a function-local
// static (so creation is thread-safe, and a failed creation, e.g. no GPU, throws and is retried on
// the next call) and destroyed at exit. It is the only mutable state of the CUDA backend besides a
// trivially destructible lifetime flag, which lets Storage destructors that run after the context
// (tensors in static storage) skip the free instead of touching a destroyed object: the driver
// reclaims that memory at process exit anyway.
//
// One stream is an invariant the allocator relies on: a block freed while kernels that read it are
// still queued is only ever handed to later work on the same stream, which runs after them.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "kernels/cuda/runtime.h"

namespace dg::cuda {

// Caching device allocator: requests are rounded up to a size class (512 B minimum, then four
// classes per power of two, so at most 25% is wasted), freed blocks go to the free list of their
// class and are reused by the next request of that class. cudaMalloc happens only on a miss; when
// it fails, every cached block is released and the cudaMalloc retried once. Fixed-shape training
// therefore stops calling cudaMalloc after its first step.
class CachingAllocator {
 public:
  CachingAllocator() = default;
  ~CachingAllocator();  // releases cached blocks; blocks still in use are left to the driver
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  void* allocate(size_t nbytes);
  void release(void* ptr) noexcept;
  void empty_cache();  // cudaFree every cached (free) block
  AllocatorStats stats() const;
  void reset_peak();

  static size_t size_class(size_t nbytes);

  // Private pools for captured CUDA graphs. A graph's kernels keep reading and writing the
  // addresses they were captured with, so no block they touch may go to other work while the
  // graph lives. While a capture is open (begin_pool .. end_pool_capture) every block allocated
  // comes from, and every block released goes to, that capture's pool (a block released then may
  // have been read by captured kernels, even if it was allocated before); such a block stays in the
  // pool when released later. release_pool hands the pool's free blocks back to the shared cache
  // once the graph is destroyed.
  uint64_t begin_pool();
  void end_pool_capture();
  void release_pool(uint64_t pool) noexcept;

 private:
  using FreeLists = std::unordered_map<size_t, std::vector<void*>>;  // size class -> blocks
  void free_cached_locked() noexcept;
  static void* pop(FreeLists& lists, size_t c);
  cudaError_t malloc_block(void** p, size_t c) const;

  mutable std::mutex mu_;
  FreeLists free_;                                 // the shared cache
  std::unordered_map<void*, size_t> live_;         // block in use -> its size class
  std::unordered_map<uint64_t, FreeLists> pools_;  // graph pool -> its free blocks
  std::unordered_map<void*, uint64_t> pool_of_;    // block owned by a graph pool -> the pool
  uint64_t capturing_pool_ = 0;                    // 0: no capture open
  uint64_t next_pool_ = 1;
  AllocatorStats st_;
};

// The cuDNN handle and plan caches (cudnn_common.cuh); opaque here so that only the cuDNN files
// include cudnn.h. The deleter lives in cudnn_context.cu.
struct CudnnState;
struct CudnnStateDeleter {
  void operator()(CudnnState* s) const noexcept;
};

class Context {
 public:
  Context();
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  int device() const { return device_; }
  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_; }
  CachingAllocator& allocator() { return allocator_; }
  bool sync_launches() const { return sync_launches_; }
  void set_sync_launches(bool on) { sync_launches_ = on; }
  ConvBackend conv_backend() const { return conv_backend_; }
  // Kernels launched through DG_CUDA_CHECK_LAUNCH plus cuBLAS/cuDNN compute calls, since start.
  uint64_t launches() const { return launches_; }
  void count_launch() { ++launches_; }
  // True between capture_begin and capture_end (graph.h): launches are recorded, not run.
  bool capturing() const { return capture_pool_ != 0; }
  uint64_t capture_pool() const { return capture_pool_; }
  void set_capture_pool(uint64_t pool) { capture_pool_ = pool; }
  // Pinned staging for asynchronous host-to-device copies (graph.cu).
  void stage_to_device(void* dst, const void* src, size_t nbytes);
  void set_conv_backend(ConvBackend b) { conv_backend_ = b; }
  // The cuDNN state, created (handle bound to stream()) on first call; cudnn_context.cu.
  CudnnState& cudnn();

 private:
  int device_ = 0;
  bool sync_launches_ = false;
  ConvBackend conv_backend_ = ConvBackend::Handwritten;
  uint64_t launches_ = 0;
  uint64_t capture_pool_ = 0;  // the allocator pool of the open capture; 0: none
  // Round-robin pinned slabs: a slab is reused once the copy that last read it has finished
  // (its event), so the host waits only when the GPU lags kStagingSlabs copies behind.
  static constexpr int kStagingSlabs = 32;
  struct StagingSlab {
    void* host = nullptr;
    size_t capacity = 0;
    cudaEvent_t done = nullptr;
  };
  StagingSlab staging_[kStagingSlabs];
  int next_slab_ = 0;
  void release_staging() noexcept;
  CachingAllocator allocator_;  // declared first among resources: destroyed last
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  void* cublas_workspace_ = nullptr;
  // Reset explicitly in ~Context, before the stream is destroyed.
  std::unique_ptr<CudnnState, CudnnStateDeleter> cudnn_;
};

// The process-wide context, created on first use (throws dg::Error when there is no usable GPU).
Context& context();
// The context if it has been created and not yet destroyed, else null; never creates one.
Context* context_if_alive() noexcept;

inline cudaStream_t stream() { return context().stream(); }

// Scratch memory from the caching allocator for one op (stream-ordered: freeing it right after the
// launches that use it is safe, see the single-stream invariant above).
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t nbytes) : ptr_(device_malloc(nbytes)) {}
  ~DeviceBuffer() { device_free(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_;
};

}  // namespace dg::cuda
