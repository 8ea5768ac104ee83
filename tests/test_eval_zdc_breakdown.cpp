// Evaluation of generated showers with their conditions (gan/eval_zdc_breakdown.h): the diversity
// error from files, the species / energy subsets and the per-subset metrics.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "datasets/zdc_simulator.h"
#include "gan/eval_zdc_breakdown.h"
#include "gan/metrics.h"

using namespace dg;
using namespace dg::gan;

namespace {

constexpr int64_t kPx = data::kZdcPixels, kC = data::kZdcCondDim;

data::ZdcSample simulated(int64_t particles, uint64_t seed) {
  data::ZdcSimConfig sc;
  sc.particles = particles;
  sc.seed = seed;
  return data::simulate_zdc(sc);
}

std::vector<int64_t> all_rows(int64_t n) {
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

}  // namespace

TEST_CASE("zdc breakdown: subsets split by charge and by energy quartiles, covering every row") {
  const data::ZdcSample s = simulated(80, 3);
  const auto subsets = zdc_breakdown_subsets(s.particles, s.n);
  REQUIRE(subsets.size() == 6);  // neutral, charged, four energy bins
  CHECK(subsets[0].name == "neutral");
  CHECK(subsets[1].name == "charged");
  CHECK(subsets[0].rows.size() + subsets[1].rows.size() == static_cast<size_t>(s.n));
  for (int64_t i : subsets[0].rows) CHECK(s.particles[i * kC + 8] == 0);
  for (int64_t i : subsets[1].rows) CHECK(s.particles[i * kC + 8] != 0);
  std::set<int64_t> energy_rows;
  size_t total = 0;
  for (size_t b = 2; b < subsets.size(); ++b) {
    CHECK(subsets[b].name.rfind("E [", 0) == 0);
    // Quartile bins: about a quarter of the rows each (ties between repeats move whole groups).
    CHECK(subsets[b].rows.size() > static_cast<size_t>(s.n) / 8);
    total += subsets[b].rows.size();
    energy_rows.insert(subsets[b].rows.begin(), subsets[b].rows.end());
  }
  CHECK(total == static_cast<size_t>(s.n));  // disjoint and covering
  CHECK(energy_rows.size() == static_cast<size_t>(s.n));
}

TEST_CASE("zdc breakdown: the diversity error from files is 0 for the real showers themselves") {
  const data::ZdcSample s = simulated(40, 5);
  ZdcEval same = evaluate_zdc_counts(s.responses, s.responses, s.n, 1);
  diversity_error_counts(s.responses, s.responses, s.particles, s.n, 1, all_rows(s.n), 1000, 1,
                         same);
  CHECK(same.div_groups > 10);
  CHECK(same.diversity_error == doctest::Approx(0.0));
  CHECK(same.ws_mean == doctest::Approx(0.0));
}

TEST_CASE("zdc breakdown: a generator without spread scores the mean real f_div") {
  // Every generated shower of a particle is its first real member: generated f_div 0, so the
  // error is the mean over groups of the real f_div (normalized by the largest real group's).
  const data::ZdcSample s = simulated(40, 7);
  std::map<std::vector<double>, std::vector<int64_t>> groups;
  for (int64_t i = 0; i < s.n; ++i)
    groups[std::vector<double>(s.particles.begin() + i * kC, s.particles.begin() + (i + 1) * kC)]
        .push_back(i);
  std::vector<double> gen(s.responses.size());
  double norm = 0, sum = 0;
  int64_t counted = 0;
  for (const auto& [key, m] : groups) {
    for (int64_t i : m) std::copy_n(s.responses.begin() + m[0] * kPx, kPx, gen.begin() + i * kPx);
    if (m.size() < 2) continue;
    std::vector<double> logs;
    for (int64_t i : m)
      for (int64_t p = 0; p < kPx; ++p) logs.push_back(std::log1p(s.responses[i * kPx + p]));
    const double d = group_diversity(logs, static_cast<int64_t>(m.size()), kPx);
    norm = std::max(norm, d);
    sum += d;
    ++counted;
  }
  ZdcEval e;
  diversity_error_counts(s.responses, gen, s.particles, s.n, 1, all_rows(s.n), 1000, 1, e);
  CHECK(e.div_groups == counted);
  CHECK(e.diversity_error == doctest::Approx(sum / counted / norm).epsilon(1e-12));
  // At most max_groups groups, chosen by the seed.
  ZdcEval few;
  diversity_error_counts(s.responses, gen, s.particles, s.n, 1, all_rows(s.n), 3, 1, few);
  CHECK(few.div_groups == 3);
}

TEST_CASE("zdc breakdown: per-subset metrics equal evaluate_zdc_counts on the gathered rows") {
  const data::ZdcSample real = simulated(30, 11), other = simulated(30, 12);
  const int64_t n = std::min(real.n, other.n), k = 2;
  std::vector<double> r(real.responses.begin(), real.responses.begin() + n * kPx);
  std::vector<double> p(real.particles.begin(), real.particles.begin() + n * kC);
  std::vector<double> gen;
  for (int64_t j = 0; j < k; ++j)
    gen.insert(gen.end(), other.responses.begin(), other.responses.begin() + n * kPx);
  const std::vector<int64_t> rows = {1, 4, 5, 9};
  const ZdcEval e = evaluate_zdc_counts_rows(r, gen, p, n, k, rows, 100, 1);
  std::vector<double> r_sub, g_sub;
  for (int64_t i : rows) r_sub.insert(r_sub.end(), r.begin() + i * kPx, r.begin() + (i + 1) * kPx);
  for (int64_t j = 0; j < k; ++j)
    for (int64_t i : rows)
      g_sub.insert(g_sub.end(), gen.begin() + (j * n + i) * kPx,
                   gen.begin() + (j * n + i + 1) * kPx);
  const ZdcEval ref = evaluate_zdc_counts(r_sub, g_sub, 4, k);
  CHECK(e.n_test == 4);
  for (int c = 0; c < 5; ++c) CHECK(e.ws[c] == ref.ws[c]);
  CHECK(e.empty_real == ref.empty_real);
}
