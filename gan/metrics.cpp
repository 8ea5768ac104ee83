// 1-D Wasserstein distance and variance (see metrics.h).
#include "gan/metrics.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace dg::gan {

double wasserstein_1d(std::vector<double> u, std::vector<double> v) {
  DG_CHECK(!u.empty() && !v.empty(), "wasserstein_1d: empty sample");
  // A NaN never compares equal to itself, so the walk below would not advance past it.
  for (const auto* s : {&u, &v})
    for (double x : *s)
      DG_CHECK(std::isfinite(x),
               "wasserstein_1d: non-finite value " << x << "; expected finite samples");
  std::sort(u.begin(), u.end());
  std::sort(v.begin(), v.end());
  // Walk the merged support; between consecutive points both CDFs are constant.
  const double nu = static_cast<double>(u.size()), nv = static_cast<double>(v.size());
  size_t i = 0, j = 0;
  double prev = std::min(u[0], v[0]), total = 0;
  while (i < u.size() || j < v.size()) {
    double next;
    if (j >= v.size() || (i < u.size() && u[i] <= v[j]))
      next = u[i];
    else
      next = v[j];
    total += std::abs(i / nu - j / nv) * (next - prev);
    prev = next;
    while (i < u.size() && u[i] == next) ++i;
    while (j < v.size() && v[j] == next) ++j;
  }
  return total;
}

double sample_variance(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  double m = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(v.size() - 1);
}

double group_diversity(const std::vector<double>& samples, int64_t m, int64_t d) {
  double total = 0;
  for (int64_t p = 0; p < d; ++p) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < m; ++i) mean += samples[i * d + p];
    mean /= static_cast<double>(m);
    for (int64_t i = 0; i < m; ++i)
      var += (samples[i * d + p] - mean) * (samples[i * d + p] - mean);
    total += std::sqrt(var / static_cast<double>(m));
  }
  return total;
}

}  // namespace dg::gan
