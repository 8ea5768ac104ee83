// The caching device allocator (declared in context.cuh; counters exposed by runtime.h).
// Size classes: 512 B minimum, then four classes per power of two. Blocks are never split or
// merged: a fixed-shape training step asks for the same sizes every step, so exact classes give a
// full hit rate after the first step without the bookkeeping of a best-fit arena.
#include <cstdio>
#include <string>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"

namespace dg::cuda {

size_t CachingAllocator::size_class(size_t n) {
  constexpr size_t kMin = 512;
  if (n <= kMin) return kMin;
  const size_t pow2 = size_t(1) << (63 - __builtin_clzll(static_cast<unsigned long long>(n)));
  const size_t step = pow2 / 4;  // >= 128, so every class is a multiple of 128 bytes
  return (n + step - 1) / step * step;
}

CachingAllocator::~CachingAllocator() {
  std::lock_guard<std::mutex> lock(mu_);
  free_cached_locked();
}

cudaError_t CachingAllocator::malloc_block(void** p, size_t c) const {
  if (!capturing_pool_) return cudaMalloc(p, c);
  // The capture runs in thread-local mode, which refuses cudaMalloc as potentially unsafe; the
  // allocation itself is fine (it is not recorded in the graph), so relax the mode around it.
  cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
  cudaThreadExchangeStreamCaptureMode(&mode);
  const cudaError_t err = cudaMalloc(p, c);
  cudaThreadExchangeStreamCaptureMode(&mode);
  return err;
}

void* CachingAllocator::pop(FreeLists& lists, size_t c) {
  auto it = lists.find(c);
  if (it == lists.end() || it->second.empty()) return nullptr;
  void* p = it->second.back();
  it->second.pop_back();
  return p;
}

void* CachingAllocator::allocate(size_t nbytes) {
  const size_t c = size_class(nbytes);
  std::lock_guard<std::mutex> lock(mu_);
  ++st_.alloc_count;
  void* p = capturing_pool_ ? pop(pools_[capturing_pool_], c) : nullptr;
  if (!p) p = pop(free_, c);
  if (p) {
    ++st_.cache_hits;
  } else {
    cudaError_t err = malloc_block(&p, c);
    // Freeing the cache synchronizes the device, which a capture forbids: only outside one.
    if (err == cudaErrorMemoryAllocation && !capturing_pool_) {
      cudaGetLastError();
      free_cached_locked();
      err = malloc_block(&p, c);
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      const std::string call = "cudaMalloc(" + std::to_string(c) + " bytes; engine holds " +
                               std::to_string(st_.active_bytes) + " active, " +
                               std::to_string(st_.reserved_bytes) + " reserved" +
                               (capturing_pool_ ? "; during a CUDA graph capture" : "") + ")";
      throw_cuda(err, call.c_str(), __FILE__, __LINE__);
    }
    ++st_.cuda_malloc_count;
    st_.reserved_bytes += c;
    if (st_.reserved_bytes > st_.peak_reserved_bytes) st_.peak_reserved_bytes = st_.reserved_bytes;
  }
  live_.emplace(p, c);
  if (capturing_pool_) pool_of_[p] = capturing_pool_;
  st_.active_bytes += c;
  if (st_.active_bytes > st_.peak_active_bytes) st_.peak_active_bytes = st_.active_bytes;
  return p;
}

void CachingAllocator::release(void* ptr) noexcept {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(ptr);
  if (it == live_.end()) {
    // Reached from destructors, which must not throw: report and carry on.
    std::fprintf(stderr, "dg::cuda: device_free of a pointer the allocator does not own (%p)\n",
                 ptr);
    return;
  }
  const size_t c = it->second;
  live_.erase(it);
  st_.active_bytes -= c;
  auto owner = pool_of_.find(ptr);
  if (owner != pool_of_.end()) {
    pools_[owner->second][c].push_back(ptr);
  } else if (capturing_pool_) {
    pool_of_[ptr] = capturing_pool_;
    pools_[capturing_pool_][c].push_back(ptr);
  } else {
    free_[c].push_back(ptr);
  }
}

uint64_t CachingAllocator::begin_pool() {
  std::lock_guard<std::mutex> lock(mu_);
  if (capturing_pool_ != 0) {
    std::fprintf(stderr, "dg::cuda: a graph capture is already open\n");
    return capturing_pool_;
  }
  capturing_pool_ = next_pool_++;
  pools_[capturing_pool_];
  return capturing_pool_;
}

void CachingAllocator::end_pool_capture() {
  std::lock_guard<std::mutex> lock(mu_);
  capturing_pool_ = 0;
}

void CachingAllocator::release_pool(uint64_t pool) noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pools_.find(pool);
  if (it == pools_.end()) return;
  // The graph's last replay may still be running.
  cudaDeviceSynchronize();
  cudaGetLastError();
  for (auto& [c, blocks] : it->second) {
    for (void* p : blocks) {
      pool_of_.erase(p);
      free_[c].push_back(p);
    }
  }
  pools_.erase(it);
  // Blocks of the pool still in use return to the shared cache when they are released.
  for (auto b = pool_of_.begin(); b != pool_of_.end();) {
    if (b->second == pool)
      b = pool_of_.erase(b);
    else
      ++b;
  }
  if (capturing_pool_ == pool) capturing_pool_ = 0;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  free_cached_locked();
}

void CachingAllocator::free_cached_locked() noexcept {
  // Cached blocks may still be read by queued kernels (they were freed in stream order).
  if (!free_.empty()) cudaDeviceSynchronize();
  for (auto& [c, blocks] : free_) {
    for (void* p : blocks) {
      cudaFree(p);  // errors ignored: at exit the runtime may already be unloading
      ++st_.cuda_free_count;
      st_.reserved_bytes -= c;
    }
  }
  free_.clear();
  cudaGetLastError();
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return st_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mu_);
  st_.peak_active_bytes = st_.active_bytes;
  st_.peak_reserved_bytes = st_.reserved_bytes;
}

}  // namespace dg::cuda
