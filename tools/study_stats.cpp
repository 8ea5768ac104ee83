// Study statistics (see study_stats.h).
#include "tools/study_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/error.h"

namespace dg::tools {

namespace {

// The continued fraction of the regularized incomplete beta function I_x(a, b), evaluated with the
// modified Lentz method; converges fast for x < (a + 1) / (a + b + 2).
double beta_fraction(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  d = 1 / (std::fabs(d) < tiny ? tiny : d);
  double h = d;
  for (int m = 1; m <= 500; ++m) {
    const double m2 = 2.0 * m;
    // The even step, then the odd one, of the fraction's terms; converged when the odd step no
    // longer changes the value.
    double step = 1;
    for (const double coef : {m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
                              -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))}) {
      d = 1 + coef * d;
      d = 1 / (std::fabs(d) < tiny ? tiny : d);
      c = 1 + coef / c;
      if (std::fabs(c) < tiny) c = tiny;
      step = d * c;
      h *= step;
    }
    if (std::fabs(step - 1) < 1e-15) return h;
  }
  return h;
}

// I_x(a, b), given x and y = 1 - x each computed directly (so that neither loses its digits to
// the other near 0 or 1).
double incomplete_beta(double a, double b, double x, double y) {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log(y));
  if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(a, b, x) / a;
  return 1 - front * beta_fraction(b, a, y) / b;
}

}  // namespace

double student_t_cdf(double t, double df) {
  DG_CHECK(df > 0, "student_t_cdf: df must be > 0, got " << df);
  if (std::isnan(t)) return NAN;
  if (std::isinf(t)) return t > 0 ? 1 : 0;
  // P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2).
  const double tail = 0.5 * incomplete_beta(0.5 * df, 0.5, df / (df + t * t), t * t / (df + t * t));
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double df) {
  DG_CHECK(p > 0 && p < 1, "student_t_quantile: p must lie in (0, 1), got " << p);
  if (p < 0.5) return -student_t_quantile(1 - p, df);
  // The cdf is increasing: bracket the root, then bisect to the double's resolution.
  double lo = 0, hi = 1;
  while (student_t_cdf(hi, df) < p) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

MeanInterval mean_interval(const std::vector<double>& v, double level) {
  DG_CHECK(level > 0 && level < 1, "mean_interval: level must lie in (0, 1), got " << level);
  MeanInterval r;
  r.n = static_cast<int>(v.size());
  if (v.empty()) return {NAN, NAN, NAN, NAN, 0};
  r.mean = std::accumulate(v.begin(), v.end(), 0.0) / r.n;
  if (r.n < 2) {
    r.lo = r.hi = NAN;
    return r;
  }
  double ss = 0;
  for (double x : v) ss += (x - r.mean) * (x - r.mean);
  r.sd = std::sqrt(ss / (r.n - 1));
  const double half = student_t_quantile(0.5 + 0.5 * level, r.n - 1) * r.sd / std::sqrt(r.n);
  r.lo = r.mean - half;
  r.hi = r.mean + half;
  return r;
}

PairedDifference paired_difference(const std::vector<double>& a, const std::vector<double>& b,
                                   double level) {
  DG_CHECK(a.size() == b.size(),
           "paired_difference: " << a.size() << " values against " << b.size());
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  PairedDifference r;
  r.diff = mean_interval(d, level);
  if (r.diff.n < 2) {
    r.p = NAN;
  } else if (r.diff.sd == 0) {
    r.p = r.diff.mean == 0 ? 1.0 : 0.0;  // every seed differs by the same amount
  } else {
    const double t = r.diff.mean / (r.diff.sd / std::sqrt(r.diff.n));
    r.p = 2 * student_t_cdf(-std::fabs(t), r.diff.n - 1);
  }
  return r;
}

std::vector<bool> holm_reject(const std::vector<double>& p, double alpha) {
  std::vector<size_t> order;
  for (size_t i = 0; i < p.size(); ++i)
    if (!std::isnan(p[i])) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
  std::vector<bool> reject(p.size(), false);
  const double m = static_cast<double>(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    if (p[order[k]] > alpha / (m - static_cast<double>(k))) break;  // and every larger p
    reject[order[k]] = true;
  }
  return reject;
}

}  // namespace dg::tools
