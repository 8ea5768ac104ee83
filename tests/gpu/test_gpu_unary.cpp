// GPU parity of the unary math and activations, forward and backward, each on inputs inside its
// domain and away from its kinks (where a one-sided derivative would decide the result), at a ZDC
// feature shape and a 44x44 map shape.
// Run: build-cuda/dg_tests -tc="gpu: unary*"
#include <doctest/doctest.h>

#include <utility>

#include "tests/gpu/gpu_parity.h"

using namespace dg;
using namespace dg::test;

namespace {

void unary_case(const std::string& name, Tensor (*op)(const Tensor&), const Tensor& x, Tol tol) {
  parity(
      name, [op](const std::vector<Tensor>& v) { return op(v[0]); }, {x}, tol, tol);
}

}  // namespace

TEST_CASE("gpu: unary math ops") {
  DG_REQUIRE_GPU();
  for (const Shape& s : {Shape{256, 64}, Shape{8, 4, 44, 44}}) {
    const std::string at = " " + shape_str(s);
    unary_case("exp" + at, dg::exp, uniform32(s, -4.0, 4.0, 1), kElementwise);
    unary_case("log" + at, dg::log, uniform32(s, 0.1, 5.0, 2), kElementwise);
    unary_case("log1p" + at, dg::log1p, uniform32(s, -0.9, 5.0, 3), {1e-6, 1e-5});
    unary_case("expm1" + at, dg::expm1, uniform32(s, -4.0, 4.0, 4), kElementwise);
    unary_case("abs" + at, dg::abs, off_zero32(s, 0.01, 3.0, 5), kElementwise);
    unary_case("sqrt" + at, dg::sqrt, uniform32(s, 0.05, 5.0, 6), kElementwise);
  }
}

TEST_CASE("gpu: activations") {
  DG_REQUIRE_GPU();
  for (const Shape& s : {Shape{128, 64}, Shape{256, 256}, Shape{8, 16, 44, 44}}) {
    const std::string at = " " + shape_str(s);
    unary_case("relu" + at, dg::relu, off_zero32(s, 0.01, 3.0, 11), kElementwise);
    unary_case("sigmoid" + at, dg::sigmoid, uniform32(s, -8.0, 8.0, 12), kElementwise);
    unary_case("tanh" + at, dg::tanh, uniform32(s, -4.0, 4.0, 13), kElementwise);
    Tensor x = off_zero32(s, 0.01, 3.0, 14);
    parity(
        "leaky_relu 0.2" + at, [](const std::vector<Tensor>& v) { return leaky_relu(v[0], 0.2); },
        {x}, kElementwise, kElementwise);
    // Bounds at +-0.5 while inputs sit in [0.01, 3) by magnitude: some hit both flat sides, none
    // lies exactly on a bound.
    parity(
        "clamp" + at, [](const std::vector<Tensor>& v) { return clamp(v[0], -0.505, 0.495); }, {x},
        kElementwise, kElementwise);
  }
}

TEST_CASE("gpu: soft_occupancy") {
  DG_REQUIRE_GPU();
  for (const Shape& s : {Shape{256, 64}, Shape{8, 1, 44, 44}}) {
    const std::string at = " " + shape_str(s);
    // Counts on both sides of the soft step at 1, some beyond 1e19 (where u^(a+b) overflows float
    // and the derivative's terms become exactly 0), and exact zeros (value and gradient 0).
    Tensor x = off_zero32(s, 0.01, 30.0, 15);
    float* p = x.data<float>();
    for (int64_t i = 0; i < x.numel(); i += 7) p[i] = 0.0f;
    for (int64_t i = 3; i < x.numel(); i += 11) p[i] = 3e19f;
    for (auto [a, b] : {std::pair{2.0, 2.0}, std::pair{0.7, 3.0}})
      parity("soft_occupancy" + at,
             [a, b](const std::vector<Tensor>& v) { return soft_occupancy(v[0], a, b); }, {x},
             {1e-6, 1e-5}, {1e-6, 1e-5});
  }
}

TEST_CASE("gpu: sigmoid saturates without overflow") {
  DG_REQUIRE_GPU();
  Tensor x = Tensor::from_vector({-100.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 100.0}, {7}, DType::F32);
  unary_case("sigmoid extremes", dg::sigmoid, x, kElementwise);
}
