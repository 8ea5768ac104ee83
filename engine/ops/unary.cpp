// Elementwise unary math and activations: exp, log, log1p, expm1, abs, sqrt, relu, leaky_relu,
// sigmoid, tanh, clamp, soft_occupancy. All share one front-end; the backward keeps only the input
// or the output, whichever the op's derivative reads, so activations do not pin both in memory.
#include "kernels/cpu/unary.h"

#include <cmath>

#include "engine/ops.h"
#include "kernels/cuda/unary.h"

namespace dg {

namespace {

Tensor unary_grad(cpu::UnaryOp op, const cpu::UnaryParams& p, const Tensor& x, const Tensor& y,
                  const Tensor& g, const char* name) {
  Tensor gx = Tensor::empty(g.shape(), g.dtype(), g.device());
  if (g.device() == Device::CUDA) {
    cuda::unary_backward(op, p, x.defined() ? x.data<float>() : nullptr,
                         y.defined() ? y.data<float>() : nullptr, g.data<float>(), gx.data<float>(),
                         g.numel());
    return gx;
  }
  DG_DISPATCH_FLOAT(g.dtype(), name, [&] {
    cpu::unary_backward<T>(op, p, x.defined() ? x.data<T>() : nullptr,
                           y.defined() ? y.data<T>() : nullptr, g.data<T>(), gx.data<T>(),
                           g.numel());
  });
  return gx;
}

Tensor unary(cpu::UnaryOp op, const Tensor& x, const char* name, cpu::UnaryParams p = {}) {
  check_defined(x, name, "x");
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device() == Device::CUDA)
    cuda::unary_forward(op, p, x.data<float>(), y.data<float>(), x.numel());
  else
    DG_DISPATCH_FLOAT(x.dtype(), name,
                      [&] { cpu::unary_forward<T>(op, p, x.data<T>(), y.data<T>(), x.numel()); });
  if (needs_grad(x)) {
    Tensor xd = cpu::unary_grad_uses_input(op) ? x.detach() : Tensor();
    Tensor yd = cpu::unary_grad_uses_output(op) ? y.detach() : Tensor();
    record(y, name, {x}, [op, p, xd, yd, name](const Tensor& g) -> std::vector<Tensor> {
      return {unary_grad(op, p, xd, yd, g, name)};
    });
  }
  return y;
}

}  // namespace

Tensor exp(const Tensor& x) { return unary(cpu::UnaryOp::Exp, x, "exp"); }
Tensor log(const Tensor& x) { return unary(cpu::UnaryOp::Log, x, "log"); }
Tensor log1p(const Tensor& x) { return unary(cpu::UnaryOp::Log1p, x, "log1p"); }
Tensor expm1(const Tensor& x) { return unary(cpu::UnaryOp::Expm1, x, "expm1"); }
Tensor abs(const Tensor& x) { return unary(cpu::UnaryOp::Abs, x, "abs"); }
Tensor sqrt(const Tensor& x) { return unary(cpu::UnaryOp::Sqrt, x, "sqrt"); }
Tensor relu(const Tensor& x) { return unary(cpu::UnaryOp::Relu, x, "relu"); }
Tensor sigmoid(const Tensor& x) { return unary(cpu::UnaryOp::Sigmoid, x, "sigmoid"); }
Tensor tanh(const Tensor& x) { return unary(cpu::UnaryOp::Tanh, x, "tanh"); }

Tensor leaky_relu(const Tensor& x, double slope) {
  cpu::UnaryParams p;
  p.slope = slope;
  return unary(cpu::UnaryOp::LeakyRelu, x, "leaky_relu", p);
}

Tensor clamp(const Tensor& x, double lo, double hi) {
  DG_CHECK(lo <= hi, "clamp: lower bound " << lo << " must not exceed upper bound " << hi);
  cpu::UnaryParams p;
  p.lo = lo;
  p.hi = hi;
  return unary(cpu::UnaryOp::Clamp, x, "clamp", p);
}

Tensor soft_occupancy(const Tensor& x, double alpha, double beta) {
  DG_CHECK(alpha > 0 && beta > 0 && std::isfinite(alpha) && std::isfinite(beta),
           "soft_occupancy: alpha and beta must be finite and > 0, got alpha " << alpha << ", beta "
                                                                               << beta);
  cpu::UnaryParams p;
  p.alpha = alpha;
  p.beta = beta;
  return unary(cpu::UnaryOp::SoftOccupancy, x, "soft_occupancy", p);
}

}  // namespace dg
