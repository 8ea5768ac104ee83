// ZDC training on the CPU with a small simulated set: every regularizer trains with finite losses
// on both generators, checkpoint + resume is exact to the bit, and a diverging run (overflowing
// log1p outputs, a non-finite parameter) stops with a clear message while the last checkpoint stays
// byte-for-byte intact.
// Run: build/dg_tests -tc="zdc train*"
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include "datasets/benchmark2d.h"
#include "datasets/zdc_dataset.h"
#include "datasets/zdc_simulator.h"
#include "gan/models_zdc.h"
#include "gan/trainer.h"
#include "tests/test_support.h"

using namespace dg;
using namespace dg::gan;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<data::ZdcDataset> small_zdc() {
  static std::shared_ptr<data::ZdcDataset> ds = test::simulated_zdc_train(30);
  return ds;
}

TrainConfig zdc_config(Regularizer reg, const std::string& generator = "dcgan") {
  TrainConfig c;
  c.dataset = Dataset::Zdc;
  c.generator = parse_generator_arch(generator);
  c.latent = kZdcLatent;
  c.reg = reg;
  c.batch = 6;
  c.seed = 7;
  c.reg_opt.divco_negatives = 2;
  return c;
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("zdc train: every regularizer trains with finite losses, both generators") {
  for (const char* gen : {"dcgan", "original"}) {
    for (Regularizer reg : kAllRegularizers) {
      // The original generator is ten times the work: one regularizer of each kind is enough.
      if (std::string(gen) == "original" && reg != Regularizer::DivBal && reg != Regularizer::MS)
        continue;
      CAPTURE(gen);
      CAPTURE(regularizer_name(reg));
      TrainConfig cfg = zdc_config(reg, gen);
      Trainer t(cfg, small_zdc(), make_models(cfg));
      for (int i = 0; i < 2; ++i) {
        StepStats s = t.step();
        CHECK(std::isfinite(s.loss_d));
        CHECK(std::isfinite(s.loss_g_adv));
        CHECK(std::isfinite(s.loss_div));
        if (reg != Regularizer::None) CHECK(s.loss_div != 0.0);
      }
      CHECK(t.state_finite());
    }
  }
}

TEST_CASE("zdc train: checkpoint + resume continues bit for bit") {
  test::TempDir dir("train_zdc_resume");
  for (Regularizer reg : {Regularizer::DivBal, Regularizer::MS, Regularizer::DivCo}) {
    CAPTURE(regularizer_name(reg));
    TrainConfig cfg = zdc_config(reg);
    const std::string path = dir.file(regularizer_name(reg) + ".safetensors");
    Trainer a(cfg, small_zdc(), make_models(cfg));
    for (int i = 0; i < 2; ++i) a.step();
    a.save(path);
    for (int i = 0; i < 2; ++i) a.step();

    Models mb = make_models(read_checkpoint_config(path));
    for (const auto& ts : {mb.g->named_parameters(), mb.d->named_parameters()})
      for (auto [name, t] : ts) t.fill_(0.0);
    Trainer b(read_checkpoint_config(path), small_zdc(), mb);
    b.load(path);
    CHECK(b.steps_done() == 2);
    for (int i = 0; i < 2; ++i) b.step();
    CHECK(test::model_state(a.models()) == test::model_state(b.models()));
  }
}

TEST_CASE("zdc train: overflowing outputs stop the run and the checkpoint stays intact") {
  test::TempDir dir("train_zdc_diverge");
  TrainConfig cfg = zdc_config(Regularizer::MS);
  Trainer t(cfg, small_zdc(), make_models(cfg));
  t.step();
  const std::string path = dir.file("ckpt.safetensors");
  t.save(path);
  const std::string before = bytes_of(path);

  // The last layer's bias lifts every log1p output above log(FLT_MAX): expm1 would give inf counts.
  Tensor bias;
  for (auto& [name, p] : t.models().g->named_parameters())
    if (p.numel() == 1) bias = p;
  REQUIRE(bias.defined());
  bias.fill_(100.0);
  try {
    t.step();
    FAIL("a step with overflowing outputs did not throw");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("diverged at or before step 1") != std::string::npos);
    CHECK(msg.find("88.72") != std::string::npos);
    CHECK(msg.find("last checkpoint is intact") != std::string::npos);
  }
  CHECK(bytes_of(path) == before);
}

TEST_CASE("zdc train: a divergence between two reads of the stats is still reported") {
  // The GPU loop reads the stats every few steps: an overflow in one step that the next step no
  // longer shows must still be caught at the next read (the measure is sticky).
  TrainConfig cfg = zdc_config(Regularizer::None);
  Trainer t(cfg, small_zdc(), make_models(cfg));
  t.step();
  Tensor bias;
  for (auto& [name, p] : t.models().g->named_parameters())
    if (p.numel() == 1) bias = p;
  REQUIRE(bias.defined());
  const double keep = bias.item();
  bias.fill_(100.0);
  t.step_async();    // overflows
  bias.fill_(keep);  // the next step is fine again
  t.step_async();
  CHECK_THROWS_WITH_AS(t.last_stats(), doctest::Contains("diverged at or before step 2"), Error);
}

TEST_CASE("2d train: non-finite generated values stop the run") {
  TrainConfig cfg;
  cfg.dataset = Dataset::Points2D;
  cfg.batch = 16;
  cfg.per_condition = 20;
  auto data = std::make_shared<data::Benchmark2D>(data::make_points2d(1, 20, 0));
  Trainer t(cfg, data, make_models(cfg));
  t.step();
  t.models().g->named_parameters().back().second.fill_(std::numeric_limits<double>::infinity());
  CHECK_THROWS_WITH_AS(t.step(), doctest::Contains("diverged"), Error);
}

TEST_CASE("zdc train: a non-finite parameter is never written over a good checkpoint") {
  test::TempDir dir("train_zdc_nan");
  TrainConfig cfg = zdc_config(Regularizer::SDI);
  Trainer t(cfg, small_zdc(), make_models(cfg));
  t.step();
  const std::string path = dir.file("ckpt.safetensors");
  t.save(path);
  const std::string before = bytes_of(path);
  t.models().d->named_parameters().front().second.fill_(std::nan(""));
  CHECK_FALSE(t.state_finite());
  CHECK_THROWS_WITH_AS(t.save(path), doctest::Contains("non-finite; not writing"), Error);
  CHECK(bytes_of(path) == before);
  for (const auto& e : fs::directory_iterator(dir.path))
    CHECK(e.path().filename() == "ckpt.safetensors");
}

TEST_CASE("zdc train: config validation and JSON round trip of the ZDC fields") {
  TrainConfig c = zdc_config(Regularizer::DivBal, "original");
  c.sim_particles = 123;
  c.data_seed = 9;
  c.eval_every = 50;
  c.split = SplitKind::Particle;
  c.keep_best = true;
  CHECK(TrainConfig::from_json(c.to_json()).to_json() == c.to_json());
  // Only the ZDC fields: a ZDC config has no MLP width, a 2D one no generator or data files.
  CHECK_FALSE(c.to_json().contains("hidden"));
  CHECK(c.to_json().at("split") == "particle");
  TrainConfig two_d;
  CHECK_FALSE(two_d.to_json().contains("generator"));
  CHECK_FALSE(two_d.to_json().contains("split"));
  CHECK(two_d.to_json().contains("hidden"));
  // A ZDC config written before the generator was recorded is the original network; the default
  // of new configs is dcgan.
  nlohmann::json legacy = c.to_json();
  legacy.erase("generator");
  CHECK(TrainConfig::from_json(legacy).generator == GeneratorArch::Original);
  CHECK(TrainConfig{}.generator == GeneratorArch::Dcgan);
  TrainConfig no_eval = c;
  no_eval.eval_every = 0;
  CHECK_THROWS_WITH_AS(no_eval.validate(), doctest::Contains("--eval-every"), Error);
  TrainConfig bad = c;
  CHECK_THROWS_WITH_AS(parse_generator_arch("unet"), doctest::Contains("generator 'unet'"), Error);
  bad = c;
  bad.responses = "r.npz";
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("both a responses and a particles"),
                       Error);
  CHECK_THROWS_WITH_AS(parse_dataset("mnist"), doctest::Contains("expected: 2d or zdc"), Error);
}
