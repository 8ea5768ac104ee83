// CUDA graph capture, launch counting and pinned staging (contract: graph.h).
#include <cstring>
#include <vector>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/graph.h"

namespace dg::cuda {

struct CapturedGraph {
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  uint64_t pool = 0;
  int64_t kernel_nodes = 0;
};

namespace {

int64_t count_kernel_nodes(cudaGraph_t g) {
  size_t n = 0;
  DG_CUDA_CHECK(cudaGraphGetNodes(g, nullptr, &n));
  std::vector<cudaGraphNode_t> nodes(n);
  if (n) DG_CUDA_CHECK(cudaGraphGetNodes(g, nodes.data(), &n));
  int64_t kernels = 0;
  for (cudaGraphNode_t node : nodes) {
    cudaGraphNodeType type;
    DG_CUDA_CHECK(cudaGraphNodeGetType(node, &type));
    if (type == cudaGraphNodeTypeKernel) ++kernels;
  }
  return kernels;
}

}  // namespace

void capture_begin() {
  Context& c = context();
  DG_CHECK(!c.capturing(), "capture_begin: a CUDA graph capture is already open");
  const uint64_t pool = c.allocator().begin_pool();
  const cudaError_t err = cudaStreamBeginCapture(c.stream(), cudaStreamCaptureModeThreadLocal);
  if (err != cudaSuccess) {
    c.allocator().end_pool_capture();
    c.allocator().release_pool(pool);
    throw_cuda(err, "cudaStreamBeginCapture", __FILE__, __LINE__);
  }
  c.set_capture_pool(pool);
}

CapturedGraph* capture_end() {
  Context& c = context();
  DG_CHECK(c.capturing(), "capture_end: no CUDA graph capture is open");
  auto* g = new CapturedGraph;
  g->pool = c.capture_pool();
  cudaError_t err = cudaStreamEndCapture(c.stream(), &g->graph);
  c.set_capture_pool(0);
  c.allocator().end_pool_capture();
  if (err == cudaSuccess) err = cudaGraphInstantiate(&g->exec, g->graph, 0ULL);
  if (err != cudaSuccess) {
    if (g->graph) cudaGraphDestroy(g->graph);
    c.allocator().release_pool(g->pool);
    delete g;
    cudaGetLastError();
    throw_cuda(err, "cudaStreamEndCapture / cudaGraphInstantiate of a training step", __FILE__,
               __LINE__);
  }
  g->kernel_nodes = count_kernel_nodes(g->graph);
  return g;
}

void capture_abort() noexcept {
  Context* c = context_if_alive();
  if (!c || !c->capturing()) return;
  cudaGraph_t g = nullptr;
  cudaStreamEndCapture(c->stream(), &g);
  if (g) cudaGraphDestroy(g);
  cudaGetLastError();
  const uint64_t pool = c->capture_pool();
  c->set_capture_pool(0);
  c->allocator().end_pool_capture();
  c->allocator().release_pool(pool);
}

bool capturing() {
  Context* c = context_if_alive();
  return c && c->capturing();
}

void graph_launch(CapturedGraph* g) {
  DG_CHECK(g && g->exec, "graph_launch: no instantiated graph");
  Context& c = context();
  DG_CUDA_CHECK(cudaGraphLaunch(g->exec, c.stream()));
  if (c.sync_launches()) DG_CUDA_CHECK(cudaStreamSynchronize(c.stream()));
}

void graph_destroy(CapturedGraph* g) noexcept {
  if (!g) return;
  if (Context* c = context_if_alive()) {
    cudaStreamSynchronize(c->stream());
    if (g->exec) cudaGraphExecDestroy(g->exec);
    if (g->graph) cudaGraphDestroy(g->graph);
    c->allocator().release_pool(g->pool);
    cudaGetLastError();
  }
  delete g;
}

int64_t graph_kernel_nodes(const CapturedGraph* g) { return g ? g->kernel_nodes : 0; }

uint64_t launch_count() {
  Context* c = context_if_alive();
  return c ? c->launches() : 0;
}

void Context::stage_to_device(void* dst, const void* src, size_t n) {
  // A staged copy recorded into a graph would replay from a slab later copies overwrite.
  DG_CHECK(!capturing(), "copy_host_to_device_async during a CUDA graph capture");
  StagingSlab& s = staging_[next_slab_];
  next_slab_ = (next_slab_ + 1) % kStagingSlabs;
  if (s.done)
    DG_CUDA_CHECK(cudaEventSynchronize(s.done));  // its previous copy has finished
  else
    DG_CUDA_CHECK(cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming));
  if (s.capacity < n) {
    if (s.host) DG_CUDA_CHECK(cudaFreeHost(s.host));
    s.host = nullptr;
    s.capacity = 0;
    DG_CUDA_CHECK(cudaMallocHost(&s.host, n));
    s.capacity = n;
  }
  std::memcpy(s.host, src, n);
  DG_CUDA_CHECK(cudaMemcpyAsync(dst, s.host, n, cudaMemcpyHostToDevice, stream_));
  DG_CUDA_CHECK(cudaEventRecord(s.done, stream_));
}

void Context::release_staging() noexcept {
  for (StagingSlab& s : staging_) {
    if (s.done) {
      cudaEventSynchronize(s.done);
      cudaEventDestroy(s.done);
    }
    if (s.host) cudaFreeHost(s.host);
    s = StagingSlab{};
  }
  cudaGetLastError();
}

void copy_host_to_device_async(void* dst, const void* src, size_t n) {
  if (n == 0) return;
  context().stage_to_device(dst, src, n);
}

struct StreamEvent {
  cudaEvent_t e = nullptr;
};

StreamEvent* event_create() {
  auto* ev = new StreamEvent;
  const cudaError_t err = cudaEventCreate(&ev->e);
  if (err != cudaSuccess) {
    delete ev;
    throw_cuda(err, "cudaEventCreate", __FILE__, __LINE__);
  }
  return ev;
}

void event_record(StreamEvent* ev) { DG_CUDA_CHECK(cudaEventRecord(ev->e, stream())); }

double event_elapsed_ms(StreamEvent* from, StreamEvent* to) {
  DG_CUDA_CHECK(cudaEventSynchronize(to->e));
  float ms = 0;
  DG_CUDA_CHECK(cudaEventElapsedTime(&ms, from->e, to->e));
  return ms;
}

void event_destroy(StreamEvent* ev) noexcept {
  if (!ev) return;
  if (ev->e) cudaEventDestroy(ev->e);
  delete ev;
}

}  // namespace dg::cuda
