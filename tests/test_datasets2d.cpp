// The 2D benchmark data (datasets/benchmark2d.h), condition groups and f_div (datasets/groups.cpp),
// and the distribution metrics of gan/metrics.h against values worked by hand.
// Run: build/dg_tests -tc="datasets2d*,metrics*"
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "datasets/benchmark2d.h"
#include "gan/metrics.h"

using namespace dg;
using namespace dg::data;
using dg::gan::sample_variance;
using dg::gan::wasserstein_1d;

TEST_CASE("datasets2d: make_points2d is seeded and its streams differ") {
  Points2D a = make_points2d(7, 20, 0), b = make_points2d(7, 20, 0);
  CHECK(a.xy == b.xy);
  CHECK(a.cls == b.cls);
  CHECK(a.spread == b.spread);
  CHECK(a.size() == 2 * kClasses2D * 20);
  CHECK(a.xy.size() == static_cast<size_t>(2 * a.size()));
  // Train, test and validation streams, and another seed, share no coordinates.
  for (const Points2D& other :
       {make_points2d(7, 20, 1), make_points2d(7, 20, 2), make_points2d(8, 20, 0)}) {
    REQUIRE(other.size() == a.size());
    CHECK(other.cls == a.cls);  // same layout ...
    int64_t same = 0;
    for (size_t i = 0; i < a.xy.size(); ++i) same += a.xy[i] == other.xy[i];
    CHECK(same == 0);  // ... different draws
  }
  CHECK_THROWS_AS(make_points2d(1, 0, 0), dg::Error);
}

TEST_CASE("datasets2d: centres on {-40, 0, 40}^2, variance 1 for spread 0 and 100 for spread 1") {
  const int64_t per = 1000;
  Points2D p = make_points2d(3, per, 0);
  std::set<std::pair<double, double>> centres;
  for (int k = 0; k < kClasses2D; ++k) {
    double cx, cy;
    centre2d(k, &cx, &cy);
    centres.insert({cx, cy});
    for (int s = 0; s < 2; ++s) {
      CAPTURE(k);
      CAPTURE(s);
      std::vector<double> xs, ys;
      for (int64_t i = 0; i < p.size(); ++i)
        if (p.cls[i] == k && p.spread[i] == s) {
          xs.push_back(p.xy[2 * i]);
          ys.push_back(p.xy[2 * i + 1]);
        }
      REQUIRE(static_cast<int64_t>(xs.size()) == per);
      const double var = s ? 100.0 : 1.0, sd = std::sqrt(var);
      for (auto [v, c] : {std::pair{&xs, cx}, std::pair{&ys, cy}}) {
        double m = 0;
        for (double x : *v) m += x;
        m /= static_cast<double>(per);
        // Standard error of the mean is sd / sqrt(1000) ≈ 0.032 sd; of the variance ≈ 4.5 %.
        CHECK(std::abs(m - c) < 0.15 * sd);
        CHECK(sample_variance(*v) == doctest::Approx(var).epsilon(0.2));
      }
    }
  }
  // The nine centres are the 3x3 grid 40 units apart.
  std::set<std::pair<double, double>> grid;
  for (double x : {-40.0, 0.0, 40.0})
    for (double y : {-40.0, 0.0, 40.0}) grid.insert({x, y});
  CHECK(centres == grid);
}

TEST_CASE("datasets2d: conditions2d is one-hot class || spread") {
  std::vector<double> c = conditions2d({0, 8, 4}, {1, 0, 1});
  REQUIRE(c.size() == 3 * kCondDim2D);
  const std::vector<double> want{1, 0, 0, 0, 0, 0, 0, 0, 0, 1,   // class 0, spread 1
                                 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,   // class 8, spread 0
                                 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};  // class 4, spread 1
  CHECK(c == want);
  CHECK_THROWS_AS(conditions2d({9}, {0}), dg::Error);
  CHECK_THROWS_AS(conditions2d({0, 1}, {0}), dg::Error);
}

TEST_CASE("datasets2d: group_by_condition on a crafted set with known f_div") {
  // Conditions (c_dim 2): A = (1,0), B = (0,1), C = (5,5); samples (d 2).
  //   0: A (0, 0)   1: B (1, 1)   2: A (2, 0)   3: C (7, 7)   4: B (1, 5)   5: A (4, 3)
  // Group A {0, 2, 5}: feature 0 = {0, 2, 4}, mean 2, population var 8/3 -> std sqrt(8/3)
  //                    feature 1 = {0, 0, 3}, mean 1, population var 2   -> std sqrt(2)
  //                    diversity sqrt(8/3) + sqrt(2) = 3.0472 (the maximum)
  // Group B {1, 4}:    feature 0 = {1, 1} -> 0; feature 1 = {1, 5}, var 4 -> std 2; diversity 2
  // Group C {3}:       singleton -> 0
  // f_div = [1, 2 / (sqrt(8/3) + sqrt(2)), 0] = [1, 0.65634, 0]
  const std::vector<double> cond{1, 0, 0, 1, 1, 0, 5, 5, 0, 1, 1, 0};
  const std::vector<double> x{0, 0, 1, 1, 2, 0, 7, 7, 1, 5, 4, 3};
  Groups g = group_by_condition(cond, 6, 2, x, 2);
  REQUIRE(g.group_of.size() == 6);
  REQUIRE(g.members.size() == 3);
  REQUIRE(g.fdiv.size() == 3);
  const int64_t ga = g.group_of[0], gb = g.group_of[1], gc = g.group_of[3];
  CHECK(g.group_of[2] == ga);
  CHECK(g.group_of[5] == ga);
  CHECK(g.group_of[4] == gb);
  CHECK(std::set<int64_t>{ga, gb, gc}.size() == 3);
  CHECK(g.members[ga] == std::vector<int64_t>{0, 2, 5});
  CHECK(g.members[gb] == std::vector<int64_t>{1, 4});
  CHECK(g.members[gc] == std::vector<int64_t>{3});
  const double div_a = std::sqrt(8.0 / 3.0) + std::sqrt(2.0);
  CHECK(g.fdiv[ga] == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(g.fdiv[gb] == doctest::Approx(2.0 / div_a).epsilon(1e-14));
  CHECK(g.fdiv[gb] == doctest::Approx(0.65634).epsilon(1e-4));
  CHECK(g.fdiv[gc] == 0.0);

  // "Same particle" means exactly equal attributes: a difference in the last bit splits a group.
  const std::vector<double> near{1, 0, 1, std::nextafter(0.0, 1.0)};
  Groups h = group_by_condition(near, 2, 2, {0, 0, 1, 1}, 2);
  CHECK(h.members.size() == 2);

  // Only singletons: every f_div is 0 (no division by a zero maximum).
  Groups s = group_by_condition({1, 2, 3}, 3, 1, {0, 5, 9}, 1);
  CHECK(s.fdiv == std::vector<double>{0, 0, 0});

  CHECK_THROWS_AS(group_by_condition(cond, 5, 2, x, 2), dg::Error);
  CHECK_THROWS_AS(group_by_condition(cond, 6, 2, x, 3), dg::Error);
}

TEST_CASE("datasets2d: Benchmark2D batches: scaled points, conditions, f_div, real pairs") {
  Benchmark2D data(make_points2d(5, 1000, 0));
  const Points2D& p = data.points();
  CHECK(data.size() == p.size());
  CHECK(data.condition_dim() == kCondDim2D);
  CHECK(data.sample_shape() == Shape{2});
  // f_div: per-coordinate std summed is ≈ 2 for spread 0 and ≈ 20 for spread 1, so normalized by
  // the largest group it is ≈ 0.1 and ≈ 1.
  for (int64_t i = 0; i < p.size(); i += 997) {
    const double f = data.groups().fdiv[data.groups().group_of[i]];
    CAPTURE(i);
    if (p.spread[i])
      CHECK((f > 0.93 && f <= 1.0));
    else
      CHECK(f == doctest::Approx(0.1).epsilon(0.1));
  }

  // Where each point sits, to identify the real pair the batch drew.
  std::map<std::pair<float, float>, int64_t> where;
  for (int64_t i = 0; i < p.size(); ++i)
    where[{static_cast<float>(p.xy[2 * i] * kScale2D),
           static_cast<float>(p.xy[2 * i + 1] * kScale2D)}] = i;
  REQUIRE(static_cast<int64_t>(where.size()) == p.size());

  std::vector<int64_t> idx;
  for (int64_t i = 0; i < p.size(); i += 37) idx.push_back(i);
  Philox rng(11, 0);
  const uint64_t before = rng.offset();
  Batch b = data.batch(idx, rng);
  CHECK(rng.offset() > before);
  const int64_t n = static_cast<int64_t>(idx.size());
  REQUIRE(b.x.shape() == Shape{n, 2});
  REQUIRE(b.x_pair.shape() == Shape{n, 2});
  REQUIRE(b.c.shape() == Shape{n, kCondDim2D});
  REQUIRE(b.fdiv.shape() == Shape{n});
  auto x = b.x.to_vector(), xp = b.x_pair.to_vector(), c = b.c.to_vector(), f = b.fdiv.to_vector();
  const std::vector<double> cond = conditions2d(p.cls, p.spread);
  for (int64_t r = 0; r < n; ++r) {
    const int64_t i = idx[r];
    CAPTURE(i);
    CHECK(x[2 * r] == static_cast<float>(p.xy[2 * i] * kScale2D));
    CHECK(x[2 * r + 1] == static_cast<float>(p.xy[2 * i + 1] * kScale2D));
    for (int64_t d = 0; d < kCondDim2D; ++d)
      CHECK(c[r * kCondDim2D + d] == cond[i * kCondDim2D + d]);
    CHECK(f[r] == static_cast<float>(data.groups().fdiv[data.groups().group_of[i]]));
    auto it = where.find({static_cast<float>(xp[2 * r]), static_cast<float>(xp[2 * r + 1])});
    REQUIRE(it != where.end());
    const int64_t j = it->second;
    CHECK(j != i);
    CHECK(p.cls[j] == p.cls[i]);
    CHECK(p.spread[j] == p.spread[i]);
  }
  CHECK_THROWS_AS(data.batch({p.size()}, rng), dg::Error);
  CHECK_THROWS_AS(data.batch({-1}, rng), dg::Error);
}

TEST_CASE(
    "datasets2d: real pairs are uniform over the other members; singletons pair with themselves") {
  // Groups of 3: each other member should be drawn about half of the time.
  Benchmark2D small(make_points2d(9, 3, 0));
  const Points2D& p = small.points();
  Philox rng(2, 0);
  for (int64_t i : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{40}}) {
    CAPTURE(i);
    const auto& m = small.groups().members[small.groups().group_of[i]];
    REQUIRE(m.size() == 3);
    std::map<int64_t, int> count;
    std::vector<int64_t> idx(2000, i);
    Batch b = small.batch(idx, rng);
    auto xp = b.x_pair.to_vector();
    for (size_t r = 0; r < idx.size(); ++r) {
      int64_t j = -1;
      for (int64_t k : m)
        if (static_cast<float>(p.xy[2 * k] * kScale2D) == xp[2 * r] &&
            static_cast<float>(p.xy[2 * k + 1] * kScale2D) == xp[2 * r + 1])
          j = k;
      REQUIRE(j >= 0);
      count[j]++;
    }
    CHECK(count.count(i) == 0);
    REQUIRE(count.size() == 2);
    for (auto& [j, n] : count) CHECK(std::abs(n - 1000) < 150);  // binomial sd ≈ 22
  }

  Benchmark2D single(make_points2d(9, 1, 0));
  for (double f : single.groups().fdiv) CHECK(f == 0.0);
  Philox r2(3, 0);
  std::vector<int64_t> all(single.size());
  for (int64_t i = 0; i < single.size(); ++i) all[i] = i;
  Batch b = single.batch(all, r2);
  CHECK(b.x_pair.to_vector() == b.x.to_vector());
}

TEST_CASE("metrics: wasserstein_1d against hand-computed cases (scipy's definition)") {
  // Integral of |F_u - F_v|.
  // A shift of every point by 5: 5.
  CHECK(wasserstein_1d({0, 1, 3}, {5, 6, 8}) == doctest::Approx(5.0).epsilon(1e-15));
  // u = {0, 10}, v = {0}: |F_u - F_v| = 1/2 on [0, 10): 5.
  CHECK(wasserstein_1d({0, 10}, {0}) == doctest::Approx(5.0).epsilon(1e-15));
  CHECK(wasserstein_1d({0}, {0, 10}) == doctest::Approx(5.0).epsilon(1e-15));
  // u = {0, 1}, v = {0, 1, 2, 3}: |F_u - F_v| = 1/4, 1/2, 1/4 on [0,1), [1,2), [2,3): 1.
  CHECK(wasserstein_1d({0, 1}, {0, 1, 2, 3}) == doctest::Approx(1.0).epsilon(1e-15));
  // u = {3.4, 3.9, 7.5, 7.8}, v = {4.5, 1.4} (the unweighted case of scipy's docstring data):
  //   [1.4,3.4) |0 - 1/2| * 2 = 1;  [3.4,3.9) |1/4 - 1/2| * 0.5 = 0.125;  [3.9,4.5) 0;
  //   [4.5,7.5) |1/2 - 1| * 3 = 1.5;  [7.5,7.8) |3/4 - 1| * 0.3 = 0.075;  total 2.7
  CHECK(wasserstein_1d({3.4, 3.9, 7.5, 7.8}, {4.5, 1.4}) == doctest::Approx(2.7).epsilon(1e-13));
  // Ties: u = {1, 1, 2}, v = {2, 1, 2}: |2/3 - 1/3| on [1, 2): 1/3. Unsorted input is fine.
  CHECK(wasserstein_1d({1, 1, 2}, {2, 1, 2}) == doctest::Approx(1.0 / 3.0).epsilon(1e-15));
  // Negative values and identical samples.
  CHECK(wasserstein_1d({-3, -1}, {-2, 0}) == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(wasserstein_1d({4, -2, 7}, {7, 4, -2}) == 0.0);
  CHECK(wasserstein_1d({2}, {-3}) == doctest::Approx(5.0).epsilon(1e-15));

  // Equal sizes: W = mean |u_(i) - v_(i)| of the sorted samples; symmetric in its arguments.
  std::mt19937_64 gen(4);
  std::normal_distribution<double> nd;
  for (int n : {1, 7, 50}) {
    std::vector<double> u(n), v(n);
    for (auto& x : u) x = nd(gen);
    for (auto& x : v) x = 2 + 3 * nd(gen);
    std::vector<double> su = u, sv = v;
    std::sort(su.begin(), su.end());
    std::sort(sv.begin(), sv.end());
    double want = 0;
    for (int i = 0; i < n; ++i) want += std::abs(su[i] - sv[i]) / n;
    CAPTURE(n);
    CHECK(wasserstein_1d(u, v) == doctest::Approx(want).epsilon(1e-12));
    CHECK(wasserstein_1d(v, u) == doctest::Approx(want).epsilon(1e-12));
  }
  CHECK_THROWS_AS(wasserstein_1d({}, {1}), dg::Error);
  CHECK_THROWS_AS(wasserstein_1d({1}, {}), dg::Error);
}

TEST_CASE("metrics: sample_variance uses n - 1") {
  // {1, 2, 3, 4}: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, / 3.
  CHECK(sample_variance({1, 2, 3, 4}) == doctest::Approx(5.0 / 3.0).epsilon(1e-15));
  CHECK(sample_variance({-1, 1}) == doctest::Approx(2.0).epsilon(1e-15));
  CHECK(sample_variance({2, 2, 2}) == 0.0);
  CHECK(sample_variance({5}) == 0.0);
  CHECK(sample_variance({}) == 0.0);
}
