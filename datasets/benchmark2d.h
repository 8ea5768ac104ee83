// The 2D benchmark of the SDI-GAN paper (section 4.1; docs/design.md#2d-benchmark): 9 classes with
// centres on {-40, 0, 40}^2 and a binary spread (per-coordinate variance 1 or 100). Networks see
// coordinates multiplied by kScale; metrics use the original units.
#pragma once
#include <cstdint>
#include <vector>

#include "datasets/conditional.h"

namespace dg::data {

struct Points2D {
  std::vector<double> xy;   // (N, 2) original units
  std::vector<int> cls;     // (N) 0..8
  std::vector<int> spread;  // (N) 0 or 1
  int64_t size() const { return static_cast<int64_t>(cls.size()); }
};

constexpr int kClasses2D = 9;
constexpr int64_t kCondDim2D = 10;  // one-hot class (9) || spread (1)
constexpr double kScale2D = 1.0 / 20.0;

// `per_condition` points for each of the 18 (class, spread) pairs, seeded; `stream` separates
// train (0), test (1) and validation (2) draws of one seed.
Points2D make_points2d(uint64_t seed, int64_t per_condition, uint64_t stream);
void centre2d(int cls, double* x, double* y);
// Condition rows (N, 10) for given classes and spreads.
std::vector<double> conditions2d(const std::vector<int>& cls, const std::vector<int>& spread);

class Benchmark2D : public ConditionalDataset {
 public:
  explicit Benchmark2D(Points2D train);
  int64_t size() const override { return pts_.size(); }
  Shape sample_shape() const override { return {2}; }
  int64_t condition_dim() const override { return kCondDim2D; }
  const Groups& groups() const override { return groups_; }
  // Shares the data set's own tensors (built once); read only.
  Batch all_samples() const override { return samples_; }
  const Points2D& points() const { return pts_; }

 private:
  Points2D pts_;
  Groups groups_;
  Batch samples_;  // x (n, 2) scaled by kScale2D, c (n, 10), fdiv (n)
};

}  // namespace dg::data
