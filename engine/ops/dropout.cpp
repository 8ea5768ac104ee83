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

// A run of elements [begin, begin + count) of a tensor whose mask starts at Philox counter
// `offset`.
struct Segment {
  int64_t begin, count;
  uint64_t offset;
};

// Where the mask of each of x's elements comes from, and how far the call advances the stream.
// Without row sharding: one segment at the stream's offset. With it (Philox::RowShard), each
// block of the rank's rows is drawn where the single-process call over every rank's rows would
// draw it, when rows start on whole Philox blocks (4 elements per row multiple); otherwise the
// rank draws its own range of a world-sized stretch of the stream (independent masks, not the
// single-process ones).
std::vector<Segment> mask_segments(const Tensor& x, const Philox& rng, uint64_t* advance) {
  const Philox::RowShard& sh = rng.row_shard();
  const uint64_t base = rng.offset();
  const int64_t numel = x.numel();
  if (sh.world <= 1 || x.dim() == 0 || numel == 0) {
    *advance = cpu::philox_uniform_blocks(static_cast<uint64_t>(numel));
    return {{0, numel, base}};
  }
  const int64_t n = x.size(0), per_row = numel / n;
  if (sh.rows > 0 && n % sh.rows == 0 && per_row % 4 == 0) {
    std::vector<Segment> segs;
    for (int64_t j = 0; j < n / sh.rows; ++j) {
      const int64_t global_row = j * sh.rows * sh.world + sh.rank * sh.rows;
      segs.push_back({j * sh.rows * per_row, sh.rows * per_row,
                      base + static_cast<uint64_t>(global_row * per_row / 4)});
    }
    *advance = cpu::philox_uniform_blocks(static_cast<uint64_t>(numel * sh.world));
    return segs;
  }
  const uint64_t blocks = cpu::philox_uniform_blocks(static_cast<uint64_t>(numel));
  *advance = blocks * static_cast<uint64_t>(sh.world);
  return {{0, numel, base + blocks * static_cast<uint64_t>(sh.rank)}};
}

Tensor dropout_masked(const Tensor& in, uint64_t seed, const std::vector<Segment>& segs,
                      double keep, double scale, const uint64_t* delta) {
  Tensor out = Tensor::empty(in.shape(), in.dtype(), in.device());
  for (const Segment& sg : segs) {
    if (in.device() == Device::CUDA) {
      cuda::dropout_apply(in.data<float>() + sg.begin, out.data<float>() + sg.begin, sg.count, seed,
                          sg.offset, keep, static_cast<float>(scale), delta);
      continue;
    }
    DG_DISPATCH_FLOAT(in.dtype(), "dropout", [&] {
      cpu::dropout_apply<T>(in.data<T>() + sg.begin, out.data<T>() + sg.begin, sg.count, seed,
                            sg.offset, keep, T(scale));
    });
  }
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
  const uint64_t seed = rng.seed();
  uint64_t advance = 0;
  const std::vector<Segment> segs = mask_segments(x, rng, &advance);
  Tensor out = dropout_masked(x, seed, segs, keep, scale, delta);
  rng.set_offset(rng.offset() + advance);
  if (needs_grad(x)) {
    record(out, "dropout", {x}, [seed, segs, keep, scale, delta](const Tensor& g) {
      return std::vector<Tensor>{dropout_masked(g, seed, segs, keep, scale, delta)};
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
  const uint64_t seed = rng.seed();
  uint64_t advance = 0;
  const std::vector<Segment> segs = mask_segments(x, rng, &advance);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  for (const Segment& sg : segs) {
    if (x.device() == Device::CUDA) {
      cuda::dropout_leaky_relu_forward(x.data<float>() + sg.begin, out.data<float>() + sg.begin,
                                       sg.count, seed, sg.offset, keep, static_cast<float>(scale),
                                       static_cast<float>(slope), delta);
      continue;
    }
    DG_DISPATCH_FLOAT(x.dtype(), "dropout_leaky_relu", [&] {
      cpu::dropout_leaky_relu_forward<T>(x.data<T>() + sg.begin, out.data<T>() + sg.begin, sg.count,
                                         seed, sg.offset, keep, T(scale), T(slope));
    });
  }
  rng.set_offset(rng.offset() + advance);
  if (needs_grad(x)) {
    Tensor y = out.detach();
    record(out, "dropout_leaky_relu", {x},
           [y, seed, segs, keep, scale, slope, delta](const Tensor& g) {
             Tensor gx = Tensor::empty(g.shape(), g.dtype(), g.device());
             for (const Segment& sg : segs) {
               if (g.device() == Device::CUDA) {
                 cuda::dropout_leaky_relu_backward(
                     y.data<float>() + sg.begin, g.data<float>() + sg.begin,
                     gx.data<float>() + sg.begin, sg.count, seed, sg.offset, keep,
                     static_cast<float>(scale), static_cast<float>(slope), delta);
                 continue;
               }
               DG_DISPATCH_FLOAT(g.dtype(), "dropout_leaky_relu backward", [&] {
                 cpu::dropout_leaky_relu_backward<T>(y.data<T>() + sg.begin, g.data<T>() + sg.begin,
                                                     gx.data<T>() + sg.begin, sg.count, seed,
                                                     sg.offset, keep, T(scale), T(slope));
               });
             }
             return std::vector<Tensor>{gx};
           });
  }
  return out;
}

}  // namespace dg
