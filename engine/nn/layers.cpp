// The parametrized layers: Linear, Conv2d, ConvTranspose2d, BatchNorm, Dropout. Initialization is
// PyTorch's default so that runs can be compared with a reference implementation layer by layer.
#include <cmath>

#include "engine/nn/module.h"

namespace dg::nn {

namespace {

// PyTorch initializes weights with kaiming_uniform(a = sqrt(5)), whose bound works out to
// 1/sqrt(fan_in), and biases with the same bound; both are drawn here from the caller's Philox in
// registration order (weight first), so a seed fixes the whole network.
Tensor uniform_init(Philox& init, const Shape& shape, int64_t fan_in) {
  DG_CHECK(fan_in > 0, "layer initialization: fan_in must be positive, got " << fan_in);
  double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return init.uniform(shape, -bound, bound, DType::F32);
}

void check_positive(int64_t v, const char* layer, const char* what) {
  DG_CHECK(v > 0, layer << ": " << what << " must be positive, got " << v);
}

}  // namespace

Linear::Linear(int64_t in, int64_t out, Philox& init, bool bias) {
  check_positive(in, "Linear", "in_features");
  check_positive(out, "Linear", "out_features");
  w_ = &register_parameter("weight", uniform_init(init, {out, in}, in));
  if (bias) b_ = &register_parameter("bias", uniform_init(init, {out}, in));
}

Tensor Linear::forward(const Tensor& x) { return linear(x, *w_, b_ ? *b_ : Tensor()); }

MinibatchDiscrimination::MinibatchDiscrimination(int64_t in, int64_t kernels, int64_t dims,
                                                 Philox& init)
    : in_(in), kernels_(kernels), dims_(dims) {
  check_positive(in, "MinibatchDiscrimination", "in_features");
  check_positive(kernels, "MinibatchDiscrimination", "kernels");
  check_positive(dims, "MinibatchDiscrimination", "kernel dimensions");
  t_ = &register_parameter("weight", uniform_init(init, {in, kernels * dims}, in));
}

Tensor MinibatchDiscrimination::forward(const Tensor& x) {
  DG_CHECK(x.dim() == 2 && x.size(1) == in_,
           "MinibatchDiscrimination: x must be (N, " << in_ << "), got " << shape_str(x.shape()));
  return minibatch_similarity(reshape(matmul(x, *t_), {x.size(0), kernels_, dims_}));
}

Conv2d::Conv2d(int64_t in, int64_t out, int64_t kernel, Philox& init, Conv2dArgs args, bool bias)
    : args_(args) {
  check_positive(in, "Conv2d", "in_channels");
  check_positive(out, "Conv2d", "out_channels");
  check_positive(kernel, "Conv2d", "kernel");
  int64_t fan_in = in * kernel * kernel;
  w_ = &register_parameter("weight", uniform_init(init, {out, in, kernel, kernel}, fan_in));
  if (bias) b_ = &register_parameter("bias", uniform_init(init, {out}, fan_in));
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, *w_, b_ ? *b_ : Tensor(), args_); }

ConvTranspose2d::ConvTranspose2d(int64_t in, int64_t out, int64_t kernel, Philox& init,
                                 Conv2dArgs args, bool bias)
    : args_(args) {
  check_positive(in, "ConvTranspose2d", "in_channels");
  check_positive(out, "ConvTranspose2d", "out_channels");
  check_positive(kernel, "ConvTranspose2d", "kernel");
  // PyTorch takes fan_in from dim 1 of the (in, out, k, k) weight, i.e. the output channels.
  int64_t fan_in = out * kernel * kernel;
  w_ = &register_parameter("weight", uniform_init(init, {in, out, kernel, kernel}, fan_in));
  if (bias) b_ = &register_parameter("bias", uniform_init(init, {out}, fan_in));
}

Tensor ConvTranspose2d::forward(const Tensor& x) {
  return conv_transpose2d(x, *w_, b_ ? *b_ : Tensor(), args_);
}

BatchNorm::BatchNorm(int64_t channels, double momentum, double eps, bool affine)
    : momentum_(momentum), eps_(eps) {
  check_positive(channels, "BatchNorm", "channels");
  DG_CHECK(momentum >= 0 && momentum <= 1, "BatchNorm: momentum " << momentum << " outside [0, 1]");
  DG_CHECK(eps > 0, "BatchNorm: eps must be positive, got " << eps);
  if (affine) {
    gamma_ = &register_parameter("weight", Tensor::full({channels}, 1.0));
    beta_ = &register_parameter("bias", Tensor::zeros({channels}));
  }
  mean_ = &register_buffer("running_mean", Tensor::zeros({channels}));
  var_ = &register_buffer("running_var", Tensor::full({channels}, 1.0));
}

Tensor BatchNorm::forward(const Tensor& x) {
  if (folded_) {
    DG_CHECK(!is_training(),
             "BatchNorm: folded into the preceding layer for inference; a folded "
             "model cannot be trained");
    return x;
  }
  return batch_norm(x, gamma_ ? *gamma_ : Tensor(), beta_ ? *beta_ : Tensor(), *mean_, *var_,
                    is_training(), momentum_, eps_, group_.get());
}

void BatchNorm::eval_affine(std::vector<double>& scale, std::vector<double>& shift) const {
  const std::vector<double> mean = mean_->to_vector(), var = var_->to_vector();
  const std::vector<double> g =
      gamma_ ? gamma_->to_vector() : std::vector<double>(mean.size(), 1.0);
  const std::vector<double> b = beta_ ? beta_->to_vector() : std::vector<double>(mean.size(), 0.0);
  scale.resize(mean.size());
  shift.resize(mean.size());
  for (size_t c = 0; c < mean.size(); ++c) {
    scale[c] = g[c] / std::sqrt(var[c] + eps_);
    shift[c] = b[c] - mean[c] * scale[c];
  }
}

Dropout::Dropout(double p, std::shared_ptr<Philox> rng) : p_(p), rng_(std::move(rng)) {
  DG_CHECK(p >= 0 && p < 1, "Dropout: p = " << p << " outside [0, 1)");
  DG_CHECK(rng_ != nullptr, "Dropout: needs a generator");
}

Tensor Dropout::forward(const Tensor& x) { return dropout(x, p_, is_training(), *rng_); }

}  // namespace dg::nn
