// Auxiliary regression loss and evaluation (see aux_regression.h).
#include "gan/aux_regression.h"

#include <cmath>
#include <string>
#include <vector>

#include "engine/rng.h"

namespace dg::gan {

Tensor aux_regression_loss(const Tensor& pred, const Tensor& c, const Tensor& w) {
  DG_CHECK(pred.dim() == 2 && pred.shape() == c.shape() && w.dim() == 2 && w.size(0) == 1 &&
               w.size(1) == c.size(1),
           "aux_regression_loss: pred and c must be (B, C) and w (1, C), got "
               << shape_str(pred.shape()) << ", " << shape_str(c.shape()) << ", "
               << shape_str(w.shape()));
  const Tensor d = sub(pred, c);
  return mul(sum(mul(mul(d, d), w)), 1.0 / static_cast<double>(c.size(0)));
}

nlohmann::json AuxRegressionEval::to_json() const {
  nlohmann::json real, gen;
  for (int64_t i = 0; i < data::kZdcCondDim; ++i) {
    real[data::kZdcAttributeNames[i]] = rmse_real[i];
    gen[data::kZdcAttributeNames[i]] = rmse_generated[i];
  }
  return {{"n_test", n}, {"rmse_real", real}, {"rmse_generated", gen}};
}

AuxRegressionEval evaluate_aux_head(ConditionalDiscriminator& d, ConditionalGenerator& g,
                                    const data::ZdcDataset& test, uint64_t seed, int64_t batch) {
  DG_CHECK(batch >= 1, "evaluate_aux_head: batch = " << batch << "; expected >= 1");
  NoGradGuard ng;
  nn::EvalModeGuard eval_d(d), eval_g(g);
  const Device dev = d.device();
  const data::Batch all = test.all_samples();
  const int64_t n = test.size(), k = data::kZdcCondDim;
  Philox rng(seed);
  std::array<double, data::kZdcCondDim> se_real{}, se_gen{};
  for (int64_t s = 0; s < n; s += batch) {
    const int64_t b = std::min(batch, n - s);
    const Tensor c = narrow(all.c, s, b).to(dev);
    const Tensor x_gen = g.generate(rng.normal({b, g.latent_dim()}).to(dev), c);
    const Tensor pr = d.discriminate(narrow(all.x, s, b).to(dev), c).aux;
    DG_CHECK(pr.defined(),
             "evaluate_aux_head: the discriminator has no auxiliary head (train "
             "with --aux-regression)");
    const std::vector<double> p_real = pr.to_vector();
    const std::vector<double> p_gen = d.discriminate(x_gen, c).aux.to_vector();
    const std::vector<double> cv = c.to_vector();
    for (int64_t r = 0; r < b; ++r)
      for (int64_t i = 0; i < k; ++i) {
        const double t = cv[r * k + i];
        se_real[i] += (p_real[r * k + i] - t) * (p_real[r * k + i] - t);
        se_gen[i] += (p_gen[r * k + i] - t) * (p_gen[r * k + i] - t);
      }
  }
  AuxRegressionEval e;
  e.n = n;
  for (int64_t i = 0; i < k; ++i) {
    e.rmse_real[i] = n > 0 ? std::sqrt(se_real[i] / static_cast<double>(n)) : NAN;
    e.rmse_generated[i] = n > 0 ? std::sqrt(se_gen[i] / static_cast<double>(n)) : NAN;
  }
  return e;
}

}  // namespace dg::gan
