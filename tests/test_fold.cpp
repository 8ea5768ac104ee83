// Batch-norm folding for inference (nn::fold_batch_norms): both ZDC generators compute the same
// eval-mode function after folding (to float rounding), every BN that follows a layer is folded
// once, a folded model refuses training, and the fold runs on the CPU path of generation.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "engine/nn/module.h"
#include "gan/models_zdc.h"
#include "gan/trainer.h"
#include "tests/test_support.h"

using namespace dg;
using namespace dg::gan;

namespace {

// Non-trivial running statistics and affine parameters, as after training.
void randomize_bn(nn::Module& m, Philox& rng) {
  for (auto& [name, t] : m.named_buffers()) {
    Tensor r = rng.uniform(t.shape(), 0.2, 2.0);
    if (name.find("running_mean") != std::string::npos) r = rng.normal(t.shape());
    t.copy_(r);
  }
  for (auto& [name, t] : m.named_parameters())
    if (t.dim() == 1) t.copy_(add(mul(rng.normal(t.shape()), 0.3), 1.0));
}

}  // namespace

TEST_CASE("fold_batch_norms: the ZDC generators compute the same function, BN passes gone") {
  for (const char* which : {"original", "dcgan"}) {
    CAPTURE(which);
    Philox init(3, 0), rng(8, 0);
    auto drop = std::make_shared<Philox>(4, 0);
    std::shared_ptr<ConditionalGenerator> g;
    if (std::string(which) == "original")
      g = std::make_shared<ZdcGenerator>(init, drop);
    else
      g = std::make_shared<ZdcDcganGenerator>(init, drop);
    randomize_bn(*g, rng);
    // Lift the last conv's bias so that the final ReLU passes most pixels (else the comparison
    // would be of zeros).
    for (auto& [name, t] : g->named_parameters())
      if (t.numel() == 1) t.fill_(3.0);
    g->eval();
    Tensor z = rng.normal({5, kZdcLatent}), c = rng.normal({5, kZdcCond});
    const std::vector<double> before = g->generate(z, c).to_vector();
    const int folded = nn::fold_batch_norms(*g);
    CHECK(folded == (std::string(which) == "original" ? 4 : 3));
    CHECK(nn::fold_batch_norms(*g) == 0);  // once only
    const std::vector<double> after = g->generate(z, c).to_vector();
    REQUIRE(before.size() == after.size());
    double worst = 0, scale = 0;
    for (size_t i = 0; i < before.size(); ++i) {
      worst = std::max(worst, std::abs(before[i] - after[i]));
      scale = std::max(scale, std::abs(before[i]));
    }
    INFO("max |before - after| = " << worst << " of max |y| = " << scale);
    int positive = 0;
    for (double v : before) positive += v > 0;
    CHECK(positive > static_cast<int>(before.size()) / 2);
    CHECK(worst <= 1e-4 * (1 + scale));
    CHECK(nn::has_folded_batch_norm(*g));
    g->train();
    CHECK_THROWS_WITH_AS(g->generate(z, c), doctest::Contains("folded"), Error);
  }
}

TEST_CASE("fold_batch_norms: a trainer refuses to checkpoint a folded model") {
  test::TempDir dir("fold_save");
  TrainConfig cfg;
  cfg.dataset = Dataset::Zdc;
  cfg.generator = GeneratorArch::Dcgan;
  cfg.latent = kZdcLatent;
  cfg.batch = 4;
  Trainer t(cfg, test::simulated_zdc_train(20), make_models(cfg));
  t.step();
  nn::fold_batch_norms(*t.models().g);
  const std::string path = dir.file("folded.safetensors");
  CHECK_THROWS_WITH_AS(t.save(path), doctest::Contains("folded for inference"), Error);
  CHECK_FALSE(std::filesystem::exists(path));
}
