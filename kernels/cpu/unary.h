// CPU reference kernels for elementwise unary math and activations. Templated on the scalar type.
// One functor per op holds the forward value and the local derivative; a single loop template
// applies whichever functor the UnaryOp enum selects, so every op shares the same two loops.
#pragma once
#include <cmath>
#include <cstdint>

namespace dg::cpu {

enum class UnaryOp { Exp, Log, Log1p, Expm1, Abs, Sqrt, Relu, LeakyRelu, Sigmoid, Tanh, Clamp };

// Op parameters; only LeakyRelu (slope) and Clamp (lo, hi) read them.
struct UnaryParams {
  double slope = 0.0;
  double lo = 0.0;
  double hi = 0.0;
};

// 1 / (1 + exp(-x)) without overflow: exp is only ever taken of a non-positive argument, so large
// |x| saturates to exactly 0 or 1 instead of producing inf / inf.
template <class T>
inline T stable_sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}

// Each functor: fwd(x) is the op; grad(x, y) is dy/dx given the input x and the output y = fwd(x),
// so ops whose derivative is cheapest in terms of the output (exp, sigmoid, tanh) can use it.
template <class T>
struct ExpF {
  T fwd(T x) const { return std::exp(x); }
  T grad(T, T y) const { return y; }
};
template <class T>
struct LogF {
  T fwd(T x) const { return std::log(x); }
  T grad(T x, T) const { return T(1) / x; }
};
template <class T>
struct Log1pF {
  T fwd(T x) const { return std::log1p(x); }
  T grad(T x, T) const { return T(1) / (T(1) + x); }
};
template <class T>
struct Expm1F {
  T fwd(T x) const { return std::expm1(x); }
  T grad(T, T y) const { return y + T(1); }
};
template <class T>
struct AbsF {
  T fwd(T x) const { return std::abs(x); }
  // sign(x), with 0 at 0 (the subgradient PyTorch uses).
  T grad(T x, T) const { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)); }
};
template <class T>
struct SqrtF {
  T fwd(T x) const { return std::sqrt(x); }
  T grad(T, T y) const { return T(0.5) / y; }
};
template <class T>
struct ReluF {
  T fwd(T x) const { return x > T(0) ? x : T(0); }
  T grad(T x, T) const { return x > T(0) ? T(1) : T(0); }
};
template <class T>
struct LeakyReluF {
  T slope;
  T fwd(T x) const { return x > T(0) ? x : slope * x; }
  T grad(T x, T) const { return x > T(0) ? T(1) : slope; }
};
template <class T>
struct SigmoidF {
  T fwd(T x) const { return stable_sigmoid(x); }
  T grad(T, T y) const { return y * (T(1) - y); }
};
template <class T>
struct TanhF {
  T fwd(T x) const { return std::tanh(x); }
  T grad(T, T y) const { return T(1) - y * y; }
};
template <class T>
struct ClampF {
  T lo, hi;
  T fwd(T x) const { return x < lo ? lo : (x > hi ? hi : x); }
  // Strictly inside only: at a bound the clamp is flat on one side, and 0 there matches PyTorch.
  T grad(T x, T) const { return x > lo && x < hi ? T(1) : T(0); }
};

// Calls fn(functor) with the functor for `op`.
template <class T, class Fn>
inline void with_unary_functor(UnaryOp op, const UnaryParams& p, Fn&& fn) {
  switch (op) {
    case UnaryOp::Exp:
      return fn(ExpF<T>{});
    case UnaryOp::Log:
      return fn(LogF<T>{});
    case UnaryOp::Log1p:
      return fn(Log1pF<T>{});
    case UnaryOp::Expm1:
      return fn(Expm1F<T>{});
    case UnaryOp::Abs:
      return fn(AbsF<T>{});
    case UnaryOp::Sqrt:
      return fn(SqrtF<T>{});
    case UnaryOp::Relu:
      return fn(ReluF<T>{});
    case UnaryOp::LeakyRelu:
      return fn(LeakyReluF<T>{T(p.slope)});
    case UnaryOp::Sigmoid:
      return fn(SigmoidF<T>{});
    case UnaryOp::Tanh:
      return fn(TanhF<T>{});
    case UnaryOp::Clamp:
      return fn(ClampF<T>{T(p.lo), T(p.hi)});
  }
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

// y[i] = op(x[i]) for i < n; assigns every element of y. x and y may alias.
template <class T>
void unary_forward(UnaryOp op, const UnaryParams& p, const T* x, T* y, int64_t n) {
  with_unary_functor<T>(op, p, [&](auto f) {
    for (int64_t i = 0; i < n; ++i) y[i] = f.fwd(x[i]);
  });
}

// gx[i] = gy[i] * op'(x[i]); assigns every element of gx (never accumulates).
// x or y may be null when the op's derivative does not read it (unary_grad_uses_input/output).
template <class T>
void unary_backward(UnaryOp op, const UnaryParams& p, const T* x, const T* y, const T* gy, T* gx,
                    int64_t n) {
  with_unary_functor<T>(op, p, [&](auto f) {
    if (x && y) {
      for (int64_t i = 0; i < n; ++i) gx[i] = gy[i] * f.grad(x[i], y[i]);
    } else if (x) {
      for (int64_t i = 0; i < n; ++i) gx[i] = gy[i] * f.grad(x[i], T(0));
    } else {
      for (int64_t i = 0; i < n; ++i) gx[i] = gy[i] * f.grad(T(0), y[i]);
    }
  });
}

}  // namespace dg::cpu
