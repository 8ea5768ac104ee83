// batch_norm: hand-computed values and running-stat updates, eval mode, gradient checks in double.
#include <cmath>

#include "tests/gradcheck.h"

using namespace dg;
using dg::test::gradcheck;
using dg::test::rand_uniform;

namespace {
void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  auto m = dg::test::max_abs_err(got, want);
  INFO("max |got - want| = " << m.err << " at " << m.index << " (" << m.a << " vs " << m.b << ")");
  CHECK(m.err <= tol);
}
}  // namespace

TEST_CASE("batch_norm: training values and running-stat update, hand-computed") {
  PoisonGuard poison;
  Tensor x = Tensor::from_vector({1, 2, 3, 4}, {4, 1}, DType::F64);
  Tensor gamma = Tensor::from_vector({2}, {1}, DType::F64);
  Tensor beta = Tensor::from_vector({0.5}, {1}, DType::F64);
  Tensor rm = Tensor::zeros({1}, DType::F64), rv = Tensor::full({1}, 1.0, DType::F64);
  const double eps = 1e-5;
  Tensor y = batch_norm(x, gamma, beta, rm, rv, true, 0.1, eps);
  // mean 2.5, biased variance 1.25 normalizes; the unbiased 5/3 feeds the running variance.
  const double is = 1.0 / std::sqrt(1.25 + eps);
  check_close(y.to_vector(),
              {2 * -1.5 * is + 0.5, 2 * -0.5 * is + 0.5, 2 * 0.5 * is + 0.5, 2 * 1.5 * is + 0.5},
              1e-12);
  check_close(rm.to_vector(), {0.25}, 1e-15);
  check_close(rv.to_vector(), {0.9 + 0.1 * 5.0 / 3.0}, 1e-15);
  // A second step moves the buffers again from where they are.
  batch_norm(x, gamma, beta, rm, rv, true, 0.1, eps);
  check_close(rm.to_vector(), {0.9 * 0.25 + 0.1 * 2.5}, 1e-15);
  check_close(rv.to_vector(), {0.9 * (0.9 + 0.1 * 5.0 / 3.0) + 0.1 * 5.0 / 3.0}, 1e-15);
}

TEST_CASE("batch_norm: (N,C,H,W) statistics are per channel over N, H and W") {
  // Channel 0 holds 0..7, channel 1 holds 10 * (0..7), spread over N = 2 and H x W = 2 x 2.
  std::vector<double> v(16);
  for (int n = 0; n < 2; ++n)
    for (int s = 0; s < 4; ++s) {
      v[(n * 2 + 0) * 4 + s] = n * 4 + s;
      v[(n * 2 + 1) * 4 + s] = 10.0 * (n * 4 + s);
    }
  Tensor x = Tensor::from_vector(v, {2, 2, 2, 2}, DType::F64);
  Tensor rm = Tensor::zeros({2}, DType::F64), rv = Tensor::zeros({2}, DType::F64);
  Tensor y = batch_norm(x, Tensor(), Tensor(), rm, rv, true, 0.5, 0.0);
  // 0..7: mean 3.5, biased variance 5.25, unbiased 6.
  std::vector<double> want(16);
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 2; ++c)
      for (int s = 0; s < 4; ++s) want[(n * 2 + c) * 4 + s] = (n * 4 + s - 3.5) / std::sqrt(5.25);
  check_close(y.to_vector(), want, 1e-12);
  check_close(rm.to_vector(), {0.5 * 3.5, 0.5 * 35.0}, 1e-12);
  check_close(rv.to_vector(), {0.5 * 6.0, 0.5 * 600.0}, 1e-12);
}

TEST_CASE("batch_norm: eval mode uses the running statistics and leaves them alone") {
  Tensor x = Tensor::from_vector({1, 2, 3, 4, -1, 0}, {3, 2}, DType::F64);
  Tensor gamma = Tensor::from_vector({2, -1}, {2}, DType::F64);
  Tensor beta = Tensor::from_vector({0.5, 1}, {2}, DType::F64);
  Tensor rm = Tensor::from_vector({0.5, 2}, {2}, DType::F64);
  Tensor rv = Tensor::from_vector({4, 0.25}, {2}, DType::F64);
  Tensor y = batch_norm(x, gamma, beta, rm, rv, false, 0.1, 0.0);
  // channel 0: (x - 0.5) / 2 * 2 + 0.5;  channel 1: (x - 2) / 0.5 * -1 + 1
  check_close(y.to_vector(), {1.0, 1.0, 3.0, -3.0, -1.0, 5.0}, 1e-12);
  CHECK(rm.to_vector() == std::vector<double>{0.5, 2});
  CHECK(rv.to_vector() == std::vector<double>{4, 0.25});
  CHECK_THROWS_AS(batch_norm(x, gamma, beta, Tensor(), Tensor(), false, 0.1, 1e-5), dg::Error);
}

TEST_CASE("batch_norm: argument checks") {
  Tensor x = Tensor::zeros({4, 3}, DType::F64);
  Tensor c3 = Tensor::zeros({3}, DType::F64), c2 = Tensor::zeros({2}, DType::F64);
  CHECK_THROWS_AS(batch_norm(Tensor::zeros({4, 3, 2}, DType::F64), c3, c3, c3, c3, true, 0.1, 1e-5),
                  dg::Error);
  CHECK_THROWS_AS(batch_norm(x, c2, c3, c3, c3, true, 0.1, 1e-5), dg::Error);
  CHECK_THROWS_AS(batch_norm(x, c3, c3, Tensor::zeros({3}), c3, true, 0.1, 1e-5), dg::Error);
  CHECK_THROWS_AS(batch_norm(Tensor::zeros({1, 3}, DType::F64), c3, c3, c3, c3, true, 0.1, 1e-5),
                  dg::Error);
  // Training without running buffers normalizes with batch statistics and updates nothing.
  CHECK_NOTHROW(
      batch_norm(rand_uniform({4, 3}, -1, 1, 1), c3, c3, Tensor(), Tensor(), true, 0.1, 1e-5));
}

TEST_CASE("batch_norm: float32 agrees with float64") {
  Tensor xd = rand_uniform({8, 3, 5, 5}, -3, 5, 21);
  Tensor gd = rand_uniform({3}, 0.5, 1.5, 22), bd = rand_uniform({3}, -1, 1, 23);
  Tensor rmd = rand_uniform({3}, -1, 1, 24), rvd = rand_uniform({3}, 0.5, 2, 25);
  Tensor rmf = rmd.to(DType::F32), rvf = rvd.to(DType::F32);
  Tensor yd = batch_norm(xd, gd, bd, rmd, rvd, true, 0.1, 1e-5);
  Tensor yf = batch_norm(xd.to(DType::F32), gd.to(DType::F32), bd.to(DType::F32), rmf, rvf, true,
                         0.1, 1e-5);
  CHECK(yf.dtype() == DType::F32);
  check_close(yf.to_vector(), yd.to_vector(), 1e-5);
  check_close(rmf.to_vector(), rmd.to_vector(), 1e-6);
  check_close(rvf.to_vector(), rvd.to_vector(), 1e-5);
}

TEST_CASE("gradcheck: batch_norm training mode, (N,C) and (N,C,H,W)") {
  const Shape shapes[] = {{6, 3}, {3, 2, 3, 2}};
  unsigned seed = 100;
  for (const Shape& s : shapes) {
    CAPTURE(shape_str(s));
    const int64_t C = s[1];
    Tensor x = rand_uniform(s, -2, 2, seed++);
    Tensor gamma = rand_uniform({C}, 0.5, 1.5, seed++), beta = rand_uniform({C}, -1, 1, seed++);
    Tensor rm = rand_uniform({C}, -1, 1, seed++), rv = rand_uniform({C}, 0.5, 2, seed++);
    auto f = [rm, rv](const std::vector<Tensor>& in) {
      return batch_norm(in[0], in[1], in[2], rm.clone(), rv.clone(), true, 0.1, 1e-5);
    };
    gradcheck(f, {x, gamma, beta});
    // x alone (gamma, beta constants) and no affine at all.
    gradcheck(f, {x, gamma, beta}, 1e-6, 1e-7, 1e-5, {true, false, false});
    gradcheck(
        [](const std::vector<Tensor>& in) {
          return batch_norm(in[0], Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-5);
        },
        {x});
  }
}

TEST_CASE("gradcheck: batch_norm eval mode, (N,C) and (N,C,H,W)") {
  const Shape shapes[] = {{5, 3}, {2, 3, 2, 3}};
  unsigned seed = 200;
  for (const Shape& s : shapes) {
    CAPTURE(shape_str(s));
    const int64_t C = s[1];
    Tensor x = rand_uniform(s, -2, 2, seed++);
    Tensor gamma = rand_uniform({C}, 0.5, 1.5, seed++), beta = rand_uniform({C}, -1, 1, seed++);
    Tensor rm = rand_uniform({C}, -1, 1, seed++), rv = rand_uniform({C}, 0.5, 2, seed++);
    gradcheck(
        [rm, rv](const std::vector<Tensor>& in) {
          return batch_norm(in[0], in[1], in[2], rm, rv, false, 0.1, 1e-5);
        },
        {x, gamma, beta});
  }
}

TEST_CASE("batch_norm: eval backward uses the statistics of its forward") {
  // The running buffers move after the forward; the gradient must not see that.
  Tensor x = rand_uniform({4, 2}, -1, 1, 300).set_requires_grad();
  Tensor gamma = rand_uniform({2}, 0.5, 1.5, 301).set_requires_grad();
  Tensor rm = Tensor::from_vector({0.1, -0.2}, {2}, DType::F64);
  Tensor rv = Tensor::from_vector({1.5, 0.5}, {2}, DType::F64);
  Tensor y = batch_norm(x, gamma, Tensor(), rm, rv, false, 0.1, 0.0);
  rm.fill_(100.0);
  rv.fill_(100.0);
  sum(y).backward();
  auto gx = x.grad().to_vector(), gg = gamma.grad().to_vector(), xv = x.to_vector();
  const double mu[2] = {0.1, -0.2}, var[2] = {1.5, 0.5};
  double want_gg[2] = {0, 0};
  for (int n = 0; n < 4; ++n)
    for (int c = 0; c < 2; ++c) {
      CHECK(gx[n * 2 + c] == doctest::Approx(gamma.at(c) / std::sqrt(var[c])).epsilon(1e-12));
      want_gg[c] += (xv[n * 2 + c] - mu[c]) / std::sqrt(var[c]);
    }
  CHECK(gg[0] == doctest::Approx(want_gg[0]).epsilon(1e-12));
  CHECK(gg[1] == doctest::Approx(want_gg[1]).epsilon(1e-12));
}
