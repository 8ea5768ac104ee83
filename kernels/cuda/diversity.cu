// The fused diversity regularizer on the GPU (contract: diversity.h; reference:
// kernels/cpu/diversity.h). Sums, ratios and the loss in double, as the reference carries them;
// the per-element math is the reference's own (kernels/common/diversity_math.h).
// Forward: one block; each warp owns rows warp, warp + nwarps, ...; lanes stride the features
// (coalesced) and the latents, warp_sum combines them in a fixed order; each warp adds its rows'
// terms in row order and thread 0 adds the warp totals in warp order. At ZDC sizes (B = 256,
// F = 64, K = 10) that is 16 rows per warp of 2 + 1 loads per lane: one launch, no second pass.
// Backward: one thread per (i, f), the per-row coefficient recomputed from d_g, d_z (a few double
// operations; cheaper than a launch to stage them).
#include "kernels/common/diversity_math.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/diversity.h"

namespace dg::cuda {

namespace {

constexpr int kForwardThreads = 512;
constexpr int kForwardWarps = kForwardThreads / 32;

__global__ void __launch_bounds__(kForwardThreads)
    diversity_forward_kernel(const float* e1, const float* e2, const float* z1, const float* z2,
                             const float* w, int64_t B, int64_t F, int64_t K, DiversityMode mode,
                             double eps, float* d_g, float* d_z, float* loss) {
  __shared__ double warp_total[kForwardWarps];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  double acc = 0.0;  // identical in every lane of the warp (warp_sum broadcasts)
  for (int64_t i = warp; i < B; i += kForwardWarps) {
    const float* a = e1 + i * F;
    const float* b = e2 + i * F;
    double sg = 0.0;
    for (int64_t f = lane; f < F; f += 32) sg += cpu::diversity_abs_diff(a[f], b[f]);
    const float* u = z1 + i * K;
    const float* v = z2 + i * K;
    double sz = 0.0;
    for (int64_t k = lane; k < K; k += 32) sz += cpu::diversity_abs_diff(u[k], v[k]);
    sg = warp_sum(sg);
    sz = warp_sum(sz);
    const double dg = sg / static_cast<double>(F), dz = sz / static_cast<double>(K);
    if (lane == 0) {
      d_g[i] = static_cast<float>(dg);
      d_z[i] = static_cast<float>(dz);
    }
    acc += cpu::diversity_term(mode, static_cast<double>(w[i]), dg, dz, eps).value;
  }
  if (lane == 0) warp_total[warp] = acc;
  __syncthreads();
  if (threadIdx.x == 0) {
    double total = 0.0;
    for (int k = 0; k < kForwardWarps; ++k) total += warp_total[k];
    *loss = static_cast<float>(total / static_cast<double>(B));
  }
}

__global__ void diversity_backward_kernel(const float* e1, const float* e2, const float* w,
                                          int64_t B, int64_t F, DiversityMode mode, double eps,
                                          const float* g_loss, const float* d_g, const float* d_z,
                                          float* grad_e1, float* grad_e2) {
  const double g = static_cast<double>(*g_loss);
  const int64_t n = B * F;
  for (int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; j < n;
       j += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = j / F;
    const cpu::DiversityTerm t =
        cpu::diversity_term(mode, static_cast<double>(w[i]), static_cast<double>(d_g[i]),
                            static_cast<double>(d_z[i]), eps);
    const double c = cpu::diversity_grad_coefficient(g, t, B, F);
    const float pos = static_cast<float>(c), neg = static_cast<float>(-c);
    const float a = e1[j], b = e2[j];
    const float ga = cpu::diversity_sign_grad(a, b, pos, neg);
    grad_e1[j] = ga;
    if (grad_e2) grad_e2[j] = -ga;
  }
}

}  // namespace

void diversity_forward(const float* e1, const float* e2, const float* z1, const float* z2,
                       const float* w, int64_t B, int64_t F, int64_t K, DiversityMode mode,
                       double eps, float* d_g, float* d_z, float* loss) {
  DG_CHECK(B > 0 && F > 0 && K > 0,
           "diversity_forward (cuda): empty B, F or K (" << B << ", " << F << ", " << K << ")");
  diversity_forward_kernel<<<1, kForwardThreads, 0, stream()>>>(e1, e2, z1, z2, w, B, F, K, mode,
                                                                eps, d_g, d_z, loss);
  DG_CUDA_CHECK_LAUNCH("diversity_forward_kernel");
}

void diversity_backward(const float* e1, const float* e2, const float* w, int64_t B, int64_t F,
                        DiversityMode mode, double eps, const float* g_loss, const float* d_g,
                        const float* d_z, float* grad_e1, float* grad_e2) {
  const int64_t n = B * F;
  if (n == 0) return;
  diversity_backward_kernel<<<grid_for(n), kBlock, 0, stream()>>>(
      e1, e2, w, B, F, mode, eps, g_loss, d_g, d_z, grad_e1, grad_e2);
  DG_CUDA_CHECK_LAUNCH("diversity_backward_kernel");
}

}  // namespace dg::cuda
