// The training step's device half has no host transfer or synchronization (what a CUDA graph and
// an asynchronous GPU step need): HostTransferGuard makes any such call throw, and compute() runs
// every regularizer under it. On the CPU this is the check that catches, without a GPU, a step
// that would copy to or from the device. Also: step() = stage + compute + last_stats, and graph
// mode is refused for CPU models.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "gan/models_zdc.h"
#include "gan/trainer.h"
#include "tests/test_support.h"

using namespace dg;
using namespace dg::gan;

TEST_CASE("host transfer guard: item, to, to_vector and from_vector throw inside, nest, restore") {
  Tensor t = Tensor::full({3}, 2.0);
  {
    HostTransferGuard g;
    CHECK(host_transfers_forbidden());
    CHECK_THROWS_WITH_AS(t.item(), doctest::Contains("device-only region"), Error);
    CHECK_THROWS_WITH_AS((void)t.to(Device::CPU), doctest::Contains("Tensor::to(Device)"), Error);
    CHECK_THROWS_AS((void)t.to_vector(), Error);
    CHECK_THROWS_AS((void)Tensor::from_vector({1.0}, {1}), Error);
    { HostTransferGuard inner; }
    CHECK(host_transfers_forbidden());  // the inner guard restored the outer state
    Tensor s = add(t, 1.0);             // device-side ops are fine
    CHECK(s.numel() == 3);
  }
  CHECK_FALSE(host_transfers_forbidden());
  CHECK(t.to_vector() == std::vector<double>{2, 2, 2});
}

TEST_CASE("trainer: every regularizer's device half runs without host transfers") {
  auto ds = test::simulated_zdc_train(30);
  for (Regularizer reg : {Regularizer::None, Regularizer::MS, Regularizer::DS, Regularizer::DivCo,
                          Regularizer::SDI, Regularizer::DivBal}) {
    CAPTURE(regularizer_name(reg));
    TrainConfig cfg;
    cfg.dataset = Dataset::Zdc;
    cfg.generator = GeneratorArch::Dcgan;
    cfg.latent = kZdcLatent;
    cfg.reg = reg;
    cfg.batch = 4;
    cfg.seed = 3;
    Trainer halves(cfg, ds, make_models(cfg)), whole(cfg, ds, make_models(cfg));
    for (int step = 0; step < 2; ++step) {
      halves.stage();
      {
        HostTransferGuard outer;  // compute() must not need an exception to this
        halves.compute();
      }
      // step_async's bookkeeping without its stage/compute: compare through the public path too.
      const StepStats w = whole.step();
      const std::vector<double> a{w.loss_d, w.loss_g_adv, w.loss_div};
      // halves' step counter did not move (stage/compute are the raw halves); read its stats.
      StepStats h{};
      CHECK_NOTHROW(h = halves.last_stats());
      const std::vector<double> b{h.loss_d, h.loss_g_adv, h.loss_div};
      CHECK(std::memcmp(a.data(), b.data(), sizeof(double) * 3) == 0);
    }
  }
}

TEST_CASE("trainer: graph mode needs GPU models") {
  auto ds = test::simulated_zdc_train(20);
  TrainConfig cfg;
  cfg.dataset = Dataset::Zdc;
  cfg.generator = GeneratorArch::Dcgan;
  cfg.latent = kZdcLatent;
  cfg.batch = 4;
  Trainer tr(cfg, ds, make_models(cfg));
  CHECK_THROWS_WITH_AS(tr.set_graph_mode(true), doctest::Contains("needs the models on the GPU"),
                       Error);
  CHECK_FALSE(tr.graph_mode());
}
