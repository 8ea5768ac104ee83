// Step capture and replay (see graph.h).
#include "engine/graph.h"

#include <cstring>

#include "base/error.h"
#include "engine/tensor.h"
#include "kernels/cuda/graph.h"
#include "kernels/cuda/runtime.h"

namespace dg {

namespace {
thread_local StepGraph* g_active = nullptr;
}

StepGraph::~StepGraph() {
  cuda::graph_destroy(graph_);
  cuda::device_free(slots_device_);
}

StepGraph* StepGraph::active() { return g_active; }

void StepGraph::prepare() {
  if (!slots_device_) slots_device_ = cuda::device_malloc(kMaxSlots * kSlotBytes);
}

void* StepGraph::slot(const void* key,
                      const std::function<std::unique_ptr<GraphSlotOwner>()>& make) {
  DG_ASSERT(g_active == this, "StepGraph::slot outside this graph's capture");
  for (size_t i = 0; i < owners_.size(); ++i)
    if (owners_[i].first == key) {
      owners_[i].second->requested_again();
      return static_cast<unsigned char*>(slots_device_) + i * kSlotBytes;
    }
  DG_CHECK(owners_.size() < kMaxSlots,
           "StepGraph: more than " << kMaxSlots << " per-step values in one captured step");
  owners_.emplace_back(key, make());
  return static_cast<unsigned char*>(slots_device_) + (owners_.size() - 1) * kSlotBytes;
}

void StepGraph::capture(const std::function<void()>& step) {
  DG_ASSERT(!graph_, "StepGraph::capture: already captured (make a new StepGraph to recapture)");
  DG_ASSERT(g_active == nullptr, "StepGraph::capture: another capture is open on this thread");
  // Allocated before the capture (normally by prepare() before the warm-up), so it does not belong
  // to the graph's pool.
  prepare();
  owners_.clear();
  cuda::capture_begin();
  g_active = this;
  try {
    HostTransferGuard no_transfers;
    step();
    g_active = nullptr;
    graph_ = cuda::capture_end();
  } catch (...) {
    g_active = nullptr;
    cuda::capture_abort();
    for (auto& [key, owner] : owners_) owner->aborted();
    owners_.clear();
    throw;
  }
  for (auto& [key, owner] : owners_) owner->capture_ended();
  replay();
}

void StepGraph::upload_slots() {
  if (owners_.empty()) return;
  std::vector<unsigned char> host(owners_.size() * kSlotBytes, 0);
  for (size_t i = 0; i < owners_.size(); ++i) owners_[i].second->fill(host.data() + i * kSlotBytes);
  cuda::copy_host_to_device_async(slots_device_, host.data(), host.size());
}

void StepGraph::replay() {
  DG_ASSERT(graph_, "StepGraph::replay before capture");
  upload_slots();
  cuda::graph_launch(graph_);
  for (auto& [key, owner] : owners_) owner->replayed();
}

int64_t StepGraph::kernel_nodes() const { return cuda::graph_kernel_nodes(graph_); }

}  // namespace dg
