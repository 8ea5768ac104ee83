// The statistics of a study's tables (docs/design.md#study-statistics): Student-t intervals of a
// mean over seeds, paired differences between two variants trained on the same seeds, and Holm's
// correction when several such differences are read together.
#pragma once
#include <vector>

namespace dg::tools {

// P(T <= t) for Student's t with `df` > 0 degrees of freedom.
double student_t_cdf(double t, double df);
// The t with P(T <= t) = p, p in (0, 1).
double student_t_quantile(double p, double df);

// A mean over n values with its two-sided `level` Student-t interval. For n < 2 the interval is
// undefined (lo = hi = NaN).
struct MeanInterval {
  double mean = 0, sd = 0, lo = 0, hi = 0;
  int n = 0;
};
MeanInterval mean_interval(const std::vector<double>& v, double level = 0.95);

// The paired difference a[i] - b[i] (same seed in both): its mean and interval, and the two-sided
// p-value of a paired t-test of "mean difference 0" (1 when every difference is 0; NaN for n < 2).
struct PairedDifference {
  MeanInterval diff;
  double p = 0;
};
PairedDifference paired_difference(const std::vector<double>& a, const std::vector<double>& b,
                                   double level = 0.95);

// Holm's step-down procedure: which of the hypotheses with these p-values are rejected at
// family-wise error `alpha` (a NaN p-value is never rejected).
std::vector<bool> holm_reject(const std::vector<double>& p, double alpha = 0.05);

}  // namespace dg::tools
