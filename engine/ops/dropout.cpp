// Inverted dropout driven by the Philox stream; the mask is regenerated, not stored, for backward.
#include "kernels/cpu/dropout.h"

#include <cstring>

#include "engine/graph.h"
#include "engine/ops.h"
#include "engine/rng.h"
#include "kernels/cuda/dropout.h"
#include "kernels/cuda/runtime.h"

namespace dg {

namespace {

// A captured step's dropout draws at the capture's offsets plus a per-replay delta: the distance
// of the generator's offset at the replayed step's start from its offset at the captured step's.
class DropoutOffsetSlot : public GraphSlotOwner {
 public:
  explicit DropoutOffsetSlot(Philox& rng) : rng_(rng), start_(rng.offset()) {}
  void capture_ended() override {
    advance_ = rng_.offset() - start_;
    rng_.set_offset(start_);
  }
  void fill(unsigned char* slot) const override {
    const uint64_t delta = rng_.offset() - start_;
    std::memcpy(slot, &delta, sizeof delta);
  }
  void replayed() override { rng_.set_offset(rng_.offset() + advance_); }
  void aborted() override { rng_.set_offset(start_); }

 private:
  Philox& rng_;
  uint64_t start_, advance_ = 0;
};

// The device delta of `rng` while a step is being captured on the GPU, else null.
const uint64_t* capture_delta(const Tensor& x, Philox& rng) {
  StepGraph* g = StepGraph::active();
  if (!g || x.device() != Device::CUDA) return nullptr;
  return static_cast<const uint64_t*>(
      g->slot(&rng, [&rng] { return std::make_unique<DropoutOffsetSlot>(rng); }));
}

Tensor dropout_masked(const Tensor& in, uint64_t seed, uint64_t offset, double keep, double scale,
                      const uint64_t* delta) {
  Tensor out = Tensor::empty(in.shape(), in.dtype(), in.device());
  if (in.device() == Device::CUDA) {
    cuda::dropout_apply(in.data<float>(), out.data<float>(), in.numel(), seed, offset, keep,
                        static_cast<float>(scale), delta);
    return out;
  }
  DG_DISPATCH_FLOAT(in.dtype(), "dropout", [&] {
    cpu::dropout_apply<T>(in.data<T>(), out.data<T>(), in.numel(), seed, offset, keep, T(scale));
  });
  return out;
}

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, Philox& rng) {
  check_defined(x, "dropout", "x");
  DG_CHECK(p >= 0.0 && p < 1.0, "dropout: probability " << p << " outside [0, 1)");
  // No draw happens here, so the generator does not advance either.
  if (!training || p == 0.0) return x;
  const double keep = 1.0 - p, scale = 1.0 / keep;
  const uint64_t* delta = capture_delta(x, rng);
  const uint64_t seed = rng.seed(), offset = rng.offset();
  Tensor out = dropout_masked(x, seed, offset, keep, scale, delta);
  rng.set_offset(offset + cpu::philox_uniform_blocks(static_cast<uint64_t>(x.numel())));
  if (needs_grad(x)) {
    record(out, "dropout", {x}, [seed, offset, keep, scale, delta](const Tensor& g) {
      return std::vector<Tensor>{dropout_masked(g, seed, offset, keep, scale, delta)};
    });
  }
  return out;
}

Tensor dropout_leaky_relu(const Tensor& x, double p, double slope, bool training, Philox& rng) {
  check_defined(x, "dropout_leaky_relu", "x");
  DG_CHECK(p >= 0.0 && p < 1.0, "dropout: probability " << p << " outside [0, 1)");
  if (!training || p == 0.0 || !(slope > 0.0))
    return leaky_relu(dropout(x, p, training, rng), slope);
  const double keep = 1.0 - p, scale = 1.0 / keep;
  const uint64_t* delta = capture_delta(x, rng);
  const uint64_t seed = rng.seed(), offset = rng.offset();
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device() == Device::CUDA) {
    cuda::dropout_leaky_relu_forward(x.data<float>(), out.data<float>(), x.numel(), seed, offset,
                                     keep, static_cast<float>(scale), static_cast<float>(slope),
                                     delta);
  } else {
    DG_DISPATCH_FLOAT(x.dtype(), "dropout_leaky_relu", [&] {
      cpu::dropout_leaky_relu_forward<T>(x.data<T>(), out.data<T>(), x.numel(), seed, offset, keep,
                                         T(scale), T(slope));
    });
  }
  rng.set_offset(offset + cpu::philox_uniform_blocks(static_cast<uint64_t>(x.numel())));
  if (needs_grad(x)) {
    Tensor y = out.detach();
    record(out, "dropout_leaky_relu", {x},
           [y, seed, offset, keep, scale, slope, delta](const Tensor& g) {
             Tensor gx = Tensor::empty(g.shape(), g.dtype(), g.device());
             if (g.device() == Device::CUDA) {
               cuda::dropout_leaky_relu_backward(
                   y.data<float>(), g.data<float>(), gx.data<float>(), g.numel(), seed, offset,
                   keep, static_cast<float>(scale), static_cast<float>(slope), delta);
             } else {
               DG_DISPATCH_FLOAT(g.dtype(), "dropout_leaky_relu backward", [&] {
                 cpu::dropout_leaky_relu_backward<T>(y.data<T>(), g.data<T>(), gx.data<T>(),
                                                     g.numel(), seed, offset, keep, T(scale),
                                                     T(slope));
               });
             }
             return std::vector<Tensor>{gx};
           });
  }
  return out;
}

}  // namespace dg
