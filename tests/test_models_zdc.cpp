// The ZDC networks (gan/models_zdc.h): exact parameter counts, output shapes, gradients reaching
// every parameter, and dropout active only in training.
// Run: build/dg_tests -tc="*zdc*"
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>

#include "gan/models_zdc.h"

using namespace dg;
using namespace dg::gan;

namespace {

constexpr int64_t kBatch = 2;

struct Inputs {
  Tensor z, c, x;
};

Inputs inputs(uint64_t seed) {
  Philox r(seed);
  return {r.normal({kBatch, kZdcLatent}), r.normal({kBatch, kZdcCond}),
          r.uniform({kBatch, 1, kZdcSide, kZdcSide}, 0.0, 3.0)};
}

int64_t buffer_count(const nn::Module& m) {
  int64_t n = 0;
  for (const auto& [name, t] : m.named_buffers()) n += t.numel();
  return n;
}

void check_every_grad(const nn::Module& m) {
  for (const auto& [name, p] : m.named_parameters()) {
    INFO(name);
    REQUIRE(p.grad().defined());
    CHECK(p.grad().shape() == p.shape());
  }
}

double min_of(const Tensor& t) {
  auto v = t.to_vector();
  return *std::min_element(v.begin(), v.end());
}

bool same(const Tensor& a, const Tensor& b) { return a.to_vector() == b.to_vector(); }

}  // namespace

// Weights + biases per layer; BN contributes gamma+beta (2 per channel) as parameters and running
// mean+var (2 per channel) as buffers.
//   Linear 19->256            19*256 + 256          =     5,120
//   BN 256                                          =       512
//   Linear 256->21632         256*21632 + 21632     = 5,559,424   (21632 = 128*13*13)
//   BN 21632                                        =    43,264
//   Conv 128->128 3x3         128*128*9 + 128       =   147,584
//   BN 128                                          =       256
//   Conv 128->64 3x3          128*64*9 + 64         =    73,792
//   BN 64                                           =       128
//   Conv 64->1 3x3            64*9 + 1              =       577
//   trainable                                       = 5,830,657
//   BN running stats          2*(256+21632+128+64)  =    44,160
//   trainable + running stats                       = 5,874,817  (Keras's "Total params", 5.87M)
TEST_CASE("zdc: generator parameter count and output shape") {
  Philox init(1);
  ZdcGenerator g(init, std::make_shared<Philox>(2));
  CHECK(g.latent_dim() == 10);
  CHECK(g.num_parameters() == 5'830'657);
  CHECK(buffer_count(g) == 44'160);
  CHECK(g.num_parameters() + buffer_count(g) == 5'874'817);
  auto in = inputs(3);
  Tensor y = g.generate(in.z, in.c);
  CHECK(y.shape() == Shape{kBatch, 1, 44, 44});
  CHECK(min_of(y) >= 0.0);
}

//   Conv 1->32 3x3            9*32 + 32             =       320
//   BN 32                                           =        64
//   Conv 32->16 3x3           32*16*9 + 16          =     4,624
//   BN 16                                           =        32
//   Linear 1305->128          1305*128 + 128        =   167,168   (1305 = 16*9*9 + 9)
//   BN 128                                          =       256
//   Linear 128->64            128*64 + 64           =     8,256
//   BN 64                                           =       128
//   Linear 64->1              64 + 1                =        65
//   trainable                                       =   180,913;  running stats 2*240 = 480
TEST_CASE("zdc: discriminator parameter count and output shapes") {
  Philox init(1);
  ZdcDiscriminator d(init, std::make_shared<Philox>(2));
  CHECK(d.num_parameters() == 180'913);
  CHECK(buffer_count(d) == 480);
  auto in = inputs(3);
  auto out = d.discriminate(in.x, in.c);
  CHECK(out.logit.shape() == Shape{kBatch, 1});
  CHECK(out.features.shape() == Shape{kBatch, 64});
}

//   Linear 19->15488          19*15488 + 15488      =   309,760   (15488 = 128*11*11)
//   BN 15488                                        =    30,976
//   ConvT 128->64 4x4         128*64*16 + 64        =   131,136
//   BN 64                                           =       128
//   ConvT 64->32 4x4          64*32*16 + 32         =    32,800
//   BN 32                                           =        64
//   Conv 32->1 3x3            32*9 + 1              =       289
//   trainable                                       =   505,153
TEST_CASE("zdc: DCGAN generator parameter count and output shape") {
  Philox init(1);
  ZdcDcganGenerator g(init, std::make_shared<Philox>(2));
  CHECK(g.latent_dim() == 10);
  CHECK(g.num_parameters() == 505'153);
  CHECK(buffer_count(g) == 2 * (15488 + 64 + 32));
  auto in = inputs(3);
  Tensor y = g.generate(in.z, in.c);
  CHECK(y.shape() == Shape{kBatch, 1, 44, 44});
  CHECK(min_of(y) >= 0.0);

  Philox init2(1);
  ZdcDcganOptions relu_opt;
  relu_opt.relu_hidden = true;
  relu_opt.dropout = 0.2;
  ZdcDcganGenerator g2(init2, std::make_shared<Philox>(2), relu_opt);
  CHECK(g2.num_parameters() == 505'153);
  CHECK(g2.generate(in.z, in.c).shape() == Shape{kBatch, 1, 44, 44});
}

TEST_CASE("zdc: backward reaches every parameter of G, D and the DCGAN G") {
  auto in = inputs(4);
  Philox init(5);
  auto rng = std::make_shared<Philox>(6);
  ZdcGenerator g(init, rng);
  ZdcDiscriminator d(init, rng);
  ZdcDcganGenerator dc(init, rng);

  // G through D, so D's features and logit both carry gradient back into G.
  auto out = d.discriminate(g.generate(in.z, in.c), in.c);
  Tensor loss = add(bce_with_logits(out.logit, 1.0), mean(out.features));
  loss.backward();
  check_every_grad(g);
  check_every_grad(d);

  Tensor loss2 = mean(dc.generate(in.z, in.c));
  loss2.backward();
  check_every_grad(dc);
}

TEST_CASE("zdc: eval is deterministic, training dropout is not") {
  auto in = inputs(7);
  Philox init(8);
  auto rng = std::make_shared<Philox>(9);
  ZdcGenerator g(init, rng);
  ZdcDiscriminator d(init, rng);

  CHECK_FALSE(same(g.generate(in.z, in.c), g.generate(in.z, in.c)));
  CHECK_FALSE(same(d.discriminate(in.x, in.c).features, d.discriminate(in.x, in.c).features));

  g.eval();
  d.eval();
  CHECK(same(g.generate(in.z, in.c), g.generate(in.z, in.c)));
  auto a = d.discriminate(in.x, in.c), b = d.discriminate(in.x, in.c);
  CHECK(same(a.features, b.features));
  CHECK(same(a.logit, b.logit));
}
