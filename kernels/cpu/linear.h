// CPU reference kernels for dense layers: a row-major GEMM over Eigen (its blocked, vectorized
// product; Eigen::Map wraps our buffers without copies) plus the bias broadcast and its reduction.
// Templated on the scalar type. Matmul and linear forward/backward are all expressed as gemm calls
// with transpose flags, the same shape a cuBLAS backend takes.
#pragma once
#include <Eigen/Dense>
#include <cstdint>

namespace dg::cpu {

template <class T>
using RowMajorMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// C (M,N) = op(A) (M,K) * op(B) (K,N), all row-major. op(A) = A^T when trans_a, in which case A
// is stored (K,M); likewise B is stored (N,K) when trans_b. accumulate: C += ...; else C = ...
// (assigns every element of C; C must not alias A or B).
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const T* A, const T* B, T* C,
          bool accumulate) {
  using CMap = Eigen::Map<const RowMajorMatrix<T>>;
  Eigen::Map<RowMajorMatrix<T>> c(C, M, N);
  if (K == 0) {
    if (!accumulate) c.setZero();
    return;
  }
  CMap a(A, trans_a ? K : M, trans_a ? M : K);
  CMap b(B, trans_b ? N : K, trans_b ? K : N);
  // Each combination is its own expression type, so the product is spelled out per case; noalias
  // lets Eigen write the GEMM result straight into C without a temporary.
  auto run = [&](const auto& opa, const auto& opb) {
    if (accumulate)
      c.noalias() += opa * opb;
    else
      c.noalias() = opa * opb;
  };
  if (!trans_a && !trans_b)
    run(a, b);
  else if (!trans_a && trans_b)
    run(a, b.transpose());
  else if (trans_a && !trans_b)
    run(a.transpose(), b);
  else
    run(a.transpose(), b.transpose());
}

// y (rows, cols) += bias (cols,) broadcast over rows.
template <class T>
void add_row_bias(T* y, const T* bias, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    T* yr = y + r * cols;
    for (int64_t c = 0; c < cols; ++c) yr[c] += bias[c];
  }
}

// gb (cols,) = sum over rows of g (rows, cols); assigns. Backward of add_row_bias.
template <class T>
void bias_backward(const T* g, T* gb, int64_t rows, int64_t cols) {
  for (int64_t c = 0; c < cols; ++c) gb[c] = T(0);
  for (int64_t r = 0; r < rows; ++r) {
    const T* gr = g + r * cols;
    for (int64_t c = 0; c < cols; ++c) gb[c] += gr[c];
  }
}

}  // namespace dg::cpu
