// Test helpers: seeded random tensors and a central-finite-difference gradient check in double.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/ops.h"

namespace dg::test {

// Uniform values in [lo, hi), seeded (test-only RNG; the engine's Philox is tested separately).
inline Tensor rand_uniform(const Shape& shape, double lo, double hi, unsigned seed,
                           DType dtype = DType::F64) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(shape_numel(shape));
  for (auto& x : v) x = d(gen);
  return Tensor::from_vector(v, shape, dtype);
}

// Values whose magnitude lies in [lo, hi) with random sign: keeps inputs off the kink at 0.
inline Tensor rand_off_zero(const Shape& shape, double lo, double hi, unsigned seed,
                            DType dtype = DType::F64) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::bernoulli_distribution s(0.5);
  std::vector<double> v(shape_numel(shape));
  for (auto& x : v) x = s(gen) ? d(gen) : -d(gen);
  return Tensor::from_vector(v, shape, dtype);
}

// Max |a - b| and where; for messages.
struct MaxErr {
  double err = 0;
  int64_t index = -1;
  double a = 0, b = 0;
};
inline MaxErr max_abs_err(const std::vector<double>& a, const std::vector<double>& b) {
  MaxErr m;
  for (size_t i = 0; i < a.size(); ++i) {
    double e = std::abs(a[i] - b[i]);
    if (!(e <= m.err)) {  // NaN counts as the worst
      m.err = std::isnan(e) ? INFINITY : e;
      m.index = static_cast<int64_t>(i);
      m.a = a[i];
      m.b = b[i];
    }
  }
  return m;
}

// Checks d<f(x), c>/dx_i of every input marked in `check` (all when empty) against central finite
// differences. Inputs must be float64. Every tensor the op allocates is NaN-poisoned, and leaf
// gradients are pre-filled with a sentinel so the test also proves that backward accumulates.
inline void gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                      std::vector<Tensor> inputs, double h = 1e-6, double atol = 1e-7,
                      double rtol = 1e-5, std::vector<bool> check = {}, unsigned seed = 99) {
  if (check.empty()) check.assign(inputs.size(), true);
  PoisonGuard poison;
  for (size_t i = 0; i < inputs.size(); ++i) {
    REQUIRE(inputs[i].dtype() == DType::F64);
    inputs[i].set_requires_grad(check[i]);
    inputs[i].zero_grad();
  }
  Tensor y0;
  {
    NoGradGuard ng;
    y0 = f(inputs);
  }
  Tensor c = rand_uniform(y0.shape(), -1.0, 1.0, seed);
  auto objective = [&]() {
    NoGradGuard ng;
    Tensor y = f(inputs);
    auto yv = y.to_vector(), cv = c.to_vector();
    double s = 0;
    for (size_t k = 0; k < yv.size(); ++k) s += yv[k] * cv[k];
    return s;
  };
  const double sentinel = 0.375;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (check[i]) inputs[i].set_grad(Tensor::full(inputs[i].shape(), sentinel, DType::F64));
  Tensor y = f(inputs);
  REQUIRE(y.requires_grad());
  y.backward(c);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!check[i]) continue;
    Tensor g = inputs[i].grad();
    REQUIRE(g.defined());
    auto gv = g.to_vector();
    for (auto& v : gv) v -= sentinel;
    std::vector<double> fd(gv.size());
    double* x = inputs[i].data<double>();
    for (size_t k = 0; k < fd.size(); ++k) {
      double keep = x[k];
      x[k] = keep + h;
      double up = objective();
      x[k] = keep - h;
      double dn = objective();
      x[k] = keep;
      fd[k] = (up - dn) / (2 * h);
    }
    for (size_t k = 0; k < fd.size(); ++k) {
      double tol = atol + rtol * std::abs(fd[k]);
      if (!(std::abs(gv[k] - fd[k]) <= tol)) {
        std::ostringstream os;
        os << "input " << i << " element " << k << ": autograd " << gv[k]
           << " vs finite difference " << fd[k];
        FAIL_CHECK(os.str());
        break;
      }
    }
    MaxErr m = max_abs_err(gv, fd);
    INFO("input " << i << " max |autograd - fd| = " << m.err << " at " << m.index);
    CHECK(m.err <= atol + rtol * 10.0 * (std::abs(m.b) + 1.0));
    inputs[i].zero_grad();
  }
}

}  // namespace dg::test
