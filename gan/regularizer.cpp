// The regularizer factory (see regularizer.h). Each regularizer lives in its own file
// (gan/regularizer_<name>.cpp) and is made by its make_* function below.
#include "gan/regularizer.h"

namespace dg::gan {

std::unique_ptr<DiversityRegularizer> make_no_regularizer();
std::unique_ptr<DiversityRegularizer> make_ms_regularizer(const RegularizerOptions& opt);
std::unique_ptr<DiversityRegularizer> make_ds_regularizer(const RegularizerOptions& opt);
std::unique_ptr<DiversityRegularizer> make_divco_regularizer(const RegularizerOptions& opt);
std::unique_ptr<DiversityRegularizer> make_sdi_regularizer(const RegularizerOptions& opt);
std::unique_ptr<DiversityRegularizer> make_divbal_regularizer(const RegularizerOptions& opt);

std::unique_ptr<DiversityRegularizer> create_regularizer(Regularizer kind,
                                                         const RegularizerOptions& opt) {
  switch (kind) {
    case Regularizer::None:
      return make_no_regularizer();
    case Regularizer::MS:
      return make_ms_regularizer(opt);
    case Regularizer::DS:
      return make_ds_regularizer(opt);
    case Regularizer::DivCo:
      return make_divco_regularizer(opt);
    case Regularizer::SDI:
      return make_sdi_regularizer(opt);
    case Regularizer::DivBal:
      return make_divbal_regularizer(opt);
  }
  DG_FAIL("create_regularizer: unknown regularizer " << static_cast<int>(kind));
}

}  // namespace dg::gan
