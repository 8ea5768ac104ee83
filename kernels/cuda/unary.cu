// CUDA kernels for elementwise unary math and activations (contract: unary.h). The functors are the
// CPU's own (kernels/common/unary_math.h: same formulas, same subgradients at kinks), compiled for
// the device with the precise CUDA math functions (expf, log1pf, tanhf...; never the __fast
// intrinsics), so the GPU matches the CPU to float rounding; tests/gpu/test_gpu_unary.cpp checks.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/unary.h"

namespace dg::cuda {

namespace {

template <class F>
__global__ void unary_forward_kernel(F f, const float* x, float* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] = f.fwd(x[i]);
}

// x or y null: that argument of grad() is 0 (the functor does not read it). The null tests are
// uniform across the grid, so they cost no divergence.
template <class F>
__global__ void unary_backward_kernel(F f, const float* x, const float* y, const float* gy,
                                      float* gx, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    gx[i] = gy[i] * f.grad(x ? x[i] : 0.0f, y ? y[i] : 0.0f);
}

// Calls fn(functor) with the float functor of `op` (cpu::with_unary_functor); throws for a value
// outside the enum.
template <class Fn>
void with_functor(cpu::UnaryOp op, const cpu::UnaryParams& p, Fn&& fn) {
  if (!cpu::with_unary_functor<float>(op, p, fn))
    DG_FAIL("unary (cuda): unknown op " << static_cast<int>(op));
}

}  // namespace

void unary_forward(cpu::UnaryOp op, const cpu::UnaryParams& p, const float* x, float* y,
                   int64_t n) {
  if (n == 0) return;
  with_functor(op, p, [&](auto f) {
    unary_forward_kernel<<<grid_for(n), kBlock, 0, stream()>>>(f, x, y, n);
    DG_CUDA_CHECK_LAUNCH("unary_forward_kernel");
  });
}

void unary_backward(cpu::UnaryOp op, const cpu::UnaryParams& p, const float* x, const float* y,
                    const float* gy, float* gx, int64_t n) {
  if (n == 0) return;
  with_functor(op, p, [&](auto f) {
    unary_backward_kernel<<<grid_for(n), kBlock, 0, stream()>>>(f, x, y, gy, gx, n);
    DG_CUDA_CHECK_LAUNCH("unary_backward_kernel");
  });
}

}  // namespace dg::cuda
