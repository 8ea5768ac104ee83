// The ZDC GAN trains on the GPU with the CPU's code: models moved with Module::to(Device::CUDA),
// batches and latents drawn on the CPU and moved by the trainer. One full training step (both
// generators; DivBal, MS, SDI (reads the gathered f_div) and DivCo (gathered repeated conditions))
// gives finite losses that match the same step
// on the CPU; after the second step no cudaMalloc happens; two runs from one seed give
// bitwise-identical losses (deterministic kernels).
// Run: build-cuda/dg_tests -tc="gpu: zdc*"
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "datasets/zdc_dataset.h"
#include "datasets/zdc_simulator.h"
#include "gan/models_zdc.h"
#include "gan/trainer.h"
#include "tests/gpu/gpu_parity.h"
#include "tests/test_support.h"

using namespace dg;
using namespace dg::gan;

namespace {

std::shared_ptr<data::ZdcDataset> small_zdc_set() {
  static std::shared_ptr<data::ZdcDataset> ds = test::simulated_zdc_train(60);
  return ds;
}

TrainConfig gpu_config(Regularizer reg, const std::string& generator) {
  TrainConfig c;
  c.dataset = Dataset::Zdc;
  c.generator = parse_generator_arch(generator);
  c.latent = kZdcLatent;
  c.reg = reg;
  c.batch = 32;
  c.seed = 7;
  return c;
}

Trainer make_trainer(const TrainConfig& cfg, Device dev) {
  Models m = make_models(cfg);
  m.g->to(dev);
  m.d->to(dev);
  return Trainer(cfg, small_zdc_set(), m);
}

std::vector<double> losses_of(const StepStats& s) { return {s.loss_d, s.loss_g_adv, s.loss_div}; }

}  // namespace

TEST_CASE(
    "gpu: zdc training step runs on the GPU, matches the CPU, allocates nothing after step 2") {
  DG_REQUIRE_GPU();
  for (const char* gen : {"original", "dcgan"}) {
    for (Regularizer reg :
         {Regularizer::DivBal, Regularizer::MS, Regularizer::SDI, Regularizer::DivCo}) {
      CAPTURE(gen);
      CAPTURE(regularizer_name(reg));
      const TrainConfig cfg = gpu_config(reg, gen);
      Trainer gpu = make_trainer(cfg, Device::CUDA);
      for (auto& [name, p] : gpu.models().g->named_parameters()) CHECK(p.device() == Device::CUDA);
      const std::vector<double> first = losses_of(gpu.step());
      for (double v : first) CHECK(std::isfinite(v));

      // The same first step on the CPU: same init, batch, latents and dropout masks.
      Trainer cpu = make_trainer(cfg, Device::CPU);
      const std::vector<double> ref = losses_of(cpu.step());
      for (size_t i = 0; i < ref.size(); ++i) {
        INFO("loss " << i << ": gpu " << first[i] << ", cpu " << ref[i]);
        CHECK(std::abs(first[i] - ref[i]) <= 1e-4 + 1e-3 * std::abs(ref[i]));
      }

      // Step 2 is the first whose discriminator phase runs with the generator's gradients of the
      // previous step alive, as every later step does: the allocator's cache is complete after it.
      std::vector<double> run1 = first;
      for (double v : losses_of(gpu.step())) run1.push_back(v);
      const uint64_t mallocs = cuda::allocator_stats().cuda_malloc_count;
      for (int step = 0; step < 2; ++step)
        for (double v : losses_of(gpu.step())) run1.push_back(v);
      CHECK(cuda::allocator_stats().cuda_malloc_count == mallocs);
      CHECK(gpu.state_finite());

      // Deterministic: a second GPU run from the same seed repeats the losses to the bit.
      Trainer again = make_trainer(cfg, Device::CUDA);
      std::vector<double> run2;
      for (int step = 0; step < 4; ++step)
        for (double v : losses_of(again.step())) run2.push_back(v);
      REQUIRE(run1.size() == run2.size());
      CHECK(std::memcmp(run1.data(), run2.data(), run1.size() * sizeof(double)) == 0);
    }
  }
}

TEST_CASE("gpu: zdc training step with paper 004's tips matches the CPU and is deterministic") {
  DG_REQUIRE_GPU();
  TrainConfig cfg = gpu_config(Regularizer::DivBal, "dcgan");
  cfg.aux_weights = parse_aux_weights("0.5,energy=1");
  cfg.soft_sparsity = true;
  cfg.label_flip = 0.1;
  cfg.label_smoothing = 0.1;
  Trainer gpu = make_trainer(cfg, Device::CUDA), cpu = make_trainer(cfg, Device::CPU);
  const StepStats g = gpu.step(), c = cpu.step();
  const std::vector<double> a{g.loss_d, g.loss_g_adv, g.loss_div, g.loss_aux};
  const std::vector<double> b{c.loss_d, c.loss_g_adv, c.loss_div, c.loss_aux};
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("loss " << i << ": gpu " << a[i] << ", cpu " << b[i]);
    CHECK(std::isfinite(a[i]));
    CHECK(std::abs(a[i] - b[i]) <= 1e-4 + 1e-3 * std::abs(b[i]));
  }
  CHECK(g.loss_aux > 0);
  Trainer again = make_trainer(cfg, Device::CUDA);
  const StepStats h = again.step();
  CHECK(h.loss_d == g.loss_d);
  CHECK(h.loss_aux == g.loss_aux);
}
