// Paper 004's label tips (TrainConfig::label_flip, label_smoothing; docs/design.md#label-flipping-
// and-smoothing): D's staged targets, their frequencies, that they change D's loss and nothing when
// off, exact resume with them on, checkpoints from before them, and bad values.
// Run: build/dg_tests -tc="label tips*"
#include <doctest/doctest.h>

#include <string>

#include "base/error.h"
#include "datasets/benchmark2d.h"
#include "engine/checkpoint.h"
#include "gan/trainer.h"
#include "tests/test_support.h"

using namespace dg;
using namespace dg::gan;

namespace {

std::shared_ptr<data::Benchmark2D> points(const TrainConfig& cfg) {
  return std::make_shared<data::Benchmark2D>(data::make_points2d(cfg.seed, cfg.per_condition, 0));
}

TrainConfig config(double flip, double smoothing) {
  TrainConfig c;
  c.batch = 64;
  c.per_condition = 20;
  c.hidden = 32;
  c.seed = 3;
  c.label_flip = flip;
  c.label_smoothing = smoothing;
  return c;
}

}  // namespace

TEST_CASE("label tips: targets are 1 - s and 0, each swapped with probability p") {
  TrainConfig cfg = config(0.25, 0.1);
  Trainer t(cfg, points(cfg), make_models(cfg));
  const float hi = static_cast<float>(1.0 - 0.1);
  int64_t n = 0, swapped_real = 0, swapped_fake = 0;
  for (int k = 0; k < 200; ++k) {
    t.stage();
    const Tensor& r = t.staged().t_real;
    const Tensor& f = t.staged().t_fake;
    REQUIRE(r.shape() == Shape{64, 1});
    REQUIRE(f.shape() == Shape{64, 1});
    for (int64_t i = 0; i < 64; ++i) {
      const float a = r.data<float>()[i], b = f.data<float>()[i];
      CHECK((a == hi || a == 0.0f));
      CHECK((b == hi || b == 0.0f));
      swapped_real += a == 0.0f;
      swapped_fake += b == hi;
      ++n;
    }
  }
  // 12800 draws each: the binomial standard deviation is 0.004.
  CHECK(static_cast<double>(swapped_real) / n == doctest::Approx(0.25).epsilon(0.08));
  CHECK(static_cast<double>(swapped_fake) / n == doctest::Approx(0.25).epsilon(0.08));

  // Smoothing alone: every real target 1 - s, every generated one 0.
  TrainConfig s = config(0.0, 0.2);
  Trainer u(s, points(s), make_models(s));
  u.stage();
  for (int64_t i = 0; i < 64; ++i) {
    CHECK(u.staged().t_real.data<float>()[i] == static_cast<float>(1.0 - 0.2));
    CHECK(u.staged().t_fake.data<float>()[i] == 0.0f);
  }
}

TEST_CASE("label tips: off by default; on, they change D's loss and not the batch") {
  TrainConfig off = config(0, 0);
  Trainer a(off, points(off), make_models(off));
  a.stage();
  CHECK_FALSE(a.staged().t_real.defined());
  CHECK_FALSE(a.staged().t_fake.defined());

  // The same initialization and batch: the label streams draw nothing from the others.
  TrainConfig on = config(0.3, 0.1);
  Trainer b(off, points(off), make_models(off)), c(on, points(on), make_models(on));
  const StepStats x = b.step(), y = c.step();
  CHECK(x.loss_d != y.loss_d);
  CHECK(b.staged().x.to_vector() == c.staged().x.to_vector());
  CHECK(b.staged().z1.to_vector() == c.staged().z1.to_vector());
}

TEST_CASE("label tips: resume with them on continues bit for bit") {
  test::TempDir dir("label_tips_resume");
  TrainConfig cfg = config(0.2, 0.1);
  const std::string path = dir.file("tips.safetensors");
  Trainer a(cfg, points(cfg), make_models(cfg));
  while (a.steps_done() < 10) a.step();
  a.save(path);
  while (a.steps_done() < 20) a.step();

  Trainer b(read_checkpoint_config(path), points(cfg), make_models(cfg));
  CHECK(b.config().label_flip == 0.2);
  CHECK(b.config().label_smoothing == 0.1);
  b.load(path);
  while (b.steps_done() < 20) b.step();
  const std::vector<double> sa = test::model_state(a.models()), sb = test::model_state(b.models());
  REQUIRE(sa.size() == sb.size());
  int64_t differ = 0;
  for (size_t i = 0; i < sa.size(); ++i) differ += sa[i] != sb[i];
  CHECK(differ == 0);
  const StepStats x = a.step(), y = b.step();
  CHECK(x.loss_d == y.loss_d);

  // Without restoring the label stream the continuation differs: the check above can fail.
  SafetensorsFile f = load_safetensors(path);
  f.metadata["rng.label"] = "0";
  const std::string reset = dir.file("reset.safetensors");
  save_safetensors(reset, f.tensors, f.metadata);
  Trainer c(read_checkpoint_config(reset), points(cfg), make_models(cfg));
  c.load(reset);
  while (c.steps_done() < 21) c.step();
  CHECK(test::model_state(c.models()) != test::model_state(a.models()));
}

TEST_CASE("label tips: checkpoints written before them load, with the stream at its start") {
  test::TempDir dir("label_tips_old");
  TrainConfig cfg = config(0, 0);
  Trainer a(cfg, points(cfg), make_models(cfg));
  a.step();
  const std::string path = dir.file("old.safetensors");
  a.save(path);
  SafetensorsFile f = load_safetensors(path);
  f.metadata.erase("rng.label");
  nlohmann::json j = nlohmann::json::parse(f.metadata.at("config"));
  j.erase("label_flip");
  j.erase("label_smoothing");
  f.metadata["config"] = j.dump();
  save_safetensors(path, f.tensors, f.metadata);
  const TrainConfig back = read_checkpoint_config(path);
  CHECK(back.label_flip == 0);
  CHECK(back.label_smoothing == 0);
  Trainer b(back, points(cfg), make_models(cfg));
  CHECK_NOTHROW(b.load(path));
  CHECK(a.step().loss_d == b.step().loss_d);
}

TEST_CASE("label tips: values outside [0, 1) are refused, naming the option") {
  for (auto [flip, smoothing] : {std::pair{1.0, 0.0}, {-0.1, 0.0}, {0.0, 1.0}, {0.0, -0.5}}) {
    CAPTURE(flip);
    CAPTURE(smoothing);
    TrainConfig c = config(flip, smoothing);
    try {
      c.validate();
      FAIL("no error");
    } catch (const Error& e) {
      const std::string msg = e.what();
      CHECK(msg.find(flip != 0 ? "--label-flip" : "--label-smoothing") != std::string::npos);
      CHECK(msg.find("must lie in [0, 1)") != std::string::npos);
    }
  }
}
