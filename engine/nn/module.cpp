// Module base (registration, dotted names, train/eval, device moves) and the parameter-free
// containers Sequential and Reshape. The parametrized layers live in layers.cpp.
#include "engine/nn/module.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

namespace dg::nn {

namespace {

// Names become checkpoint keys: a dot inside one would make "a.b" ambiguous between a child and a
// tensor, and a duplicate would silently shadow a tensor on restore.
template <class List>
void check_new_name(const List& list, const std::string& name, const char* what) {
  DG_CHECK(!name.empty() && name.find('.') == std::string::npos,
           "register_" << what << ": invalid name '" << name << "' (non-empty, no dots)");
  bool taken =
      std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.first == name; });
  DG_CHECK(!taken, "register_" << what << ": name '" << name << "' is already registered");
}

}  // namespace

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  for (const auto& [name, t] : params_) out.emplace_back(name, *t);
  for (const auto& [cname, child] : children_)
    for (auto& [name, t] : child->named_parameters()) out.emplace_back(cname + "." + name, t);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  for (const auto& [name, t] : buffers_) out.emplace_back(name, *t);
  for (const auto& [cname, child] : children_)
    for (auto& [name, t] : child->named_buffers()) out.emplace_back(cname + "." + name, t);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

void Module::zero_grad() {
  for (auto& [name, t] : params_) t->zero_grad();
  for (auto& [name, child] : children_) child->zero_grad();
}

void Module::to(Device device) {
  for (auto& [name, t] : params_) {
    if (t->device() == device) continue;
    *t = t->to(device);
    t->set_requires_grad(true);
  }
  for (auto& [name, t] : buffers_) *t = t->to(device);
  for (auto& [name, child] : children_) child->to(device);
}

Device Module::device() const {
  const NamedTensors ps = named_parameters();
  return ps.empty() ? Device::CPU : ps.front().second.device();
}

void Module::to(DType dtype) {
  for (auto& [name, t] : params_) {
    if (t->dtype() == dtype) continue;
    *t = t->to(dtype);
    t->set_requires_grad(true);
  }
  for (auto& [name, t] : buffers_) *t = t->to(dtype);
  for (auto& [name, child] : children_) child->to(dtype);
}

Tensor& Module::register_parameter(const std::string& name, Tensor t) {
  check_new_name(params_, name, "parameter");
  check_new_name(buffers_, name, "parameter");
  check_defined(t, "register_parameter", name.c_str());
  t.set_requires_grad(true);
  params_.emplace_back(name, std::make_unique<Tensor>(std::move(t)));
  return *params_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
  check_new_name(params_, name, "buffer");
  check_new_name(buffers_, name, "buffer");
  check_defined(t, "register_buffer", name.c_str());
  buffers_.emplace_back(name, std::make_unique<Tensor>(std::move(t)));
  return *buffers_.back().second;
}

Tensor Reshape::forward(const Tensor& x) {
  DG_CHECK(x.dim() >= 1,
           "Reshape: input needs a batch dimension, got shape " << shape_str(x.shape()));
  Shape s{x.size(0)};
  s.insert(s.end(), s_.begin(), s_.end());
  return reshape(x, s);
}

Sequential& Sequential::add(std::shared_ptr<Module> m) {
  DG_CHECK(m != nullptr, "Sequential::add: null module");
  register_module(std::to_string(layers_.size()), m);
  layers_.push_back(std::move(m));
  return *this;
}

namespace {
std::atomic<int> g_fuse{-1};  // -1: not yet read from the environment
}

void set_fuse_activations(bool on) { g_fuse.store(on ? 1 : 0); }

bool fuse_activations() {
  int v = g_fuse.load();
  if (v < 0) {
    const char* env = std::getenv("DG_NO_FUSION");
    v = env && std::string(env) == "1" ? 0 : 1;
    g_fuse.store(v);
  }
  return v == 1;
}

std::vector<Module*> Module::children() const {
  std::vector<Module*> out;
  for (auto& [name, m] : children_) out.push_back(m.get());
  return out;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  const bool fuse = fuse_activations();
  for (size_t i = 0; i < layers_.size(); ++i) {
    auto* drop = dynamic_cast<Dropout*>(layers_[i].get());
    auto* act = i + 1 < layers_.size() ? dynamic_cast<LeakyReLU*>(layers_[i + 1].get()) : nullptr;
    if (fuse && drop && act) {
      h = dropout_leaky_relu(h, drop->probability(), act->slope(), drop->is_training(),
                             drop->rng());
      ++i;
      continue;
    }
    h = layers_[i]->forward(h);
  }
  return h;
}

}  // namespace dg::nn
