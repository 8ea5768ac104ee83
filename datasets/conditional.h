// What the GAN trainer needs from a conditional data set: batches of samples with their conditions,
// each sample's f_div (docs/design.md#groups-f_div-and-real-pairs) and a real pair drawn from the
// same group.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/rng.h"
#include "engine/tensor.h"

namespace dg::data {

struct Batch {
  Tensor x;       // (B, ...) samples in the space the networks see
  Tensor c;       // (B, C) conditions as fed to the networks
  Tensor x_pair;  // (B, ...) another member of each sample's group (itself for singletons)
  Tensor fdiv;    // (B,) f_div of each sample's condition, in [0, 1]
};

// Groups of identical conditions and their diversity, shared by the 2D benchmark and ZDC data.
struct Groups {
  std::vector<int64_t> group_of;              // (N) group index of each sample
  std::vector<std::vector<int64_t>> members;  // per group, sample indices
  std::vector<double> fdiv;                   // per group, in [0, 1]
  double max_diversity = 0;  // the f_div normalizer: largest un-normalized group diversity
};

class ConditionalDataset {
 public:
  virtual ~ConditionalDataset() = default;
  virtual int64_t size() const = 0;
  virtual Shape sample_shape() const = 0;  // e.g. {2} or {1, 44, 44}
  virtual int64_t condition_dim() const = 0;
  // Rows `idx` of all_samples() and their real pairs, drawn with `rng` (advances it) by
  // draw_real_pairs, gathered with index_rows: exactly what the trainer does with its sample table.
  // Throws naming the first index out of [0, size()).
  Batch batch(const std::vector<int64_t>& idx, Philox& rng) const;
  virtual const Groups& groups() const = 0;
  // Every sample as one batch without pairs (x, c, fdiv of rows 0..size()-1): what a trainer
  // puts once on its device to gather batches from. May share the data set's storage: read only.
  virtual Batch all_samples() const = 0;
  // The largest magnitude a sample may take and still mean something (generated samples beyond it
  // count as diverged), and what it stands for; infinite (the default): any finite value.
  virtual double sample_limit() const;
  virtual std::string sample_limit_meaning() const { return ""; }
};

// Groups samples whose condition rows (N, C) are exactly equal; f_div per group is the sum over
// features of the population std of `samples` (N, D) within the group, divided by the maximum
// over groups (singletons: 0). docs/design.md#groups-f_div-and-real-pairs.
Groups group_by_condition(const std::vector<double>& conditions, int64_t n, int64_t c_dim,
                          const std::vector<double>& samples, int64_t d);

// The real pair of sample i: another member of its group chosen by u in [0, 1), uniformly over
// the other members; i itself for singletons.
int64_t real_pair(const Groups& g, int64_t i, double u);
// The real pairs of rows `idx`: one uniform draw per row from `rng`, then real_pair. Every data
// set's batch() draws its pairs through this, so a trainer that gathers batches itself (on the
// device) consumes the stream identically and gets the same pairs.
std::vector<int64_t> draw_real_pairs(const Groups& g, const std::vector<int64_t>& idx, Philox& rng);

}  // namespace dg::data
