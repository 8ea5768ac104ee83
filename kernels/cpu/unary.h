// CPU reference kernels for elementwise unary math and activations. Templated on the scalar type.
// The ops, their functors (forward value and local derivative) and the enum -> functor dispatch are
// shared with the CUDA kernels in kernels/common/unary_math.h; a single loop template applies
// whichever functor the UnaryOp enum selects, so every op shares the same two loops.
#pragma once
#include <cstdint>

#include "kernels/common/unary_math.h"

namespace dg::cpu {

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
