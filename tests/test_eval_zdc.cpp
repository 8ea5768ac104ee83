// ZDC evaluation (gan/eval_zdc.h): channel Wasserstein distances worked by hand, non-finite and
// empty images, evaluate_zdc with fake generators on simulated data (shapes, reproducibility,
// ordering of good and bad generators, the diversity error against an independent computation),
// and the markdown table.
// Run: build/dg_tests -tc="zdc eval*"
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <sstream>

#include "base/error.h"
#include "datasets/zdc_simulator.h"
#include "gan/eval_zdc.h"
#include "gan/zdc_channels.h"

using namespace dg;
using namespace dg::gan;

namespace {

constexpr int64_t kPx = data::kZdcPixels;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Zdc {
  data::ZdcRaw raw;
  data::ZdcSplit split;
  data::Standardizer st;
  std::unique_ptr<data::ZdcDataset> train, test;
};

std::shared_ptr<Zdc> make_zdc(uint64_t seed) {
  data::ZdcSimConfig cfg;
  cfg.seed = seed;
  cfg.particles = 50;
  auto sim = data::simulate_zdc(cfg);
  auto z = std::make_shared<Zdc>();
  z->raw.n = sim.n;
  z->raw.responses = std::move(sim.responses);
  z->raw.particles = std::move(sim.particles);
  z->split = data::split_80_20(z->raw.n, seed);
  z->st.fit(z->raw.particles, z->split.train);
  z->train = std::make_unique<data::ZdcDataset>(z->raw, z->split.train, z->st);
  z->test = std::make_unique<data::ZdcDataset>(z->raw, z->split.test, z->st);
  return z;
}

// The network-side key of a raw row: its standardized condition rounded to float32, as the data
// set feeds it to the generator.
std::vector<double> key_of(const Zdc& z, int64_t row) {
  double s[data::kZdcCondDim];
  z.st.apply_row(&z.raw.particles[row * data::kZdcCondDim], s);
  std::vector<double> k(data::kZdcCondDim);
  for (int64_t j = 0; j < data::kZdcCondDim; ++j) k[j] = static_cast<float>(s[j]);
  return k;
}

// Base for fakes: records whether it was called in training mode.
class FakeGen : public ConditionalGenerator {
 public:
  int64_t latent_dim() const override { return 4; }
  Tensor generate(const Tensor& z, const Tensor& c) override {
    called_training = called_training || is_training();
    const int64_t b = c.size(0);
    const auto zv = z.to_vector(), cv = c.to_vector();
    std::vector<double> out(b * kPx);
    for (int64_t i = 0; i < b; ++i) {
      std::vector<double> ci(cv.begin() + i * data::kZdcCondDim,
                             cv.begin() + (i + 1) * data::kZdcCondDim);
      image(&zv[i * 4], ci, &out[i * kPx]);
    }
    return Tensor::from_vector(out, {b, 1, data::kZdcSide, data::kZdcSide});
  }
  virtual void image(const double* z, const std::vector<double>& c,
                     double* out) = 0;  // log1p space
  bool called_training = false;
};

class ConstGen : public FakeGen {
 public:
  explicit ConstGen(double log_value) : v_(log_value) {}
  void image(const double*, const std::vector<double>&, double* out) override {
    std::fill(out, out + kPx, v_);
  }

 private:
  double v_;
};

// log1p of a real member of the row's condition: a uniformly random one of all its rows in the
// data (z picks it), or always the first test row with that condition.
class MemberGen : public FakeGen {
 public:
  MemberGen(const Zdc& z, bool random) : random_(random) {
    for (int64_t r : random ? z.split.train : z.split.test) add(z, r);
    if (random)
      for (int64_t r : z.split.test) add(z, r);
  }
  void image(const double* z, const std::vector<double>& c, double* out) override {
    const auto& m = members_.at(c);
    const size_t k = random_ ? static_cast<size_t>(std::floor(std::abs(z[0]) * 1e4)) % m.size() : 0;
    std::copy(m[k].begin(), m[k].end(), out);
  }

 private:
  void add(const Zdc& z, int64_t r) {
    std::vector<double> im(z.raw.responses.begin() + r * kPx,
                           z.raw.responses.begin() + (r + 1) * kPx);
    for (double& v : im) v = std::log1p(v);
    members_[key_of(z, r)].push_back(std::move(im));
  }
  bool random_;
  std::map<std::vector<double>, std::vector<std::vector<double>>> members_;
};

// Depends on both z and c, so the seed matters.
class NoiseGen : public FakeGen {
 public:
  void image(const double* z, const std::vector<double>& c, double* out) override {
    for (int64_t p = 0; p < kPx; ++p)
      out[p] = std::abs(z[p % 4]) * (p % 7 == 0 ? 3.0 : 0.1) + 0.01 * std::abs(c[0]);
  }
};

// Sum over pixels of the population std of log1p(rows of raw).
double diversity_of(const Zdc& z, const std::vector<int64_t>& rows) {
  double total = 0;
  for (int64_t p = 0; p < kPx; ++p) {
    double m = 0, v = 0;
    for (int64_t r : rows) m += std::log1p(z.raw.responses[r * kPx + p]);
    m /= static_cast<double>(rows.size());
    for (int64_t r : rows) v += std::pow(std::log1p(z.raw.responses[r * kPx + p]) - m, 2);
    total += std::sqrt(v / static_cast<double>(rows.size()));
  }
  return total;
}

// Rows of raw grouped by exact raw attributes, restricted to `rows`.
std::map<std::vector<double>, std::vector<int64_t>> groups_of(const Zdc& z,
                                                              const std::vector<int64_t>& rows) {
  std::map<std::vector<double>, std::vector<int64_t>> g;
  for (int64_t r : rows)
    g[std::vector<double>(z.raw.particles.begin() + r * 9, z.raw.particles.begin() + (r + 1) * 9)]
        .push_back(r);
  return g;
}

// n images, all zero except pixel (a, b) which holds values[i].
std::vector<double> images_with(int64_t a, int64_t b, const std::vector<double>& values) {
  std::vector<double> im(values.size() * kPx, 0.0);
  for (size_t i = 0; i < values.size(); ++i) im[i * kPx + a * data::kZdcSide + b] = values[i];
  return im;
}

std::vector<double> concat(std::vector<double> a, const std::vector<double>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("zdc eval: identical counts give zero distances") {
  std::vector<double> real(3 * kPx);
  for (size_t i = 0; i < real.size(); ++i) real[i] = static_cast<double>((i * 31) % 17);
  const ZdcEval e = evaluate_zdc_counts(real, concat(real, real), 3, 2);
  for (int k = 0; k < 5; ++k) {
    CHECK(e.ws[k] == 0.0);
    CHECK(e.ws_std[k] == 0.0);
  }
  CHECK(e.ws_mean == 0.0);
  CHECK(e.n_test == 3);
  CHECK(e.regenerations == 2);
  CHECK(std::isnan(e.diversity_error));
  CHECK(e.nonfinite_generated == 0);
}

TEST_CASE(
    "zdc eval: a shifted pixel gives the hand-computed channel distance, mean and population std") {
  // Pixel (0, 0) is in ch1 ((a+b) even, first quadrant); pixel (0, 1) is in ch5.
  const auto real = images_with(0, 0, {1, 2, 3, 4});
  const auto gen1 = images_with(0, 0, {3, 4, 5, 6});  // shift +2 -> WS 2
  auto gen2 = images_with(0, 0, {5, 6, 7, 8});        // shift +4 -> WS 4
  gen2[3 * kPx + 1] = 3;  // ch5 of one image: {0,0,0,0} vs {0,0,0,3} -> 3/4
  const ZdcEval e = evaluate_zdc_counts(real, concat(gen1, gen2), 4, 2);
  CHECK(e.ws[0] == doctest::Approx(3.0));
  CHECK(e.ws_std[0] == doctest::Approx(1.0));  // population std of {2, 4}
  CHECK(e.ws[4] == doctest::Approx(0.375));    // mean of {0, 0.75}
  CHECK(e.ws_std[4] == doctest::Approx(0.375));
  for (int k = 1; k < 4; ++k) CHECK(e.ws[k] == 0.0);
  CHECK(e.ws_mean == doctest::Approx((3.0 + 0.375) / 5));
}

TEST_CASE("zdc eval: non-finite generated images are counted and left out") {
  const auto real = images_with(0, 0, {1, 2, 3, 4});
  auto gen = images_with(0, 0, {1, 7, 3, 4});
  gen[1 * kPx + 500] = kNaN;  // image 1 is dropped: ch1 {1, 3, 4} vs {1, 2, 3, 4} -> 1/3
  ZdcEval e = evaluate_zdc_counts(real, gen, 4, 1);
  CHECK(e.nonfinite_generated == 1);
  CHECK(e.ws[0] == doctest::Approx(1.0 / 3.0));

  gen[2 * kPx + 7] = std::numeric_limits<double>::infinity();
  gen[0 * kPx + 9] = 1e308;  // finite pixels, but ch sums overflow to inf
  gen[0 * kPx + 11] = 1e308;
  gen[3 * kPx] = -kNaN;
  e = evaluate_zdc_counts(real, gen, 4, 1);
  CHECK(e.nonfinite_generated == 4);
  for (double w : e.ws) CHECK(std::isnan(w));
  CHECK(std::isnan(e.ws_mean));
  CHECK(e.to_json()["ws_mean"].is_null());

  auto bad_real = real;
  bad_real[5] = kNaN;
  CHECK_THROWS_AS(evaluate_zdc_counts(bad_real, real, 4, 1), Error);
  CHECK_THROWS_AS(evaluate_zdc_counts(real, real, 4, 2), Error);  // sizes disagree
}

TEST_CASE("zdc eval: empty responses use total < 0.5 for real and generated") {
  const auto real = images_with(5, 30, {0, 0, 1, 2});
  auto g1 = images_with(5, 30, {0, 1, 1, 1});
  auto g2 = images_with(5, 30, {0, 0.3, 0.6, 1});  // 0.3 rounds to an empty response, 0.6 does not
  g2[1 * kPx + 100] = 0.1;                         // total 0.4, still empty
  const ZdcEval e = evaluate_zdc_counts(real, concat(g1, g2), 4, 2);
  CHECK(e.empty_real == 2);
  CHECK(e.empty_generated == doctest::Approx(1.5));  // (1 + 2) / 2
}

TEST_CASE("zdc eval: occupancy is the fraction of fibres with >= 0.5 photons, compared by WS") {
  // Real images light 1 and 3 fibres; generated ones 2 (one at exactly 0.5) and 4, the 0.4
  // fibre not counting: WS between {1, 3} and {2, 4} fibres is 1 fibre.
  std::vector<double> real(2 * kPx, 0.0), gen(2 * kPx, 0.0);
  real[0] = 5;
  for (int p = 0; p < 3; ++p) real[kPx + p] = 1;
  gen[0] = 2, gen[1] = 0.5, gen[2] = 0.4;
  for (int p = 0; p < 4; ++p) gen[kPx + p] = 7;
  const ZdcEval e = evaluate_zdc_counts(real, gen, 2, 1);
  const double f = 1.0 / static_cast<double>(kPx);
  CHECK(e.occupancy_ws == doctest::Approx(f));
  CHECK(e.occupancy_ws_std == 0);
  CHECK(e.occupancy_real == doctest::Approx(2 * f));
  CHECK(e.occupancy_generated == doctest::Approx(3 * f));
  // Without charges the per-species empty fractions are unknown, not 0.
  CHECK(std::isnan(e.empty_fraction_real[0]));
  CHECK(e.to_json()["empty_fraction"]["charged"]["generated"].is_null());
  CHECK(e.to_json()["occupancy_ws"].get<double>() == doctest::Approx(f));

  // Two regenerations: the mean and population std of the per-regeneration WS.
  std::vector<double> gen2 = gen;
  gen2.insert(gen2.end(), real.begin(), real.end());  // the second regeneration is the real set
  const ZdcEval e2 = evaluate_zdc_counts(real, gen2, 2, 2);
  CHECK(e2.occupancy_ws == doctest::Approx(0.5 * f));
  CHECK(e2.occupancy_ws_std == doctest::Approx(0.5 * f));
}

TEST_CASE("zdc eval: evaluate_zdc counts, restores the mode, and is reproducible") {
  const auto z = make_zdc(11);
  const auto& test = *z->test;
  REQUIRE(test.size() > 10);
  ZdcEvalOptions opt;
  opt.regenerations = 3;
  opt.batch = 7;  // several batches with a ragged last one

  // Zero counts everywhere: the WS to a point mass at 0 of non-negative values is their mean.
  ConstGen zeros(0.0);
  zeros.train();
  const ZdcEval e = evaluate_zdc(zeros, test, opt);
  CHECK(zeros.is_training());
  CHECK_FALSE(zeros.called_training);
  CHECK(e.n_test == test.size());
  CHECK(e.regenerations == 3);
  CHECK(e.empty_generated == doctest::Approx(static_cast<double>(test.size())));
  CHECK(e.nonfinite_generated == 0);
  CHECK(std::isnan(e.diversity_error));
  std::array<double, 5> mean{};
  int64_t empty = 0;
  const auto counts = test.raw_responses([&] {
    std::vector<int64_t> all;
    for (int64_t i = 0; i < test.size(); ++i) all.push_back(i);
    return all;
  }());
  for (const auto& ch : zdc_channels_batch(counts)) {
    for (int k = 0; k < 5; ++k) mean[k] += ch[k] / static_cast<double>(test.size());
    empty += ch[0] + ch[1] + ch[2] + ch[3] + ch[4] == 0;
  }
  CHECK(e.empty_real == empty);
  // Every generated shower is empty: the empty fraction is 1 for each species present, and the
  // real fractions count the test split's empty showers per species.
  const auto raw = test.raw_conditions([&] {
    std::vector<int64_t> all;
    for (int64_t i = 0; i < test.size(); ++i) all.push_back(i);
    return all;
  }());
  std::array<int64_t, 2> rows{}, empties{};
  const auto chs = zdc_channels_batch(counts);
  for (int64_t i = 0; i < test.size(); ++i) {
    const int sp = raw[i * 9 + 8] != 0 ? 1 : 0;
    ++rows[sp];
    const auto& ch = chs[i];
    empties[sp] += ch[0] + ch[1] + ch[2] + ch[3] + ch[4] < 0.5;
  }
  for (int sp = 0; sp < 2; ++sp) {
    CAPTURE(sp);
    REQUIRE(rows[sp] > 0);  // the simulated split holds both species
    CHECK(e.empty_fraction_generated[sp] == 1.0);
    CHECK(e.empty_fraction_real[sp] ==
          doctest::Approx(static_cast<double>(empties[sp]) / static_cast<double>(rows[sp])));
  }
  CHECK(e.occupancy_generated == 0);
  for (int k = 0; k < 5; ++k) {
    CHECK(e.ws[k] == doctest::Approx(mean[k]).epsilon(1e-12));
    CHECK(e.ws_std[k] == doctest::Approx(0.0));
  }

  NoiseGen noise;
  const auto a = evaluate_zdc(noise, test, opt, z->train.get()).to_json().dump();
  CHECK(a == evaluate_zdc(noise, test, opt, z->train.get()).to_json().dump());
  opt.seed = 2;
  CHECK(a != evaluate_zdc(noise, test, opt, z->train.get()).to_json().dump());

  // expm1 overflows above ~709.78: such images are non-finite, not a crash; so are NaN images.
  for (double v : {800.0, kNaN}) {
    ConstGen bad(v);
    const ZdcEval b = evaluate_zdc(bad, test, opt, z->train.get());
    CHECK(b.nonfinite_generated == 3 * test.size());
    CHECK(std::isnan(b.ws_mean));
    // 800 is finite in log1p space, where f_div lives; NaN images leave every group too few.
    CHECK(std::isnan(v) == (b.div_groups == 0));
    CHECK(std::isnan(v) == std::isnan(b.diversity_error));
    CHECK(std::isnan(v) == (b.div_nonfinite > 0));
  }
}

TEST_CASE("zdc eval: real members beat zeros on WS and on the diversity error") {
  const auto z = make_zdc(5);
  ZdcEvalOptions opt;
  opt.regenerations = 2;
  ConstGen zeros(0.0);
  MemberGen first(*z, false), sampled(*z, true);
  const ZdcEval ez = evaluate_zdc(zeros, *z->test, opt, z->train.get());
  const ZdcEval ef = evaluate_zdc(first, *z->test, opt, z->train.get());
  const ZdcEval es = evaluate_zdc(sampled, *z->test, opt, z->train.get());
  CHECK(ef.ws_mean < 0.5 * ez.ws_mean);
  REQUIRE(ez.div_groups > 3);
  CHECK(ef.div_groups == ez.div_groups);
  CHECK(ef.diversity_error == doctest::Approx(ez.diversity_error));  // both constant per condition
  CHECK(es.diversity_error < 0.7 * ez.diversity_error);
}

TEST_CASE("zdc eval: a constant generator's diversity error is the mean real f_div") {
  const auto z = make_zdc(3);
  // The normalizer: the largest group diversity over the training rows, computed independently.
  double norm = 0;
  for (const auto& [key, rows] : groups_of(*z, z->split.train))
    if (rows.size() >= 2) norm = std::max(norm, diversity_of(*z, rows));
  REQUIRE(norm > 0);
  CHECK(z->train->groups().max_diversity == doctest::Approx(norm).epsilon(1e-12));

  std::vector<int64_t> all(z->raw.n);
  for (int64_t i = 0; i < z->raw.n; ++i) all[i] = i;
  const auto everything = groups_of(*z, all);
  double sum = 0;
  int64_t groups = 0;
  for (const auto& [key, rows] : groups_of(*z, z->split.test)) {
    const auto& members = everything.at(key);  // the test rows plus the training repeats
    if (members.size() < 2) continue;
    sum += diversity_of(*z, members) / norm;
    ++groups;
  }
  REQUIRE(groups > 3);

  ZdcEvalOptions opt;
  opt.regenerations = 1;
  opt.max_div_groups = 1000;
  ConstGen flat(std::log1p(4.0));
  const ZdcEval e = evaluate_zdc(flat, *z->test, opt, z->train.get());
  CHECK(e.div_groups == groups);
  CHECK(e.diversity_error == doctest::Approx(sum / static_cast<double>(groups)).epsilon(1e-9));
  CHECK(e.div_nonfinite == 0);

  // The cap picks a seeded subset: as many groups as asked, the same ones for the same seed.
  opt.max_div_groups = 3;
  MemberGen sampled(*z, true);
  const ZdcEval c1 = evaluate_zdc(sampled, *z->test, opt, z->train.get());
  CHECK(c1.div_groups == 3);
  CHECK(c1.diversity_error == evaluate_zdc(sampled, *z->test, opt, z->train.get()).diversity_error);
  opt.div_generations = 1;  // too few for a spread: not computed
  CHECK(std::isnan(evaluate_zdc(flat, *z->test, opt, z->train.get()).diversity_error));
}

TEST_CASE("zdc eval: markdown table has one formatted row per model") {
  ZdcEval a;
  a.ws = {1.5, 2.25, 3, 4, 5.125};
  a.ws_mean = 3.175;
  a.diversity_error = 0.123456;
  a.empty_real = 7;
  a.empty_generated = 6.5;
  a.occupancy_ws = 0.012345;
  ZdcEval b = a;
  b.ws[2] = kNaN;
  b.diversity_error = kNaN;
  b.nonfinite_generated = 12;
  const std::string md = zdc_eval_markdown({{"SDI-GAN", a}, {"a|b", b}});
  std::istringstream in(md);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].find("| Model | ch1 WS |") == 0);
  CHECK(lines[0].find("Diversity error") != std::string::npos);
  CHECK(lines[1].find("|---|") == 0);
  CHECK(lines[2] ==
        "| SDI-GAN | 1.50 | 2.25 | 3.00 | 4.00 | 5.12 | 3.17 | 0.0123 | 0.1235 | 7 / 6.5 | 0 |");
  CHECK(lines[3] ==
        "| a\\|b | 1.50 | 2.25 | NaN | 4.00 | 5.12 | 3.17 | 0.0123 | - | 7 / 6.5 | 12 |");
}
