// Host block cache (see host_alloc.h).
#include "engine/host_alloc.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "base/error.h"

#if defined(__SANITIZE_ADDRESS__)
#define DG_HOST_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DG_HOST_CACHE 0
#endif
#endif
#ifndef DG_HOST_CACHE
#define DG_HOST_CACHE 1
#endif

namespace dg {

namespace {

constexpr size_t kCacheMin = size_t(1) << 20;  // smaller blocks are malloc's business
constexpr size_t kCacheCap = size_t(2) << 30;  // bytes held at most
constexpr size_t kGranule = size_t(64) << 10;  // large sizes are rounded up to 64 KiB

size_t rounded(size_t bytes) {
  if (bytes < kCacheMin) return (bytes + 63) / 64 * 64;
  return (bytes + kGranule - 1) / kGranule * kGranule;
}

struct Cache {
  std::mutex mu;
  std::multimap<size_t, void*> blocks;  // rounded size -> free block
  size_t held = 0;
  ~Cache() {
    for (auto& [size, p] : blocks) std::free(p);
  }
};

Cache& cache() {
  static Cache c;
  return c;
}

}  // namespace

void* host_alloc(size_t bytes) {
  const size_t size = rounded(bytes == 0 ? 1 : bytes);
  if (DG_HOST_CACHE && size >= kCacheMin) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (auto it = c.blocks.find(size); it != c.blocks.end()) {
      void* p = it->second;
      c.blocks.erase(it);
      c.held -= size;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, size);
  if (!p) throw Error("out of host memory allocating " + std::to_string(bytes) + " bytes");
  return p;
}

void host_free(void* p, size_t bytes) {
  if (!p) return;
  const size_t size = rounded(bytes == 0 ? 1 : bytes);
  if (DG_HOST_CACHE && size >= kCacheMin) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.held + size <= kCacheCap) {
      c.blocks.emplace(size, p);
      c.held += size;
      return;
    }
  }
  std::free(p);
}

void host_cache_release() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& [size, p] : c.blocks) std::free(p);
  c.blocks.clear();
  c.held = 0;
}

size_t host_cache_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.held;
}

}  // namespace dg
