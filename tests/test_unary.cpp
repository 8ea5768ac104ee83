// Values against std:: and gradient checks for the unary math and activation ops.
// Run: build/dg_tests -tc="unary*"
#include <cmath>
#include <limits>
#include <utility>

#include "tests/gradcheck.h"

using namespace dg;
using dg::test::gradcheck;
using dg::test::rand_off_zero;
using dg::test::rand_uniform;

namespace {

using OpFn = Tensor (*)(const Tensor&);

// Compares op(x) elementwise with ref(x) in the tensor's dtype and reports the worst element.
template <class Ref>
void check_values(OpFn op, Ref ref, const Tensor& x, double tol) {
  std::vector<double> got = op(x).to_vector(), want, xs = x.to_vector();
  for (double v : xs) want.push_back(ref(v));
  dg::test::MaxErr m = dg::test::max_abs_err(got, want);
  INFO("max |op - std| = " << m.err << " at " << m.index << " (" << m.a << " vs " << m.b << ")");
  CHECK(m.err <= tol);
}

}  // namespace

TEST_CASE("unary: values match std:: in float32 and float64") {
  for (DType dt : {DType::F32, DType::F64}) {
    CAPTURE(dtype_name(dt));
    const double tol = dt == DType::F32 ? 1e-6 : 1e-14;
    PoisonGuard poison;
    Tensor any = rand_uniform({3, 5}, -3, 3, 11, dt);
    Tensor pos = rand_uniform({3, 5}, 0.05, 4, 12, dt);
    Tensor gt_m1 = rand_uniform({3, 5}, -0.9, 3, 13, dt);
    check_values(
        dg::exp, [](double v) { return std::exp(v); }, any, tol * 30);
    check_values(
        dg::log, [](double v) { return std::log(v); }, pos, tol * 4);
    check_values(
        dg::log1p, [](double v) { return std::log1p(v); }, gt_m1, tol * 2);
    check_values(
        dg::expm1, [](double v) { return std::expm1(v); }, any, tol * 30);
    check_values(
        dg::abs, [](double v) { return std::abs(v); }, any, 0);
    check_values(
        dg::sqrt, [](double v) { return std::sqrt(v); }, pos, tol * 2);
    check_values(
        dg::relu, [](double v) { return v > 0 ? v : 0.0; }, any, 0);
    check_values(
        dg::tanh, [](double v) { return std::tanh(v); }, any, tol);
    check_values(
        dg::sigmoid, [](double v) { return 1 / (1 + std::exp(-v)); }, any, tol);
    check_values([](const Tensor& x) { return leaky_relu(x, 0.2); },
                 [](double v) { return v > 0 ? v : 0.2 * v; }, any, tol);
    check_values([](const Tensor& x) { return clamp(x, -1, 0.5); },
                 [](double v) { return std::min(std::max(v, -1.0), 0.5); }, any, 0);
    // Paper 004's Eq. 1 numerator and denominator as written (with the numerator's u^-beta term
    // dropped: docs/design.md#soft-sparsity), not the rearranged form the kernel evaluates.
    check_values([](const Tensor& x) { return soft_occupancy(x, 2.0, 3.0); },
                 [](double v) {
                   const double u = std::abs(v), a = std::pow(u, 2.0);
                   return a / (a + std::pow(u, -3.0) + 1.0);
                 },
                 any, tol * 4);
  }
}

TEST_CASE("unary: sigmoid saturates without NaN for large |x|") {
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor x = Tensor::from_vector({-1000, -100, -30, 0, 30, 100, 1000}, {7}, dt);
    auto y = sigmoid(x).to_vector();
    for (double v : y) CHECK(std::isfinite(v));
    CHECK(y[0] == 0.0);
    CHECK(y[1] == doctest::Approx(std::exp(-100.0)).epsilon(1e-6));
    CHECK(y[3] == 0.5);
    CHECK(y[5] == 1.0);
    CHECK(y[6] == 1.0);
    // The gradient at saturation is 0, not NaN.
    Tensor xr = x.clone().set_requires_grad();
    sum(sigmoid(xr)).backward();
    for (double v : xr.grad().to_vector()) CHECK(std::isfinite(v));
  }
}

TEST_CASE("unary: abs/relu/clamp subgradients at kinks") {
  Tensor x = Tensor::from_vector({-1, 0, 2}, {3}, DType::F64).set_requires_grad();
  sum(abs(x)).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{-1, 0, 1});
  x.zero_grad();
  sum(relu(x)).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0, 1});
  x.zero_grad();
  sum(clamp(x, 0, 2)).backward();  // both bounds hit exactly: gradient 0 there
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0, 0});
}

TEST_CASE("unary: soft_occupancy is 0 at 0, 1/3 at |x| = 1, 1 at infinity, and never NaN") {
  for (DType dt : {DType::F32, DType::F64}) {
    CAPTURE(dtype_name(dt));
    const double big = dt == DType::F32 ? 3e38 : 1e300;
    Tensor x = Tensor::from_vector({0.0, 1.0, -1.0, 1e-30, 1e-8, 1e8, big, INFINITY}, {8}, dt);
    x.set_requires_grad(true);
    Tensor y = soft_occupancy(x, 2.5, 1.5);
    sum(y).backward();
    const std::vector<double> v = y.to_vector(), g = x.grad().to_vector();
    CHECK(v[0] == 0.0);
    CHECK(v[1] == doctest::Approx(1.0 / 3.0));
    CHECK(v[2] == doctest::Approx(1.0 / 3.0));
    CHECK(v[3] >= 0.0);  // (1e-30)^4: 0 in float, 1e-120 in double
    CHECK(v[3] < 1e-100);
    CHECK(v[4] >= 0.0);
    CHECK(v[4] < 1e-20);
    CHECK(v[5] == doctest::Approx(1.0));
    CHECK(v[6] == 1.0);
    CHECK(v[7] == 1.0);
    // dy/du at 1 with a = 2.5, b = 1.5: y ((a+b)/3 + a/3) = (1/3)(6.5/3); odd in x.
    CHECK(g[1] == doctest::Approx(6.5 / 9.0));
    CHECK(g[2] == doctest::Approx(-6.5 / 9.0));
    for (size_t i = 0; i < g.size(); ++i) {
      CAPTURE(i);
      CHECK(std::isfinite(g[i]));
    }
    CHECK(g[0] == 0.0);
    CHECK(g[7] == 0.0);
  }
}

TEST_CASE("unary: bad arguments throw dg::Error") {
  CHECK_THROWS_AS(exp(Tensor()), dg::Error);
  CHECK_THROWS_WITH_AS(clamp(Tensor::zeros({2}), 1, -1), doctest::Contains("clamp"), dg::Error);
  CHECK_THROWS_WITH_AS(soft_occupancy(Tensor::zeros({2}), 0, 1),
                       doctest::Contains("alpha and beta must be finite and > 0"), dg::Error);
  CHECK_THROWS_WITH_AS(soft_occupancy(Tensor::zeros({2}), 1, -1), doctest::Contains("beta -1"),
                       dg::Error);
}

TEST_CASE("unary: gradcheck of every op") {
  const Shape s = {3, 4};
  auto one = [](OpFn op) { return [op](const std::vector<Tensor>& x) { return op(x[0]); }; };
  SUBCASE("smooth ops") {
    gradcheck(one(dg::exp), {rand_uniform(s, -2, 2, 1)});
    gradcheck(one(dg::expm1), {rand_uniform(s, -2, 2, 2)});
    gradcheck(one(dg::tanh), {rand_uniform(s, -2, 2, 3)});
    gradcheck(one(dg::sigmoid), {rand_uniform(s, -4, 4, 4)});
    gradcheck(one(dg::log), {rand_uniform(s, 0.2, 3, 5)});
    gradcheck(one(dg::log1p), {rand_uniform(s, -0.5, 3, 6)});
    gradcheck(one(dg::sqrt), {rand_uniform(s, 0.2, 3, 7)});
  }
  SUBCASE("ops with kinks, inputs kept off them") {
    gradcheck(one(dg::abs), {rand_off_zero(s, 0.1, 2, 8)});
    gradcheck(one(dg::relu), {rand_off_zero(s, 0.1, 2, 9)});
    gradcheck([](const std::vector<Tensor>& x) { return leaky_relu(x[0], 0.2); },
              {rand_off_zero(s, 0.1, 2, 10)});
    // |x| in [0.1, 2) against bounds +-1: off zero is not enough, keep off +-1 too.
    Tensor x = rand_off_zero(s, 0.1, 2, 11);
    double* p = x.data<double>();
    for (int64_t i = 0; i < x.numel(); ++i)
      if (std::abs(std::abs(p[i]) - 1.0) < 0.1) p[i] *= 1.3;
    gradcheck([](const std::vector<Tensor>& v) { return clamp(v[0], -1, 1); }, {x});
    // Both sides of |x| = 1 (where the soft step is steepest) and of 0, never on them.
    for (auto [a, b] : {std::pair{2.0, 2.0}, std::pair{0.7, 3.0}, std::pair{4.0, 0.5}})
      gradcheck([a, b](const std::vector<Tensor>& v) { return soft_occupancy(v[0], a, b); },
                {rand_off_zero(s, 0.2, 3, 15)});
  }
  SUBCASE("composition: log(sigmoid(x)) shares grads through the tape") {
    gradcheck([](const std::vector<Tensor>& x) { return log(sigmoid(mul(x[0], x[0]))); },
              {rand_uniform(s, -2, 2, 12)});
  }
}
