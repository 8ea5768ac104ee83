// Diversity regularizers (see regularizers.h; formulas: docs/design.md#diversity-regularizers).
#include "gan/regularizers.h"

#include <algorithm>
#include <cctype>

namespace dg::gan {

Regularizer parse_regularizer(const std::string& s) {
  std::string l = s;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (l == "none" || l == "dcgan" || l == "dc-gan") return Regularizer::None;
  if (l == "ms" || l == "ms-gan") return Regularizer::MS;
  if (l == "ds" || l == "ds-gan") return Regularizer::DS;
  if (l == "divco") return Regularizer::DivCo;
  if (l == "sdi" || l == "sdi-gan") return Regularizer::SDI;
  if (l == "divbal" || l == "divbal-gan") return Regularizer::DivBal;
  DG_FAIL("unknown regularizer '" << s << "' (expected one of: none, ms, ds, divco, sdi, divbal)");
}

std::string regularizer_name(Regularizer r) {
  switch (r) {
    case Regularizer::None:
      return "none";
    case Regularizer::MS:
      return "ms";
    case Regularizer::DS:
      return "ds";
    case Regularizer::DivCo:
      return "divco";
    case Regularizer::SDI:
      return "sdi";
    case Regularizer::DivBal:
      return "divbal";
  }
  return "?";
}

std::string regularizer_title(Regularizer r) {
  switch (r) {
    case Regularizer::None:
      return "DC-GAN";
    case Regularizer::MS:
      return "MS-GAN";
    case Regularizer::DS:
      return "DS-GAN";
    case Regularizer::DivCo:
      return "DivCo";
    case Regularizer::SDI:
      return "SDI-GAN";
    case Regularizer::DivBal:
      return "DivBal-GAN";
  }
  return "?";
}

double default_lambda(Regularizer r) {
  switch (r) {
    case Regularizer::None:
      return 0.0;
    case Regularizer::SDI:
    case Regularizer::DivBal:
      return 0.1;
    default:
      return 1.0;
  }
}

Tensor ms_loss(const Tensor& img1, const Tensor& img2, const Tensor& z1, const Tensor& z2,
               double eps) {
  Tensor r = div(mean(abs(sub(img1, img2))), mean(abs(sub(z1, z2))));
  // The constant is filled on r's device: no host-to-device copy inside a step.
  return div(Tensor::full({}, 1.0, r.dtype(), r.device()), add(r, eps));
}

Tensor ds_loss(const Tensor& img1, const Tensor& img2, const Tensor& z1, const Tensor& z2,
               double tau, double eps) {
  Tensor a = flatten(img1), b = flatten(img2).detach();
  if (tau <= 0) {
    Tensor w = Tensor::full({a.size(0)}, 1.0, a.dtype(), a.device());
    return diversity_loss(a, b, z1, z2, w, DiversityMode::kRatioNegative, eps);
  }
  Tensor dz = add(mean_rows(abs(sub(z1, z2))), eps);
  Tensor r = div(mean_rows(abs(sub(a, b))), dz);
  return neg(mean(clamp(r, -1e30, tau)));
}

Tensor sdi_loss(const Tensor& e1, const Tensor& e2, const Tensor& z1, const Tensor& z2,
                const Tensor& fdiv, double eps) {
  return diversity_loss(e1, e2, z1, z2, fdiv, DiversityMode::kRatioInverse, eps);
}

Tensor divbal_weights(const Tensor& e_real, const Tensor& e_pair, const Tensor& e1,
                      const Tensor& e2) {
  NoGradGuard ng;  // the weights carry no gradient (the one stop-gradient they need)
  Tensor real_d = mean_rows(abs(sub(e_real, e_pair)));
  Tensor gen_d = mean_rows(abs(sub(e1, e2)));
  return tanh(sub(real_d, gen_d));
}

Tensor divbal_loss(const Tensor& e1, const Tensor& e2, const Tensor& z1, const Tensor& z2,
                   const Tensor& weights, double eps) {
  return diversity_loss(e1, e2, z1, z2, weights, DiversityMode::kRatioInverse, eps);
}

Tensor divco_loss(const Tensor& e_q, const Tensor& e_pos, const Tensor& e_neg, int64_t k,
                  double tau) {
  const int64_t b = e_q.size(0), f = e_q.size(1);
  DG_CHECK(e_neg.size(0) == b * k,
           "divco_loss: " << e_neg.size(0) << " negatives for batch " << b << " and K=" << k);
  Tensor pos = reshape(sum_rows(mul(e_q, e_pos)), {b, 1});
  Tensor negs = reshape(
      sum_rows(reshape(mul(reshape(e_q, {b, 1, f}), reshape(e_neg, {b, k, f})), {b * k, f})),
      {b, k});
  Tensor logits = mul(concat({pos, negs}, 1), 1.0 / tau);
  // The one-hot target (the positive, column 0), built on the device.
  Tensor pick = concat({Tensor::full({1, 1}, 1.0, e_q.dtype(), e_q.device()),
                        Tensor::zeros({1, k}, e_q.dtype(), e_q.device())},
                       1);
  return mul(sum(mul(log_softmax(logits), pick)), -1.0 / static_cast<double>(b));
}

}  // namespace dg::gan
