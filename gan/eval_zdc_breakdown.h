// Evaluation of ZDC showers already generated, with their conditions (`divgan eval --showers`;
// docs/design.md#diversity-error and #breakdown): the diversity error from files and every metric
// broken down by species and energy.
//
// Layout: real (n, 44, 44) photon counts with their raw attributes particles (n, 9); generated
// (regenerations * n, 44, 44), regeneration-major, row r * n + i generated for particles row i.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gan/eval_zdc.h"

namespace dg::gan {

// Diversity error from files. Groups: distinct attribute rows among `rows` of the real set with at
// least 2 real members (at most max_groups, chosen by a Philox permutation of `seed`). A group's
// real f_div is over its m real log1p images, its generated f_div over the regenerations * m
// generated ones (non-finite images left out; fewer than 2 finite: skipped). Both are divided by
// the largest real group diversity among all the file's groups (the checkpoint evaluation divides
// by the training split's; a file carries no training split). Fills diversity_error (NaN when no
// group qualifies), div_groups, div_nonfinite of `e`.
void diversity_error_counts(const std::vector<double>& real, const std::vector<double>& generated,
                            const std::vector<double>& particles, int64_t n, int64_t regenerations,
                            const std::vector<int64_t>& rows, int64_t max_groups, uint64_t seed,
                            ZdcEval& e);

// A named subset of the real rows.
struct RowSubset {
  std::string name;
  std::vector<int64_t> rows;
};
// The breakdown's subsets: "neutral" (charge 0) and "charged", then four energy bins at the
// quartiles of the real energies ("E [a, b) GeV", the last closed), empty subsets left out.
std::vector<RowSubset> zdc_breakdown_subsets(const std::vector<double>& particles, int64_t n);

// The channel metrics (evaluate_zdc_counts) of rows `rows` of the real set and of the same rows of
// every regeneration, with the diversity error over the groups inside those rows.
ZdcEval evaluate_zdc_counts_rows(const std::vector<double>& real,
                                 const std::vector<double>& generated,
                                 const std::vector<double>& particles, int64_t n,
                                 int64_t regenerations, const std::vector<int64_t>& rows,
                                 int64_t max_groups, uint64_t seed);

}  // namespace dg::gan
