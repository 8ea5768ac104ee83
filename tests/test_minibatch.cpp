// minibatch_similarity (Salimans et al.'s minibatch discrimination term; engine/ops.h) and the
// MinibatchDiscrimination layer: values against a direct evaluation of the definition, the batch
// of one, ties, gradient checks in double, and bad shapes.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "engine/nn/module.h"
#include "engine/rng.h"
#include "tests/gradcheck.h"

using namespace dg;
using namespace dg::test;

namespace {

// o[i,b] straight from the definition, on the host in double.
std::vector<double> reference(const std::vector<double>& m, int64_t N, int64_t B, int64_t C) {
  std::vector<double> o(N * B, 0.0);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t b = 0; b < B; ++b) {
      double s = 0;
      for (int64_t j = 0; j < N; ++j) {
        if (j == i) continue;
        double d = 0;
        for (int64_t c = 0; c < C; ++c)
          d += std::abs(m[(i * B + b) * C + c] - m[(j * B + b) * C + c]);
        s += std::exp(-d);
      }
      o[i * B + b] = N > 1 ? s / (N - 1) : 0.0;
    }
  return o;
}

}  // namespace

TEST_CASE("minibatch_similarity: values match the definition in float32 and float64") {
  for (DType dt : {DType::F32, DType::F64}) {
    CAPTURE(dtype_name(dt));
    PoisonGuard poison;
    const int64_t N = 7, B = 3, C = 4;
    Tensor m = rand_uniform({N, B, C}, -1, 1, 3, dt);
    const std::vector<double> got = minibatch_similarity(m).to_vector();
    const std::vector<double> want = reference(m.to_vector(), N, B, C);
    REQUIRE(got.size() == want.size());
    const MaxErr e = max_abs_err(got, want);
    CAPTURE(e.index);
    CHECK(e.err <= (dt == DType::F32 ? 1e-6 : 1e-14));
  }
}

TEST_CASE("minibatch_similarity: hand-computed pair, a batch of one, and ties") {
  // Two samples, one kernel of two dims: distance |0.5 - 0| + |1 - 0.25| = 1.25.
  Tensor m = Tensor::from_vector({0.5, 1.0, 0.0, 0.25}, {2, 1, 2}, DType::F64);
  m.set_requires_grad(true);
  Tensor o = minibatch_similarity(m);
  const std::vector<double> v = o.to_vector();
  CHECK(v[0] == doctest::Approx(std::exp(-1.25)));
  CHECK(v[1] == doctest::Approx(std::exp(-1.25)));
  sum(o).backward();
  // d(o0 + o1)/dm[0,0,c] = -2 exp(-1.25) sign(m0c - m1c).
  const std::vector<double> g = m.grad().to_vector();
  CHECK(g[0] == doctest::Approx(-2 * std::exp(-1.25)));
  CHECK(g[1] == doctest::Approx(-2 * std::exp(-1.25)));
  CHECK(g[2] == doctest::Approx(2 * std::exp(-1.25)));
  CHECK(g[3] == doctest::Approx(2 * std::exp(-1.25)));

  Tensor one = Tensor::from_vector({0.3, -0.2}, {1, 2, 1}, DType::F64);
  one.set_requires_grad(true);
  Tensor o1 = minibatch_similarity(one);
  CHECK(o1.to_vector() == std::vector<double>{0.0, 0.0});
  sum(o1).backward();
  CHECK(one.grad().to_vector() == std::vector<double>{0.0, 0.0});

  // Identical samples: kernel 1, and no direction to move (sign 0), not NaN.
  Tensor same = Tensor::from_vector({0.4, 0.4, 0.4}, {3, 1, 1}, DType::F64);
  same.set_requires_grad(true);
  Tensor os = minibatch_similarity(same);
  CHECK(os.to_vector() == std::vector<double>{1.0, 1.0, 1.0});
  sum(os).backward();
  CHECK(same.grad().to_vector() == std::vector<double>{0.0, 0.0, 0.0});
}

TEST_CASE("gradcheck: minibatch_similarity and the MinibatchDiscrimination layer") {
  // Uniform values: no two coincide (almost surely), so every difference stays off the kink at 0.
  gradcheck([](const std::vector<Tensor>& v) { return minibatch_similarity(v[0]); },
            {rand_uniform({6, 3, 2}, -1, 1, 21)});
  gradcheck([](const std::vector<Tensor>& v) { return minibatch_similarity(v[0]); },
            {rand_uniform({5, 1, 1}, -2, 2, 22)});
  // The layer's composition x T -> reshape -> similarity, w.r.t. both x and T.
  gradcheck(
      [](const std::vector<Tensor>& v) {
        return minibatch_similarity(reshape(matmul(v[0], v[1]), {v[0].size(0), 4, 3}));
      },
      {rand_uniform({5, 2}, -1, 1, 23), rand_uniform({2, 12}, -1, 1, 24)});
}

TEST_CASE("MinibatchDiscrimination: shapes, parameter, and bad input") {
  Philox init(5, 0);
  nn::MinibatchDiscrimination layer(1, 8, 2, init);
  REQUIRE(layer.named_parameters().size() == 1);
  CHECK(layer.named_parameters()[0].second.shape() == Shape{1, 16});
  Tensor x = Tensor::from_vector({0.1, 0.2, 0.3, 0.9}, {4, 1}, DType::F32);
  Tensor o = layer.forward(x);
  CHECK(o.shape() == Shape{4, 8});
  for (double v : o.to_vector()) {
    CHECK(v > 0.0);
    CHECK(v <= 1.0);
  }
  CHECK_THROWS_WITH_AS(layer.forward(Tensor::zeros({4, 2})),
                       doctest::Contains("MinibatchDiscrimination: x must be (N, 1)"), dg::Error);
  CHECK_THROWS_WITH_AS(minibatch_similarity(Tensor::zeros({4, 2})),
                       doctest::Contains("must be (N, B, C)"), dg::Error);
  CHECK_THROWS_WITH_AS(nn::MinibatchDiscrimination(1, 0, 2, init), doctest::Contains("kernels"),
                       dg::Error);
}
