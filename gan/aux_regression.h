// Paper 004's auxiliary regression of the conditions (docs/design.md#auxiliary-regression): the
// loss both networks minimize and the evaluation of the head that predicts the conditions.
#pragma once
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "datasets/zdc_dataset.h"
#include "gan/networks.h"

namespace dg::gan {

// sum_i w_i * mean_b (pred_bi - c_bi)^2: pred and c (B, C), w (1, C), all on one device. A scalar.
Tensor aux_regression_loss(const Tensor& pred, const Tensor& c, const Tensor& w);

// How well D's head recovers the standardized conditions: the root-mean-square error per
// attribute over the test split, from the real showers and from one generated shower per test
// condition (latents from Philox(seed)). Real: does the head measure the attributes at all;
// generated: do the generated showers carry them. Standardized units (1 = the attribute's std).
struct AuxRegressionEval {
  std::array<double, data::kZdcCondDim> rmse_real{}, rmse_generated{};
  int64_t n = 0;
  nlohmann::json to_json() const;
};

// Both networks in eval mode under NoGradGuard (their previous modes are restored). D must have
// an auxiliary head (throws otherwise).
AuxRegressionEval evaluate_aux_head(ConditionalDiscriminator& d, ConditionalGenerator& g,
                                    const data::ZdcDataset& test, uint64_t seed,
                                    int64_t batch = 256);

}  // namespace dg::gan
