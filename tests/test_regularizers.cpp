// The diversity regularizers of gan/regularizers.h: each loss against a tiny case worked by hand,
// gradients by central finite differences in double (inputs kept off the |.| kinks), the
// stop-gradients the formulas ask for, and the parsing of regularizer names.
// Run: build/dg_tests -tc="regularizer*"
#include <algorithm>
#include <cmath>

#include "gan/regularizer.h"
#include "gan/regularizers.h"
#include "tests/gradcheck.h"

using namespace dg;
using namespace dg::gan;
using dg::test::gradcheck;
using dg::test::rand_off_zero;
using dg::test::rand_uniform;

namespace {

constexpr double kTol = 1e-14;

Tensor t64(const std::vector<double>& v, const Shape& s) {
  return Tensor::from_vector(v, s, DType::F64);
}

// The tiny case shared by the hand computations (B = 2, F = 2, K = 2):
//   x1 - x2 = [[1, 2], [-1, -1]]  -> per-row mean |.| d_x = [1.5, 1], batch mean |.| = 5/4
//   z1 - z2 = [[1, 1], [0, -4]]   -> per-row mean |.| d_z = [1, 2],  batch mean |.| = 6/4
struct Tiny {
  Tensor x1 = t64({1, 2, 0, 0}, {2, 2});
  Tensor x2 = t64({0, 0, 1, 1}, {2, 2});
  Tensor z1 = t64({1, 1, 0, 0}, {2, 2});
  Tensor z2 = t64({0, 0, 0, 4}, {2, 2});
};

// Random pairs for the gradient checks: every |x1 - x2| >= 0.1 and every |z1 - z2| >= 0.2, so a
// finite-difference step never crosses a kink of |.|.
struct Pairs {
  Tensor x1, x2, z1, z2;
  Pairs(const Shape& xs, int64_t k, unsigned seed) {
    const int64_t b = xs[0];
    x1 = rand_uniform(xs, -1, 1, seed);
    x2 = add(x1, rand_off_zero(xs, 0.1, 1.0, seed + 1));
    z1 = rand_uniform({b, k}, -2, 2, seed + 2);
    z2 = add(z1, rand_off_zero({b, k}, 0.2, 1.5, seed + 3));
  }
};

std::vector<double> row_ratios(const Tensor& a, const Tensor& b, const Tensor& z1, const Tensor& z2,
                               double eps) {
  NoGradGuard ng;
  auto dx = mean_rows(abs(sub(flatten(a), flatten(b)))).to_vector();
  auto dz = mean_rows(abs(sub(z1, z2))).to_vector();
  for (size_t i = 0; i < dx.size(); ++i) dx[i] /= dz[i] + eps;
  return dx;
}

}  // namespace

TEST_CASE("regularizers: ms_loss hand-computed values and gradients") {
  Tiny t;
  // r = (5/4) / (6/4) = 5/6;  eps = 0: 1 / (5/6) = 6/5;  eps = 0.5: 1 / (5/6 + 1/2) = 3/4
  CHECK(ms_loss(t.x1, t.x2, t.z1, t.z2, 0.0).item() == doctest::Approx(1.2).epsilon(kTol));
  CHECK(ms_loss(t.x1, t.x2, t.z1, t.z2, 0.5).item() == doctest::Approx(0.75).epsilon(kTol));
  // Image layout does not matter: the same values as (B, 1, 1, 2) images.
  CHECK(ms_loss(reshape(t.x1, {2, 1, 1, 2}), reshape(t.x2, {2, 1, 1, 2}), t.z1, t.z2, 0.5).item() ==
        doctest::Approx(0.75).epsilon(kTol));

  // Gradient at eps = 0.5: dL/dr = -1 / (r + eps)^2 = -9/16; dr/dx1_j = sign_j / (4 * 6/4) = sign_j
  // / 6
  //   grad x1 = -9/16 / 6 * [1, 1, -1, -1] = -3/32 * [1, 1, -1, -1], grad x2 = -grad x1
  Tiny g;
  g.x1.set_requires_grad();
  g.x2.set_requires_grad();
  ms_loss(g.x1, g.x2, g.z1, g.z2, 0.5).backward();
  const double a = 3.0 / 32.0;
  const std::vector<double> want1{-a, -a, a, a}, want2{a, a, -a, -a};
  auto g1 = g.x1.grad().to_vector(), g2 = g.x2.grad().to_vector();
  for (size_t i = 0; i < 4; ++i) {
    CHECK(g1[i] == doctest::Approx(want1[i]).epsilon(kTol));
    CHECK(g2[i] == doctest::Approx(want2[i]).epsilon(kTol));
  }
}

TEST_CASE("regularizers: ms_loss gradcheck w.r.t. both images") {
  for (auto [shape, seed] : {std::pair<Shape, unsigned>{{3, 4}, 11u}, {{2, 1, 3, 3}, 21u}}) {
    CAPTURE(shape_str(shape));
    Pairs p(shape, 3, seed);
    gradcheck([&](const std::vector<Tensor>& x) { return ms_loss(x[0], x[1], p.z1, p.z2, 1e-5); },
              {p.x1, p.x2});
  }
}

TEST_CASE("regularizers: ds_loss hand-computed values, with and without tau") {
  Tiny t;
  // No clamp, eps = 0:   r = d_x / d_z = [1.5/1, 1/2] = [1.5, 0.5];  L = -(1.5 + 0.5)/2 = -1
  // No clamp, eps = 0.5: r = [1.5/1.5, 1/2.5] = [1, 0.4];           L = -(1 + 0.4)/2 = -0.7
  CHECK(ds_loss(t.x1, t.x2, t.z1, t.z2, 0.0, 0.0).item() == doctest::Approx(-1.0).epsilon(kTol));
  CHECK(ds_loss(t.x1, t.x2, t.z1, t.z2, 0.0, 0.5).item() == doctest::Approx(-0.7).epsilon(kTol));
  // tau = 1.2, eps = 0:  r = [min(1.5, 1.2), 0.5] = [1.2, 0.5];      L = -(1.2 + 0.5)/2 = -0.85
  // tau = 0.3, eps = 0.5: r = [min(1, 0.3), min(0.4, 0.3)];          L = -0.3
  // tau = 5 clamps nothing and agrees with the unclamped form:        L = -0.7
  CHECK(ds_loss(t.x1, t.x2, t.z1, t.z2, 1.2, 0.0).item() == doctest::Approx(-0.85).epsilon(kTol));
  CHECK(ds_loss(t.x1, t.x2, t.z1, t.z2, 0.3, 0.5).item() == doctest::Approx(-0.3).epsilon(kTol));
  CHECK(ds_loss(t.x1, t.x2, t.z1, t.z2, 5.0, 0.5).item() == doctest::Approx(-0.7).epsilon(kTol));
  CHECK(ds_loss(reshape(t.x1, {2, 1, 2, 1}), reshape(t.x2, {2, 1, 2, 1}), t.z1, t.z2, 0.0, 0.5)
            .item() == doctest::Approx(-0.7).epsilon(kTol));

  // Gradients, eps = 0.5: dL/dx1_ij = -(1/B) sign_ij / (F (d_z,i + eps))
  //   row 0: -(1/2) / (2 * 1.5) = -1/6;  row 1: -(1/2)(-1) / (2 * 2.5) = +1/10
  // With tau = 1.2, eps = 0 row 0 is clamped (r = 1.5 > 1.2) and gets no gradient;
  //   row 1: -(1/2)(-1) / (2 * 2) = +1/8.
  struct Case {
    double tau, eps;
    std::vector<double> want;
  };
  for (const Case& c :
       {Case{0.0, 0.5, {-1.0 / 6, -1.0 / 6, 0.1, 0.1}}, Case{1.2, 0.0, {0.0, 0.0, 0.125, 0.125}}}) {
    CAPTURE(c.tau);
    Tiny g;
    g.x1.set_requires_grad();
    g.x2.set_requires_grad();
    ds_loss(g.x1, g.x2, g.z1, g.z2, c.tau, c.eps).backward();
    auto g1 = g.x1.grad().to_vector();
    for (size_t i = 0; i < 4; ++i) CHECK(g1[i] == doctest::Approx(c.want[i]).epsilon(kTol));
    // DS-GAN stops the gradient at the second image.
    CHECK_FALSE(g.x2.grad().defined());
  }
}

TEST_CASE("regularizers: ds_loss gradcheck w.r.t. the first image (second is stop-grad)") {
  Pairs p({5, 1, 2, 3}, 4, 31);
  auto unclamped = [&](const std::vector<Tensor>& x) {
    return ds_loss(x[0], x[1], p.z1, p.z2, 0.0, 1e-5);
  };
  gradcheck(unclamped, {p.x1, p.x2}, 1e-6, 1e-7, 1e-5, {true, false});

  // tau between the sorted per-row ratios with a wide margin: some rows clamped, some not, and
  // none within reach of a finite-difference step of the clamp's kink.
  std::vector<double> r = row_ratios(p.x1, p.x2, p.z1, p.z2, 1e-5);
  std::sort(r.begin(), r.end());
  size_t best = 0;
  for (size_t i = 1; i + 1 < r.size(); ++i)
    if (r[i + 1] - r[i] > r[best + 1] - r[best]) best = i;
  REQUIRE(r[best + 1] - r[best] > 1e-3);
  const double tau = 0.5 * (r[best] + r[best + 1]);
  CAPTURE(tau);
  auto clamped = [&](const std::vector<Tensor>& x) {
    return ds_loss(x[0], x[1], p.z1, p.z2, tau, 1e-5);
  };
  gradcheck(clamped, {p.x1, p.x2}, 1e-6, 1e-7, 1e-5, {true, false});
  // The clamp really bites: the clamped loss differs from the unclamped one.
  CHECK(clamped({p.x1, p.x2}).item() > unclamped({p.x1, p.x2}).item() + 1e-6);
}

TEST_CASE("regularizers: sdi_loss hand-computed values and gradcheck") {
  Tiny t;
  Tensor fdiv = t64({0.2, 1.0}, {2});
  // d_x / d_z = [1.5, 0.5]
  //   eps = 0:   L = (0.2 / 1.5 + 1 / 0.5) / 2 = (2/15 + 2) / 2 = 16/15
  //   eps = 0.5: L = (0.2 / 2 + 1 / 1) / 2 = 1.1 / 2 = 0.55
  CHECK(sdi_loss(t.x1, t.x2, t.z1, t.z2, fdiv, 0.0).item() ==
        doctest::Approx(16.0 / 15.0).epsilon(kTol));
  CHECK(sdi_loss(t.x1, t.x2, t.z1, t.z2, fdiv, 0.5).item() == doctest::Approx(0.55).epsilon(kTol));
  // Zero f_div switches a group's term off entirely.
  CHECK(sdi_loss(t.x1, t.x2, t.z1, t.z2, t64({0, 0}, {2}), 0.5).item() == 0.0);

  Pairs p({6, 8}, 5, 41);
  Tensor w = rand_uniform({6}, 0.0, 1.0, 45);
  gradcheck([&](const std::vector<Tensor>& x) { return sdi_loss(x[0], x[1], p.z1, p.z2, w, 1e-5); },
            {p.x1, p.x2});
}

TEST_CASE("regularizers: divbal weights and loss hand-computed, no gradient through the weights") {
  Tiny t;  // generated features e1 = x1, e2 = x2: d_gen = [1.5, 1]
  Tensor e_real = t64({0, 0, 0, 0}, {2, 2});
  Tensor e_pair = t64({3, 1, 0, -0.5}, {2, 2});  // d_real = [(3 + 1)/2, (0 + 0.5)/2] = [2, 0.25]
  // b = tanh(d_real - d_gen) = [tanh(0.5), tanh(-0.75)]
  const double b0 = std::tanh(0.5), b1 = std::tanh(-0.75);
  e_real.set_requires_grad();
  t.x1.set_requires_grad();
  Tensor w = divbal_weights(e_real, e_pair, t.x1, t.x2);
  CHECK_FALSE(w.requires_grad());
  REQUIRE(w.shape() == Shape{2});
  CHECK(w.at(0) == doctest::Approx(b0).epsilon(kTol));
  CHECK(w.at(1) == doctest::Approx(b1).epsilon(kTol));
  CHECK(w.at(0) > 0);  // generated pair less diverse than the real one: rewarded
  CHECK(w.at(1) < 0);  // more diverse: penalized

  // L = mean_i b_i / (d_gen,i / d_z,i + eps), d_gen / d_z = [1.5, 0.5]
  //   eps = 0.5: (b0 / 2 + b1 / 1) / 2 = (0.2310586 - 0.6351490) / 2 = -0.2020452
  Tensor l = divbal_loss(t.x1, t.x2, t.z1, t.z2, w, 0.5);
  CHECK(l.item() == doctest::Approx((b0 / 2 + b1) / 2).epsilon(kTol));
  CHECK(l.item() == doctest::Approx(-0.2020452).epsilon(1e-6));

  // Weights that require grad still get none from the loss.
  Tensor wg = t64({b0, b1}, {2});
  wg.set_requires_grad();
  divbal_loss(t.x1, t.x2, t.z1, t.z2, wg, 0.5).backward();
  CHECK_FALSE(wg.grad().defined());
  CHECK(t.x1.grad().defined());

  // Gradcheck w.r.t. the generated features with the weights held fixed, as the trainer does
  // (b is computed once per step under no_grad).
  Pairs p({5, 6}, 3, 51);
  Tensor real = rand_uniform({5, 6}, -1, 1, 55);
  Tensor pair = add(real, rand_off_zero({5, 6}, 0.1, 1.5, 56));
  Tensor b = divbal_weights(real, pair, p.x1, p.x2);
  auto bv = b.to_vector();
  CHECK(*std::min_element(bv.begin(), bv.end()) >= -1.0);
  CHECK(*std::max_element(bv.begin(), bv.end()) <= 1.0);
  gradcheck(
      [&](const std::vector<Tensor>& x) { return divbal_loss(x[0], x[1], p.z1, p.z2, b, 1e-5); },
      {p.x1, p.x2});
}

TEST_CASE("regularizers: divco_loss hand-computed values and gradcheck") {
  // B = 2, F = 2, K = 2; negatives of sample b are rows 2b, 2b + 1.
  Tensor q = t64({1, 0, 0, 1}, {2, 2});
  Tensor pos = t64({2, 0, 0, 1}, {2, 2});
  Tensor negs = t64({0, 0, 1, 0, 0, 2, 3, 3}, {4, 2});
  // Sample 0: q = (1,0): logits [<q,pos>, <q,n0>, <q,n1>] = [2, 0, 1]
  //   CE = -log(e^2 / (e^2 + e^0 + e^1)) = log(e^2 + 1 + e) - 2
  // Sample 1: q = (0,1): logits [1, 2, 3];  CE = log(e + e^2 + e^3) - 1
  // tau = 2 halves the logits: [1, 0, 0.5] and [0.5, 1, 1.5].
  using std::exp;
  using std::log;
  const double l1 =
      0.5 * ((log(exp(2.0) + 1 + exp(1.0)) - 2) + (log(exp(1.0) + exp(2.0) + exp(3.0)) - 1));
  const double l2 =
      0.5 * ((log(exp(1.0) + 1 + exp(0.5)) - 1) + (log(exp(0.5) + exp(1.0) + exp(1.5)) - 0.5));
  // Numerically: l1 = (0.4076059644 + 2.4076059644) / 2 = 1.4076059644
  CHECK(divco_loss(q, pos, negs, 2, 1.0).item() == doctest::Approx(l1).epsilon(kTol));
  CHECK(l1 == doctest::Approx(1.4076059644).epsilon(1e-9));
  CHECK(divco_loss(q, pos, negs, 2, 2.0).item() == doctest::Approx(l2).epsilon(kTol));

  // Gradients of the (smooth) contrastive loss reach the query, the positive and the negatives.
  const int64_t b = 3, f = 4, k = 5;
  Tensor eq = rand_uniform({b, f}, -1, 1, 61), ep = rand_uniform({b, f}, -1, 1, 62);
  Tensor en = rand_uniform({b * k, f}, -1, 1, 63);
  for (double tau : {1.0, 0.5}) {
    CAPTURE(tau);
    gradcheck([&](const std::vector<Tensor>& x) { return divco_loss(x[0], x[1], x[2], k, tau); },
              {eq, ep, en});
  }

  CHECK_THROWS_WITH_AS(divco_loss(q, pos, negs, 3, 1.0), doctest::Contains("negatives"), dg::Error);
}

TEST_CASE("regularizers: parse_regularizer names and errors") {
  struct Name {
    const char* text;
    Regularizer r;
  };
  for (const Name& n : {Name{"none", Regularizer::None},
                        {"dcgan", Regularizer::None},
                        {"DC-GAN", Regularizer::None},
                        {"ms", Regularizer::MS},
                        {"MS-GAN", Regularizer::MS},
                        {"ds", Regularizer::DS},
                        {"ds-gan", Regularizer::DS},
                        {"divco", Regularizer::DivCo},
                        {"DivCo", Regularizer::DivCo},
                        {"sdi", Regularizer::SDI},
                        {"SDI", Regularizer::SDI},
                        {"sdi-gan", Regularizer::SDI},
                        {"divbal", Regularizer::DivBal},
                        {"DivBal-GAN", Regularizer::DivBal}}) {
    CAPTURE(n.text);
    CHECK(parse_regularizer(n.text) == n.r);
  }
  // Names and titles round-trip for every variant.
  for (Regularizer r : kAllRegularizers) {
    CHECK(parse_regularizer(regularizer_name(r)) == r);
    CHECK(parse_regularizer(regularizer_title(r)) == r);
  }
  for (const char* bad : {"", "sdi ", "mode-seeking", "divbal2", "bogus"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(parse_regularizer(bad),
                         doctest::Contains("none, ms, ds, divco, sdi, divbal"), dg::Error);
    const std::string quoted = "'" + std::string(bad) + "'";
    CHECK_THROWS_WITH_AS(parse_regularizer(bad), doctest::Contains(quoted.c_str()), dg::Error);
  }

  CHECK(default_lambda(Regularizer::SDI) == 0.1);
  CHECK(default_lambda(Regularizer::DivBal) == 0.1);
  CHECK(default_lambda(Regularizer::MS) == 1.0);
  CHECK(default_lambda(Regularizer::None) == 0.0);
}

TEST_CASE("regularizer objects: what each stages and reads") {
  RegularizerOptions opt;
  opt.divco_negatives = 3;
  for (Regularizer r : kAllRegularizers) {
    CAPTURE(regularizer_name(r));
    auto reg = create_regularizer(r, opt);
    REQUIRE(reg);
    CHECK(reg->kind() == r);
    Philox rng(9, 0);
    const std::vector<Tensor> z = reg->draw_latents(rng, 4, 5);
    const bool paired = r == Regularizer::MS || r == Regularizer::DS || r == Regularizer::SDI ||
                        r == Regularizer::DivBal;
    if (paired) {
      // One second latent (4, 5) ~ N(0,1): the same draw as z_rng.normal after z1.
      REQUIRE(z.size() == 1);
      Philox again(9, 0);
      CHECK(z[0].to_vector() == again.normal({4, 5}).to_vector());
    } else if (r == Regularizer::DivCo) {
      // The positives' jitter within +-radius, then K negatives per row.
      REQUIRE(z.size() == 2);
      CHECK(z[0].shape() == Shape{4, 5});
      for (double v : z[0].to_vector()) CHECK(std::abs(v) <= opt.divco_radius);
      CHECK(z[1].shape() == Shape{12, 5});
    } else {
      CHECK(z.empty());
    }
    CHECK(reg->condition_repeats() == (r == Regularizer::DivCo ? 3 : 0));
    CHECK(reg->needs_features() ==
          (r == Regularizer::SDI || r == Regularizer::DivBal || r == Regularizer::DivCo));
    // The generator rows it adds: B more for the paired ones, B + B*K for DivCo.
    StepInputs in;
    in.c = Tensor::zeros({4, 2});
    in.z1 = Tensor::zeros({4, 5});
    in.z = z;
    in.c_rep = Tensor::zeros({12, 2});
    std::vector<Tensor> zs{in.z1}, cs{in.c};
    reg->generator_rows(in, zs, cs);
    int64_t rows = 0;
    for (size_t i = 0; i < zs.size(); ++i) {
      CHECK(zs[i].size(0) == cs[i].size(0));
      rows += zs[i].size(0);
    }
    CHECK(rows == (paired ? 8 : r == Regularizer::DivCo ? 20 : 4));
  }
}
