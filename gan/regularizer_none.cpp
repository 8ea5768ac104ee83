// DC-GAN: no diversity term (the baseline every regularizer is compared with).
#include "gan/regularizer.h"

namespace dg::gan {
namespace {

class NoRegularizer final : public DiversityRegularizer {
 public:
  Regularizer kind() const override { return Regularizer::None; }
  Tensor loss(const StepView&) const override { return Tensor(); }
};

}  // namespace

std::unique_ptr<DiversityRegularizer> make_no_regularizer() {
  return std::make_unique<NoRegularizer>();
}

}  // namespace dg::gan
