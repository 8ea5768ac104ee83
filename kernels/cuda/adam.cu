// Fused multi-tensor Adam (contract: adam.h). Each launch takes a table of up to kTensorsPerLaunch
// tensors as a kernel argument, with the first block of each tensor in a prefix array; a block
// finds its tensor by a linear scan of that array (at most 32 entries, in registers/constant bank)
// and updates a contiguous chunk of it with the CPU's per-element update
// (kernels/common/adam_math.h). Elementwise, so deterministic.
#include "kernels/common/adam_math.h"
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

__global__ void __launch_bounds__(kAdamThreads)
    adam_kernel(AdamTable table, cpu::AdamCoefficients<float> c, const float* step_slot) {
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
    float p = t.p[i], m = t.m[i], v = t.v[i];
    cpu::adam_update_element(p, t.g[i], m, v, c);
    t.m[i] = m;
    t.v[i] = v;
    t.p[i] = p;
  }
}

}  // namespace

void adam_update_multi(const AdamTensor* tensors, size_t count, const AdamStepConstants& s,
                       const float* step_slot) {
  // Cast once, as the CPU loop does.
  const cpu::AdamCoefficients<float> c = cpu::adam_coefficients<float>(s);
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
