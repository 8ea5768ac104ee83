// The study statistics (tools/study_stats.h) against scipy.stats 1.x: t.cdf, t.ppf, ttest_rel and
// t.interval, values printed by scipy with repr(); where scipy's t.ppf is off in the 10th digit,
// the root of mpmath's regularized incomplete beta at 30 digits.
#include <doctest/doctest.h>

#include <cmath>

#include "tools/study_stats.h"
#include "tools/study_util.h"

using namespace dg::tools;

TEST_CASE("Student t distribution matches scipy") {
  CHECK(student_t_cdf(1.0, 3) == doctest::Approx(0.8044988905221148).epsilon(1e-12));
  CHECK(student_t_cdf(-2.5, 7) == doctest::Approx(0.020496109292876437).epsilon(1e-11));
  CHECK(student_t_cdf(0.0, 5) == doctest::Approx(0.5).epsilon(1e-15));
  // Near t = 0 the cdf keeps its slope: 0.5 + t * pdf(0), pdf(0) = 0.3988425573137069 at df = 1000
  // (scipy).
  CHECK(student_t_cdf(1e-9, 1000) - 0.5 ==
        doctest::Approx(1e-9 * 0.3988425573137069).epsilon(1e-6));
  CHECK(student_t_quantile(0.975, 4) == doctest::Approx(2.7764451051977987).epsilon(1e-11));
  CHECK(student_t_quantile(0.975, 1) ==
        doctest::Approx(12.706204736174705).epsilon(1e-13));  // tan(0.475 pi)
  CHECK(student_t_quantile(0.99, 10) ==
        doctest::Approx(2.7637694581126962).epsilon(1e-13));  // mpmath
  CHECK(student_t_quantile(0.975, 1000) == doctest::Approx(1.9623390808264074).epsilon(1e-11));
  CHECK(student_t_quantile(0.025, 4) == doctest::Approx(-2.7764451051977987).epsilon(1e-11));
  // The quantile inverts the cdf over a range of p and df (odd and even df take the fraction's
  // two branches).
  for (double df : {1.0, 2.0, 4.0, 9.0, 30.0})
    for (double p : {0.001, 0.1, 0.5, 0.8, 0.999})
      CHECK(student_t_cdf(student_t_quantile(p, df), df) == doctest::Approx(p).epsilon(1e-10));
  CHECK_THROWS(student_t_quantile(1.0, 4));
  CHECK_THROWS(student_t_cdf(1.0, 0));
}

TEST_CASE("paired difference and mean interval match scipy") {
  const std::vector<double> a = {0.41, 0.52, 0.38, 0.47, 0.60}, b = {0.55, 0.61, 0.50, 0.49, 0.81};
  const PairedDifference d = paired_difference(a, b);
  CHECK(d.diff.n == 5);
  CHECK(d.diff.mean == doctest::Approx(-0.116).epsilon(1e-12));
  CHECK(d.diff.lo == doctest::Approx(-0.2022934146376351).epsilon(1e-10));
  CHECK(d.diff.hi == doctest::Approx(-0.02970658536236495).epsilon(1e-9));
  CHECK(d.p == doctest::Approx(0.020257357642958076).epsilon(1e-9));
  // Swapping the variants flips the sign, not the p-value.
  const PairedDifference r = paired_difference(b, a);
  CHECK(r.diff.mean == doctest::Approx(0.116).epsilon(1e-12));
  CHECK(r.p == doctest::Approx(d.p).epsilon(1e-12));
  // A constant offset: no spread, the interval collapses, p is 0; no offset: p is 1.
  CHECK(paired_difference({1, 2, 3}, {0, 1, 2}).p == 0.0);
  CHECK(paired_difference({1, 2, 3}, {1, 2, 3}).p == 1.0);
  CHECK(std::isnan(paired_difference({1}, {2}).p));
  CHECK_THROWS(paired_difference({1, 2}, {1}));
  const MeanInterval one = mean_interval({2.0});
  CHECK(one.mean == 2.0);
  CHECK(std::isnan(one.lo));
}

TEST_CASE("Holm's procedure") {
  // m = 4: thresholds 0.0125, 0.0167, 0.025, 0.05 in the order of the p-values.
  CHECK(holm_reject({0.01, 0.04, 0.03, 0.005}) == std::vector<bool>{true, false, false, true});
  CHECK(holm_reject({0.01, 0.012, 0.02, 0.04}) == std::vector<bool>{true, true, true, true});
  // The first p above its threshold stops the procedure, even if a later one would pass its own.
  CHECK(holm_reject({0.02, 0.02, 0.02, 0.001}) == std::vector<bool>{false, false, false, true});
  CHECK(holm_reject({NAN, 0.001}) == std::vector<bool>{false, true});
}

TEST_CASE("lambda grids") {
  const std::vector<double> g = parse_lambda_grid("1e-6:1e-3:7", "--lambdas");
  REQUIRE(g.size() == 7);
  CHECK(g.front() == 1e-6);
  CHECK(g[1] == 3.16e-6);
  CHECK(g[2] == 1e-5);
  CHECK(g.back() == 1e-3);
  CHECK(parse_lambda_grid("0.1,1", "--lambdas") == std::vector<double>{0.1, 1});
  for (const char* bad : {"1e-3:1e-6:4", "0:1:4", "1e-6:1e-3:1", "1e-6:1e-3", "1e-6:1e-3:4:5",
                          "1e-6:x:4", "1e-6:1e-3:4.5"})
    CHECK_THROWS_WITH(parse_lambda_grid(bad, "--lambdas"), doctest::Contains("--lambdas"));
}
