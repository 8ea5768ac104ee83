// The fused diversity regularizer: hand-computed values, gradient checks in double, equivalence
// with the same loss built from separate ops, float32 against float64, and argument errors.
// Run: build/dg_tests -tc="*divers*"
#include <algorithm>
#include <tuple>

#include "tests/gradcheck.h"

using namespace dg;
using dg::test::gradcheck;
using dg::test::max_abs_err;
using dg::test::rand_off_zero;
using dg::test::rand_uniform;

namespace {

constexpr DiversityMode kModes[] = {DiversityMode::kRatioInverse, DiversityMode::kRatioNegative};

const char* mode_name(DiversityMode m) {
  return m == DiversityMode::kRatioInverse ? "ratio-inverse" : "ratio-negative";
}

// The tiny case worked by hand below:
//   e1 - e2 = [[1, 2], [-1, -1]]  -> d_g = [1.5, 1],  sign = [[1, 1], [-1, -1]]
//   z1 - z2 = [[1, 1], [0, -4]]   -> d_z = [1, 2]
//   w = [1, 0.5], B = F = 2
struct Tiny {
  Tensor e1, e2, z1, z2, w;
  explicit Tiny(DType dt) {
    e1 = Tensor::from_vector({1, 2, 0, 0}, {2, 2}, dt);
    e2 = Tensor::from_vector({0, 0, 1, 1}, {2, 2}, dt);
    z1 = Tensor::from_vector({1, 1, 0, 0}, {2, 2}, dt);
    z2 = Tensor::from_vector({0, 0, 0, 4}, {2, 2}, dt);
    w = Tensor::from_vector({1, 0.5}, {2}, dt);
  }
};

// Random inputs kept off the kinks: every |e1 - e2| >= 0.1 and every |z1 - z2| >= 0.2, and w
// spans both signs as DivBal's tanh weights do.
struct Batch {
  Tensor e1, e2, z1, z2, w;
  Batch(int64_t B, int64_t F, int64_t K, unsigned seed, DType dt = DType::F64) {
    e1 = rand_uniform({B, F}, -1, 1, seed, dt);
    e2 = add(e1, rand_off_zero({B, F}, 0.1, 1.0, seed + 1, dt));
    z1 = rand_uniform({B, K}, -2, 2, seed + 2, dt);
    z2 = add(z1, rand_off_zero({B, K}, 0.2, 1.5, seed + 3, dt));
    std::vector<double> wv = rand_uniform({B}, -1, 1, seed + 4).to_vector();
    wv[0] = -std::abs(wv[0]);  // at least one negative and (with B > 1) one positive weight
    if (B > 1) wv[1] = std::abs(wv[1]);
    w = Tensor::from_vector(wv, {B}, dt);
  }
};

// The same loss from separate ops, as the regularizers would be written without the fused kernel.
Tensor unfused_loss(const Tensor& e1, const Tensor& e2, const Tensor& z1, const Tensor& z2,
                    const Tensor& w, DiversityMode mode, double eps) {
  Tensor dg = mean_rows(abs(sub(e1, e2)));
  Tensor dz = mean_rows(abs(sub(z1, z2)));
  if (mode == DiversityMode::kRatioInverse) return mean(div(w, add(div(dg, dz), eps)));
  return neg(mean(div(mul(w, dg), add(dz, eps))));
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol,
                 const char* what) {
  REQUIRE(got.size() == want.size());
  auto m = max_abs_err(got, want);
  INFO(what << ": max abs err " << m.err << " at " << m.index << " (" << m.a << " vs " << m.b
            << ")");
  CHECK(m.err <= tol);
}

}  // namespace

TEST_CASE("diversity_loss: hand-computed values and gradients") {
  PoisonGuard poison;
  for (DType dt : {DType::F64, DType::F32}) {
    CAPTURE(dtype_name(dt));
    const double tol = dt == DType::F64 ? 1e-15 : 1e-7;
    Tiny t(dt);
    // kRatioInverse, eps = 0:   (1/2) [1 / 1.5 + 0.5 / (1/2)] = (1/2) [2/3 + 1] = 5/6
    // kRatioInverse, eps = 0.5: (1/2) [1 / 2 + 0.5 / 1]       = 1/2
    // kRatioNegative, eps = 0:  -(1/2) [1.5 / 1 + 0.5 * 1 / 2]    = -7/8
    // kRatioNegative, eps = 0.5: -(1/2) [1.5 / 1.5 + 0.5 * 1 / 2.5] = -(1/2) (1.2) = -0.6
    CHECK(diversity_loss(t.e1, t.e2, t.z1, t.z2, t.w, DiversityMode::kRatioInverse, 0.0).item() ==
          doctest::Approx(5.0 / 6.0).epsilon(tol));
    CHECK(diversity_loss(t.e1, t.e2, t.z1, t.z2, t.w, DiversityMode::kRatioInverse, 0.5).item() ==
          doctest::Approx(0.5).epsilon(tol));
    CHECK(diversity_loss(t.e1, t.e2, t.z1, t.z2, t.w, DiversityMode::kRatioNegative, 0.0).item() ==
          doctest::Approx(-7.0 / 8.0).epsilon(tol));
    CHECK(diversity_loss(t.e1, t.e2, t.z1, t.z2, t.w, DiversityMode::kRatioNegative, 0.5).item() ==
          doctest::Approx(-0.6).epsilon(tol));

    // Gradients at eps = 0.5, grad_e1_if = (1/B) dL_i/dd_g,i sign_if / F:
    //   inverse:  dL_i/dd_g,i = -w_i / (d_z,i (r_i + eps)^2), r = [1.5, 0.5]
    //             row 0: -1 / (1 * 4) = -1/4;  row 1: -0.5 / (2 * 1) = -1/4
    //             grad_e1 = [[-1/16, -1/16], [1/16, 1/16]]
    //   negative: dL_i/dd_g,i = -w_i / (d_z,i + eps)
    //             row 0: -1 / 1.5 = -2/3;      row 1: -0.5 / 2.5 = -1/5
    //             grad_e1 = [[-1/6, -1/6], [1/20, 1/20]]
    const std::vector<double> want[] = {{-1.0 / 16, -1.0 / 16, 1.0 / 16, 1.0 / 16},
                                        {-1.0 / 6, -1.0 / 6, 1.0 / 20, 1.0 / 20}};
    for (int m = 0; m < 2; ++m) {
      CAPTURE(mode_name(kModes[m]));
      Tiny g(dt);
      g.e1.set_requires_grad();
      g.e2.set_requires_grad();
      diversity_loss(g.e1, g.e2, g.z1, g.z2, g.w, kModes[m], 0.5).backward();
      std::vector<double> neg_want = want[m];
      for (auto& v : neg_want) v = -v;
      check_close(g.e1.grad().to_vector(), want[m], tol, "grad e1");
      check_close(g.e2.grad().to_vector(), neg_want, tol, "grad e2");
    }
  }
}

TEST_CASE("diversity_loss: equal features give zero gradient (sign(0) = 0)") {
  PoisonGuard poison;
  Tensor e1 = Tensor::from_vector({1, 2, 3, 4}, {2, 2}, DType::F64);
  Tensor e2 = Tensor::from_vector({1, 0, 3, 5}, {2, 2}, DType::F64);
  Tensor z1 = Tensor::from_vector({1, 0}, {2, 1}, DType::F64);
  Tensor z2 = Tensor::from_vector({0, 0.5}, {2, 1}, DType::F64);
  Tensor w = Tensor::from_vector({1, 1}, {2}, DType::F64);
  for (DiversityMode mode : kModes) {
    CAPTURE(mode_name(mode));
    e1.set_requires_grad();
    e1.zero_grad();
    diversity_loss(e1, e2, z1, z2, w, mode).backward();
    auto g = e1.grad().to_vector();
    CHECK(g[0] == 0.0);
    CHECK(g[2] == 0.0);
    CHECK(g[1] < 0.0);  // e1 > e2 and the loss falls as d_g grows
    CHECK(g[3] > 0.0);
  }
}

TEST_CASE("gradcheck: diversity_loss w.r.t. e1 and e2") {
  for (DiversityMode mode : kModes) {
    CAPTURE(mode_name(mode));
    for (auto [B, F, K, seed] : {std::tuple{1, 3, 2, 11u}, {4, 6, 3, 21u}, {5, 8, 10, 31u}}) {
      CAPTURE(B);
      Batch b(B, F, K, seed);
      auto f = [&](const std::vector<Tensor>& x) {
        return diversity_loss(x[0], x[1], b.z1, b.z2, b.w, mode);
      };
      gradcheck(f, {b.e1, b.e2});
      // DS-GAN stops the gradient at e2; the e1 gradient must not depend on e2 wanting one.
      gradcheck(f, {b.e1, b.e2}, 1e-6, 1e-7, 1e-5, {true, false});
      gradcheck(f, {b.e1, b.e2}, 1e-6, 1e-7, 1e-5, {false, true});
    }
  }
}

TEST_CASE("diversity_loss: z and w receive no gradient, a detached e2 none either") {
  Batch b(3, 4, 2, 41);
  b.e1.set_requires_grad();
  b.z1.set_requires_grad();
  b.w.set_requires_grad();
  diversity_loss(b.e1, b.e2.detach(), b.z1, b.z2, b.w, DiversityMode::kRatioNegative).backward();
  CHECK(b.e1.grad().defined());
  CHECK_FALSE(b.z1.grad().defined());
  CHECK_FALSE(b.w.grad().defined());
  CHECK_FALSE(b.e2.grad().defined());

  // No graph at all when only z or w require grad, or under no_grad.
  Batch c(3, 4, 2, 43);
  c.z1.set_requires_grad();
  c.w.set_requires_grad();
  CHECK_FALSE(
      diversity_loss(c.e1, c.e2, c.z1, c.z2, c.w, DiversityMode::kRatioInverse).requires_grad());
  c.e1.set_requires_grad();
  NoGradGuard ng;
  CHECK_FALSE(
      diversity_loss(c.e1, c.e2, c.z1, c.z2, c.w, DiversityMode::kRatioInverse).requires_grad());
}

TEST_CASE("diversity_loss matches the unfused graph of separate ops") {
  PoisonGuard poison;
  for (DiversityMode mode : kModes) {
    CAPTURE(mode_name(mode));
    for (double eps : {1e-5, 0.3}) {
      CAPTURE(eps);
      Batch f(6, 64, 10, 51);  // the ZDC shapes: 64-d D features, 10-d latents
      Batch u(6, 64, 10, 51);
      for (Batch* b : {&f, &u}) {
        b->e1.set_requires_grad();
        b->e2.set_requires_grad();
      }
      Tensor lf = diversity_loss(f.e1, f.e2, f.z1, f.z2, f.w, mode, eps);
      Tensor lu = unfused_loss(u.e1, u.e2, u.z1, u.z2, u.w, mode, eps);
      CHECK(std::abs(lf.item() - lu.item()) <= 1e-12);
      // A seed other than 1 checks that the backward scales by the incoming gradient.
      lf.backward(Tensor::scalar(-2.5, DType::F64));
      lu.backward(Tensor::scalar(-2.5, DType::F64));
      check_close(f.e1.grad().to_vector(), u.e1.grad().to_vector(), 1e-12, "grad e1");
      check_close(f.e2.grad().to_vector(), u.e2.grad().to_vector(), 1e-12, "grad e2");
    }
  }
}

TEST_CASE("diversity_loss: float32 agrees with float64") {
  PoisonGuard poison;
  for (DiversityMode mode : kModes) {
    CAPTURE(mode_name(mode));
    Batch d(16, 64, 10, 61);
    Batch s(16, 64, 10, 61, DType::F32);
    for (Batch* b : {&d, &s}) b->e1.set_requires_grad();
    Tensor ld = diversity_loss(d.e1, d.e2, d.z1, d.z2, d.w, mode);
    Tensor ls = diversity_loss(s.e1, s.e2, s.z1, s.z2, s.w, mode);
    CHECK(ls.dtype() == DType::F32);
    CHECK(ls.item() == doctest::Approx(ld.item()).epsilon(1e-5));
    ld.backward();
    ls.backward();
    auto gd = d.e1.grad().to_vector();
    double scale = 0;
    for (double v : gd) scale = std::max(scale, std::abs(v));
    check_close(s.e1.grad().to_vector(), gd, 1e-5 * scale, "grad e1");
  }
}

TEST_CASE("diversity_loss: argument errors") {
  Batch b(3, 4, 2, 71);
  const auto M = DiversityMode::kRatioInverse;
  auto throws = [&](const Tensor& e1, const Tensor& e2, const Tensor& z1, const Tensor& z2,
                    const Tensor& w, const char* text) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(diversity_loss(e1, e2, z1, z2, w, M), doctest::Contains(text), dg::Error);
  };
  Tensor e_other = rand_uniform({3, 5}, -1, 1, 1);
  throws(b.e1, e_other, b.z1, b.z2, b.w, "must have the shape of e1");
  throws(b.e1, b.e2, b.z1, rand_uniform({3, 3}, -1, 1, 2), b.w, "must have the shape of z1");
  throws(b.e1, b.e2, rand_uniform({2, 2}, -1, 1, 3), rand_uniform({2, 2}, -1, 1, 4), b.w,
         "z1 must be (B, K)");
  throws(b.e1, b.e2, b.z1, b.z2, rand_uniform({4}, -1, 1, 5), "w must be (B,)");
  throws(b.e1, b.e2, b.z1, b.z2, rand_uniform({3, 1}, -1, 1, 6), "w must be (B,)");
  throws(rand_uniform({12}, -1, 1, 7), rand_uniform({12}, -1, 1, 8), b.z1, b.z2, b.w,
         "e1 must be (B, F)");
  Tensor empty = Tensor::zeros({0, 4}, DType::F64);
  throws(empty, empty, Tensor::zeros({0, 2}, DType::F64), Tensor::zeros({0, 2}, DType::F64),
         Tensor::zeros({0}, DType::F64), "empty batch");
  throws(b.e1, b.e2.to(DType::F32), b.z1, b.z2, b.w, "mixed dtypes");
  throws(b.e1, Tensor(), b.z1, b.z2, b.w, "'e2' is undefined");
  CHECK_THROWS_WITH_AS(diversity_loss(b.e1, b.e2, b.z1, b.z2, b.w, M, -1.0),
                       doctest::Contains("eps"), dg::Error);
}
