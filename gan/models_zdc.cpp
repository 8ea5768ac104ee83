// ZDC networks (see models_zdc.h).
#include "gan/models_zdc.h"

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

ZdcDiscriminator::ZdcDiscriminator(Philox& init, std::shared_ptr<Philox> dropout_rng,
                                   ZdcOptions o) {
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
  dense->add(std::make_shared<nn::Linear>(16 * 9 * 9 + kZdcCond, 128, init));
  block(*dense, 128);
  dense->add(std::make_shared<nn::Linear>(128, 64, init));
  block(*dense, 64);
  dense_ = register_module("dense", dense);
  head_ = register_module("head", std::make_shared<nn::Linear>(64, 1, init));
}

DiscriminatorOutput ZdcDiscriminator::discriminate(const Tensor& x, const Tensor& c) {
  DG_CHECK(
      x.dim() == 4 && x.shape()[1] == 1 && x.shape()[2] == kZdcSide && x.shape()[3] == kZdcSide,
      "ZdcDiscriminator: images must be (B, 1, 44, 44), got " << shape_str(x.shape()));
  DG_CHECK(c.dim() == 2 && c.shape()[1] == kZdcCond && c.shape()[0] == x.shape()[0],
           "ZdcDiscriminator: conditions must be (B, "
               << kZdcCond << ") with the batch of the images, got " << shape_str(c.shape()));
  Tensor e = dense_->forward(concat({flatten(conv_->forward(x)), c}, 1));
  return {head_->forward(e), e};
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
