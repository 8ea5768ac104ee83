// ONNX export (see onnx_export.h). One node (or none) per layer, in the layers' order; the names
// of the weights are the module's parameter names, so a reader can match them to a checkpoint.
#include "tools/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "engine/nn/module.h"

namespace dg::tools {

namespace {

// Builds the graph node by node; `cur` is the name of the value the next layer reads and `rank`
// its rank (2 for (batch, F), 4 for (batch, C, H, W)).
class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto& g) : g_(g) {}

  std::string cur;
  int64_t rank = 2;

  std::string fresh(const std::string& base) { return base + "_" + std::to_string(next_++); }

  // A float initializer holding `t` (copied from its device).
  std::string weight(const std::string& name, const Tensor& t) {
    const std::vector<double> v = t.to_vector();
    return floats(name, std::vector<float>(v.begin(), v.end()), t.shape());
  }
  std::string floats(const std::string& name, const std::vector<float>& v, const Shape& dims) {
    auto* init = g_.add_initializer();
    init->set_name(name);
    init->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) init->add_dims(d);
    for (float x : v) init->add_float_data(x);
    return name;
  }
  std::string ints(const std::string& name, const std::vector<int64_t>& v) {
    auto* init = g_.add_initializer();
    init->set_name(name);
    init->set_data_type(onnx::TensorProto::INT64);
    init->add_dims(static_cast<int64_t>(v.size()));
    for (int64_t x : v) init->add_int64_data(x);
    return name;
  }

  // Appends op(inputs...) -> a fresh output, which becomes `cur`; returns the node for attributes.
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::string& out_base) {
    auto* n = g_.add_node();
    n->set_op_type(op);
    n->set_name(fresh(op));
    for (const auto& in : inputs) n->add_input(in);
    cur = fresh(out_base);
    n->add_output(cur);
    return *n;
  }

 private:
  onnx::GraphProto& g_;
  int next_ = 0;
};

void attr_int(onnx::NodeProto& n, const char* name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void attr_float(onnx::NodeProto& n, const char* name, double v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(static_cast<float>(v));
}
void attr_ints(onnx::NodeProto& n, const char* name, const std::vector<int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void attr_string(onnx::NodeProto& n, const char* name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

// Kernel, stride and symmetric padding attributes shared by Conv and ConvTranspose.
void conv_attrs(onnx::NodeProto& n, const Tensor& w, const Conv2dArgs& a) {
  attr_ints(n, "kernel_shape", {w.shape()[2], w.shape()[3]});
  attr_ints(n, "strides", {a.stride, a.stride});
  attr_ints(n, "pads", {a.padding, a.padding, a.padding, a.padding});
}

void need_rank(const GraphBuilder& b, int64_t rank, const std::string& path, const char* what) {
  DG_CHECK(b.rank == rank, "export: layer '" << path << "' (" << what << ") reads a rank-" << b.rank
                                             << " value; expected rank " << rank);
}

// Emits the nodes of module `m` (named `path` in the generator) reading b.cur.
void emit(GraphBuilder& b, nn::Module& m, const std::string& path) {
  const std::string prefix = path.empty() ? "" : path + ".";
  if (auto* seq = dynamic_cast<nn::Sequential*>(&m)) {
    for (size_t i = 0; i < seq->size(); ++i) emit(b, (*seq)[i], prefix + std::to_string(i));
  } else if (auto* l = dynamic_cast<nn::Linear*>(&m)) {
    need_rank(b, 2, path, "Linear");
    std::vector<std::string> in{b.cur, b.weight(prefix + "weight", l->weight())};
    if (l->bias()) in.push_back(b.weight(prefix + "bias", *l->bias()));
    attr_int(b.node("Gemm", in, "linear"), "transB", 1);  // y = x W^T + b, W (out, in)
  } else if (auto* c = dynamic_cast<nn::Conv2d*>(&m)) {
    need_rank(b, 4, path, "Conv2d");
    std::vector<std::string> in{b.cur, b.weight(prefix + "weight", c->weight())};
    if (c->bias()) in.push_back(b.weight(prefix + "bias", *c->bias()));
    conv_attrs(b.node("Conv", in, "conv"), c->weight(), c->args());
  } else if (auto* t = dynamic_cast<nn::ConvTranspose2d*>(&m)) {
    need_rank(b, 4, path, "ConvTranspose2d");
    // ONNX's ConvTranspose weight is (C_in, C_out, kh, kw), as ours.
    std::vector<std::string> in{b.cur, b.weight(prefix + "weight", t->weight())};
    if (t->bias()) in.push_back(b.weight(prefix + "bias", *t->bias()));
    auto& n = b.node("ConvTranspose", in, "deconv");
    conv_attrs(n, t->weight(), t->args());
    if (t->args().output_padding)
      attr_ints(n, "output_padding", {t->args().output_padding, t->args().output_padding});
  } else if (auto* bn = dynamic_cast<nn::BatchNorm*>(&m)) {
    // Its eval-mode map lives in the preceding layer's weights (fold_batch_norms).
    DG_CHECK(bn->folded(), "export: batch norm '" << path
                                                  << "' is not folded into a preceding "
                                                     "Linear/Conv layer with a bias");
  } else if (dynamic_cast<nn::Dropout*>(&m)) {
    return;  // the identity in eval mode
  } else if (auto* lr = dynamic_cast<nn::LeakyReLU*>(&m)) {
    attr_float(b.node("LeakyRelu", {b.cur}, "act"), "alpha", lr->slope());
  } else if (dynamic_cast<nn::ReLU*>(&m)) {
    b.node("Relu", {b.cur}, "act");
  } else if (auto* r = dynamic_cast<nn::Reshape*>(&m)) {
    std::vector<int64_t> dims{0};  // 0: keep the input's batch dimension
    dims.insert(dims.end(), r->shape().begin(), r->shape().end());
    b.node("Reshape", {b.cur, b.ints(prefix + "shape", dims)}, "reshape");
    b.rank = static_cast<int64_t>(dims.size());
  } else if (auto* u = dynamic_cast<nn::Upsample*>(&m)) {
    need_rank(b, 4, path, "Upsample");
    // Nearest neighbour, output pixel i reads input pixel floor(i / s): ONNX's "asymmetric"
    // coordinates with nearest_mode "floor". The empty input is Resize's unused roi.
    const auto s = static_cast<float>(u->scale());
    auto& n =
        b.node("Resize", {b.cur, "", b.floats(prefix + "scales", {1, 1, s, s}, {4})}, "upsample");
    attr_string(n, "mode", "nearest");
    attr_string(n, "coordinate_transformation_mode", "asymmetric");
    attr_string(n, "nearest_mode", "floor");
  } else {
    DG_FAIL("export: layer '" << path
                              << "' has no ONNX form in this exporter (supported: "
                                 "Linear, Conv2d, ConvTranspose2d, folded BatchNorm, "
                                 "Dropout, LeakyReLU, ReLU, Reshape, Upsample)");
  }
}

void float_value(onnx::ValueInfoProto& v, const std::string& name, const Shape& per_sample) {
  v.set_name(name);
  auto* tt = v.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tt->mutable_shape();
  shape->add_dim()->set_dim_param("batch");
  for (int64_t d : per_sample) shape->add_dim()->set_dim_value(d);
}

}  // namespace

std::string generator_to_onnx(gan::ConditionalGenerator& g, int64_t cond_dim,
                              const Shape& sample_shape, const OnnxExportOptions& opt) {
  nn::Module* net = g.network();
  DG_CHECK(net, "export: this generator is not a layer network the exporter can read");
  DG_CHECK(!g.is_training(), "export: the generator must be in eval mode");
  const int64_t k = g.latent_dim();

  onnx::ModelProto model;
  model.set_ir_version(7);  // the IR version of opset 13
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  model.set_producer_name("divgan");
  model.set_model_version(1);
  for (const auto& [key, value] : opt.metadata) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  }
  onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name("divgan_generator");
  graph.set_doc_string(opt.doc);

  GraphBuilder b(graph);
  if (opt.single_input) {
    float_value(*graph.add_input(), "input", {k + cond_dim});
    b.cur = "input";
  } else {
    float_value(*graph.add_input(), "noise", {k});
    float_value(*graph.add_input(), "conditions", {cond_dim});
    attr_int(b.node("Concat", {"noise", "conditions"}, "input"), "axis", 1);
  }
  emit(b, *net, "net");  // the name the ZDC generators register it under
  DG_CHECK(b.rank == static_cast<int64_t>(sample_shape.size()) + 1,
           "export: the network ends in a rank-" << b.rank << " value; expected the output rank "
                                                 << sample_shape.size() + 1);
  // The last node's output is renamed to the graph output.
  auto* last = graph.mutable_node(graph.node_size() - 1);
  last->set_output(0, "image");
  float_value(*graph.add_output(), "image", sample_shape);

  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    DG_FAIL("export: onnx::checker rejected the exported model: " << e.what());
  }
  std::string bytes;
  DG_CHECK(model.SerializeToString(&bytes), "export: the ONNX model could not be serialized");
  return bytes;
}

}  // namespace dg::tools
