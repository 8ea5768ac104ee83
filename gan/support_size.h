// Support size of a distribution of ZDC showers by the birthday paradox
// (docs/design.md#support-size): how many distinct showers a generator can produce, against the
// real data's own figure.
//
// Definitions (what the numbers in SupportResult mean):
// - A shower is a (44, 44) image of photon counts, index (a, b) = (first axis, second axis).
//   Its x-profile is the image summed over the first axis (a function of b), its y-profile the
//   image summed over the second axis (a function of a), each divided by the total count.
// - Empty showers (total < 0.5, as in the evaluation) have no profile: they are counted per pool
//   and left out of the test; so are showers with a non-finite pixel. Neither becomes a NaN.
// - Quantities of a pair (i, j): js_x / js_y = the Jensen-Shannon divergence (natural log) of the
//   two x- / y-profiles, 0.5 KL(p, m) + 0.5 KL(q, m) with m = (p + q) / 2 and 0 log 0 = 0, in
//   [0, ln 2]; total = |T_i - T_j| in photons; ssim = the structural similarity of the two whole
//   images taken as one window: (2 mu_i mu_j + C1)(2 cov_ij + C2) /
//   ((mu_i^2 + mu_j^2 + C1)(var_i + var_j + C2)), population moments over the 1936 pixels,
//   C1 = (0.01 L)^2, C2 = (0.03 L)^2 with L = ssim_range (photons).
// - Thresholds: over all pairs of the real pool, the alpha-quantile of each enabled distance
//   (js_x, js_y, total) and the (1 - alpha)-quantile of ssim, with numpy's default ("linear")
//   quantile. A pair is a duplicate when every enabled distance is at or below its threshold and,
//   when enabled, ssim is at or above its threshold.
// - Pools: the real pool is a seeded random subset of at most max_samples of the usable real
//   showers (all of them when fewer); the same subset gives the thresholds. The generated pool is
//   chosen the same way from the generated showers (another stream).
// - P(s), for a pool: over `trials` seeded uniform permutations of the pool, the fraction whose
//   first s members hold at least one duplicate pair; a permutation's first s members are a uniform
//   random subset of size s, so one permutation serves every s (and P is monotone in s).
//   s_half = the smallest s of the grid with P(s) >= 0.5; support = s_half^2, the papers' estimate
//   (for N equally likely distinct showers, s_half ~ 1.18 sqrt(N), so s_half^2 ~ 1.39 N). When no
//   s of the grid reaches 0.5 the support is only bounded below, by the largest s squared.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dg::gan {

struct SupportOptions {
  bool js_x = true, js_y = true, total = true, ssim = false;  // the duplicate criteria
  double ssim_range = 1.0;                                    // L of the SSIM constants, in photons
  double alpha = 0.02;
  int64_t max_samples = 5000;  // per pool
  int64_t trials = 1000;       // permutations per pool
  std::vector<int64_t> sizes;  // the s grid, increasing; empty: every s from 2 to the pool size
  uint64_t seed = 1;
  int threads = 0;  // 0: the machine's cores
  // Called as pair blocks complete, with a stage name ("real pairs", "generated pairs"). Optional.
  std::function<void(const std::string& stage, int64_t done, int64_t total)> progress;

  // Throws dg::Error naming the option: alpha outside (0, 1), no criterion, L <= 0, trials < 1,
  // max_samples < 2, a grid size < 2 or a grid not increasing.
  void validate() const;
  std::vector<std::string> criteria() const;  // e.g. {"js_x", "js_y", "total"}
};

// Per-shower features of a pool of non-empty finite showers.
struct ShowerFeatures {
  int64_t n = 0;
  std::vector<double> px, py;     // (n, 44) profiles, each summing to 1
  std::vector<double> hx, hy;     // (n) sum of p log p over each profile
  std::vector<double> total;      // (n) total count
  std::vector<double> mean, var;  // (n) pixel mean and population variance (only with ssim)
  std::vector<double> centered;   // (n, 1936) the image minus its mean (only with ssim)
};
// `images` (n, 44, 44), every one with total >= 0.5 and finite.
ShowerFeatures shower_features(const double* images, int64_t n, bool with_ssim);

struct PairQuantities {
  double js_x = 0, js_y = 0, total = 0, ssim = 0;  // ssim 0 when not computed
};
// One pair, directly (the pool-wide computation gives the same values).
PairQuantities pair_quantities(const ShowerFeatures& f, int64_t i, int64_t j, bool with_ssim,
                               double ssim_range);

struct SupportThresholds {
  double js_x = 0, js_y = 0, total = 0, ssim = 0;  // those of disabled criteria are unused
  int64_t samples = 0, pairs = 0;                  // the real pool they come from
};
bool is_duplicate(const PairQuantities& q, const SupportThresholds& t, const SupportOptions& o);

// numpy.quantile(v, q) with the default "linear" method, to the last bit; reorders v.
double quantile_linear(std::vector<double>& v, double q);

// Duplicate pairs of a pool as adjacency lists (each pair in both lists, sorted).
struct DuplicateGraph {
  std::vector<std::vector<int32_t>> adjacent;
  int64_t pairs = 0;
};

// Thresholds from every pair of `real` and, in `graph`, the real pool's duplicates.
SupportThresholds support_thresholds(const ShowerFeatures& real, const SupportOptions& o,
                                     DuplicateGraph* graph);
// The duplicates among every pair of `pool` under `t`.
DuplicateGraph duplicate_graph(const ShowerFeatures& pool, const SupportThresholds& t,
                               const SupportOptions& o, const std::string& stage);

// For each of `trials` seeded permutations of the pool, the size of the shortest prefix holding a
// duplicate pair (pool size + 1 when none does).
std::vector<int64_t> first_duplicate_sizes(const DuplicateGraph& g, int64_t trials, uint64_t seed);

struct SupportPool {
  int64_t showers = 0;    // in the input
  int64_t empty = 0;      // total < 0.5, left out
  int64_t nonfinite = 0;  // a non-finite pixel, left out
  int64_t pool = 0;       // showers the test used
  int64_t duplicate_pairs = 0;
  std::vector<int64_t> sizes;
  std::vector<double> p_duplicate;  // P(s) for each s of sizes
  int64_t s_half = -1;              // -1: P stays below 0.5 on the grid
  double support() const;           // s_half^2; NaN without s_half
  double support_at_least() const;  // s_half^2, or the largest s squared without it
  nlohmann::json to_json() const;
};

struct SupportResult {
  SupportOptions options;
  SupportThresholds thresholds;
  SupportPool real, generated;
  double ratio() const;  // generated / real support; NaN when either is only bounded
  nlohmann::json to_json() const;
  std::string markdown() const;  // the table divgan support prints
};

// The whole test on photon counts (n, 44, 44), regeneration order irrelevant. Throws dg::Error
// when a pool has fewer than 2 usable showers or the grid goes beyond a pool.
SupportResult estimate_support(const std::vector<double>& real,
                               const std::vector<double>& generated, const SupportOptions& o);

}  // namespace dg::gan
