// The caching device allocator (declared in context.cuh; counters exposed by runtime.h).
// Size classes: 512 B minimum, then four classes per power of two. Blocks are never split or
// merged: a fixed-shape training step asks for the same sizes every step, so exact classes give a
// full hit rate after the first step without the bookkeeping of a best-fit arena.
// Status: compiled in CI; not yet run on a GPU.
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

void* CachingAllocator::allocate(size_t nbytes) {
  const size_t c = size_class(nbytes);
  std::lock_guard<std::mutex> lock(mu_);
  ++st_.alloc_count;
  void* p = nullptr;
  auto it = free_.find(c);
  if (it != free_.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
    ++st_.cache_hits;
  } else {
    cudaError_t err = cudaMalloc(&p, c);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      free_cached_locked();
      err = cudaMalloc(&p, c);
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      const std::string call = "cudaMalloc(" + std::to_string(c) + " bytes; engine holds " +
                               std::to_string(st_.active_bytes) + " active, " +
                               std::to_string(st_.reserved_bytes) + " reserved)";
      throw_cuda(err, call.c_str(), __FILE__, __LINE__);
    }
    ++st_.cuda_malloc_count;
    st_.reserved_bytes += c;
    if (st_.reserved_bytes > st_.peak_reserved_bytes) st_.peak_reserved_bytes = st_.reserved_bytes;
  }
  live_.emplace(p, c);
  st_.active_bytes += c;
  if (st_.active_bytes > st_.peak_active_bytes) st_.peak_active_bytes = st_.active_bytes;
  return p;
}

void CachingAllocator::release(void* ptr) noexcept {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(ptr);
  if (it == live_.end()) {
    // Destructors log, never throw (STYLE.md habit 7).
    std::fprintf(stderr, "dg::cuda: device_free of a pointer the allocator does not own (%p)\n",
                 ptr);
    return;
  }
  const size_t c = it->second;
  live_.erase(it);
  st_.active_bytes -= c;
  free_[c].push_back(ptr);
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
