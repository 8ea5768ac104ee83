// ONNX export of a conditional generator in inference form (docs/design.md#onnx-export): the
// layers of gan::ConditionalGenerator::network() as ONNX nodes (opset kOnnxOpset), their weights as
// initializers, batch norms folded beforehand, dropout gone. Written through Debian's libonnx
// (protobuf message types and onnx::checker), never by hand; without libonnx the build keeps the
// interface and onnx_export_available() is false.
#pragma once
#include <map>
#include <string>

#include "engine/tensor.h"
#include "gan/networks.h"

namespace dg::tools {

// 13: the first opset with Resize's current form; run by every onnxruntime since 1.6.
inline constexpr int64_t kOnnxOpset = 13;

struct OnnxExportOptions {
  // false: two inputs, "noise" (batch, K) first and "conditions" (batch, C) second (ALICE O2's
  // order); true: one input "input" (batch, K + C), the two concatenated in that order.
  bool single_input = false;
  std::string doc;                              // the graph's doc_string
  std::map<std::string, std::string> metadata;  // the model's metadata_props
};

// Whether this build has the exporter (defined in provenance.cpp, so that asking does not link
// libonnx into programs that never export, such as the inference library).
bool onnx_export_available();

// g must be in eval mode. cond_dim: C; sample_shape: the per-sample output shape (e.g. {1,44,44}).
// The batch dimension of inputs and output is symbolic ("batch"). Returns the serialized
// ModelProto after onnx::checker accepted it; throws dg::Error naming the layer it cannot express.
std::string generator_to_onnx(gan::ConditionalGenerator& g, int64_t cond_dim,
                              const Shape& sample_shape, const OnnxExportOptions& opt);

}  // namespace dg::tools
