// ZDC networks (see models_zdc.h).
#include "gan/models_zdc.h"

#include <vector>

#include "base/error.h"

namespace dg::gan {

namespace {

void check_inputs(const Tensor& a, int64_t a_width, const Tensor& c, const char* who,
                  const char* what) {
  DG_CHECK(a.dim() == 2 && a.shape()[1] == a_width,
           who << ": " << what << " must be (B, " << a_width << "), got " << shape_str(a.shape()));
  DG_CHECK(c.dim() == 2 && c.shape()[1] == kZdcCond && c.shape()[0] == a.shape()[0],
           who << ": conditions must be (B, " << kZdcCond << ") with the batch of the " << what
               << ", got " << shape_str(c.shape()));
}

// BN -> [Dropout] -> activation, the block that follows every hidden layer.
void bn_block(nn::Sequential& s, int64_t channels, double momentum, double eps, double p,
              const std::shared_ptr<Philox>& rng, std::shared_ptr<nn::Module> act) {
  s.add(std::make_shared<nn::BatchNorm>(channels, momentum, eps));
  if (p > 0) s.add(std::make_shared<nn::Dropout>(p, rng));
  s.add(std::move(act));
}

}  // namespace

ZdcGenerator::ZdcGenerator(Philox& init, std::shared_ptr<Philox> dropout_rng, ZdcOptions o) {
  auto s = std::make_shared<nn::Sequential>();
  auto block = [&](int64_t ch) {
    bn_block(*s, ch, o.bn_momentum, o.bn_eps, o.dropout, dropout_rng,
             std::make_shared<nn::LeakyReLU>(o.leaky_slope));
  };
  constexpr int64_t kSeed = 13;  // 13 -up-> 26 -conv-> 24 -up-> 48 -conv-> 46 -conv-> 44
  s->add(std::make_shared<nn::Linear>(kZdcLatent + kZdcCond, 256, init));
  block(256);
  s->add(std::make_shared<nn::Linear>(256, 128 * kSeed * kSeed, init));
  block(128 * kSeed * kSeed);  // BN over the flat dense output, before the reshape, as in Keras
  s->add(std::make_shared<nn::Reshape>(Shape{128, kSeed, kSeed}));
  s->add(std::make_shared<nn::Upsample>(2));
  s->add(std::make_shared<nn::Conv2d>(128, 128, 3, init));
  block(128);
  s->add(std::make_shared<nn::Upsample>(2));
  s->add(std::make_shared<nn::Conv2d>(128, 64, 3, init));
  block(64);
  s->add(std::make_shared<nn::Conv2d>(64, 1, 3, init));
  s->add(std::make_shared<nn::ReLU>());  // photon counts are sparse and non-negative
  net_ = register_module("net", s);
}

Tensor ZdcGenerator::generate(const Tensor& z, const Tensor& c) {
  check_inputs(z, kZdcLatent, c, "ZdcGenerator", "latents");
  return net_->forward(concat({z, c}, 1));
}

ZdcDiscriminator::ZdcDiscriminator(Philox& init, std::shared_ptr<Philox> dropout_rng, ZdcOptions o,
                                   ZdcDiscriminatorTips tips)
    : tips_(tips) {
  auto block = [&](nn::Sequential& s, int64_t ch) {
    bn_block(s, ch, o.bn_momentum, o.bn_eps, o.dropout, dropout_rng,
             std::make_shared<nn::LeakyReLU>(o.leaky_slope));
  };
  auto conv = std::make_shared<nn::Sequential>();  // 44 -> 42 -> 21 -> 19 -> 9
  conv->add(std::make_shared<nn::Conv2d>(1, 32, 3, init));
  block(*conv, 32);
  conv->add(std::make_shared<nn::MaxPool2d>(2));
  conv->add(std::make_shared<nn::Conv2d>(32, 16, 3, init));
  block(*conv, 16);
  conv->add(std::make_shared<nn::MaxPool2d>(2));
  conv_ = register_module("conv", conv);

  auto dense = std::make_shared<nn::Sequential>();
  const int64_t extra = tips.sparsity ? 1 + tips.minibatch_kernels : 0;
  dense->add(std::make_shared<nn::Linear>(16 * 9 * 9 + kZdcCond + extra, 128, init));
  block(*dense, 128);
  dense->add(std::make_shared<nn::Linear>(128, 64, init));
  block(*dense, 64);
  dense_ = register_module("dense", dense);
  head_ = register_module("head", std::make_shared<nn::Linear>(64, 1, init));
  // Registered (and drawn from `init`) after the original layers, so that without the tips the
  // network and its initialization are the original ones.
  if (tips.sparsity)
    minibatch_ = register_module("minibatch", std::make_shared<nn::MinibatchDiscrimination>(
                                                  1, tips.minibatch_kernels, 1, init));
  if (tips.aux_head) {
    auto aux = std::make_shared<nn::Sequential>();
    aux->add(std::make_shared<nn::Linear>(16 * 9 * 9, 64, init));
    aux->add(std::make_shared<nn::LeakyReLU>(o.leaky_slope));
    aux->add(std::make_shared<nn::Linear>(64, kZdcCond, init));
    aux_ = register_module("aux", aux);
  }
}

Tensor ZdcDiscriminator::sparsity_feature(const Tensor& x) const {
  // Photon counts over the occupancy threshold (0.5 photons, docs/design.md#occupancy-and-empty-
  // fractions), so that u = 1 is the threshold. The clamp keeps expm1 finite (20 in log1p space is
  // 5e8 photons, where the soft occupancy is 1 to float precision) and passes no gradient beyond.
  const Tensor u = mul(expm1(clamp(x, 0.0, 20.0)), 2.0);
  const Tensor s = mean_rows(soft_occupancy(u, tips_.alpha, tips_.beta));
  return reshape(log(add(s, 1e-3)), {x.size(0), 1});
}

DiscriminatorOutput ZdcDiscriminator::discriminate(const Tensor& x, const Tensor& c) {
  DG_CHECK(
      x.dim() == 4 && x.shape()[1] == 1 && x.shape()[2] == kZdcSide && x.shape()[3] == kZdcSide,
      "ZdcDiscriminator: images must be (B, 1, 44, 44), got " << shape_str(x.shape()));
  DG_CHECK(c.dim() == 2 && c.shape()[1] == kZdcCond && c.shape()[0] == x.shape()[0],
           "ZdcDiscriminator: conditions must be (B, "
               << kZdcCond << ") with the batch of the images, got " << shape_str(c.shape()));
  const Tensor h = flatten(conv_->forward(x));
  std::vector<Tensor> parts{h, c};
  if (tips_.sparsity) {
    Tensor f = sparsity_feature(x);
    parts.push_back(minibatch_->forward(f));
    parts.push_back(std::move(f));
  }
  Tensor e = dense_->forward(concat(parts, 1));
  return {head_->forward(e), e, aux_ ? aux_->forward(h) : Tensor()};
}

ZdcDcganGenerator::ZdcDcganGenerator(Philox& init, std::shared_ptr<Philox> dropout_rng,
                                     ZdcDcganOptions o) {
  auto s = std::make_shared<nn::Sequential>();
  auto block = [&](int64_t ch) {
    std::shared_ptr<nn::Module> act;
    if (o.relu_hidden)
      act = std::make_shared<nn::ReLU>();
    else
      act = std::make_shared<nn::LeakyReLU>(o.leaky_slope);
    bn_block(*s, ch, o.bn_momentum, o.bn_eps, o.dropout, dropout_rng, act);
  };
  constexpr int64_t kSeed = 11;  // (11-1)*2 - 2 + 4 = 22, then 44
  const Conv2dArgs up{.stride = 2, .padding = 1};
  s->add(std::make_shared<nn::Linear>(kZdcLatent + kZdcCond, 128 * kSeed * kSeed, init));
  block(128 * kSeed * kSeed);
  s->add(std::make_shared<nn::Reshape>(Shape{128, kSeed, kSeed}));
  s->add(std::make_shared<nn::ConvTranspose2d>(128, 64, 4, init, up));
  block(64);
  s->add(std::make_shared<nn::ConvTranspose2d>(64, 32, 4, init, up));
  block(32);
  s->add(std::make_shared<nn::Conv2d>(32, 1, 3, init, Conv2dArgs{.padding = 1}));
  s->add(std::make_shared<nn::ReLU>());
  net_ = register_module("net", s);
}

Tensor ZdcDcganGenerator::generate(const Tensor& z, const Tensor& c) {
  check_inputs(z, kZdcLatent, c, "ZdcDcganGenerator", "latents");
  return net_->forward(concat({z, c}, 1));
}

}  // namespace dg::gan
