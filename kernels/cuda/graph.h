// CUDA graphs of the engine's work, launch counting, asynchronous host-to-device staging and
// event timing on the context stream, as plain C++ declarations (the engine never includes a CUDA
// header). engine/graph.h builds the training-step capture on top of these. Implemented in
// graph.cu; stub.cpp throws "built without CUDA" (the queries answer 0 / false).
#pragma once
#include <cstddef>
#include <cstdint>

namespace dg::cuda {

// An instantiated graph with the allocator pool that owns its memory (context.cuh).
struct CapturedGraph;

// Starts capturing the context stream (thread-local capture mode: another thread's unsafe calls
// are not affected). Until capture_end/capture_abort, launches and copies on the stream are
// recorded, not run, and device memory comes from the capture's private pool.
void capture_begin();
// Ends the capture and instantiates it; throws (with the capture discarded) when something in the
// captured region was not capturable, e.g. a synchronizing copy.
CapturedGraph* capture_end();
// Ends a capture after an exception, discarding what was recorded. Never throws.
void capture_abort() noexcept;
bool capturing();
// Queues one replay on the context stream.
void graph_launch(CapturedGraph* graph);
// Waits for the graph's replays, then returns its pool to the shared cache.
void graph_destroy(CapturedGraph* graph) noexcept;
// Kernel nodes of the graph (cuBLAS/cuDNN kernels included): the kernels one replay runs.
int64_t graph_kernel_nodes(const CapturedGraph* graph);

// Kernels launched through the engine's launch check plus cuBLAS/cuDNN compute calls, since the
// context was created (0 before). A per-step difference is the eager step's launch count, with
// each library call counted once even where it runs several kernels.
uint64_t launch_count();

// Host-to-device copy through pinned staging memory: returns once `src` has been copied into a
// staging slab, without waiting for the GPU (unless it lags many copies behind). Use it for the
// per-step inputs of a training step; copy_host_to_device may synchronize for pageable memory.
void copy_host_to_device_async(void* dst, const void* src, size_t nbytes);

// Timing events on the context stream (benchmarks): create them before the timed work (creation
// is a host call), record where the stream is now; the elapsed time between two recorded events
// waits for the later one.
struct StreamEvent;
StreamEvent* event_create();
void event_record(StreamEvent* e);
double event_elapsed_ms(StreamEvent* from, StreamEvent* to);
void event_destroy(StreamEvent* e) noexcept;

}  // namespace dg::cuda
