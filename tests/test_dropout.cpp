// dropout: identity cases, keep fraction and scaling, mask reproducibility, gradient check.
#include "engine/rng.h"
#include "tests/gradcheck.h"

using namespace dg;
using dg::test::gradcheck;
using dg::test::rand_uniform;

TEST_CASE("dropout: eval and p = 0 are the identity and draw nothing") {
  Tensor x = rand_uniform({3, 4}, -1, 1, 1);
  Philox rng(5, 2);
  CHECK(dropout(x, 0.5, false, rng).to_vector() == x.to_vector());
  CHECK(dropout(x, 0.0, true, rng).to_vector() == x.to_vector());
  CHECK(rng.offset() == 2);
}

TEST_CASE("dropout: keep fraction, scaling and generator advance") {
  const int64_t n = 100000;
  const double p = 0.3;
  Tensor x = Tensor::full({n}, 2.0, DType::F64);
  Philox rng(17, 4);
  Tensor y = dropout(x, p, true, rng);
  CHECK(rng.offset() == 4 + n / 4);
  int64_t kept = 0;
  bool scaled = true;
  for (double v : y.to_vector()) {
    if (v != 0.0) {
      ++kept;
      scaled = scaled && std::abs(v - 2.0 / (1.0 - p)) < 1e-12;
    }
  }
  CHECK(scaled);
  CHECK(std::abs(static_cast<double>(kept) / n - (1.0 - p)) < 0.01);
  // float32 path: the same mask, the scale rounded once.
  Philox r32(17, 4);
  auto y32 = dropout(x.to(DType::F32), p, true, r32).to_vector();
  auto y64 = y.to_vector();
  for (int64_t i = 0; i < n; ++i)
    if ((y32[i] == 0.0) != (y64[i] == 0.0)) FAIL("float32 and float64 masks differ at " << i);
}

TEST_CASE("dropout: the mask is the uniform stream thresholded at 1 - p") {
  const double p = 0.4;
  Tensor x = Tensor::full({2, 5}, 1.0, DType::F64);
  Philox a(3, 9), b(3, 9), c(4, 9);
  auto ya = dropout(x, p, true, a).to_vector();
  auto u = b.uniform({10}, 0, 1, DType::F64).to_vector();
  for (size_t i = 0; i < u.size(); ++i) CHECK(ya[i] == (u[i] < 1.0 - p ? 1.0 / (1.0 - p) : 0.0));
  CHECK(a.offset() == b.offset());
  // Same seed and offset give the same mask; another seed, another mask.
  Philox a2(3, 9);
  CHECK(dropout(x, p, true, a2).to_vector() == ya);
  CHECK(dropout(Tensor::full({64}, 1.0, DType::F64), p, true, c).to_vector() !=
        dropout(Tensor::full({64}, 1.0, DType::F64), p, true, a2).to_vector());
  // Consecutive calls use fresh parts of the stream.
  Philox d(3, 9);
  auto first = dropout(Tensor::full({64}, 1.0, DType::F64), p, true, d).to_vector();
  CHECK(dropout(Tensor::full({64}, 1.0, DType::F64), p, true, d).to_vector() != first);
}

TEST_CASE("dropout: p outside [0, 1) is an error") {
  Tensor x = Tensor::zeros({4}, DType::F64);
  Philox rng(1);
  CHECK_THROWS_AS(dropout(x, 1.0, true, rng), dg::Error);
  CHECK_THROWS_AS(dropout(x, -0.1, true, rng), dg::Error);
  CHECK_THROWS_AS(dropout(x, 1.5, false, rng), dg::Error);
}

TEST_CASE("gradcheck: dropout with a fixed mask") {
  Tensor x = rand_uniform({5, 7}, -2, 2, 31);
  // A fresh generator per call: every evaluation draws the same mask.
  auto f = [](const std::vector<Tensor>& in) {
    Philox rng(1234, 8);
    return dropout(in[0], 0.35, true, rng);
  };
  gradcheck(f, {x});
  // The backward is exactly mask * scale: dL/dx of sum(y) is y / x.
  Tensor xr = x.clone().set_requires_grad();
  Philox rng(1234, 8);
  Tensor y = dropout(xr, 0.35, true, rng);
  sum(y).backward();
  auto g = xr.grad().to_vector(), yv = y.to_vector(), xv = x.to_vector();
  int zeros = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    CHECK(g[i] == doctest::Approx(yv[i] / xv[i]).epsilon(1e-12));
    zeros += g[i] == 0.0;
  }
  CHECK(zeros > 0);
  CHECK(zeros < static_cast<int>(g.size()));
}
