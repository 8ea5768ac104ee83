// A fixed-shape training step captured as one CUDA graph and replayed
// (docs/design.md#step-capture). Capturing records the step's launches without
// running them; the values that change from one step to the next (dropout's Philox offset, Adam's
// bias corrections) are read by the kernels from small device slots that the host rewrites before
// each replay, so a replayed step computes exactly what the same step run eagerly computes.
//
// Requirements on the captured function: fixed shapes, every launch on the engine's stream, no
// host transfer or synchronization (enforced: a HostTransferGuard is active during capture), no
// host-side decision that depends on device data. Memory it allocates comes from the graph's
// private allocator pool (kernels/cuda/context.cuh) and stays reserved while the graph lives.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace dg {

namespace cuda {
struct CapturedGraph;
}

// Host state behind one device slot (16 bytes) read by captured kernels.
class GraphSlotOwner {
 public:
  virtual ~GraphSlotOwner() = default;
  // Called when the capture ends: remember what the captured step did to the host state, then put
  // the state back where the step started (the capture ran no kernel, so nothing happened yet).
  virtual void capture_ended() = 0;
  // The slot's bytes for the next replay, from the current host state.
  virtual void fill(unsigned char* slot) const = 0;
  // Advances the host state as the replayed step did.
  virtual void replayed() = 0;
  // The capture failed: put the host state back where the step started.
  virtual void aborted() = 0;
  // The slot's key was asked for again in the same capture (default: fine, the same slot serves;
  // an owner whose value must differ per use throws here).
  virtual void requested_again() {}
};

class StepGraph {
 public:
  static constexpr int kMaxSlots = 64;
  static constexpr int kSlotBytes = 16;

  StepGraph() = default;
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  // Allocates the graph's own device memory (the per-replay slots). Call it before the eager
  // warm-up steps, so that nothing is allocated between the warm-up and the capture; capture()
  // calls it when it has not been called.
  void prepare();
  // Captures `step` (CUDA tensors only; run it eagerly twice before, so that lazily created state
  // such as gradients, cuDNN plans and the allocator's blocks exists) and instantiates the graph,
  // then replays it once, so that the capturing call has the effect of one step. Throws when the
  // step does something a graph cannot hold: nothing is captured then, the slot owners' host state
  // (dropout offsets, Adam step counts) is restored, but other effects of running `step`'s host
  // code (e.g. gradient tensors replaced by unwritten ones) are not undone.
  void capture(const std::function<void()>& step);
  // One more step: rewrites the slots from the host state, queues the graph, advances the state.
  void replay();
  bool captured() const { return graph_ != nullptr; }
  // Kernels one replay runs (cuBLAS/cuDNN kernels included).
  int64_t kernel_nodes() const;

  // The capture in progress on this thread, or null. Ops whose launch arguments change from step
  // to step ask it for a slot during capture.
  static StepGraph* active();
  // The device address of `key`'s slot; `make` creates its owner on the first request in this
  // capture (later requests for the same key return the same slot).
  void* slot(const void* key, const std::function<std::unique_ptr<GraphSlotOwner>()>& make);

 private:
  void upload_slots();

  cuda::CapturedGraph* graph_ = nullptr;
  void* slots_device_ = nullptr;
  std::vector<std::pair<const void*, std::unique_ptr<GraphSlotOwner>>> owners_;
};

}  // namespace dg
