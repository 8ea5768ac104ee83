// CUDA kernels for elementwise unary math and activations (contract: unary.h). The functors mirror
// kernels/cpu/unary.h one for one (same formulas, same subgradients at kinks); the parity tests in
// tests/gpu/test_gpu_unary.cpp hold them together. Precise libm calls (expf, log1pf, tanhf...),
// never the __fast intrinsics: the GPU must match the CPU to float rounding.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/sigmoid.cuh"
#include "kernels/cuda/unary.h"

namespace dg::cuda {

namespace {

struct ExpF {
  __device__ float fwd(float x) const { return expf(x); }
  __device__ float grad(float, float y) const { return y; }
};
struct LogF {
  __device__ float fwd(float x) const { return logf(x); }
  __device__ float grad(float x, float) const { return 1.0f / x; }
};
struct Log1pF {
  __device__ float fwd(float x) const { return log1pf(x); }
  __device__ float grad(float x, float) const { return 1.0f / (1.0f + x); }
};
struct Expm1F {
  __device__ float fwd(float x) const { return expm1f(x); }
  __device__ float grad(float, float y) const { return y + 1.0f; }
};
struct AbsF {
  __device__ float fwd(float x) const { return fabsf(x); }
  __device__ float grad(float x, float) const {
    return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
  }
};
struct SqrtF {
  __device__ float fwd(float x) const { return sqrtf(x); }
  __device__ float grad(float, float y) const { return 0.5f / y; }
};
struct ReluF {
  __device__ float fwd(float x) const { return x > 0.0f ? x : 0.0f; }
  __device__ float grad(float x, float) const { return x > 0.0f ? 1.0f : 0.0f; }
};
struct LeakyReluF {
  float slope;
  __device__ float fwd(float x) const { return x > 0.0f ? x : slope * x; }
  __device__ float grad(float x, float) const { return x > 0.0f ? 1.0f : slope; }
};
struct SigmoidF {
  __device__ float fwd(float x) const { return stable_sigmoid(x); }
  __device__ float grad(float, float y) const { return y * (1.0f - y); }
};
struct TanhF {
  __device__ float fwd(float x) const { return tanhf(x); }
  __device__ float grad(float, float y) const { return 1.0f - y * y; }
};
struct ClampF {
  float lo, hi;
  __device__ float fwd(float x) const { return x < lo ? lo : (x > hi ? hi : x); }
  __device__ float grad(float x, float) const { return x > lo && x < hi ? 1.0f : 0.0f; }
};

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

// Calls fn(functor) with the device functor for `op` (as cpu::with_unary_functor).
template <class Fn>
void with_functor(cpu::UnaryOp op, const cpu::UnaryParams& p, Fn&& fn) {
  switch (op) {
    case cpu::UnaryOp::Exp:
      return fn(ExpF{});
    case cpu::UnaryOp::Log:
      return fn(LogF{});
    case cpu::UnaryOp::Log1p:
      return fn(Log1pF{});
    case cpu::UnaryOp::Expm1:
      return fn(Expm1F{});
    case cpu::UnaryOp::Abs:
      return fn(AbsF{});
    case cpu::UnaryOp::Sqrt:
      return fn(SqrtF{});
    case cpu::UnaryOp::Relu:
      return fn(ReluF{});
    case cpu::UnaryOp::LeakyRelu:
      return fn(LeakyReluF{static_cast<float>(p.slope)});
    case cpu::UnaryOp::Sigmoid:
      return fn(SigmoidF{});
    case cpu::UnaryOp::Tanh:
      return fn(TanhF{});
    case cpu::UnaryOp::Clamp:
      return fn(ClampF{static_cast<float>(p.lo), static_cast<float>(p.hi)});
  }
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
