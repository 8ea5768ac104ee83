// Host memory for CPU tensors (docs/design.md#host-memory). Large blocks (>= 1 MiB) are kept on
// free and handed out again for the next request of the same rounded size, up to a cap on the
// bytes held: a generation or training loop that allocates the same activations every call then
// stops paying the kernel's page faults on fresh memory (1.5x on the original generator's batch of
// 256 on the CPU). Smaller blocks go straight to aligned_alloc/free. Thread-safe. Off under
// AddressSanitizer, so that use-after-free stays visible.
#pragma once
#include <cstddef>

namespace dg {

// 64-byte aligned, at least `bytes` (> 0) long; throws dg::Error when the host is out of memory.
void* host_alloc(size_t bytes);
// Returns a block from host_alloc of the same `bytes`.
void host_free(void* p, size_t bytes);
// Frees every cached block (tests; a long-lived process that wants its memory back).
void host_cache_release();
// Bytes held in the cache now.
size_t host_cache_bytes();

}  // namespace dg
