// 2D benchmark evaluation (see eval2d.h).
#include "gan/eval2d.h"

#include <cmath>

#include "gan/metrics.h"

namespace dg::gan {

std::vector<double> generate_points2d(ConditionalGenerator& g, const data::Points2D& at,
                                      Philox& rng) {
  const int64_t n = at.size();
  NoGradGuard ng;
  g.eval();
  const Device dev = g.device();
  Tensor c =
      Tensor::from_vector(data::conditions2d(at.cls, at.spread), {n, data::kCondDim2D}).to(dev);
  Tensor z = rng.normal({n, g.latent_dim()}).to(dev);
  std::vector<double> gen = g.generate(z, c).to(Device::CPU).to_vector();
  g.train();
  for (double& v : gen) v /= data::kScale2D;
  return gen;
}

Eval2D evaluate2d(ConditionalGenerator& g, const data::Points2D& ev, Philox& rng) {
  const int64_t n = ev.size();
  DG_CHECK(n > 0, "evaluate2d: empty evaluation set");
  const std::vector<double> gen = generate_points2d(g, ev, rng);

  Eval2D r;
  for (int s = 0; s < 2; ++s) {
    double var = 0, rvar = 0, ws = 0;
    for (int k = 0; k < data::kClasses2D; ++k) {
      for (int d = 0; d < 2; ++d) {
        std::vector<double> a, b;
        for (int64_t i = 0; i < n; ++i)
          if (ev.cls[i] == k && ev.spread[i] == s) {
            a.push_back(ev.xy[2 * i + d]);
            b.push_back(gen[2 * i + d]);
          }
        DG_CHECK(!a.empty(), "evaluate2d: no points for class " << k << " spread " << s);
        rvar += sample_variance(a);
        var += sample_variance(b);
        ws += wasserstein_1d(a, b);
        double m = 0;
        for (double x : b) m += x;
        m /= static_cast<double>(b.size());
        double cx, cy;
        data::centre2d(k, &cx, &cy);
        r.class_mean_error[k][d] =
            s == 0 ? std::abs(m - (d == 0 ? cx : cy)) : r.class_mean_error[k][d];
      }
    }
    const double cells = 2.0 * data::kClasses2D;
    r.variance[s] = var / cells;
    r.real_variance[s] = rvar / cells;
    r.wasserstein[s] = ws / cells;
  }
  return r;
}

nlohmann::json Eval2D::to_json() const {
  return {{"variance_spread0", variance[0]},           {"variance_spread1", variance[1]},
          {"real_variance_spread0", real_variance[0]}, {"real_variance_spread1", real_variance[1]},
          {"wasserstein_spread0", wasserstein[0]},     {"wasserstein_spread1", wasserstein[1]}};
}

}  // namespace dg::gan
