// The host block cache: aligned blocks, a freed large block is handed out again for the same size
// (and only then), small blocks bypass it, release empties it.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>

#include "engine/host_alloc.h"

using namespace dg;

TEST_CASE("host alloc: large blocks are reused by size, small ones bypass the cache") {
  host_cache_release();
  REQUIRE(host_cache_bytes() == 0);
  const size_t big = (size_t(3) << 20) + 100;
  void* a = host_alloc(big);
  CHECK(reinterpret_cast<std::uintptr_t>(a) % 64 == 0);
  std::memset(a, 1, big);  // the whole requested size is usable
  host_free(a, big);
#if !defined(__SANITIZE_ADDRESS__)
  CHECK(host_cache_bytes() >= big);
  void* b = host_alloc(big);
  CHECK(b == a);  // the same block again
  CHECK(host_cache_bytes() == 0);
  void* other = host_alloc(big * 2);  // another size: a new block
  CHECK(other != a);
  host_free(other, big * 2);
  host_free(b, big);
#endif
  void* s = host_alloc(1000);
  CHECK(reinterpret_cast<std::uintptr_t>(s) % 64 == 0);
  const size_t before = host_cache_bytes();
  host_free(s, 1000);
  CHECK(host_cache_bytes() == before);  // small blocks are not cached
  host_cache_release();
  CHECK(host_cache_bytes() == 0);
}
