// GPU parity of matmul and linear (cuBLAS SGEMM with the row-major mapping of kernels/cuda/
// linear.cu), forward and backward, at the ZDC layer shapes: 19 -> 256 (conditions + latents into
// the generator) and 256 -> 21632 (the generator's dense layer before the 2D part) at batch
// 128/256, plus odd non-square sizes that catch a swapped transpose or leading dimension.
// Run: build-cuda/dg_tests -tc="gpu: matmul*,gpu: linear*"
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "tests/gpu/gpu_parity.h"

using namespace dg;
using namespace dg::test;

TEST_CASE("gpu: matmul of non-square matrices") {
  DG_REQUIRE_GPU();
  struct Case {
    int64_t m, k, n;
  };
  for (const Case c : {Case{37, 19, 53}, Case{1, 5, 3}, Case{64, 1, 7}, Case{128, 256, 64}}) {
    Tensor a = uniform32({c.m, c.k}, -1.0, 1.0, 1), b = uniform32({c.k, c.n}, -1.0, 1.0, 2);
    const Tol t = gemm_tol(std::max({c.k, c.m, c.n}));
    parity(
        "matmul " + std::to_string(c.m) + "x" + std::to_string(c.k) + "x" + std::to_string(c.n),
        [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); }, {a, b}, t, t);
  }
}

TEST_CASE("gpu: linear at the ZDC layer shapes") {
  DG_REQUIRE_GPU();
  struct Case {
    int64_t batch, in, out;
  };
  for (const Case c : {Case{128, 19, 256}, Case{256, 19, 256}, Case{128, 256, 21632},
                       Case{256, 256, 21632}, Case{256, 64, 1}, Case{3, 7, 5}}) {
    // Weights at PyTorch's default init scale keep activations O(1), as in training.
    const double bound = 1.0 / std::sqrt(static_cast<double>(c.in));
    Tensor x = uniform32({c.batch, c.in}, -1.0, 1.0, 11);
    Tensor w = uniform32({c.out, c.in}, -bound, bound, 12);
    Tensor b = uniform32({c.out}, -bound, bound, 13);
    const Tol t = gemm_tol(std::max({c.batch, c.in, c.out}));
    const std::string at = " " + std::to_string(c.batch) + ": " + std::to_string(c.in) + " -> " +
                           std::to_string(c.out);
    parity(
        "linear" + at, [](const std::vector<Tensor>& v) { return linear(v[0], v[1], v[2]); },
        {x, w, b}, t, t);
    parity(
        "linear without bias" + at,
        [](const std::vector<Tensor>& v) { return linear(v[0], v[1], Tensor()); }, {x, w}, t, t);
  }
  // The first layer's data input needs no gradient: only weight and bias get one.
  Tensor x = uniform32({256, 19}, -1.0, 1.0, 21), w = uniform32({256, 19}, -0.2, 0.2, 22),
         b = uniform32({256}, -0.2, 0.2, 23);
  parity("linear, x without grad",
         [](const std::vector<Tensor>& v) { return linear(v[0], v[1], v[2]); }, {x, w, b},
         gemm_tol(256), gemm_tol(256), {false, true, true});
}
