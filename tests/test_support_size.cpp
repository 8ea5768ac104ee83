// Support size by the birthday paradox (gan/support_size.*): (a) thresholds and duplicate
// decisions against an independent numpy/scipy reference (tests/fixtures/make_support_fixtures.py),
// (b) the estimate on distributions of known support N against the birthday-paradox value, (c)
// reproducibility for a seed, whatever the thread count; and bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "datasets/npz.h"
#include "datasets/zdc_simulator.h"
#include "engine/rng.h"
#include "gan/support_size.h"

#ifndef DG_SOURCE_DIR
#error "DG_SOURCE_DIR must point at the repository root (set by CMakeLists.txt)"
#endif

using namespace dg;
using namespace dg::gan;

namespace {

constexpr int64_t kPix = 44 * 44;

nlohmann::json expected() {
  std::ifstream in(DG_SOURCE_DIR "/tests/fixtures/support_expected.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

std::vector<double> fixture(const char* key) {
  return data::read_npz(DG_SOURCE_DIR "/tests/fixtures/support_showers.npz", key).data;
}

std::vector<double> rows(const std::vector<double>& images, const std::vector<int64_t>& idx) {
  std::vector<double> out;
  for (int64_t i : idx) out.insert(out.end(), &images[i * kPix], &images[(i + 1) * kPix]);
  return out;
}

SupportOptions with_criteria(const nlohmann::json& c) {
  SupportOptions o;
  o.js_x = o.js_y = o.total = o.ssim = false;
  for (const auto& name : c.at("criteria")) {
    const std::string s = name.get<std::string>();
    o.js_x |= s == "js_x";
    o.js_y |= s == "js_y";
    o.total |= s == "total";
    o.ssim |= s == "ssim";
  }
  o.ssim_range = c.at("ssim_range").get<double>();
  return o;
}

std::set<std::pair<int64_t, int64_t>> pairs_of(const DuplicateGraph& g) {
  std::set<std::pair<int64_t, int64_t>> s;
  for (size_t i = 0; i < g.adjacent.size(); ++i)
    for (int32_t j : g.adjacent[i])
      if (static_cast<int64_t>(i) < j) s.emplace(static_cast<int64_t>(i), j);
  return s;
}

std::set<std::pair<int64_t, int64_t>> pairs_of(const nlohmann::json& list) {
  std::set<std::pair<int64_t, int64_t>> s;
  for (const auto& p : list) s.emplace(p.at(0).get<int64_t>(), p.at(1).get<int64_t>());
  return s;
}

bool close(double a, double b, double rel = 1e-12) {
  return std::abs(a - b) <= rel * std::max(1.0, std::max(std::abs(a), std::abs(b)));
}

// The birthday-paradox s_half for N equally likely outcomes: the smallest s with
// 1 - prod_{i<s} (1 - i/N) >= 0.5.
int64_t birthday_s_half(int64_t n) {
  double none = 1;
  for (int64_t s = 1;; ++s) {
    none *= 1 - static_cast<double>(s - 1) / static_cast<double>(n);
    if (1 - none >= 0.5) return s;
  }
}

}  // namespace

TEST_CASE("support: quantile_linear is numpy.quantile to the last bit") {
  const nlohmann::json e = expected();  // named: a range over a temporary's member dangles
  for (const auto& c : e.at("quantiles")) {
    std::vector<double> v = c.at("values").get<std::vector<double>>();
    CAPTURE(v.size());
    CHECK(quantile_linear(v, c.at("q").get<double>()) == c.at("expected").get<double>());
  }
}

TEST_CASE("support: thresholds and duplicates match the numpy/scipy reference exactly") {
  const nlohmann::json e = expected();
  const std::vector<double> real = fixture("real"), generated = fixture("generated");
  const auto real_idx = e.at("real").at("usable").get<std::vector<int64_t>>();
  const auto gen_idx = e.at("generated").at("usable").get<std::vector<int64_t>>();
  const std::vector<double> ru = rows(real, real_idx), gu = rows(generated, gen_idx);
  for (const auto& c : e.at("cases")) {
    CAPTURE(c.at("criteria").dump());
    SupportOptions o = with_criteria(c);
    o.alpha = e.at("alpha").get<double>();
    for (int threads : {1, 2, 3}) {
      CAPTURE(threads);
      o.threads = threads;
      const ShowerFeatures fr =
          shower_features(ru.data(), static_cast<int64_t>(real_idx.size()), o.ssim);
      const ShowerFeatures fg =
          shower_features(gu.data(), static_cast<int64_t>(gen_idx.size()), o.ssim);
      DuplicateGraph gr;
      const SupportThresholds t = support_thresholds(fr, o, &gr);
      const auto& et = c.at("thresholds");
      if (o.js_x) CHECK(close(t.js_x, et.at("js_x").get<double>()));
      if (o.js_y) CHECK(close(t.js_y, et.at("js_y").get<double>()));
      if (o.total) CHECK(t.total == et.at("total").get<double>());  // integer differences
      if (o.ssim) CHECK(close(t.ssim, et.at("ssim").get<double>()));
      CHECK(pairs_of(gr) == pairs_of(c.at("real_duplicates")));
      CHECK(pairs_of(duplicate_graph(fg, t, o, "generated")) ==
            pairs_of(c.at("generated_duplicates")));
      for (const auto& p : c.at("real_pairs")) {
        const PairQuantities q = pair_quantities(fr, p.at("i").get<int64_t>(),
                                                 p.at("j").get<int64_t>(), o.ssim, o.ssim_range);
        CHECK(close(q.js_x, p.at("js_x").get<double>(), 1e-11));
        CHECK(close(q.js_y, p.at("js_y").get<double>(), 1e-11));
        CHECK(q.total == p.at("total").get<double>());
        if (o.ssim) CHECK(close(q.ssim, p.at("ssim").get<double>()));
      }
    }
  }
}

TEST_CASE("support: empty and non-finite showers are counted and left out, never NaN") {
  const nlohmann::json e = expected();
  SupportOptions o;
  o.trials = 50;
  const SupportResult r = estimate_support(fixture("real"), fixture("generated"), o);
  CHECK(r.real.showers == e.at("real").at("showers").get<int64_t>());
  CHECK(r.real.empty == e.at("real").at("empty").get<int64_t>());
  CHECK(r.real.nonfinite == 0);
  CHECK(r.real.pool == static_cast<int64_t>(e.at("real").at("usable").size()));
  CHECK(r.generated.empty == e.at("generated").at("empty").get<int64_t>());
  CHECK(r.generated.nonfinite == 1);
  CHECK(r.generated.pool == static_cast<int64_t>(e.at("generated").at("usable").size()));
  CHECK(r.real.duplicate_pairs ==
        static_cast<int64_t>(e.at("cases")[0].at("real_duplicates").size()));
  for (double p : r.real.p_duplicate) CHECK((p >= 0 && p <= 1));
  for (double p : r.generated.p_duplicate) CHECK((p >= 0 && p <= 1));
  const std::string json = r.to_json().dump();
  CHECK(json.find("NaN") == std::string::npos);
  // Each pool holds a duplicate pair, so P reaches 1 at the whole pool and s_half exists.
  CHECK(r.real.s_half > 0);
  CHECK(r.generated.s_half > 0);
  CHECK(r.to_json().at("ratio").is_number());
}

TEST_CASE("support: known support N gives the birthday-paradox s_half (N = 100, 1000, 10000)") {
  // Thresholds from simulated showers; the "generated" pool draws uniformly, with replacement, from
  // N distinct single-fibre showers: position (row, column) in 44 x 44 and one of 6 totals 1000
  // photons apart. Two distinct ones differ in column (JS of the x-profiles ln 2), in row (JS of
  // the y-profiles ln 2) or in total (>= 1000): far from every threshold below.
  data::ZdcSimConfig sim;
  sim.seed = 5;
  sim.particles = 300;
  const data::ZdcSample real = data::simulate_zdc(sim);
  for (int64_t n : {100, 1000, 10000}) {
    CAPTURE(n);
    const int64_t draws = 2000;
    std::vector<double> gen(static_cast<size_t>(draws * kPix), 0.0);
    Philox rng(17 + static_cast<uint64_t>(n));
    std::vector<double> u(static_cast<size_t>(draws));
    rng.fill_uniform(u.data(), draws);
    for (int64_t d = 0; d < draws; ++d) {
      const auto item = std::min(n - 1, static_cast<int64_t>(u[d] * static_cast<double>(n)));
      const int64_t pos = item % kPix, level = item / kPix;
      gen[d * kPix + pos] = 1000.0 * static_cast<double>(level + 1);
    }
    SupportOptions o;
    o.seed = 3;
    const SupportResult r = estimate_support(real.responses, gen, o);
    REQUIRE(r.thresholds.js_x < std::log(2.0));
    REQUIRE(r.thresholds.js_y < std::log(2.0));
    REQUIRE(r.thresholds.total < 1000);
    const int64_t exact = birthday_s_half(n);
    REQUIRE(r.generated.s_half > 0);
    const double ratio = static_cast<double>(r.generated.s_half) / static_cast<double>(exact);
    MESSAGE("N = " << n << ": s_half " << r.generated.s_half << ", birthday value " << exact
                   << " (1.18 sqrt(N) = " << 1.1774 * std::sqrt(static_cast<double>(n))
                   << "), support " << r.generated.support());
    CHECK(ratio <= 1.5);
    CHECK(ratio >= 1 / 1.5);
  }
}

TEST_CASE("support: the same seed gives the same result, whatever the thread count") {
  data::ZdcSimConfig sim;
  sim.seed = 9;
  sim.particles = 120;
  const data::ZdcSample a = data::simulate_zdc(sim);
  sim.seed = 10;
  const data::ZdcSample b = data::simulate_zdc(sim);
  SupportOptions o;
  o.ssim = true;
  o.max_samples = 300;  // a subset is drawn: its choice is seeded too
  o.trials = 200;
  o.threads = 1;
  const nlohmann::json one = estimate_support(a.responses, b.responses, o).to_json();
  o.threads = 2;
  CHECK(estimate_support(a.responses, b.responses, o).to_json() == one);
  o.threads = 5;
  CHECK(estimate_support(a.responses, b.responses, o).to_json() == one);
  o.seed = 2;
  CHECK(estimate_support(a.responses, b.responses, o).to_json() != one);
}

TEST_CASE("support: bad options and pools too small for the grid are one-line errors") {
  const std::vector<double> real = fixture("real"), generated = fixture("generated");
  auto error_of = [&](const SupportOptions& o) {
    try {
      estimate_support(real, generated, o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  SupportOptions o;
  o.alpha = 0;
  CHECK(error_of(o).find("alpha is 0; expected 0 < alpha < 1") != std::string::npos);
  o.alpha = 1;
  CHECK(error_of(o).find("expected 0 < alpha < 1") != std::string::npos);
  o = {};
  o.js_x = o.js_y = o.total = false;
  CHECK(error_of(o).find("no duplicate criterion") != std::string::npos);
  o = {};
  o.sizes = {5, 3};
  CHECK(error_of(o).find("not increasing") != std::string::npos);
  o = {};
  o.sizes = {2, 10, 36};  // the real pool holds 37 usable showers, the generated 27
  const std::string msg = error_of(o);
  CHECK(msg.find("goes up to 36 but the generated pool holds only 27 usable showers (30 in all, 2 "
                 "empty, 1 non-finite)") != std::string::npos);
  CHECK(msg.find('\n') == std::string::npos);
  std::vector<double> empties(3 * kPix, 0.0);
  try {
    estimate_support(real, empties, SupportOptions{});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find(
              "generated showers hold 0 usable showers (3 in all, 3 empty") != std::string::npos);
  }
}
