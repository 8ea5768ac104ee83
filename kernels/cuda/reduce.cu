// CUDA kernels for reductions (contract: reduce.h). Row kernels give each row one warp (8 rows per
// 256-thread block): the ZDC rows are short (10 to a few thousand elements), so a warp keeps all
// lanes busy without a second pass; lanes stride the row (coalesced) and combine with the fixed
// xor tree of warp_sum. Log-softmax's per-element terms are the CPU's
// (kernels/common/log_softmax_math.h).
#include "kernels/common/log_softmax_math.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/reduce.h"

namespace dg::cuda {

namespace {

constexpr int kWarpsPerBlock = kBlock / 32;

struct LoadF {
  const float* x;
  __device__ double operator()(int64_t i) const { return x[i]; }
};

__global__ void fill_from_scalar_kernel(const float* g, float* gx, int64_t n, double scale) {
  const float v = static_cast<float>(static_cast<double>(g[0]) * scale);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    gx[i] = v;
}

__global__ void sum_rows_kernel(const float* x, float* out, int64_t rows, int64_t cols,
                                double scale) {
  const int64_t r = blockIdx.x * int64_t(kWarpsPerBlock) + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (r >= rows) return;  // whole warps leave together: warp_sum below stays full-mask
  const float* xr = x + r * cols;
  double s = 0.0;
  for (int64_t c = lane; c < cols; c += 32) s += xr[c];
  s = warp_sum(s);
  if (lane == 0) out[r] = static_cast<float>(s * scale);
}

__global__ void sum_rows_backward_kernel(const float* g, float* gx, int64_t rows, int64_t cols,
                                         double scale) {
  const int64_t n = rows * cols;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    gx[i] = static_cast<float>(static_cast<double>(g[i / cols]) * scale);
}

__global__ void log_softmax_kernel(const float* x, float* y, int64_t rows, int64_t k) {
  const int64_t r = blockIdx.x * int64_t(kWarpsPerBlock) + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (r >= rows) return;
  const float* xr = x + r * k;
  float m = -INFINITY;
  for (int64_t c = lane; c < k; c += 32) m = fmaxf(m, xr[c]);
  m = warp_max(m);
  double s = 0.0;
  for (int64_t c = lane; c < k; c += 32) s += cpu::log_softmax_exp_term(xr[c], m);
  s = warp_sum(s);
  const float lse = cpu::log_softmax_lse(m, s);
  for (int64_t c = lane; c < k; c += 32) y[r * k + c] = xr[c] - lse;
}

__global__ void log_softmax_backward_kernel(const float* y, const float* gy, float* gx,
                                            int64_t rows, int64_t k) {
  const int64_t r = blockIdx.x * int64_t(kWarpsPerBlock) + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (r >= rows) return;
  const float* gr = gy + r * k;
  double s = 0.0;
  for (int64_t c = lane; c < k; c += 32) s += gr[c];
  const float sf = static_cast<float>(warp_sum(s));
  for (int64_t c = lane; c < k; c += 32)
    gx[r * k + c] = cpu::log_softmax_grad(gr[c], y[r * k + c], sf);
}

unsigned row_grid(int64_t rows) {
  const int64_t g = (rows + kWarpsPerBlock - 1) / kWarpsPerBlock;
  DG_CHECK(g <= 0x7fffffff, "row reduction (cuda): " << rows << " rows exceed the grid limit");
  return static_cast<unsigned>(g);
}

}  // namespace

void sum_all_forward(const float* x, float* out, int64_t n, double scale) {
  deterministic_sum(LoadF{x}, n, scale, out, "sum_all_forward");
}

void sum_all_backward(const float* g, float* gx, int64_t n, double scale) {
  if (n == 0) return;
  fill_from_scalar_kernel<<<grid_for(n), kBlock, 0, stream()>>>(g, gx, n, scale);
  DG_CUDA_CHECK_LAUNCH("fill_from_scalar_kernel");
}

void sum_rows_forward(const float* x, float* out, int64_t rows, int64_t cols, double scale) {
  if (rows == 0) return;
  sum_rows_kernel<<<row_grid(rows), kBlock, 0, stream()>>>(x, out, rows, cols, scale);
  DG_CUDA_CHECK_LAUNCH("sum_rows_kernel");
}

void sum_rows_backward(const float* g, float* gx, int64_t rows, int64_t cols, double scale) {
  const int64_t n = rows * cols;
  if (n == 0) return;
  sum_rows_backward_kernel<<<grid_for(n), kBlock, 0, stream()>>>(g, gx, rows, cols, scale);
  DG_CUDA_CHECK_LAUNCH("sum_rows_backward_kernel");
}

void log_softmax_forward(const float* x, float* y, int64_t rows, int64_t k) {
  if (rows == 0 || k == 0) return;
  log_softmax_kernel<<<row_grid(rows), kBlock, 0, stream()>>>(x, y, rows, k);
  DG_CUDA_CHECK_LAUNCH("log_softmax_kernel");
}

void log_softmax_backward(const float* y, const float* gy, float* gx, int64_t rows, int64_t k) {
  if (rows == 0 || k == 0) return;
  log_softmax_backward_kernel<<<row_grid(rows), kBlock, 0, stream()>>>(y, gy, gx, rows, k);
  DG_CUDA_CHECK_LAUNCH("log_softmax_backward_kernel");
}

}  // namespace dg::cuda
