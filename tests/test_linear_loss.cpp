// Dense layers (matmul, linear) and bce_with_logits: values against naive loops and hand-computed
// cases, stability at extreme logits, shape errors and gradient checks.
// Run: build/dg_tests -tc="linear*,matmul*,bce*"
#include <cmath>

#include "tests/gradcheck.h"

using namespace dg;
using dg::test::gradcheck;
using dg::test::rand_uniform;

namespace {

// Naive triple loop in double: the reference the Eigen GEMM is checked against.
std::vector<double> naive_matmul(const std::vector<double>& a, const std::vector<double>& b,
                                 int64_t m, int64_t k, int64_t n) {
  std::vector<double> c(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) c[i * n + j] += a[i * k + p] * b[p * n + j];
  return c;
}

}  // namespace

TEST_CASE("matmul: values against a naive loop in float32 and float64") {
  const int64_t m = 13, k = 19, n = 37;  // odd sizes exercise the GEMM's edge blocks
  for (DType dt : {DType::F64, DType::F32}) {
    CAPTURE(dtype_name(dt));
    Tensor a = rand_uniform({m, k}, -1, 1, 1, dt), b = rand_uniform({k, n}, -1, 1, 2, dt);
    PoisonGuard poison;
    Tensor c = matmul(a, b);
    CHECK(c.shape() == Shape{m, n});
    auto want = naive_matmul(a.to_vector(), b.to_vector(), m, k, n);
    dg::test::MaxErr e = dg::test::max_abs_err(c.to_vector(), want);
    INFO("max err " << e.err << " at " << e.index);
    CHECK(e.err <= (dt == DType::F64 ? 1e-13 : 1e-5));
  }
}

TEST_CASE("linear: x W^T + b against a naive loop, with and without bias") {
  const int64_t n = 5, in = 7, out = 3;
  Tensor x = rand_uniform({n, in}, -1, 1, 3), w = rand_uniform({out, in}, -1, 1, 4);
  Tensor b = rand_uniform({out}, -1, 1, 5);
  PoisonGuard poison;
  Tensor y = linear(x, w, b), y0 = linear(x, w, Tensor());
  CHECK(y.shape() == Shape{n, out});
  auto xv = x.to_vector(), wv = w.to_vector(), bv = b.to_vector();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < out; ++j) {
      double s = 0;
      for (int64_t p = 0; p < in; ++p) s += xv[i * in + p] * wv[j * in + p];
      CHECK(y0.at(i * out + j) == doctest::Approx(s).epsilon(1e-13));
      CHECK(y.at(i * out + j) == doctest::Approx(s + bv[j]).epsilon(1e-13));
    }
}

TEST_CASE("linear: bad shapes throw dg::Error naming the argument") {
  Tensor x = Tensor::zeros({4, 3}), w = Tensor::zeros({2, 3}), b = Tensor::zeros({2});
  CHECK_NOTHROW(linear(x, w, b));
  CHECK_THROWS_WITH_AS(linear(x, Tensor::zeros({2, 4}), b), doctest::Contains("'weight'"),
                       dg::Error);
  CHECK_THROWS_WITH_AS(linear(x, w, Tensor::zeros({3})), doctest::Contains("'bias'"), dg::Error);
  CHECK_THROWS_WITH_AS(linear(Tensor::zeros({4, 3, 1}), w, b), doctest::Contains("'x'"), dg::Error);
  CHECK_THROWS_AS(linear(x, Tensor::zeros({2, 3}, DType::F64), b), dg::Error);
  CHECK_THROWS_WITH_AS(matmul(x, Tensor::zeros({4, 2})), doctest::Contains("matmul: argument 'b'"),
                       dg::Error);
  CHECK_THROWS_AS(matmul(Tensor::zeros({3}), x), dg::Error);
}

TEST_CASE("matmul/linear: gradcheck") {
  Tensor a = rand_uniform({4, 3}, -1, 1, 11), b = rand_uniform({3, 5}, -1, 1, 12);
  gradcheck([](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); }, {a, b});
  gradcheck([](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); }, {a, b}, 1e-6, 1e-7,
            1e-5, {false, true});
  gradcheck([](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); }, {a, b}, 1e-6, 1e-7,
            1e-5, {true, false});
  Tensor x = rand_uniform({4, 3}, -1, 1, 13), w = rand_uniform({6, 3}, -1, 1, 14);
  Tensor bias = rand_uniform({6}, -1, 1, 15);
  gradcheck([](const std::vector<Tensor>& v) { return linear(v[0], v[1], v[2]); }, {x, w, bias});
  gradcheck([](const std::vector<Tensor>& v) { return linear(v[0], v[1], Tensor()); }, {x, w});
  // The data input of a first layer does not require grad.
  gradcheck([](const std::vector<Tensor>& v) { return linear(v[0], v[1], v[2]); }, {x, w, bias},
            1e-6, 1e-7, 1e-5, {false, true, true});
}

TEST_CASE("bce_with_logits: hand-computed value") {
  // x = (0, 2, -1), t = (1, 0, 0.5):
  //   log 2 + (2 + log1p(e^-2)) + (0.5 + log1p(e^-1))  averaged over 3.
  Tensor x = Tensor::from_vector({0, 2, -1}, {3}, DType::F64);
  Tensor t = Tensor::from_vector({1, 0, 0.5}, {3}, DType::F64);
  double want =
      (std::log(2.0) + 2 + std::log1p(std::exp(-2.0)) + 0.5 + std::log1p(std::exp(-1.0))) / 3;
  Tensor l = bce_with_logits(x, t);
  CHECK(l.shape() == Shape{});
  CHECK(l.item() == doctest::Approx(want).epsilon(1e-14));
  // Against the textbook formula with sigmoid.
  double ref = 0;
  for (int i = 0; i < 3; ++i) {
    double s = 1 / (1 + std::exp(-x.at(i)));
    ref -= t.at(i) * std::log(s) + (1 - t.at(i)) * std::log(1 - s);
  }
  CHECK(l.item() == doctest::Approx(ref / 3).epsilon(1e-12));
  // Scalar target overload equals a full target tensor.
  CHECK(bce_with_logits(x, 1.0).item() ==
        doctest::Approx(bce_with_logits(x, Tensor::full({3}, 1.0, DType::F64)).item())
            .epsilon(1e-15));
}

TEST_CASE("bce_with_logits: stable for logits of +-100") {
  for (DType dt : {DType::F32, DType::F64}) {
    CAPTURE(dtype_name(dt));
    Tensor x = Tensor::from_vector({100, -100}, {2}, dt);
    // Confidently right: loss ~ e^-100; confidently wrong: loss = 100 per element.
    CHECK(bce_with_logits(x, Tensor::from_vector({1, 0}, {2}, dt)).item() == doctest::Approx(0.0));
    CHECK(bce_with_logits(x, Tensor::from_vector({0, 1}, {2}, dt)).item() ==
          doctest::Approx(100.0).epsilon(1e-6));
    CHECK(bce_with_logits(x, 1.0).item() == doctest::Approx(50.0).epsilon(1e-6));
    Tensor xr = Tensor::from_vector({100, -100, 1e4}, {3}, dt).set_requires_grad();
    Tensor l = bce_with_logits(xr, 0.0);
    CHECK(std::isfinite(l.item()));
    l.backward();
    auto g = xr.grad().to_vector();
    CHECK(g[0] == doctest::Approx(1.0 / 3));
    CHECK(g[1] == doctest::Approx(0.0));
    CHECK(g[2] == doctest::Approx(1.0 / 3));
  }
}

TEST_CASE("bce_with_logits: bad shapes throw dg::Error") {
  CHECK_THROWS_WITH_AS(bce_with_logits(Tensor::zeros({4, 1}), Tensor::zeros({4})),
                       doctest::Contains("'targets'"), dg::Error);
  CHECK_THROWS_AS(bce_with_logits(Tensor::zeros({0}), 1.0), dg::Error);
  CHECK_THROWS_AS(bce_with_logits(Tensor::zeros({2}), Tensor()), dg::Error);
}

TEST_CASE("bce_with_logits: gradcheck") {
  Tensor x = rand_uniform({4, 3}, -4, 4, 21), t = rand_uniform({4, 3}, 0, 1, 22);
  gradcheck([](const std::vector<Tensor>& v) { return bce_with_logits(v[0], v[1]); }, {x, t}, 1e-6,
            1e-7, 1e-5, {true, false});
  // Soft targets produced upstream also get their gradient (-x / n).
  gradcheck([](const std::vector<Tensor>& v) { return bce_with_logits(v[0], v[1]); }, {x, t});
  gradcheck([](const std::vector<Tensor>& v) { return bce_with_logits(v[0], 0.9); }, {x});
}
