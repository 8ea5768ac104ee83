// Reductions (sum, mean, per-row, log_softmax) and shape ops (reshape, flatten, concat, narrow):
// values, storage sharing, errors and gradient checks.
// Run: build/dg_tests -tc="reduce*,shape*"
#include <cmath>

#include "tests/gradcheck.h"

using namespace dg;
using dg::test::gradcheck;
using dg::test::rand_uniform;

TEST_CASE("reduce: sum/mean/sum_rows/mean_rows values") {
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 3, 2}, DType::F64);
  Tensor s = sum(x), m = mean(x);
  CHECK(s.shape() == Shape{});
  CHECK(s.item() == 78);
  CHECK(m.item() == 6.5);
  CHECK(sum_rows(x).shape() == Shape{2});
  CHECK(sum_rows(x).to_vector() == std::vector<double>{21, 57});
  CHECK(mean_rows(x).to_vector() == std::vector<double>{3.5, 9.5});
  CHECK(sum_rows(Tensor::from_vector({1, 2}, {2}, DType::F64)).to_vector() ==
        std::vector<double>{1, 2});
  // float32 sums keep their precision over many elements (accumulated in double).
  Tensor big = Tensor::full({1000000}, 0.1, DType::F32);
  CHECK(sum(big).item() == doctest::Approx(100000.0).epsilon(1e-6));
}

TEST_CASE("reduce: log_softmax rows exponentiate to 1 and survive large logits") {
  Tensor x = Tensor::from_vector({1, 2, 3, -1000, 0, 1000, 5, 5, 5}, {3, 3}, DType::F64);
  Tensor y = log_softmax(x);
  for (int64_t r = 0; r < 3; ++r) {
    double s = 0;
    for (int64_t c = 0; c < 3; ++c) {
      CHECK(std::isfinite(y.at(r * 3 + c)));
      s += std::exp(y.at(r * 3 + c));
    }
    CHECK(s == doctest::Approx(1.0).epsilon(1e-12));
  }
  double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  CHECK(y.at(0) == doctest::Approx(1 - lse).epsilon(1e-14));
  CHECK(y.at(5) == doctest::Approx(0.0));
  CHECK(y.at(3) == doctest::Approx(-2000.0));
  CHECK(y.at(6) == doctest::Approx(-std::log(3.0)).epsilon(1e-14));
  Tensor yf = log_softmax(rand_uniform({4, 7}, -50, 50, 3, DType::F32));
  for (int64_t r = 0; r < 4; ++r) {
    double s = 0;
    for (int64_t c = 0; c < 7; ++c) s += std::exp(yf.at(r * 7 + c));
    CHECK(s == doctest::Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("shape: reshape shares storage and infers -1") {
  Tensor x = Tensor::from_vector({0, 1, 2, 3, 4, 5}, {2, 3}, DType::F64);
  Tensor r = reshape(x, {3, -1});
  CHECK(r.shape() == Shape{3, 2});
  CHECK(r.raw() == x.raw());
  r.data<double>()[4] = 40;  // writes through the view
  CHECK(x.at(4) == 40);
  CHECK(reshape(x, {-1}).shape() == Shape{6});
  CHECK(reshape(x, {1, 2, 1, 3}).shape() == Shape{1, 2, 1, 3});
  CHECK(reshape(Tensor::scalar(2.0), {1, -1}).shape() == Shape{1, 1});
  Tensor f = flatten(Tensor::zeros({4, 2, 3, 5}));
  CHECK(f.shape() == Shape{4, 30});
  CHECK(flatten(Tensor::zeros({4})).shape() == Shape{4, 1});
}

TEST_CASE("shape: concat and narrow values") {
  Tensor a = Tensor::from_vector({1, 2, 3, 4}, {2, 2}, DType::F64);
  Tensor b = Tensor::from_vector({5, 6}, {2, 1}, DType::F64);
  Tensor c = Tensor::from_vector({7, 8}, {1, 2}, DType::F64);
  PoisonGuard poison;  // every output element must be written
  Tensor ab = concat({a, b}, 1);
  CHECK(ab.shape() == Shape{2, 3});
  CHECK(ab.to_vector() == std::vector<double>{1, 2, 5, 3, 4, 6});
  CHECK(concat({a, b}, -1).to_vector() == ab.to_vector());
  Tensor ac = concat({a, c}, 0);
  CHECK(ac.shape() == Shape{3, 2});
  CHECK(ac.to_vector() == std::vector<double>{1, 2, 3, 4, 7, 8});
  // A middle dim of a 4-D tensor: the channel concat of a conditional GAN.
  Tensor p = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8}, {2, 1, 2, 2}, DType::F64);
  Tensor q = Tensor::from_vector({-1, -2, -3, -4, -5, -6, -7, -8}, {2, 1, 2, 2}, DType::F64);
  CHECK(concat({p, q}, 1).to_vector() ==
        std::vector<double>{1, 2, 3, 4, -1, -2, -3, -4, 5, 6, 7, 8, -5, -6, -7, -8});
  Tensor x = Tensor::from_vector({0, 1, 2, 3, 4, 5, 6, 7}, {4, 2}, DType::F64);
  Tensor n = narrow(x, 1, 2);
  CHECK(n.shape() == Shape{2, 2});
  CHECK(n.to_vector() == std::vector<double>{2, 3, 4, 5});
  CHECK(narrow(x, 4, 0).numel() == 0);
}

TEST_CASE("shape: bad shapes throw dg::Error naming the op") {
  Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(reshape(x, {4, 2}), doctest::Contains("reshape"), dg::Error);
  CHECK_THROWS_WITH_AS(reshape(x, {-1, -1}), doctest::Contains("more than one -1"), dg::Error);
  CHECK_THROWS_WITH_AS(reshape(x, {4, -1}), doctest::Contains("cannot infer"), dg::Error);
  CHECK_THROWS_WITH_AS(reshape(x, {-2, -3}), doctest::Contains("negative"), dg::Error);
  CHECK_THROWS_AS(flatten(Tensor::scalar(1)), dg::Error);
  CHECK_THROWS_WITH_AS(concat({x, Tensor::zeros({3, 3})}, 1), doctest::Contains("concat: xs[1]"),
                       dg::Error);
  CHECK_THROWS_AS(concat({x, Tensor::zeros({2, 3, 1})}, 0), dg::Error);
  CHECK_THROWS_AS(concat({x, Tensor::zeros({2, 3}, DType::F64)}, 0), dg::Error);
  CHECK_THROWS_AS(concat({x}, 2), dg::Error);
  CHECK_THROWS_AS(concat({}, 0), dg::Error);
  CHECK_THROWS_WITH_AS(narrow(x, 1, 2), doctest::Contains("narrow"), dg::Error);
  CHECK_THROWS_AS(narrow(x, -1, 1), dg::Error);
  CHECK_THROWS_WITH_AS(log_softmax(Tensor::zeros({2, 3, 4})), doctest::Contains("(N, K)"),
                       dg::Error);
  CHECK_THROWS_AS(mean(Tensor::zeros({0})), dg::Error);
  CHECK_THROWS_AS(sum_rows(Tensor::scalar(1)), dg::Error);
}

TEST_CASE("reduce: gradcheck of sum, mean, sum_rows, mean_rows, log_softmax") {
  Tensor x = rand_uniform({3, 2, 4}, -1, 1, 21);
  gradcheck([](const std::vector<Tensor>& v) { return sum(v[0]); }, {x});
  gradcheck([](const std::vector<Tensor>& v) { return mean(v[0]); }, {x});
  gradcheck([](const std::vector<Tensor>& v) { return sum_rows(v[0]); }, {x});
  gradcheck([](const std::vector<Tensor>& v) { return mean_rows(v[0]); }, {x});
  gradcheck([](const std::vector<Tensor>& v) { return log_softmax(v[0]); },
            {rand_uniform({4, 5}, -3, 3, 22)});
}

TEST_CASE("shape: gradcheck of reshape, flatten, concat, narrow") {
  Tensor x = rand_uniform({2, 3, 2}, -1, 1, 31);
  gradcheck([](const std::vector<Tensor>& v) { return reshape(v[0], {-1, 2}); }, {x});
  gradcheck([](const std::vector<Tensor>& v) { return flatten(v[0]); }, {x});
  // Reshape then an op that reads the view: the gradient must land back in the original layout.
  gradcheck(
      [](const std::vector<Tensor>& v) {
        return mul(reshape(v[0], {6, 2}), v[1]);
      },
      {x, rand_uniform({6, 1}, -1, 1, 32)});
  Tensor a = rand_uniform({2, 1, 3}, -1, 1, 33), b = rand_uniform({2, 2, 3}, -1, 1, 34);
  gradcheck([](const std::vector<Tensor>& v) { return concat({v[0], v[1]}, 1); }, {a, b});
  gradcheck([](const std::vector<Tensor>& v) { return concat({v[0], v[1], v[0]}, 1); }, {a, b});
  gradcheck(
      [](const std::vector<Tensor>& v) {
        return concat({v[0], v[1]}, 0);
      },
      {rand_uniform({1, 2, 3}, -1, 1, 35), b});
  // Only one input tracked: the other gets no gradient and the tracked one is still right.
  gradcheck(
      [](const std::vector<Tensor>& v) {
        return concat({v[0], v[1]}, -1);
      },
      {rand_uniform({2, 2, 1}, -1, 1, 36), b}, 1e-6, 1e-7, 1e-5, {true, false});
  gradcheck([](const std::vector<Tensor>& v) { return narrow(v[0], 1, 2); },
            {rand_uniform({4, 3}, -1, 1, 37)});
}
