// The 2D-benchmark GAN end to end (gan/trainer.h, gan/eval2d.h): a short DC-GAN run learns the
// nine class centres, every regularizer trains with finite losses, checkpoint + resume is exact to
// the bit, damaged checkpoints fail with an error naming the file, and TrainConfig::validate
// names the offending field.
// Run: build/dg_tests -tc="gan2d*"
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "datasets/benchmark2d.h"
#include "engine/checkpoint.h"
#include "gan/eval2d.h"
#include "gan/models_zdc.h"
#include "gan/trainer.h"
#include "tests/test_support.h"

using namespace dg;
using namespace dg::gan;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<data::Benchmark2D> train_data(const TrainConfig& cfg) {
  return std::make_shared<data::Benchmark2D>(data::make_points2d(cfg.seed, cfg.per_condition, 0));
}

TrainConfig small_config(Regularizer reg) {
  TrainConfig c;
  c.reg = reg;
  c.batch = 32;
  c.per_condition = 20;
  c.hidden = 32;
  c.seed = 5;
  return c;
}

}  // namespace

TEST_CASE("gan2d: a short DC-GAN run learns the class centres") {
  TrainConfig cfg;  // defaults: reg none, batch 128, 1000 points per (class, spread)
  REQUIRE(cfg.reg == Regularizer::None);
  REQUIRE(cfg.batch == 128);
  cfg.steps = 1500;
  Trainer tr(cfg, train_data(cfg), make_models(cfg));
  const data::Points2D test = data::make_points2d(cfg.seed, 300, 1);

  Philox eval_rng(17, 0);
  const Eval2D before = evaluate2d(*tr.models().g, test, eval_rng);
  while (tr.steps_done() < cfg.steps) tr.step();
  CHECK(tr.steps_done() == cfg.steps);
  const Eval2D after = evaluate2d(*tr.models().g, test, eval_rng);

  INFO("W(spread 0) untrained " << before.wasserstein[0] << ", trained " << after.wasserstein[0]
                                << "; W(spread 1) " << before.wasserstein[1] << " -> "
                                << after.wasserstein[1]);
  for (int k = 0; k < data::kClasses2D; ++k) {
    CAPTURE(k);
    CHECK(after.class_mean_error[k][0] < 6.0);
    CHECK(after.class_mean_error[k][1] < 6.0);
  }
  // An untrained generator puts every class near the origin: W ≈ 27 (the mean distance of the
  // centres from 0 per coordinate).
  CHECK(before.wasserstein[0] > 15.0);
  CHECK(after.wasserstein[0] < 5.0);
  CHECK(after.wasserstein[1] < before.wasserstein[1]);
  // The evaluation set's own variance is what the data promise.
  CHECK(after.real_variance[0] == doctest::Approx(1.0).epsilon(0.2));
  CHECK(after.real_variance[1] == doctest::Approx(100.0).epsilon(0.2));
}

TEST_CASE("gan2d: every regularizer trains a few steps with finite losses") {
  for (Regularizer reg : kAllRegularizers) {
    CAPTURE(regularizer_name(reg));
    for (double lambda : {-1.0, 0.5}) {
      if (reg == Regularizer::None && lambda > 0) continue;
      CAPTURE(lambda);
      TrainConfig cfg = small_config(reg);
      cfg.lambda = lambda;
      cfg.reg_opt.divco_negatives = 4;
      cfg.reg_opt.ds_tau = lambda > 0 ? 2.0 : 0.0;  // the clamped DS variant too
      Trainer tr(cfg, train_data(cfg), make_models(cfg));
      const std::vector<double> g0 = test::model_state(tr.models());
      for (int s = 0; s < 4; ++s) {
        StepStats st = tr.step();
        CHECK(std::isfinite(st.loss_d));
        CHECK(std::isfinite(st.loss_g_adv));
        CHECK(std::isfinite(st.loss_div));
        if (reg == Regularizer::None)
          CHECK(st.loss_div == 0.0);
        else
          CHECK(st.loss_div != 0.0);
      }
      CHECK(tr.steps_done() == 4);
      CHECK(test::model_state(tr.models()) != g0);
    }
  }
}

TEST_CASE("gan2d: checkpoint + resume continues bit for bit") {
  test::TempDir dir("gan2d_resume");
  for (Regularizer reg : kAllRegularizers) {
    CAPTURE(regularizer_name(reg));
    TrainConfig cfg = small_config(reg);
    cfg.reg_opt.divco_negatives = 3;
    const int64_t n = 12;
    const std::string path = dir.file(regularizer_name(reg) + ".safetensors");

    Trainer a(cfg, train_data(cfg), make_models(cfg));
    while (a.steps_done() < n) a.step();
    a.save(path);
    while (a.steps_done() < 2 * n) a.step();

    // The resumed trainer starts from wiped weights, so matching proves the load restored them.
    Models mb = make_models(read_checkpoint_config(path));
    for (const auto& ts : {mb.g->named_parameters(), mb.d->named_parameters()})
      for (auto [name, t] : ts) t.fill_(0.0);
    Trainer b(read_checkpoint_config(path), train_data(cfg), mb);
    b.load(path);
    CHECK(b.steps_done() == n);
    while (b.steps_done() < 2 * n) b.step();

    const std::vector<double> sa = test::model_state(a.models()),
                              sb = test::model_state(b.models());
    REQUIRE(sa.size() == sb.size());
    int64_t differ = 0;
    for (size_t i = 0; i < sa.size(); ++i) differ += sa[i] != sb[i];
    CHECK(differ == 0);
    // And the next step's losses agree exactly as well.
    StepStats x = a.step(), y = b.step();
    CHECK(x.loss_d == y.loss_d);
    CHECK(x.loss_g_adv == y.loss_g_adv);
    CHECK(x.loss_div == y.loss_div);
  }
}

TEST_CASE("gan2d: checkpoint config round trip") {
  test::TempDir dir("gan2d_config");
  TrainConfig cfg = small_config(Regularizer::DivCo);
  cfg.lambda = 0.25;
  cfg.reg_opt.divco_negatives = 3;
  cfg.reg_opt.divco_tau = 0.5;
  Trainer t(cfg, train_data(cfg), make_models(cfg));
  t.step();
  t.save(dir.file("c.safetensors"));
  TrainConfig back = read_checkpoint_config(dir.file("c.safetensors"));
  CHECK(back.to_json() == cfg.to_json());
  CHECK(back.reg == Regularizer::DivCo);
  CHECK(back.effective_lambda() == 0.25);
}

TEST_CASE("gan2d: damaged, foreign and missing checkpoints throw naming the file") {
  test::TempDir dir("gan2d_corrupt");
  TrainConfig cfg = small_config(Regularizer::SDI);
  Trainer t(cfg, train_data(cfg), make_models(cfg));
  t.step();
  const std::string good = dir.file("good.safetensors");
  t.save(good);
  std::string bytes;
  {
    std::ifstream in(good, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE(bytes.size() > 64);
  auto write = [&](const std::string& name, const std::string& content) {
    std::ofstream out(dir.file(name), std::ios::binary | std::ios::trunc);
    out << content;
    return dir.file(name);
  };

  const std::string bad[] = {
      write("half.safetensors", bytes.substr(0, bytes.size() / 2)),
      write("short.safetensors", bytes.substr(0, bytes.size() - 1)),
      write("header.safetensors", bytes.substr(0, 5)),
      write("garbage.safetensors", "this is not a checkpoint at all, just some text\n"),
      write("empty.safetensors", ""),
      dir.file("missing.safetensors"),
  };
  for (const std::string& path : bad) {
    CAPTURE(path);
    Trainer u(cfg, train_data(cfg), make_models(cfg));
    CHECK_THROWS_WITH_AS(u.load(path), doctest::Contains(path.c_str()), dg::Error);
    CHECK_THROWS_WITH_AS(read_checkpoint_config(path), doctest::Contains(path.c_str()), dg::Error);
  }

  // A well-formed safetensors file that is not a training checkpoint.
  const std::string foreign = dir.file("foreign.safetensors");
  save_safetensors(foreign, {{"w", Tensor::zeros({2, 2})}});
  Trainer u(cfg, train_data(cfg), make_models(cfg));
  CHECK_THROWS_WITH_AS(u.load(foreign), doctest::Contains("not a divgan training checkpoint"),
                       dg::Error);
  CHECK_THROWS_WITH_AS(read_checkpoint_config(foreign), doctest::Contains(foreign.c_str()),
                       dg::Error);

  // Step counters above int64's range would turn negative in memory: refused, naming the key.
  for (const char* key : {"step", "optG.steps", "optD.steps"}) {
    CAPTURE(key);
    SafetensorsFile f = load_safetensors(good);
    f.metadata[key] = "9223372036854775808";  // 2^63
    const std::string huge = dir.file("huge.safetensors");
    save_safetensors(huge, f.tensors, f.metadata);
    Trainer v(cfg, train_data(cfg), make_models(cfg));
    const std::string expected = std::string("'") + key + "' is 9223372036854775808";
    CHECK_THROWS_WITH_AS(v.load(huge), doctest::Contains(expected.c_str()), dg::Error);
    f.metadata[key] = "9223372036854775807";  // 2^63 - 1 still loads
    save_safetensors(huge, f.tensors, f.metadata);
    CHECK_NOTHROW(v.load(huge));
  }

  // A checkpoint of another architecture names the mismatching tensor.
  TrainConfig wide = cfg;
  wide.hidden = 48;
  Trainer w(wide, train_data(wide), make_models(wide));
  CHECK_THROWS_AS(w.load(good), dg::Error);
}

TEST_CASE("gan2d: TrainConfig::validate names the field") {
  // The message before the source location must say which field is wrong.
  auto rejects = [](TrainConfig c, const std::string& field) {
    CAPTURE(field);
    try {
      c.validate();
      FAIL_CHECK("accepted");
    } catch (const dg::Error& e) {
      const std::string what = e.what();
      std::string head = what.substr(0, what.find(" (hint: "));
      head = head.substr(0, head.rfind(" ["));
      CAPTURE(what);
      CHECK(head.find(field) != std::string::npos);
    }
  };
  TrainConfig ok;
  CHECK_NOTHROW(ok.validate());
  TrainConfig c = ok;
  c.batch = 0;
  rejects(c, "batch");
  c = ok;
  c.batch = -3;
  rejects(c, "batch");
  c = ok;
  c.steps = 0;
  rejects(c, "steps");
  c = ok;
  c.lr_g = -1e-4;
  rejects(c, "lr_g");
  c = ok;
  c.lr_d = -1e-4;
  rejects(c, "lr_d");
  c = ok;
  c.lr_g = NAN;
  rejects(c, "lr_g");
  c = ok;
  c.beta1 = 1.0;
  rejects(c, "beta1");
  c = ok;
  c.beta2 = -0.1;
  rejects(c, "beta2");
  c = ok;
  c.latent = 0;
  rejects(c, "latent");
  c = ok;
  c.hidden = 0;
  rejects(c, "hidden");
  c = ok;
  c.lambda = 0.3;  // with reg none
  rejects(c, "lambda");
  CHECK_THROWS_WITH_AS(parse_dataset("mnist"), doctest::Contains("dataset 'mnist'"), dg::Error);
  // The trainer and model factory validate too.
  c = ok;
  c.batch = 0;
  CHECK_THROWS_WITH_AS(make_models(c), doctest::Contains("batch"), dg::Error);
}

TEST_CASE("gan2d: the generator conditioned at every layer") {
  test::TempDir dir("gan2d_every_layer");
  TrainConfig cfg = small_config(Regularizer::SDI);
  cfg.latent = 1;
  cfg.condition_every_layer = true;
  Models m = make_models(cfg);
  // Each Linear after the first takes the 10 conditions besides its input.
  std::map<std::string, std::vector<int64_t>> shapes;
  for (auto [name, t] : m.g->named_parameters()) shapes[name] = t.shape();
  CHECK(shapes.at("net.0.weight") == std::vector<int64_t>{32, 1 + 10});
  CHECK(shapes.at("net.2.weight") == std::vector<int64_t>{32, 32 + 10});
  CHECK(shapes.at("net.4.weight") == std::vector<int64_t>{32, 32 + 10});
  CHECK(shapes.at("net.6.weight") == std::vector<int64_t>{2, 32 + 10});
  // The condition reaches the output through the later layers alone: with the first layer's
  // condition columns zeroed, changing the class still changes the point.
  const auto params = m.g->named_parameters();
  REQUIRE(params.front().first == "net.0.weight");
  Tensor w0 = params.front().second;  // a handle: copy_ writes the module's parameter
  std::vector<double> w = w0.to_vector();
  for (int64_t r = 0; r < 32; ++r)
    for (int64_t k = 1; k < 11; ++k) w[r * 11 + k] = 0;
  w0.copy_(Tensor::from_vector(w, w0.shape()));
  const Tensor z = Tensor::from_vector({0.3}, {1, 1});
  std::vector<double> c(10, 0.0);
  c[0] = 1;
  const std::vector<double> a = m.g->generate(z, Tensor::from_vector(c, {1, 10})).to_vector();
  c[0] = 0, c[4] = 1;
  const std::vector<double> b = m.g->generate(z, Tensor::from_vector(c, {1, 10})).to_vector();
  CHECK(a != b);

  // It trains, and a checkpoint brings the option and the weights back.
  Trainer t(cfg, train_data(cfg), make_models(cfg));
  for (int i = 0; i < 3; ++i) CHECK(std::isfinite(t.step().loss_g_adv));
  t.save(dir.file("e.safetensors"));
  const TrainConfig back = read_checkpoint_config(dir.file("e.safetensors"));
  CHECK(back.condition_every_layer);
  CHECK(back.to_json() == cfg.to_json());
  Trainer u(back, train_data(back), make_models(back));
  u.load(dir.file("e.safetensors"));
  CHECK(test::model_state(u.models()) == test::model_state(t.models()));

  // A ZDC config refuses it (its networks are fixed).
  TrainConfig zdc;
  zdc.dataset = Dataset::Zdc;
  zdc.latent = kZdcLatent;
  zdc.condition_every_layer = true;
  CHECK_THROWS_WITH(zdc.validate(), doctest::Contains("--condition-every-layer"));
}
