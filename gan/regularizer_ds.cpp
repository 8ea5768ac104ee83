// DS-GAN (diversity-sensitive; docs/design.md#ds-gan): per-sample image-space ratio, optionally
// clamped at tau.
#include "gan/regularizer.h"

namespace dg::gan {
namespace {

class DsRegularizer final : public PairedRegularizer {
 public:
  DsRegularizer(double tau, double eps) : tau_(tau), eps_(eps) {}
  Regularizer kind() const override { return Regularizer::DS; }
  Tensor loss(const StepView& v) const override {
    return ds_loss(v.fake1, narrow(v.fake, v.batch, v.batch), v.in->z1, v.in->z[0], tau_, eps_);
  }

 private:
  double tau_, eps_;
};

}  // namespace

std::unique_ptr<DiversityRegularizer> make_ds_regularizer(const RegularizerOptions& opt) {
  return std::make_unique<DsRegularizer>(opt.ds_tau, opt.eps);
}

}  // namespace dg::gan
