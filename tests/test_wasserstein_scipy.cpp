// gan::wasserstein_1d against scipy.stats.wasserstein_distance on committed fixture values
// (tests/fixtures/make_wasserstein_fixtures.py wrote them).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gan/metrics.h"

#ifndef DG_SOURCE_DIR
#error "DG_SOURCE_DIR must point at the repository root (set by CMakeLists.txt)"
#endif

TEST_CASE("metrics: wasserstein_1d matches scipy.stats.wasserstein_distance") {
  std::ifstream in(DG_SOURCE_DIR "/tests/fixtures/wasserstein_1d.json");
  REQUIRE(in.good());
  nlohmann::json j = nlohmann::json::parse(in);
  REQUIRE(j.at("cases").size() >= 5);
  for (const auto& c : j.at("cases")) {
    auto u = c.at("u").get<std::vector<double>>(), v = c.at("v").get<std::vector<double>>();
    double expected = c.at("expected").get<double>();
    double got = dg::gan::wasserstein_1d(u, v);
    INFO(c.at("kind").get<std::string>() << " n=" << u.size() << " m=" << v.size());
    CHECK(std::abs(got - expected) <= 1e-9 * (1.0 + std::abs(expected)));
    CHECK(std::abs(dg::gan::wasserstein_1d(v, u) - expected) <= 1e-9 * (1.0 + std::abs(expected)));
  }
}
