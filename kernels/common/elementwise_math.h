// Per-element math of the broadcasting binary ops and of scale-shift: the BinaryOp enum, each
// op's formula, the enum -> compile-time op dispatch, and x * scale + shift. Shared by the CPU
// kernels (kernels/cpu/elementwise.h, batch_norm.h) and the CUDA kernels
// (kernels/cuda/elementwise.cu, batch_norm.cu).
#pragma once
#include <type_traits>

#include "kernels/common/host_device.h"

namespace dg::cpu {

enum class BinaryOp { Add, Sub, Mul, Div };

template <BinaryOp Op, class T>
DG_HOST_DEVICE inline T apply_binary(T a, T b) {
  if constexpr (Op == BinaryOp::Add) return a + b;
  if constexpr (Op == BinaryOp::Sub) return a - b;
  if constexpr (Op == BinaryOp::Mul) return a * b;
  return a / b;  // BinaryOp::Div
}

// Calls fn(std::integral_constant<BinaryOp, op>{}) and returns true, so that fn's loop or kernel
// is compiled per op; returns false without calling fn for a value outside the enum. Host code.
template <class Fn>
inline bool with_binary_op(BinaryOp op, Fn&& fn) {
  switch (op) {
    case BinaryOp::Add:
      fn(std::integral_constant<BinaryOp, BinaryOp::Add>{});
      return true;
    case BinaryOp::Sub:
      fn(std::integral_constant<BinaryOp, BinaryOp::Sub>{});
      return true;
    case BinaryOp::Mul:
      fn(std::integral_constant<BinaryOp, BinaryOp::Mul>{});
      return true;
    case BinaryOp::Div:
      fn(std::integral_constant<BinaryOp, BinaryOp::Div>{});
      return true;
  }
  return false;
}

// x * scale + shift, one expression (the compilers may fuse it into one multiply-add, each side
// as it always has): scale_shift_forward and the batch-norm forward's per-channel affine map.
template <class T>
DG_HOST_DEVICE inline T scale_shift(T x, T scale, T shift) {
  return x * scale + shift;
}

}  // namespace dg::cpu
