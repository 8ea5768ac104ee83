// DivBal-GAN (diversity balancing; docs/design.md#divbal-gan): the feature-space ratio weighted by
// how much less (b > 0) or more (b < 0) diverse the generated pair is than the real pair.
#include "gan/regularizer.h"

namespace dg::gan {
namespace {

class DivBalRegularizer final : public PairedRegularizer {
 public:
  explicit DivBalRegularizer(double eps) : eps_(eps) {}
  Regularizer kind() const override { return Regularizer::DivBal; }
  bool needs_features() const override { return true; }
  Tensor loss(const StepView& v) const override {
    const int64_t b = v.batch;
    const StepInputs& in = *v.in;
    Tensor e1 = narrow(v.d_out.features, 0, b), e2 = narrow(v.d_out.features, b, b);
    DiscriminatorOutput real;
    {
      // D's features of the real samples and their pairs only weigh the term: no graph for them.
      NoGradGuard ng;
      real = v.d->discriminate(concat({in.x, in.x_pair}, 0), concat({in.c, in.c}, 0));
    }
    // No gradient flows through the weights (divbal_weights computes them without one).
    Tensor w = divbal_weights(narrow(real.features, 0, b), narrow(real.features, b, b), e1, e2);
    return divbal_loss(e1, e2, in.z1, in.z[0], w, eps_);
  }

 private:
  double eps_;
};

}  // namespace

std::unique_ptr<DiversityRegularizer> make_divbal_regularizer(const RegularizerOptions& opt) {
  return std::make_unique<DivBalRegularizer>(opt.eps);
}

}  // namespace dg::gan
