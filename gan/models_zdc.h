// The ZDC neutron networks (docs/design.md#models): the original upsample+conv generator, its
// discriminator whose 64-d penultimate layer is the feature vector e of the regularizers, and a
// DCGAN-style generator built from transposed convolutions. Images are (B,1,44,44) in log1p space,
// conditions (B,9), latents (B,10).
#pragma once
#include <memory>

#include "datasets/zdc_layout.h"
#include "gan/networks.h"

namespace dg::gan {

inline constexpr int64_t kZdcLatent = 10;
inline constexpr int64_t kZdcCond = data::kZdcCondDim;
using data::kZdcSide;

// The original network was written in Keras and used its BatchNormalization defaults: momentum
// 0.99 and epsilon 1e-3. Our BatchNorm takes momentum in PyTorch's convention (weight of the new
// batch statistic), so Keras 0.99 is 0.01 here; eps is kept at Keras's 1e-3 rather than PyTorch's
// 1e-5 so the normalization matches the reference model.
struct ZdcOptions {
  double dropout = 0.2;
  double leaky_slope = 0.1;
  double bn_momentum = 0.01;
  double bn_eps = 1e-3;
};

class ZdcGenerator : public ConditionalGenerator {
 public:
  ZdcGenerator(Philox& init, std::shared_ptr<Philox> dropout_rng, ZdcOptions opt = {});
  Tensor generate(const Tensor& z, const Tensor& c) override;  // -> (B,1,44,44), >= 0
  int64_t latent_dim() const override { return kZdcLatent; }
  nn::Module* network() override { return net_.get(); }

 private:
  std::shared_ptr<nn::Sequential> net_;
};

// Paper 004's additions to the discriminator (docs/design.md#auxiliary-regression and
// #soft-sparsity). Off by default: the network is then the original one, parameter for parameter.
struct ZdcDiscriminatorTips {
  // A head on the flattened convolutional features (the image only, never the conditions D is
  // given, which it could copy): Linear(1296, 64) -> LeakyReLU -> Linear(64, 9).
  bool aux_head = false;
  // The image's soft occupancy s (soft_occupancy of its photon counts over the 0.5-photon
  // threshold, averaged over the fibres), fed as log(s + 1e-3) to the dense layers beside the
  // outputs of a minibatch-discrimination layer of minibatch_kernels 1-d kernels acting on it.
  bool sparsity = false;
  double alpha = 2, beta = 2;
  int64_t minibatch_kernels = 8;
};

class ZdcDiscriminator : public ConditionalDiscriminator {
 public:
  ZdcDiscriminator(Philox& init, std::shared_ptr<Philox> dropout_rng, ZdcOptions opt = {},
                   ZdcDiscriminatorTips tips = {});
  // x (B,1,44,44), c (B,9) -> logit (B,1), features (B,64), aux (B,9) with the aux head. The
  // minibatch layer compares each image with the others of the same call: call it once per batch.
  DiscriminatorOutput discriminate(const Tensor& x, const Tensor& c) override;
  // The per-image feature the sparsity tip adds: log(s + 1e-3), (B,1). For tests and evaluation.
  Tensor sparsity_feature(const Tensor& x) const;

 private:
  std::shared_ptr<nn::Sequential> conv_;   // image -> (B,16,9,9)
  std::shared_ptr<nn::Sequential> dense_;  // flatten ‖ c [‖ minibatch ‖ sparsity] -> (B,64)
  std::shared_ptr<nn::Linear> head_;
  ZdcDiscriminatorTips tips_;
  std::shared_ptr<nn::MinibatchDiscrimination> minibatch_;
  std::shared_ptr<nn::Sequential> aux_;
};

// Radford et al.'s DCGAN recipe (learned stride-2 transposed convolutions instead of fixed
// nearest-neighbour upsampling, BN after every hidden layer, no dropout) applied to the ZDC
// geometry: 11 -> 22 -> 44 with kernel 4, stride 2, padding 1, then a same-padded 3x3 conv to one
// channel. It exists to test whether the regularizers' ranking depends on the upsampling scheme.
// Hidden activations default to the original network's LeakyReLU(0.1) so that only the upsampling
// differs; relu_hidden selects Radford's plain ReLU. About 0.51M parameters against 5.83M.
struct ZdcDcganOptions {
  double dropout = 0.0;  // > 0 adds dropout after each BN, as in the original generator
  double leaky_slope = 0.1;
  bool relu_hidden = false;
  double bn_momentum = 0.01;  // same Keras-equivalent BN settings as ZdcOptions
  double bn_eps = 1e-3;
};

class ZdcDcganGenerator : public ConditionalGenerator {
 public:
  ZdcDcganGenerator(Philox& init, std::shared_ptr<Philox> dropout_rng, ZdcDcganOptions opt = {});
  Tensor generate(const Tensor& z, const Tensor& c) override;  // -> (B,1,44,44), >= 0
  int64_t latent_dim() const override { return kZdcLatent; }
  nn::Module* network() override { return net_.get(); }

 private:
  std::shared_ptr<nn::Sequential> net_;
};

}  // namespace dg::gan
