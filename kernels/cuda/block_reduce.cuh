// Deterministic reductions shared by the .cu files (docs/design.md#determinism): every sum is
// carried in double and combined in a fixed order that depends only on the problem size
// (grid-stride partial sums per thread, a fixed xor-shuffle tree per warp, warps in index order),
// never with float atomics, so the same inputs give the same bits on every run.
#pragma once
#include <cstdint>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"

namespace dg::cuda {

// Every lane gets the warp's total; the xor tree is the same on every call.
__device__ inline double warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ inline float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Block total, valid in thread 0. blockDim.x must be a multiple of 32 (at most 1024); every thread
// of the block must call it. Safe to call repeatedly (the trailing barrier protects `warps`).
__device__ inline double block_sum(double v) {
  __shared__ double warps[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  if (lane == 0) warps[warp] = v;
  __syncthreads();
  double total = 0.0;
  if (warp == 0) {
    const int nwarps = blockDim.x >> 5;
    total = warp_sum(lane < nwarps ? warps[lane] : 0.0);
  }
  __syncthreads();
  return total;
}

template <class Term>
__global__ void partial_sums_kernel(Term term, int64_t n, double* partial) {
  double s = 0.0;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    s += term(i);
  s = block_sum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// A template (instantiated per .cu file) so the kernel needs no relocatable device code.
template <class T>
__global__ void finish_sum_kernel(const double* partial, int count, double scale, T* out) {
  double s = 0.0;
  for (int i = threadIdx.x; i < count; i += blockDim.x) s += partial[i];
  s = block_sum(s);
  if (threadIdx.x == 0) *out = static_cast<T>(s * scale);
}

// *out = (float)(scale * sum_{i<n} term(i)), with term(i) a __device__ functor returning double.
// Two passes: at most kMaxPartials blocks write partial sums, one block adds them. The grid size
// is a function of n only (determinism).
constexpr int kMaxPartials = 1024;
template <class Term>
void deterministic_sum(const Term& term, int64_t n, double scale, float* out, const char* name) {
  int64_t g = (n + kBlock * 4 - 1) / (kBlock * 4);  // >= 4 elements per thread
  const int grid = static_cast<int>(g < 1 ? 1 : (g > kMaxPartials ? kMaxPartials : g));
  DeviceBuffer partial(sizeof(double) * grid);
  partial_sums_kernel<<<grid, kBlock, 0, stream()>>>(term, n, partial.as<double>());
  DG_CUDA_CHECK_LAUNCH(name);
  finish_sum_kernel<float><<<1, kBlock, 0, stream()>>>(partial.as<double>(), grid, scale, out);
  DG_CUDA_CHECK_LAUNCH(name);
}

}  // namespace dg::cuda
