// Evaluation of generated showers with their conditions (see eval_zdc_breakdown.h).
#include "gan/eval_zdc_breakdown.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "base/error.h"
#include "engine/rng.h"
#include "gan/metrics.h"

namespace dg::gan {

namespace {

using data::kZdcCondDim;
using data::kZdcPixels;
constexpr int64_t kPixels = kZdcPixels;

bool finite_image(const double* im) {
  return std::all_of(im, im + kPixels, [](double v) { return std::isfinite(v); });
}

// log1p of the images `rows` of `counts` (rows, 1936), appended to `out`; non-finite images are
// skipped and counted in *bad. Returns how many were appended.
int64_t append_logs(const std::vector<double>& counts, const std::vector<int64_t>& rows,
                    std::vector<double>& out, int64_t* bad) {
  int64_t m = 0;
  for (int64_t r : rows) {
    const double* im = counts.data() + r * kPixels;
    if (!finite_image(im)) {
      ++*bad;
      continue;
    }
    for (int64_t p = 0; p < kPixels; ++p) out.push_back(std::log1p(im[p]));
    ++m;
  }
  return m;
}

}  // namespace

void diversity_error_counts(const std::vector<double>& real, const std::vector<double>& generated,
                            const std::vector<double>& particles, int64_t n, int64_t regenerations,
                            const std::vector<int64_t>& rows, int64_t max_groups, uint64_t seed,
                            ZdcEval& e) {
  DG_ASSERT(static_cast<int64_t>(particles.size()) == n * kZdcCondDim &&
                static_cast<int64_t>(real.size()) == n * kPixels &&
                static_cast<int64_t>(generated.size()) == regenerations * n * kPixels,
            "diversity_error_counts: sizes do not match n = " << n);
  // Groups of identical attribute rows over the whole file (the normalizer), then those in `rows`.
  std::map<std::vector<double>, std::vector<int64_t>> by_particle;
  for (int64_t i = 0; i < n; ++i)
    by_particle[std::vector<double>(particles.begin() + i * kZdcCondDim,
                                    particles.begin() + (i + 1) * kZdcCondDim)]
        .push_back(i);
  double norm = 0;
  int64_t unused = 0;
  for (const auto& [key, members] : by_particle) {
    if (members.size() < 2) continue;
    std::vector<double> logs;
    const int64_t m = append_logs(real, members, logs, &unused);
    norm = std::max(norm, group_diversity(logs, m, kPixels));
  }
  if (norm <= 0) return;  // no real group has any spread: f_div is undefined
  std::vector<bool> wanted(n, false);
  for (int64_t r : rows) wanted[r] = true;
  std::vector<const std::vector<int64_t>*> groups;
  for (const auto& [key, members] : by_particle)
    if (members.size() >= 2 && wanted[members[0]]) groups.push_back(&members);
  if (static_cast<int64_t>(groups.size()) > max_groups) {
    const auto perm =
        Philox(seed, uint64_t{1} << 62).permutation(static_cast<int64_t>(groups.size()));
    std::vector<const std::vector<int64_t>*> pick;
    for (int64_t i = 0; i < max_groups; ++i) pick.push_back(groups[perm[i]]);
    groups = std::move(pick);
  }
  double err = 0;
  for (const std::vector<int64_t>* members : groups) {
    std::vector<double> real_logs, gen_logs;
    const int64_t m_real = append_logs(real, *members, real_logs, &unused);
    std::vector<int64_t> gen_rows;
    for (int64_t r = 0; r < regenerations; ++r)
      for (int64_t i : *members) gen_rows.push_back(r * n + i);
    const int64_t m_gen = append_logs(generated, gen_rows, gen_logs, &e.div_nonfinite);
    if (m_gen < 2) continue;
    err += std::abs(group_diversity(gen_logs, m_gen, kPixels) / norm -
                    group_diversity(real_logs, m_real, kPixels) / norm);
    ++e.div_groups;
  }
  if (e.div_groups > 0) e.diversity_error = err / static_cast<double>(e.div_groups);
}

std::vector<RowSubset> zdc_breakdown_subsets(const std::vector<double>& particles, int64_t n) {
  constexpr int64_t kEnergy = 0, kCharge = 8;
  std::vector<RowSubset> out = {{"neutral", {}}, {"charged", {}}};
  std::vector<double> energies;
  for (int64_t i = 0; i < n; ++i) {
    out[particles[i * kZdcCondDim + kCharge] == 0 ? 0 : 1].rows.push_back(i);
    energies.push_back(particles[i * kZdcCondDim + kEnergy]);
  }
  std::vector<double> sorted = energies;
  std::sort(sorted.begin(), sorted.end());
  // Quartile edges (the sorted value at floor(q * n)); a value equal to an edge goes above it.
  std::vector<double> edges = {sorted.front()};
  for (int q = 1; q < 4; ++q) edges.push_back(sorted[static_cast<size_t>(q * n / 4)]);
  edges.push_back(sorted.back());
  for (int b = 0; b < 4; ++b) {
    RowSubset s;
    char name[96];
    std::snprintf(name, sizeof name, "E [%.4g, %.4g%s GeV", edges[b], edges[b + 1],
                  b == 3 ? "]" : ")");
    s.name = name;
    for (int64_t i = 0; i < n; ++i) {
      const double E = energies[i];
      if (E >= edges[b] && (b == 3 ? E <= edges[b + 1] : E < edges[b + 1])) s.rows.push_back(i);
    }
    out.push_back(std::move(s));
  }
  out.erase(
      std::remove_if(out.begin(), out.end(), [](const RowSubset& s) { return s.rows.empty(); }),
      out.end());
  return out;
}

ZdcEval evaluate_zdc_counts_rows(const std::vector<double>& real,
                                 const std::vector<double>& generated,
                                 const std::vector<double>& particles, int64_t n,
                                 int64_t regenerations, const std::vector<int64_t>& rows,
                                 int64_t max_groups, uint64_t seed) {
  const int64_t m = static_cast<int64_t>(rows.size());
  std::vector<double> r_sub, g_sub;
  r_sub.reserve(m * kPixels);
  g_sub.reserve(regenerations * m * kPixels);
  for (int64_t i : rows)
    r_sub.insert(r_sub.end(), real.begin() + i * kPixels, real.begin() + (i + 1) * kPixels);
  for (int64_t r = 0; r < regenerations; ++r)
    for (int64_t i : rows)
      g_sub.insert(g_sub.end(), generated.begin() + (r * n + i) * kPixels,
                   generated.begin() + (r * n + i + 1) * kPixels);
  ZdcEval e = evaluate_zdc_counts(r_sub, g_sub, m, regenerations);
  diversity_error_counts(real, generated, particles, n, regenerations, rows, max_groups, seed, e);
  return e;
}

}  // namespace dg::gan
