// nn modules: parameter/buffer registration with dotted names, train/eval mode, and the layers the
// GANs use. Initialization follows PyTorch's defaults (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
// weights and biases of Linear/Conv; BN gamma 1, beta 0), drawn from a Philox generator.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/ops.h"
#include "engine/rng.h"

namespace dg::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  void train(bool on = true);  // recursive
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Recursive, children prefixed "name." in registration order.
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;  // BN running statistics
  std::vector<Tensor> parameters() const;
  int64_t num_parameters() const;
  void zero_grad();
  // Moves every parameter and buffer (keeps requires_grad; gradients are dropped). Build optimizers
  // after moving: they hold the tensors they were given.
  void to(Device device);
  // The device of the first parameter (CPU for a module without parameters).
  Device device() const;
  // Converts every parameter and buffer (CPU; float64 lets gradient checks run on whole modules).
  void to(DType dtype);
  // Direct submodules, in registration order.
  std::vector<Module*> children() const;

 protected:
  Tensor& register_parameter(const std::string& name, Tensor t);  // sets requires_grad
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }

 private:
  bool training_ = true;
  std::vector<std::pair<std::string, std::unique_ptr<Tensor>>> params_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

// Puts a module in eval mode for a scope and restores its previous mode (evaluation code that
// must leave a training model as it found it).
class EvalModeGuard {
 public:
  explicit EvalModeGuard(Module& m) : m_(m), was_(m.is_training()) { m_.eval(); }
  ~EvalModeGuard() { m_.train(was_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  Module& m_;
  bool was_;
};

class Linear : public Module {
 public:
  Linear(int64_t in, int64_t out, Philox& init, bool bias = true);
  Tensor forward(const Tensor& x) override;
  Tensor& weight() { return *w_; }  // (out, in)
  Tensor* bias() { return b_; }

 private:
  Tensor* w_;
  Tensor* b_ = nullptr;
};

class Conv2d : public Module {
 public:
  Conv2d(int64_t in, int64_t out, int64_t kernel, Philox& init, Conv2dArgs args = {},
         bool bias = true);
  Tensor forward(const Tensor& x) override;
  Tensor& weight() { return *w_; }  // (out, in, k, k)
  Tensor* bias() { return b_; }
  const Conv2dArgs& args() const { return args_; }

 private:
  Conv2dArgs args_;
  Tensor* w_;
  Tensor* b_ = nullptr;
};

class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in, int64_t out, int64_t kernel, Philox& init, Conv2dArgs args = {},
                  bool bias = true);
  Tensor forward(const Tensor& x) override;
  Tensor& weight() { return *w_; }  // (in, out, k, k)
  Tensor* bias() { return b_; }
  const Conv2dArgs& args() const { return args_; }

 private:
  Conv2dArgs args_;
  Tensor* w_;
  Tensor* b_ = nullptr;
};

// Batch norm over dim 1 of (N,C) or (N,C,H,W) input; momentum in PyTorch's convention.
class BatchNorm : public Module {
 public:
  explicit BatchNorm(int64_t channels, double momentum = 0.1, double eps = 1e-5,
                     bool affine = true);
  Tensor forward(const Tensor& x) override;
  // The eval-mode map per channel, y = scale * x + shift, from the running statistics (double).
  void eval_affine(std::vector<double>& scale, std::vector<double>& shift) const;
  // After fold_batch_norms moved that map into the preceding layer: the identity in eval mode;
  // training a folded model is an error (its statistics no longer describe its inputs).
  void set_folded() { folded_ = true; }
  bool folded() const { return folded_; }
  // Training statistics over every rank of `group` (batch_norm's synchronized mode); null: this
  // process's batch alone.
  void set_group(std::shared_ptr<Collective> group) { group_ = std::move(group); }

 private:
  bool folded_ = false;
  std::shared_ptr<Collective> group_;
  double momentum_, eps_;
  Tensor* gamma_ = nullptr;
  Tensor* beta_ = nullptr;
  Tensor* mean_;
  Tensor* var_;
};

// Draws its masks from a generator shared with the owner (the trainer seeds and checkpoints it).
class Dropout : public Module {
 public:
  Dropout(double p, std::shared_ptr<Philox> rng);
  Tensor forward(const Tensor& x) override;
  double probability() const { return p_; }
  Philox& rng() const { return *rng_; }

 private:
  double p_;
  std::shared_ptr<Philox> rng_;
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double slope) : slope_(slope) {}
  Tensor forward(const Tensor& x) override { return leaky_relu(x, slope_); }
  double slope() const { return slope_; }

 private:
  double slope_;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
};

class Upsample : public Module {
 public:
  explicit Upsample(int64_t scale) : scale_(scale) {}
  Tensor forward(const Tensor& x) override { return upsample_nearest2d(x, scale_); }
  int64_t scale() const { return scale_; }

 private:
  int64_t scale_;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(int64_t k) : k_(k) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, k_); }

 private:
  int64_t k_;
};

// Minibatch discrimination (Salimans et al. 2016): x (N, A) -> o (N, B), the closeness of each
// sample to the rest of its batch under B learned kernels of C dimensions:
//   o = minibatch_similarity(reshape(x T, (N, B, C)))   with T (A, B*C), "weight".
// The caller concatenates o to its features, so the next layer sees how the batch is spread.
class MinibatchDiscrimination : public Module {
 public:
  MinibatchDiscrimination(int64_t in, int64_t kernels, int64_t dims, Philox& init);
  Tensor forward(const Tensor& x) override;

 private:
  Tensor* t_;
  int64_t in_, kernels_, dims_;
};

class Reshape : public Module {
 public:
  explicit Reshape(Shape s) : s_(std::move(s)) {}  // per-sample shape; batch dim is kept
  Tensor forward(const Tensor& x) override;
  const Shape& shape() const { return s_; }

 private:
  Shape s_;
};

// Runs its layers in order. A Dropout directly followed by a LeakyReLU runs as the fused
// dropout_leaky_relu op (one pass each way, bitwise the same result) unless fusion is switched off;
// the layers keep their names, so checkpoints do not notice.
class Sequential : public Module {
 public:
  Sequential& add(std::shared_ptr<Module> m);  // named "0", "1", ...
  Tensor forward(const Tensor& x) override;
  size_t size() const { return layers_.size(); }
  Module& operator[](size_t i) { return *layers_.at(i); }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

// Inference: for every Linear, Conv2d or ConvTranspose2d directly followed by a BatchNorm inside a
// Sequential (anywhere below `root`), multiplies the layer's weights and bias per output channel by
// the BN's eval-mode scale and adds its shift, and marks the BN folded (identity): in eval mode the
// module then computes the same function with one pass less per block, to float rounding. Needs
// layers with a bias; returns how many BNs were folded. For generation from a trained model only:
// the folded model must not be trained or saved as a training checkpoint.
int fold_batch_norms(Module& root);
// True when a BatchNorm below `root` has been folded (such a model is not a training state).
bool has_folded_batch_norm(const Module& root);

// Data-parallel training: every BatchNorm below `root` computes its training statistics over the
// ranks of `group` (null: back to per-process statistics). Returns how many were set.
int synchronize_batch_norms(Module& root, const std::shared_ptr<Collective>& group);

// Fusion of Dropout + LeakyReLU in Sequential: on by default; DG_NO_FUSION=1 in the environment
// starts it off (for before/after measurements); this switch overrides both. Process-wide.
void set_fuse_activations(bool on);
bool fuse_activations();

}  // namespace dg::nn
