// Fused multi-tensor Adam (contract: adam.h). Each launch takes a table of up to kTensorsPerLaunch
// tensors as a kernel argument, with the first block of each tensor in a prefix array; a block
// finds its tensor by a linear scan of that array (at most 32 entries, in registers/constant bank)
// and updates a contiguous chunk of it. Elementwise, so deterministic.
#include "kernels/cuda/adam.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"

namespace dg::cuda {

namespace {

constexpr int kTensorsPerLaunch = 32;
constexpr int kAdamThreads = 256;
constexpr int64_t kChunk = kAdamThreads * 8;  // elements per block

struct AdamTable {
  AdamTensor t[kTensorsPerLaunch];
  int32_t first_block[kTensorsPerLaunch +
                      1];  // tensor k owns blocks [first_block[k], first_block[k+1])
  int count;
};
static_assert(sizeof(AdamTable) <= 4096, "kernel arguments are limited to 4 KiB");

struct AdamFloats {
  float b1, b2, one_b1, one_b2, l2, decay, step, sqrt_bc2, eps;
};

__global__ void __launch_bounds__(kAdamThreads)
    adam_kernel(AdamTable table, AdamFloats c, const float* step_slot) {
  if (step_slot) {  // an AdamStepFloats
    c.step = step_slot[0];
    c.sqrt_bc2 = step_slot[1];
    c.l2 = step_slot[2];
    c.decay = step_slot[3];
  }
  int k = 0;
  while (k + 1 < table.count && static_cast<int32_t>(blockIdx.x) >= table.first_block[k + 1]) ++k;
  const AdamTensor& t = table.t[k];
  const int64_t begin = (static_cast<int64_t>(blockIdx.x) - table.first_block[k]) * kChunk;
  const int64_t end = begin + kChunk < t.n ? begin + kChunk : t.n;
  for (int64_t i = begin + threadIdx.x; i < end; i += kAdamThreads) {
    const float p = t.p[i];
    const float gi = t.g[i] + c.l2 * p;
    const float pi = p * c.decay;
    const float m = c.b1 * t.m[i] + c.one_b1 * gi;
    const float v = c.b2 * t.v[i] + c.one_b2 * gi * gi;
    t.m[i] = m;
    t.v[i] = v;
    const float denom = sqrtf(v) / c.sqrt_bc2 + c.eps;
    t.p[i] = pi - c.step * m / denom;
  }
}

}  // namespace

void adam_update_multi(const AdamTensor* tensors, size_t count, const AdamStepConstants& s,
                       const float* step_slot) {
  // Cast once, as the CPU loop does (static_cast<T> of each double constant).
  AdamFloats c{};
  c.b1 = static_cast<float>(s.beta1);
  c.b2 = static_cast<float>(s.beta2);
  c.one_b1 = static_cast<float>(1.0 - s.beta1);
  c.one_b2 = static_cast<float>(1.0 - s.beta2);

  const AdamStepFloats f = adam_step_floats(s);
  c.step = f.step_size;
  c.sqrt_bc2 = f.sqrt_bc2;
  c.l2 = f.l2;
  c.decay = f.decay;
  c.eps = static_cast<float>(s.eps);
  AdamTable table{};
  int64_t blocks = 0;
  auto flush = [&] {
    if (table.count == 0) return;
    table.first_block[table.count] = static_cast<int32_t>(blocks);
    adam_kernel<<<static_cast<unsigned>(blocks), kAdamThreads, 0, stream()>>>(table, c, step_slot);
    DG_CUDA_CHECK_LAUNCH("adam_kernel");
    table = AdamTable{};
    blocks = 0;
  };
  for (size_t i = 0; i < count; ++i) {
    const AdamTensor& t = tensors[i];
    if (t.n == 0) continue;
    const int64_t nb = (t.n + kChunk - 1) / kChunk;
    DG_CHECK(nb < (int64_t(1) << 30),
             "adam_update_multi (cuda): tensor of " << t.n << " elements too large");
    if (table.count == kTensorsPerLaunch || blocks + nb >= (int64_t(1) << 30)) flush();
    table.first_block[table.count] = static_cast<int32_t>(blocks);
    table.t[table.count++] = t;
    blocks += nb;
  }
  flush();
}

}  // namespace dg::cuda
