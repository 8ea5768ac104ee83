// MS-GAN (mode seeking; docs/design.md#ms-gan): image-space ratio over the whole batch.
#include "gan/regularizer.h"

namespace dg::gan {
namespace {

class MsRegularizer final : public PairedRegularizer {
 public:
  explicit MsRegularizer(double eps) : eps_(eps) {}
  Regularizer kind() const override { return Regularizer::MS; }
  Tensor loss(const StepView& v) const override {
    return ms_loss(v.fake1, narrow(v.fake, v.batch, v.batch), v.in->z1, v.in->z[0], eps_);
  }

 private:
  double eps_;
};

}  // namespace

std::unique_ptr<DiversityRegularizer> make_ms_regularizer(const RegularizerOptions& opt) {
  return std::make_unique<MsRegularizer>(opt.eps);
}

}  // namespace dg::gan
