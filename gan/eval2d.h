// Evaluation of a generator on the 2D benchmark (docs/design.md#2d-variance-and-wasserstein): per
// spread, the mean over classes and coordinates of the sample variance of generated points and of
// the 1-D Wasserstein-1 distance between test and generated points, in original units.
#pragma once
#include <array>
#include <nlohmann/json.hpp>

#include "datasets/benchmark2d.h"
#include "gan/networks.h"

namespace dg::gan {

struct Eval2D {
  std::array<double, 2> variance{};       // generated, per spread
  std::array<double, 2> real_variance{};  // of the evaluation set itself
  std::array<double, 2> wasserstein{};
  std::array<std::array<double, 2>, data::kClasses2D>
      class_mean_error{};  // |mean gen - centre| per class, spread 0
  nlohmann::json to_json() const;
};

// One generated point (N, 2) per point of `at`, with its condition, in original units; latents
// N(0, 1) from `rng`, the generator in eval mode (train mode restored).
std::vector<double> generate_points2d(ConditionalGenerator& g, const data::Points2D& at,
                                      Philox& rng);

// One generated point per evaluation point, with its condition; latents from `rng`.
Eval2D evaluate2d(ConditionalGenerator& g, const data::Points2D& eval_set, Philox& rng);

}  // namespace dg::gan
