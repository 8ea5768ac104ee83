// Built without libonnx (see onnx_export.h): export says so in one line.
#include "base/error.h"
#include "tools/onnx_export.h"

namespace dg::tools {

std::string generator_to_onnx(gan::ConditionalGenerator&, int64_t, const Shape&,
                              const OnnxExportOptions&) {
  DG_FAIL(
      "export: this divgan was built without ONNX support (install libonnx-dev and "
      "libprotobuf-dev, then rebuild)");
}

}  // namespace dg::tools
