// Grouping of identical conditions and per-group f_div
// (docs/design.md#groups-f_div-and-real-pairs).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "base/error.h"
#include "datasets/conditional.h"

namespace dg::data {

Groups group_by_condition(const std::vector<double>& cond, int64_t n, int64_t c_dim,
                          const std::vector<double>& samples, int64_t d) {
  DG_CHECK(static_cast<int64_t>(cond.size()) == n * c_dim, "group_by_condition: conditions size");
  DG_CHECK(static_cast<int64_t>(samples.size()) == n * d, "group_by_condition: samples size");
  Groups g;
  g.group_of.assign(n, -1);
  // Exact equality of the raw rows is the definition of "same particle".
  std::map<std::vector<double>, int64_t> index;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> key(cond.begin() + i * c_dim, cond.begin() + (i + 1) * c_dim);
    auto [it, inserted] = index.emplace(std::move(key), static_cast<int64_t>(g.members.size()));
    if (inserted) g.members.emplace_back();
    g.group_of[i] = it->second;
    g.members[it->second].push_back(i);
  }
  g.fdiv.assign(g.members.size(), 0.0);
  double max_div = 0;
  for (size_t k = 0; k < g.members.size(); ++k) {
    const auto& m = g.members[k];
    if (m.size() < 2) continue;
    double total = 0;
    for (int64_t j = 0; j < d; ++j) {
      double mean = 0;
      for (int64_t i : m) mean += samples[i * d + j];
      mean /= static_cast<double>(m.size());
      double var = 0;
      for (int64_t i : m) var += (samples[i * d + j] - mean) * (samples[i * d + j] - mean);
      total += std::sqrt(var / static_cast<double>(m.size()));
    }
    g.fdiv[k] = total;
    max_div = std::max(max_div, total);
  }
  g.max_diversity = max_div;
  if (max_div > 0)
    for (double& f : g.fdiv) f /= max_div;
  return g;
}

int64_t real_pair(const Groups& g, int64_t i, double u) {
  const auto& m = g.members[g.group_of[i]];
  if (m.size() < 2) return i;
  // Draw among m.size()-1 slots; a draw of the sample itself is remapped to the last member,
  // which the slot range excludes.
  const int64_t k = std::min<int64_t>(static_cast<int64_t>(u * (m.size() - 1)), m.size() - 2);
  return m[k] == i ? m.back() : m[k];
}

std::vector<int64_t> draw_real_pairs(const Groups& g, const std::vector<int64_t>& idx,
                                     Philox& rng) {
  const int64_t b = static_cast<int64_t>(idx.size());
  std::vector<double> u(b);
  rng.fill_uniform(u.data(), b);
  std::vector<int64_t> out(b);
  const int64_t n = static_cast<int64_t>(g.group_of.size());
  for (int64_t r = 0; r < b; ++r) {
    DG_CHECK(idx[r] >= 0 && idx[r] < n,
             "batch: index " << idx[r] << " out of range [0, " << n << ")");
    out[r] = real_pair(g, idx[r], u[r]);
  }
  return out;
}

}  // namespace dg::data
