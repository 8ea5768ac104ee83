// DivCo (contrastive; docs/design.md#divco): for each query latent z1, a positive z1 + U(-r, r)
// and K negatives ~ N(0,1), all with the query's condition; cross-entropy of D-feature dot
// products with the positive as the target.
#include "gan/regularizer.h"

namespace dg::gan {
namespace {

class DivCoRegularizer final : public DiversityRegularizer {
 public:
  explicit DivCoRegularizer(const RegularizerOptions& opt)
      : radius_(opt.divco_radius), k_(opt.divco_negatives), tau_(opt.divco_tau) {}
  Regularizer kind() const override { return Regularizer::DivCo; }
  // z[0]: the positives' jitter (B,K); z[1]: the negatives (B*K_neg, K), row b*K_neg + j the j-th
  // negative of sample b.
  std::vector<Tensor> draw_latents(Philox& z_rng, int64_t b, int64_t k) const override {
    Tensor jitter = z_rng.uniform({b, k}, -radius_, radius_);
    return {jitter, z_rng.normal({b * k_, k})};
  }
  int64_t condition_repeats() const override { return k_; }
  void generator_rows(const StepInputs& in, std::vector<Tensor>& z,
                      std::vector<Tensor>& c) const override {
    z.push_back(add(in.z1, in.z[0]));
    c.push_back(in.c);
    z.push_back(in.z[1]);
    c.push_back(in.c_rep);
  }
  bool needs_features() const override { return true; }
  Tensor loss(const StepView& v) const override {
    const int64_t b = v.batch;
    const Tensor& e = v.d_out.features;
    return divco_loss(narrow(e, 0, b), narrow(e, b, b), narrow(e, 2 * b, b * k_), k_, tau_);
  }

 private:
  double radius_;
  int64_t k_;
  double tau_;
};

}  // namespace

std::unique_ptr<DiversityRegularizer> make_divco_regularizer(const RegularizerOptions& opt) {
  return std::make_unique<DivCoRegularizer>(opt);
}

}  // namespace dg::gan
