// Distribution metrics shared by the 2D and ZDC evaluations (docs/design.md#metrics).
#pragma once
#include <cstdint>
#include <vector>

namespace dg::gan {

// 1-D Wasserstein-1 distance between two empirical distributions with equal weights per sample:
// the integral of |F_u - F_v| over the real line (the definition of
// scipy.stats.wasserstein_distance).
double wasserstein_1d(std::vector<double> u, std::vector<double> v);

// Sample variance (n - 1 in the denominator); 0 for fewer than two values.
double sample_variance(const std::vector<double>& v);

// Un-normalized diversity of a group of m samples (m, d): the sum over the d features of their
// population std (docs/design.md#diversity-error).
double group_diversity(const std::vector<double>& samples, int64_t m, int64_t d);

}  // namespace dg::gan
