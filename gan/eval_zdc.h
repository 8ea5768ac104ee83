// Evaluation of a ZDC generator (docs/design.md#metrics): per-channel Wasserstein-1 between the
// real test responses and one generated response per test condition, averaged over regenerations,
// and the diversity error of the generator on groups of repeated particles.
//
// Definitions (what the numbers in ZdcEval mean):
// - Channels: gan/zdc_channels.h, on photon counts; generated log1p images go through expm1 first.
// - ws[k]: for each regeneration, wasserstein_1d(real ch_k over the test split, generated ch_k over
//   the finite generated images); ws is the mean over regenerations, ws_std the population std
//   (ddof 0, as numpy's std). A regeneration whose images are all non-finite has WS NaN, and NaN
//   propagates into the mean: a generator that sometimes emits only garbage is not averaged away.
// - Non-finite: a generated image any of whose pixels or channel sums is not finite after expm1 (a
//   log1p value above ~709.78 overflows). It is counted and left out of that regeneration's
//   channel values; it never throws.
// - Empty: the total count rounds to zero (total < 0.5), for real and generated images alike; for
//   integer real counts that is exactly "total count 0". empty_generated is the mean count per
//   regeneration, over the finite images.
// - Diversity error: the groups are the distinct conditions of the test split (the 80/20 split is
//   by rows, so a particle's repeats are spread over both splits). A group's real members are ALL
//   rows of train + test with exactly its raw attributes; groups with fewer than 2 real members are
//   skipped. Real f_div = sum over pixels of the population std of the members' log1p images;
//   generated f_div = the same over div_generations log1p images generated for the condition; both
//   divided by the training split's maximum group diversity (Groups::max_diversity, the f_div
//   normalizer of docs/design.md#groups-f_div-and-real-pairs), not clamped, so a test group more
//   diverse than any training group may exceed 1. diversity_error = mean |generated - real| over
//   the groups used. At most max_div_groups eligible groups, chosen by a Philox permutation seeded
//   with opt.seed (a stream separate from the latents); div_groups reports how many. Non-finite
//   generated images are left out of their group (div_nonfinite counts them); a group with fewer
//   than 2 finite images is skipped.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "datasets/zdc_dataset.h"
#include "gan/networks.h"

namespace dg::gan {

struct ZdcEvalOptions {
  int regenerations = 5;
  int div_generations = 10;  // images per group for the generated f_div; < 2 disables it
  int64_t max_div_groups = 200;
  int64_t batch = 256;  // generator rows per call
  uint64_t seed = 1;    // latents and the choice of diversity groups
  // Called after every generator call with (rows generated, rows to generate); the last call has
  // done == total. Optional.
  std::function<void(int64_t done, int64_t total)> progress;
};

struct ZdcEval {
  std::array<double, 5> ws{};      // ch1..ch5, mean over regenerations
  std::array<double, 5> ws_std{};  // population std over regenerations
  double ws_mean = 0;              // mean over the 5 channels (the papers' headline number)
  double diversity_error = std::numeric_limits<double>::quiet_NaN();  // NaN when not computed
  int64_t div_groups = 0;
  int64_t div_nonfinite = 0;  // non-finite images among the diversity generations
  int64_t n_test = 0, regenerations = 0;
  int64_t empty_real = 0;
  double empty_generated = 0;       // mean per regeneration
  int64_t nonfinite_generated = 0;  // total over regenerations
  // Occupancy: the fraction of an image's 1936 fibres with at least one photon (>= 0.5 for
  // generated counts, as for empty). occupancy_ws: wasserstein_1d of the real and generated
  // occupancies per regeneration, mean (and population std) over regenerations; occupancy_real /
  // _generated: mean occupancy (generated: mean over regenerations). NaN where nothing is finite.
  double occupancy_ws = std::numeric_limits<double>::quiet_NaN(), occupancy_ws_std = 0;
  double occupancy_real = std::numeric_limits<double>::quiet_NaN();
  double occupancy_generated = std::numeric_limits<double>::quiet_NaN();
  // Empty fraction per species, [0] neutral (charge 0), [1] charged: real, and generated (mean over
  // regenerations, of the finite images). NaN without charges (evaluate_zdc_counts) or without a
  // shower of the species.
  std::array<double, 2> empty_fraction_real{std::numeric_limits<double>::quiet_NaN(),
                                            std::numeric_limits<double>::quiet_NaN()};
  std::array<double, 2> empty_fraction_generated{std::numeric_limits<double>::quiet_NaN(),
                                                 std::numeric_limits<double>::quiet_NaN()};
  // Each group behind diversity_error, in the order used: its raw attributes (9) and the real and
  // generated f_div. Kept for pictures (divgan report); not part of to_json.
  struct GroupDiversity {
    std::vector<double> attributes;
    double real = 0, generated = 0;
  };
  std::vector<GroupDiversity> div_detail;
  nlohmann::json to_json() const;  // NaN values as null
};

// One generated image per test condition, opt.regenerations times, against the test split's real
// counts; latents N(0, 1) from Philox(opt.seed), batches of opt.batch on the generator's device,
// generator in eval mode (its previous mode is restored) under NoGradGuard. The generator must
// return (B, 1, 44, 44) or (B, 44, 44) log1p images. Pass the training split as `train` to get
// the diversity error (it supplies the other real members of each group and the f_div
// normalizer); without it diversity_error stays NaN.
ZdcEval evaluate_zdc(ConditionalGenerator& g, const data::ZdcDataset& test,
                     const ZdcEvalOptions& opt, const data::ZdcDataset* train = nullptr);

// The same metrics (no diversity error) from counts already generated: real (n, 44, 44) and
// generated (regenerations, n, 44, 44), both photon counts (not log1p). Real counts must be finite.
ZdcEval evaluate_zdc_counts(const std::vector<double>& real, const std::vector<double>& generated,
                            int64_t n, int64_t regenerations);

// Markdown table in the layout of the papers' Table 1: one row per (model name, result), columns
// ch1..ch5 WS, mean WS, diversity error ("-" when not computed), empty (real / generated) and
// non-finite images.
std::string zdc_eval_markdown(const std::vector<std::pair<std::string, ZdcEval>>& rows);

}  // namespace dg::gan
