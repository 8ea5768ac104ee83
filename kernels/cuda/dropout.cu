// Inverted dropout and the fused dropout + leaky ReLU on the GPU (contract: dropout.h), one kernel
// for both, with the CPU's masks and per-element math (kernels/common/dropout_math.h).
#include "kernels/common/dropout_math.h"
#include "kernels/common/philox.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/dropout.h"

namespace dg::cuda {

namespace {

// One thread per Philox block of four elements (the uniform layout of engine/rng.h): the thread
// computes the block once and applies its four words, as the CPU loops do. `fwd` selects the
// forward (a = in) or the backward (a = the forward's output, gy the incoming gradient). Plain
// dropout is the forward with slope 1: kept ? (d > 0 ? d : 1 * d) : 0 is kept ? in * scale : 0,
// bit for bit.
__global__ void dropout_lrelu_kernel(const float* a, const float* gy, float* out, int64_t n,
                                     uint64_t seed, uint64_t offset, double keep, float scale,
                                     float slope, const uint64_t* offset_delta, bool fwd) {
  if (offset_delta) offset += *offset_delta;
  const int64_t blocks = (n + 3) / 4;
  for (int64_t b = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; b < blocks;
       b += int64_t(gridDim.x) * blockDim.x) {
    const cpu::PhiloxWords w = cpu::philox_block(seed, offset + static_cast<uint64_t>(b));
    const int64_t end = n - b * 4 < 4 ? n - b * 4 : 4;
    for (int64_t k = 0; k < end; ++k) {
      const int64_t i = b * 4 + k;
      const bool kept = cpu::dropout_kept(w.w[k], keep);
      out[i] = fwd ? cpu::dropout_leaky_relu_value(a[i], kept, scale, slope)
                   : cpu::dropout_leaky_relu_grad(a[i], gy[i], kept, scale, slope);
    }
  }
}

}  // namespace

void dropout_leaky_relu_forward(const float* in, float* out, int64_t n, uint64_t seed,
                                uint64_t offset, double keep_prob, float scale, float slope,
                                const uint64_t* offset_delta) {
  if (n == 0) return;
  dropout_lrelu_kernel<<<grid_for((n + 3) / 4), kBlock, 0, stream()>>>(
      in, nullptr, out, n, seed, offset, keep_prob, scale, slope, offset_delta, true);
  DG_CUDA_CHECK_LAUNCH("dropout_lrelu_kernel (forward)");
}

void dropout_leaky_relu_backward(const float* out, const float* gy, float* gx, int64_t n,
                                 uint64_t seed, uint64_t offset, double keep_prob, float scale,
                                 float slope, const uint64_t* offset_delta) {
  if (n == 0) return;
  dropout_lrelu_kernel<<<grid_for((n + 3) / 4), kBlock, 0, stream()>>>(
      out, gy, gx, n, seed, offset, keep_prob, scale, slope, offset_delta, false);
  DG_CUDA_CHECK_LAUNCH("dropout_lrelu_kernel (backward)");
}

void dropout_apply(const float* in, float* out, int64_t n, uint64_t seed, uint64_t offset,
                   double keep_prob, float scale, const uint64_t* offset_delta) {
  if (n == 0) return;
  dropout_lrelu_kernel<<<grid_for((n + 3) / 4), kBlock, 0, stream()>>>(
      in, nullptr, out, n, seed, offset, keep_prob, scale, 1.0f, offset_delta, true);
  DG_CUDA_CHECK_LAUNCH("dropout_lrelu_kernel (plain dropout)");
}

}  // namespace dg::cuda
