// Inverted dropout driven by the Philox stream; the mask is regenerated, not stored, for backward.
#include "kernels/cpu/dropout.h"

#include "engine/ops.h"
#include "engine/rng.h"
#include "kernels/cuda/dropout.h"
#include "kernels/cuda/runtime.h"

namespace dg {

namespace {

Tensor dropout_masked(const Tensor& in, uint64_t seed, uint64_t offset, double keep, double scale) {
  Tensor out = Tensor::empty(in.shape(), in.dtype(), in.device());
  if (in.device() == Device::CUDA) {
    cuda::dropout_apply(in.data<float>(), out.data<float>(), in.numel(), seed, offset, keep,
                        static_cast<float>(scale));
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
  const uint64_t seed = rng.seed(), offset = rng.offset();
  Tensor out = dropout_masked(x, seed, offset, keep, scale);
  rng.set_offset(offset + cpu::philox_uniform_blocks(static_cast<uint64_t>(x.numel())));
  if (needs_grad(x)) {
    record(out, "dropout", {x}, [seed, offset, keep, scale](const Tensor& g) {
      return std::vector<Tensor>{dropout_masked(g, seed, offset, keep, scale)};
    });
  }
  return out;
}

}  // namespace dg
