// The diversity regularizers of docs/design.md#diversity-regularizers: none (DC-GAN), MS, DS,
// DivCo, SDI, DivBal.
#pragma once
#include <string>

#include "engine/ops.h"

namespace dg::gan {

enum class Regularizer { None, MS, DS, DivCo, SDI, DivBal };
constexpr Regularizer kAllRegularizers[] = {Regularizer::None, Regularizer::MS,
                                            Regularizer::DS,   Regularizer::DivCo,
                                            Regularizer::SDI,  Regularizer::DivBal};

// Accepts none|dcgan, ms, ds, divco, sdi, divbal (case-insensitive); throws naming the choices.
Regularizer parse_regularizer(const std::string& s);
std::string regularizer_name(Regularizer r);   // "none", "ms", ...
std::string regularizer_title(Regularizer r);  // "DC-GAN", "MS-GAN", ...
double default_lambda(Regularizer r);          // 0.1 for SDI/DivBal, 1 otherwise (0 for none)

struct RegularizerOptions {
  double ds_tau = 0.0;           // DS-GAN clamp of the per-sample ratio; 0 = no clamp
  int64_t divco_negatives = 10;  // K
  double divco_tau = 1.0;        // temperature of the contrastive logits
  double divco_radius = 0.001;   // positive = query latent + U(-r, r)
  double eps = 1e-5;
};

// MS-GAN: 1 / (mean|I1 - I2| / mean|z1 - z2| + eps), whole batch, image space.
Tensor ms_loss(const Tensor& img1, const Tensor& img2, const Tensor& z1, const Tensor& z2,
               double eps);
// DS-GAN: -mean_i min(mean|I1_i - sg(I2_i)| / (d_z,i + eps), tau) (no clamp when tau <= 0).
Tensor ds_loss(const Tensor& img1, const Tensor& img2, const Tensor& z1, const Tensor& z2,
               double tau, double eps);
// SDI-GAN: mean_i f_div_i / (d_g,i / d_z,i + eps) on discriminator features.
Tensor sdi_loss(const Tensor& e1, const Tensor& e2, const Tensor& z1, const Tensor& z2,
                const Tensor& fdiv, double eps);
// DivBal-GAN balance weights b_i = tanh(d(e_real_i, e_pair_i) - d(e1_i, e2_i)), no gradient.
Tensor divbal_weights(const Tensor& e_real, const Tensor& e_pair, const Tensor& e1,
                      const Tensor& e2);
Tensor divbal_loss(const Tensor& e1, const Tensor& e2, const Tensor& z1, const Tensor& z2,
                   const Tensor& weights, double eps);
// DivCo: e_q (B,F) query features, e_pos (B,F), e_neg (B*K,F) with rows b*K..b*K+K-1 the negatives
// of sample b; logits <e_q, .> / tau; cross-entropy with the positive as the target, batch mean.
Tensor divco_loss(const Tensor& e_q, const Tensor& e_pos, const Tensor& e_neg, int64_t k,
                  double tau);

}  // namespace dg::gan
