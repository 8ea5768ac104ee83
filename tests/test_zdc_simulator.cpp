// The built-in ZDC-like simulator (datasets/zdc_simulator.h): seeding, layout, attribute ranges,
// sparsity, and the condition-dependent diversity the regularizers rely on.
// Run: build/dg_tests -tc="*simulator*"
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "datasets/conditional.h"
#include "datasets/zdc_simulator.h"

using namespace dg::data;

namespace {
double total_counts(const ZdcSample& s, int64_t i) {
  double t = 0;
  for (int64_t p = 0; p < kSimPixels; ++p) t += s.responses[i * kSimPixels + p];
  return t;
}
}  // namespace

TEST_CASE("zdc simulator: seeded, and seeds differ") {
  const ZdcSample a = simulate_zdc({11, 50}), b = simulate_zdc({11, 50}),
                  c = simulate_zdc({12, 50});
  CHECK(a.n == b.n);
  CHECK(a.responses == b.responses);
  CHECK(a.particles == b.particles);
  CHECK(a.particle_of == b.particle_of);
  CHECK(a.particles != c.particles);
  CHECK(a.responses != c.responses);
}

TEST_CASE("zdc simulator: shapes, attribute ranges and sparsity") {
  const ZdcSimConfig cfg{3, 400};
  const ZdcSample s = simulate_zdc(cfg);
  REQUIRE(s.n >= cfg.particles * cfg.repeats_min);
  REQUIRE(s.n <= cfg.particles * cfg.repeats_max);
  REQUIRE(s.responses.size() == static_cast<size_t>(s.n * kSimPixels));
  REQUIRE(s.particles.size() == static_cast<size_t>(s.n * kSimParticleCols));
  REQUIRE(s.particle_of.size() == static_cast<size_t>(s.n));

  const std::set<double> masses{0.0, 139.57, 493.68, 938.27, 939.57};
  std::set<double> seen_masses, seen_charges;
  for (int64_t i = 0; i < s.n; ++i) {
    const double* r = &s.particles[i * kSimParticleCols];
    const double e = r[0], vx = r[1], vy = r[2], vz = r[3], px = r[4], py = r[5], pz = r[6],
                 m = r[7], q = r[8];
    CHECK(e >= 10.0);
    CHECK(e <= 7000.0);
    CHECK(std::abs(vx) < 0.1);
    CHECK(std::abs(vy) < 0.1);
    CHECK(std::abs(vz) < 50.0);
    CHECK(masses.count(m) == 1);
    CHECK((q == -1.0 || q == 0.0 || q == 1.0));
    if (m == 0.0 || m == 939.57) CHECK(q == 0.0);
    seen_masses.insert(m);
    seen_charges.insert(q);
    // Mass-consistent momentum, almost along the beam.
    const double p2 = px * px + py * py + pz * pz, mg = m * 1e-3;
    CHECK(std::abs(std::sqrt(p2 + mg * mg) - e) < 1e-9 * e);
    CHECK(pz > 0.0);
    const double angle = std::sqrt(px * px + py * py) / pz;
    CHECK(angle >= 0.99e-4);
    CHECK(angle <= 1.01e-3);
  }
  CHECK(seen_masses == masses);
  CHECK(seen_charges == std::set<double>{-1.0, 0.0, 1.0});

  int64_t zeros = 0;
  double max_count = 0;
  bool integer_nonneg = true;
  for (double v : s.responses) {
    integer_nonneg = integer_nonneg && v >= 0.0 && v == std::floor(v);
    zeros += v == 0.0;
    max_count = std::max(max_count, v);
  }
  CHECK(integer_nonneg);
  const double zero_share = static_cast<double>(zeros) / static_cast<double>(s.responses.size());
  MESSAGE("zero pixels: " << zero_share << ", max count " << max_count);
  CHECK(zero_share > 0.8);
  CHECK(max_count > 100.0);
}

TEST_CASE("zdc simulator: repeats share exactly equal attributes") {
  const ZdcSample s = simulate_zdc({5, 200, 2, 6});
  std::vector<int64_t> count(200, 0);
  for (int64_t i = 0; i < s.n; ++i) {
    const int64_t k = s.particle_of[i];
    REQUIRE(k >= 0);
    REQUIRE(k < 200);
    ++count[k];
    if (i > 0 && s.particle_of[i - 1] == k) {
      CHECK(std::equal(s.particles.begin() + i * kSimParticleCols,
                       s.particles.begin() + (i + 1) * kSimParticleCols,
                       s.particles.begin() + (i - 1) * kSimParticleCols));
    } else if (i > 0) {
      CHECK(s.particle_of[i - 1] == k - 1);  // particles stay contiguous and in order
    }
  }
  for (int64_t c : count) {
    CHECK(c >= 2);
    CHECK(c <= 6);
  }
  // Grouping by the raw attributes recovers the particles exactly.
  std::vector<double> dummy(s.n, 0.0);
  const Groups g = group_by_condition(s.particles, s.n, kSimParticleCols, dummy, 1);
  CHECK(g.members.size() == 200);
  for (int64_t i = 0; i < s.n; ++i) CHECK(g.group_of[i] == s.particle_of[i]);
}

TEST_CASE("zdc simulator: f_div separates neutral from charged particles") {
  const ZdcSample s = simulate_zdc({21, 600});
  std::vector<double> logs(s.responses.size());
  std::transform(s.responses.begin(), s.responses.end(), logs.begin(),
                 [](double v) { return std::log1p(v); });
  const Groups g = group_by_condition(s.particles, s.n, kSimParticleCols, logs, kSimPixels);
  double neutral = 0, charged = 0;
  int64_t n_neutral = 0, n_charged = 0;
  for (size_t k = 0; k < g.members.size(); ++k) {
    const double q = s.particles[g.members[k][0] * kSimParticleCols + 8];
    if (q == 0.0) {
      neutral += g.fdiv[k];
      ++n_neutral;
    } else {
      charged += g.fdiv[k];
      ++n_charged;
    }
  }
  REQUIRE(n_neutral > 50);
  REQUIRE(n_charged > 50);
  neutral /= static_cast<double>(n_neutral);
  charged /= static_cast<double>(n_charged);
  MESSAGE("mean f_div neutral " << neutral << " (" << n_neutral << " groups), charged " << charged
                                << " (" << n_charged << " groups), ratio " << charged / neutral);
  CHECK(charged > 4.0 * neutral);

  // Empty responses come from charged particles only; high-energy neutrals always light up.
  int64_t empty_charged = 0, charged_rows = 0, empty_neutral_high = 0, neutral_high = 0;
  for (int64_t i = 0; i < s.n; ++i) {
    const double* r = &s.particles[i * kSimParticleCols];
    const double t = total_counts(s, i);
    if (r[8] != 0.0) {
      ++charged_rows;
      empty_charged += t < 1.0;
    } else if (r[0] > 1000.0) {
      ++neutral_high;
      empty_neutral_high += t < 1.0;
    }
  }
  MESSAGE("empty charged responses: " << empty_charged << " / " << charged_rows);
  CHECK(empty_charged > charged_rows / 20);
  REQUIRE(neutral_high > 20);
  CHECK(empty_neutral_high == 0);
}

TEST_CASE("zdc simulator: throughput") {
  const auto t0 = std::chrono::steady_clock::now();
  const ZdcSample s = simulate_zdc({99, 4000});
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(s.n >= 20000);
  MESSAGE("simulated " << s.n << " showers in " << sec << " s: " << s.n / sec << " showers/s");
}
