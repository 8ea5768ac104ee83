// Adam / AdamW against hand-computed steps, and the optimizer's bookkeeping.
// Run: build/dg_tests -tc="adam*"
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "engine/optim.h"

using namespace dg;

namespace {

Tensor param64(double v) {
  Tensor p = Tensor::scalar(v, DType::F64);
  p.set_requires_grad(true);
  return p;
}

void set_grad64(Tensor& p, double g) { p.set_grad(Tensor::scalar(g, DType::F64)); }

}  // namespace

TEST_CASE("adam: two hand-computed steps") {
  Tensor p = param64(1.0);
  AdamOptions o;
  o.lr = 0.1;
  Adam adam({{"p", p}}, o);

  // Step 1, g = 0.5: m = 0.05, v = 0.00025; bias-corrected m^ = 0.5, v^ = 0.25.
  set_grad64(p, 0.5);
  adam.step();
  double p1 = 1 - 0.1 * (0.5 * (1 - 0.9) / (1 - 0.9)) / (std::sqrt(0.25 * 0.001 / 0.001) + 1e-8);
  CHECK(p.item() == doctest::Approx(p1).epsilon(1e-14));
  CHECK(p.item() == doctest::Approx(0.900000002).epsilon(1e-12));
  CHECK(adam.steps() == 1);

  // Step 2, g = -0.2: m = 0.9 * 0.05 + 0.1 * (-0.2) = 0.025,
  // v = 0.999 * 0.00025 + 0.001 * 0.04 = 0.00028975; 1 - 0.9^2 = 0.19, 1 - 0.999^2 = 0.001999.
  set_grad64(p, -0.2);
  adam.step();
  double p2 = p1 - 0.1 * (0.025 / 0.19) / (std::sqrt(0.00028975 / 0.001999) + 1e-8);
  CHECK(p.item() == doctest::Approx(p2).epsilon(1e-13));
  CHECK(p.item() == doctest::Approx(0.8654394181165106).epsilon(1e-12));

  auto state = adam.named_state();
  REQUIRE(state.size() == 2);
  CHECK(state[0].first == "exp_avg.p");
  CHECK(state[1].first == "exp_avg_sq.p");
  CHECK(state[0].second.item() == doctest::Approx(0.025).epsilon(1e-14));
  CHECK(state[1].second.item() == doctest::Approx(0.00028975).epsilon(1e-14));
}

TEST_CASE("adam: L2 weight decay is added to the gradient") {
  // p = 2, wd = 0.1. Step 1, g = -0.1: g' = -0.1 + 0.2 = 0.1, so p moves down by ~lr although the
  // raw gradient points up. Step 2, g = 0.3: g' = 0.3 + 0.1 p1.
  Tensor p = param64(2.0);
  AdamOptions o;
  o.lr = 0.1;
  o.weight_decay = 0.1;
  Adam adam({{"p", p}}, o);
  set_grad64(p, -0.1);
  adam.step();
  double p1 = 2 - 0.1 * (0.01 / 0.1) / (std::sqrt(0.00001 / 0.001) + 1e-8);
  CHECK(p.item() == doctest::Approx(p1).epsilon(1e-14));
  CHECK(p.item() == doctest::Approx(1.90000001).epsilon(1e-12));

  set_grad64(p, 0.3);
  adam.step();
  double g2 = 0.3 + 0.1 * p1;
  double m2 = 0.9 * 0.01 + 0.1 * g2, v2 = 0.999 * 0.00001 + 0.001 * g2 * g2;
  double p2 = p1 - 0.1 * (m2 / 0.19) / (std::sqrt(v2 / 0.001999) + 1e-8);
  CHECK(p.item() == doctest::Approx(p2).epsilon(1e-13));
  CHECK(p.item() == doctest::Approx(1.8136956743095183).epsilon(1e-12));
}

TEST_CASE("adam: decoupled (AdamW) weight decay shrinks the parameter, not the gradient") {
  // p *= 1 - lr * wd = 0.99 before each step; the moments see the raw gradient.
  Tensor p = param64(2.0);
  AdamOptions o;
  o.lr = 0.1;
  o.weight_decay = 0.1;
  o.decoupled_weight_decay = true;
  Adam adam({{"p", p}}, o);
  set_grad64(p, -0.1);
  adam.step();
  double p1 = 2 * 0.99 - 0.1 * (-0.01 / 0.1) / (std::sqrt(0.00001 / 0.001) + 1e-8);
  CHECK(p.item() == doctest::Approx(p1).epsilon(1e-14));
  CHECK(p.item() == doctest::Approx(2.07999999).epsilon(1e-12));

  set_grad64(p, 0.3);
  adam.step();
  double m2 = 0.9 * -0.01 + 0.1 * 0.3, v2 = 0.999 * 0.00001 + 0.001 * 0.09;
  double p2 = p1 * 0.99 - 0.1 * (m2 / 0.19) / (std::sqrt(v2 / 0.001999) + 1e-8);
  CHECK(p.item() == doctest::Approx(p2).epsilon(1e-13));
  CHECK(p.item() == doctest::Approx(2.009781008979935).epsilon(1e-12));
}

TEST_CASE("adam: parameters without a gradient are untouched") {
  Tensor a = Tensor::from_vector({1, -2, 3}, {3}).set_requires_grad(true);
  Tensor b = Tensor::from_vector({4, 5}, {2}).set_requires_grad(true);
  AdamOptions o;
  o.weight_decay = 0.5;  // decay must not reach a parameter that was skipped either
  Adam adam({{"a", a}, {"b", b}}, o);
  a.set_grad(Tensor::from_vector({0.1, 0.2, 0.3}, {3}));
  adam.step();
  CHECK(b.to_vector() == std::vector<double>{4, 5});
  for (double x : adam.named_state()[1].second.to_vector()) CHECK(x == 0.0);  // exp_avg.b
  CHECK(a.at(0) != 1.0);

  adam.zero_grad();
  CHECK_FALSE(a.grad().defined());
  std::vector<double> before = a.to_vector();
  adam.step();
  CHECK(a.to_vector() == before);
  CHECK(adam.steps() == 2);
}

TEST_CASE("adam: float32 tensors follow a double reference over several steps") {
  std::mt19937 gen(5);
  std::uniform_real_distribution<double> d(-1, 1);
  const int n = 7, steps = 4;
  std::vector<double> p0(n);
  for (auto& x : p0) x = d(gen);
  Tensor p = Tensor::from_vector(p0, {n});
  p.set_requires_grad(true);
  AdamOptions o;
  o.lr = 0.01;
  o.beta1 = 0.5;
  o.beta2 = 0.99;
  o.eps = 1e-7;
  o.weight_decay = 0.01;
  Adam adam({{"w", p}}, o);
  std::vector<double> ref = p0, m(n, 0), v(n, 0);
  for (int t = 1; t <= steps; ++t) {
    std::vector<double> g(n);
    for (auto& x : g) x = d(gen);
    p.set_grad(Tensor::from_vector(g, {n}));
    adam.step();
    for (int i = 0; i < n; ++i) {
      double gi = g[i] + o.weight_decay * ref[i];
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * gi;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * gi * gi;
      double mh = m[i] / (1 - std::pow(o.beta1, t)), vh = v[i] / (1 - std::pow(o.beta2, t));
      ref[i] -= o.lr * mh / (std::sqrt(vh) + o.eps);
    }
  }
  auto got = p.to_vector();
  for (int i = 0; i < n; ++i) {
    CAPTURE(i);
    CHECK(got[i] == doctest::Approx(ref[i]).epsilon(1e-5));
  }
}

TEST_CASE("adam: a gradient of the wrong shape is rejected") {
  Tensor p = Tensor::zeros({2}).set_requires_grad(true);
  Adam adam({{"w", p}}, AdamOptions{});
  p.impl()->grad = Tensor::zeros({3}).impl_ptr();  // bypasses set_grad's own shape check
  CHECK_THROWS_WITH_AS(adam.step(), doctest::Contains("gradient of 'w'"), dg::Error);
}
