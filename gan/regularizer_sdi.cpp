// SDI-GAN (selective diversity increase; docs/design.md#sdi-gan): the feature-space ratio on D's
// features, weighted by the f_div of each row's condition.
#include "gan/regularizer.h"

namespace dg::gan {
namespace {

class SdiRegularizer final : public PairedRegularizer {
 public:
  explicit SdiRegularizer(double eps) : eps_(eps) {}
  Regularizer kind() const override { return Regularizer::SDI; }
  bool needs_features() const override { return true; }
  Tensor loss(const StepView& v) const override {
    const int64_t b = v.batch;
    return sdi_loss(narrow(v.d_out.features, 0, b), narrow(v.d_out.features, b, b), v.in->z1,
                    v.in->z[0], v.in->fdiv, eps_);
  }

 private:
  double eps_;
};

}  // namespace

std::unique_ptr<DiversityRegularizer> make_sdi_regularizer(const RegularizerOptions& opt) {
  return std::make_unique<SdiRegularizer>(opt.eps);
}

}  // namespace dg::gan
