// The elementwise unary ops and activations: the UnaryOp enum, its parameters, one functor per op
// with the forward value and the local derivative, and the dispatch from enum to functor. The CPU
// loops (kernels/cpu/unary.h) and the CUDA kernels (kernels/cuda/unary.cu) both apply these
// functors, so the two backends share one formula and one subgradient at every kink.
#pragma once
#include "kernels/common/host_device.h"
#include "kernels/common/scalar_math.h"
#include "kernels/common/sigmoid.h"

namespace dg::cpu {

enum class UnaryOp {
  Exp,
  Log,
  Log1p,
  Expm1,
  Abs,
  Sqrt,
  Relu,
  LeakyRelu,
  Sigmoid,
  Tanh,
  Clamp,
  SoftOccupancy
};

// Op parameters; only LeakyRelu (slope), Clamp (lo, hi) and SoftOccupancy (alpha, beta) read them.
struct UnaryParams {
  double slope = 0.0;
  double lo = 0.0;
  double hi = 0.0;
  double alpha = 0.0;
  double beta = 0.0;
};

// Each functor: fwd(x) is the op; grad(x, y) is dy/dx given the input x and the output y = fwd(x),
// so ops whose derivative is cheapest in terms of the output (exp, sigmoid, tanh) can use it.
template <class T>
struct ExpF {
  DG_HOST_DEVICE T fwd(T x) const { return math::exp(x); }
  DG_HOST_DEVICE T grad(T, T y) const { return y; }
};
template <class T>
struct LogF {
  DG_HOST_DEVICE T fwd(T x) const { return math::log(x); }
  DG_HOST_DEVICE T grad(T x, T) const { return T(1) / x; }
};
template <class T>
struct Log1pF {
  DG_HOST_DEVICE T fwd(T x) const { return math::log1p(x); }
  DG_HOST_DEVICE T grad(T x, T) const { return T(1) / (T(1) + x); }
};
template <class T>
struct Expm1F {
  DG_HOST_DEVICE T fwd(T x) const { return math::expm1(x); }
  DG_HOST_DEVICE T grad(T, T y) const { return y + T(1); }
};
template <class T>
struct AbsF {
  DG_HOST_DEVICE T fwd(T x) const { return math::abs(x); }
  // sign(x), with 0 at 0 (the subgradient PyTorch uses).
  DG_HOST_DEVICE T grad(T x, T) const { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)); }
};
template <class T>
struct SqrtF {
  DG_HOST_DEVICE T fwd(T x) const { return math::sqrt(x); }
  DG_HOST_DEVICE T grad(T, T y) const { return T(0.5) / y; }
};
template <class T>
struct ReluF {
  DG_HOST_DEVICE T fwd(T x) const { return x > T(0) ? x : T(0); }
  DG_HOST_DEVICE T grad(T x, T) const { return x > T(0) ? T(1) : T(0); }
};
template <class T>
struct LeakyReluF {
  T slope;
  DG_HOST_DEVICE T fwd(T x) const { return x > T(0) ? x : slope * x; }
  DG_HOST_DEVICE T grad(T x, T) const { return x > T(0) ? T(1) : slope; }
};
template <class T>
struct SigmoidF {
  DG_HOST_DEVICE T fwd(T x) const { return stable_sigmoid(x); }
  DG_HOST_DEVICE T grad(T, T y) const { return y * (T(1) - y); }
};
template <class T>
struct TanhF {
  DG_HOST_DEVICE T fwd(T x) const { return math::tanh(x); }
  DG_HOST_DEVICE T grad(T, T y) const { return T(1) - y * y; }
};
template <class T>
struct ClampF {
  T lo, hi;
  DG_HOST_DEVICE T fwd(T x) const { return x < lo ? lo : (x > hi ? hi : x); }
  // Strictly inside only: at a bound the clamp is flat on one side, and 0 there matches PyTorch.
  DG_HOST_DEVICE T grad(T x, T) const { return x > lo && x < hi ? T(1) : T(0); }
};

// Soft occupancy of one value (docs/design.md#soft-sparsity): with u = |x|,
//   y = u^a / (u^a + u^-b + 1) = 1 / (1 + u^-(a+b) + u^-a),
// 0 at u = 0, 1/3 at u = 1, -> 1 as u -> inf, and the indicator of u > 1 as a, b -> inf.
// dy/du = y ((a+b) p + a q) / u with p = 1 / (u^(a+b) + 1 + u^b) and q = 1 / (u^a + u^-b + 1),
// both in [0, 1] and computed without overflow (an infinite power makes them 0); at u = 0 the
// derivative is taken as 0 (its limit when a + b > 1).
template <class T>
struct SoftOccupancyF {
  T a, b;
  DG_HOST_DEVICE T fwd(T x) const {
    const T u = math::abs(x);
    if (u == T(0)) return T(0);
    return T(1) / (T(1) + math::pow(u, -(a + b)) + math::pow(u, -a));
  }
  // Reads x only (the front-end keeps the input for this op), so y is recomputed.
  DG_HOST_DEVICE T grad(T x, T) const {
    const T u = math::abs(x);
    if (u == T(0)) return T(0);
    const T y = fwd(x);
    const T p = T(1) / (math::pow(u, a + b) + T(1) + math::pow(u, b));
    const T q = T(1) / (math::pow(u, a) + math::pow(u, -b) + T(1));
    const T d = y * ((a + b) * p + a * q) / u;
    return x > T(0) ? d : -d;
  }
};

// Calls fn(functor) with the functor for `op` and returns true; returns false without calling fn
// for a value outside the enum. Host code: the CPU loops run inside fn, the CUDA side launches its
// kernel there with the functor as an argument.
template <class T, class Fn>
inline bool with_unary_functor(UnaryOp op, const UnaryParams& p, Fn&& fn) {
  switch (op) {
    case UnaryOp::Exp:
      fn(ExpF<T>{});
      return true;
    case UnaryOp::Log:
      fn(LogF<T>{});
      return true;
    case UnaryOp::Log1p:
      fn(Log1pF<T>{});
      return true;
    case UnaryOp::Expm1:
      fn(Expm1F<T>{});
      return true;
    case UnaryOp::Abs:
      fn(AbsF<T>{});
      return true;
    case UnaryOp::Sqrt:
      fn(SqrtF<T>{});
      return true;
    case UnaryOp::Relu:
      fn(ReluF<T>{});
      return true;
    case UnaryOp::LeakyRelu:
      fn(LeakyReluF<T>{T(p.slope)});
      return true;
    case UnaryOp::Sigmoid:
      fn(SigmoidF<T>{});
      return true;
    case UnaryOp::Tanh:
      fn(TanhF<T>{});
      return true;
    case UnaryOp::Clamp:
      fn(ClampF<T>{T(p.lo), T(p.hi)});
      return true;
    case UnaryOp::SoftOccupancy:
      fn(SoftOccupancyF<T>{T(p.alpha), T(p.beta)});
      return true;
  }
  return false;
}

// Whether the op's derivative reads the input x / the output y (the front-end keeps only those).
inline bool unary_grad_uses_input(UnaryOp op) {
  switch (op) {
    case UnaryOp::Exp:
    case UnaryOp::Expm1:
    case UnaryOp::Sqrt:
    case UnaryOp::Sigmoid:
    case UnaryOp::Tanh:
      return false;
    default:
      return true;
  }
}
inline bool unary_grad_uses_output(UnaryOp op) { return !unary_grad_uses_input(op); }

}  // namespace dg::cpu
