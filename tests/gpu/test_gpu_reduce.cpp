// GPU parity of the reductions (sum/mean over all elements and per row, log-softmax) and of the
// copying shape ops (concat, narrow), forward and backward; determinism of the sums.
// Run: build-cuda/dg_tests -tc="gpu: reduc*,gpu: concat*"
#include <doctest/doctest.h>

#include <cstring>

#include "tests/gpu/gpu_parity.h"

using namespace dg;
using namespace dg::test;

namespace {
constexpr Tol kSum{1e-5, 1e-5};
}

TEST_CASE("gpu: reductions over all elements and per row") {
  DG_REQUIRE_GPU();
  const Shape shapes[] = {{256, 64}, {128, 10}, {256, 1, 44, 44}, {3, 1}, {1, 7}, {1000, 3}};
  unsigned seed = 1;
  for (const Shape& s : shapes) {
    Tensor x = uniform32(s, -1.0, 1.0, seed++);
    const std::string at = " " + shape_str(s);
    parity(
        "sum" + at, [](const std::vector<Tensor>& v) { return sum(v[0]); }, {x}, kSum, kSum);
    parity(
        "mean" + at, [](const std::vector<Tensor>& v) { return mean(v[0]); }, {x}, kSum, kSum);
    parity(
        "sum_rows" + at, [](const std::vector<Tensor>& v) { return sum_rows(v[0]); }, {x}, kSum,
        kSum);
    parity(
        "mean_rows" + at, [](const std::vector<Tensor>& v) { return mean_rows(v[0]); }, {x}, kSum,
        kSum);
  }
}

TEST_CASE("gpu: reductions are bitwise deterministic") {
  DG_REQUIRE_GPU();
  Tensor x = uniform32({256, 1, 44, 44}, -1.0, 1.0, 9).to(Device::CUDA);
  const float a = static_cast<float>(sum(x).item()), b = static_cast<float>(sum(x).item());
  CHECK(std::memcmp(&a, &b, sizeof a) == 0);
  const auto ra = sum_rows(x).to_vector(), rb = sum_rows(x).to_vector();
  CHECK(ra == rb);
}

TEST_CASE("gpu: log_softmax") {
  DG_REQUIRE_GPU();
  for (const Shape& s : {Shape{128, 11}, Shape{256, 11}, Shape{4, 100}, Shape{3, 1}}) {
    Tensor x = uniform32(s, -5.0, 5.0, 21);
    parity("log_softmax " + shape_str(s),
           [](const std::vector<Tensor>& v) { return log_softmax(v[0]); }, {x}, {1e-5, 1e-5},
           {1e-5, 1e-5});
  }
}

TEST_CASE("gpu: concat and narrow") {
  DG_REQUIRE_GPU();
  // The generator's input: 9 conditions beside 10 latents (dim 1), and the 2B-row batch (dim 0).
  Tensor c = uniform32({256, 9}, -1.0, 1.0, 31), z = uniform32({256, 10}, -1.0, 1.0, 32);
  parity(
      "concat dim 1",
      [](const std::vector<Tensor>& v) {
        return concat({v[0], v[1]}, 1);
      },
      {c, z}, kElementwise, kElementwise);
  Tensor a = uniform32({128, 64}, -1.0, 1.0, 33), b = uniform32({128, 64}, -1.0, 1.0, 34);
  parity(
      "concat dim 0",
      [](const std::vector<Tensor>& v) {
        return concat({v[0], v[1]}, 0);
      },
      {a, b}, kElementwise, kElementwise);
  Tensor m = uniform32({4, 3, 5, 5}, -1.0, 1.0, 35), n = uniform32({4, 2, 5, 5}, -1.0, 1.0, 36);
  parity(
      "concat channels",
      [](const std::vector<Tensor>& v) {
        return concat({v[0], v[1]}, 1);
      },
      {m, n}, kElementwise, kElementwise);
  Tensor x = uniform32({256, 64}, -1.0, 1.0, 37);
  parity(
      "narrow", [](const std::vector<Tensor>& v) { return narrow(v[0], 128, 100); }, {x},
      kElementwise, kElementwise);
}
