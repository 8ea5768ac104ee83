// Paper 004's discriminator tips (docs/design.md#auxiliary-regression, #soft-sparsity): parsing
// of the per-attribute weights, the config round trip and refusals, the networks they build (and
// that without them D is the original one), the sparsity feature and the auxiliary loss against
// hand computations and in gradient checks, training and bit-exact resume with every option on,
// and the evaluation of the head.
// Run: build/dg_tests -tc="d tips*"
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "base/error.h"
#include "gan/aux_regression.h"
#include "gan/models_zdc.h"
#include "gan/trainer.h"
#include "tests/gradcheck.h"
#include "tests/test_support.h"

using namespace dg;
using namespace dg::gan;

namespace {

std::shared_ptr<data::ZdcDataset> small_zdc() {
  static std::shared_ptr<data::ZdcDataset> ds = test::simulated_zdc_train(30);
  return ds;
}

TrainConfig tips_config(Regularizer reg = Regularizer::DivBal) {
  TrainConfig c;
  c.dataset = Dataset::Zdc;
  c.latent = kZdcLatent;
  c.reg = reg;
  c.batch = 6;
  c.seed = 11;
  c.aux_weights = parse_aux_weights("0.5,energy=1");
  c.soft_sparsity = true;
  c.sparsity_alpha = 3;
  c.sparsity_beta = 1.5;
  c.minibatch_kernels = 5;
  c.label_flip = 0.1;
  c.label_smoothing = 0.1;
  return c;
}

std::vector<std::string> names(const nn::Module& m) {
  std::vector<std::string> out;
  for (auto& [n, t] : m.named_parameters()) out.push_back(n + " " + shape_str(t.shape()));
  return out;
}

}  // namespace

TEST_CASE("d tips: --aux-regression weights parse, name by name or all at once") {
  const auto all = parse_aux_weights("1");
  for (double w : all) CHECK(w == 1.0);
  const auto mixed = parse_aux_weights("0.5,energy=2,PX=0");
  CHECK(mixed[0] == 2.0);
  CHECK(mixed[4] == 0.0);
  CHECK(mixed[1] == 0.5);
  CHECK(mixed[8] == 0.5);
  const auto some = parse_aux_weights("Mass=0.25,charge=3");
  CHECK(some[7] == 0.25);
  CHECK(some[8] == 3.0);
  CHECK(some[0] == 0.0);
  struct Bad {
    const char* spec;
    const char* says;
  };
  for (const Bad& b : {Bad{"spin=1", "unknown attribute 'spin'"},
                       Bad{"energy=-1", "must be a finite number >= 0, got '-1'"},
                       Bad{"-0.5", "must be a finite number >= 0"}, Bad{"energy=", "got ''"},
                       Bad{"energy=1x", "got '1x'"}, Bad{"", "empty item"},
                       Bad{"1,,energy=2", "empty item"}, Bad{"1,2", "more than one bare weight"},
                       Bad{"energy=1,ENERGY=2", "'energy' given twice"}, Bad{"nan", "finite"}}) {
    CAPTURE(b.spec);
    CHECK_THROWS_WITH_AS(parse_aux_weights(b.spec), doctest::Contains(b.says), dg::Error);
  }
}

TEST_CASE("d tips: recorded in the config, and bad values refused by name") {
  const TrainConfig c = tips_config();
  const TrainConfig back = TrainConfig::from_json(c.to_json());
  CHECK(back.aux_weights == c.aux_weights);
  CHECK(back.soft_sparsity);
  CHECK(back.sparsity_alpha == 3);
  CHECK(back.sparsity_beta == 1.5);
  CHECK(back.minibatch_kernels == 5);
  // A config from before the tips: all off.
  nlohmann::json j = c.to_json();
  for (const char* k :
       {"aux_regression", "soft_sparsity", "sparsity_alpha", "sparsity_beta", "minibatch_kernels"})
    j.erase(k);
  const TrainConfig old = TrainConfig::from_json(j);
  CHECK_FALSE(old.aux_regression());
  CHECK_FALSE(old.soft_sparsity);

  auto refuses = [](TrainConfig t, const char* says) {
    CAPTURE(says);
    CHECK_THROWS_WITH_AS(t.validate(), doctest::Contains(says), dg::Error);
  };
  TrainConfig t = tips_config();
  t.sparsity_alpha = 0;
  refuses(t, "sparsity_alpha (--sparsity-alpha) must be a finite number > 0, got 0");
  t = tips_config();
  t.sparsity_beta = -1;
  refuses(t, "sparsity_beta (--sparsity-beta) must be a finite number > 0, got -1");
  t = tips_config();
  t.aux_weights[3] = -0.5;
  refuses(t, "the weight of Vz must be a finite number >= 0, got -0.5");
  t = tips_config();
  t.minibatch_kernels = 0;
  refuses(t, "minibatch_kernels (--minibatch-kernels) must lie in [1, 1024], got 0");
  t = tips_config();
  t.dataset = Dataset::Points2D;
  t.latent = 8;
  refuses(t, "are ZDC options");
  nlohmann::json bad = tips_config().to_json();
  bad["aux_regression"] = {1, 2};
  CHECK_THROWS_WITH_AS(TrainConfig::from_json(bad),
                       doctest::Contains("'aux_regression' must be an array of 9 numbers"),
                       dg::Error);
}

TEST_CASE("d tips: off, D is the original network; on, it gains the layers and outputs") {
  TrainConfig off = tips_config();
  off.aux_weights = {};
  off.soft_sparsity = false;
  Models a = make_models(off), b = make_models(off);
  Philox init(off.seed, 0);
  // The original discriminator, built directly after the generator draws its initialization.
  ZdcDcganGenerator g0(init, a.dropout_rng);
  ZdcDiscriminator d0(init, a.dropout_rng);
  CHECK(names(*a.d) == names(d0));
  // The original network, written out: a change to the tips-off layers cannot pass unnoticed.
  const std::vector<std::string> original = {"conv.0.weight (32, 1, 3, 3)",  "conv.0.bias (32,)",
                                             "conv.1.weight (32,)",          "conv.1.bias (32,)",
                                             "conv.5.weight (16, 32, 3, 3)", "conv.5.bias (16,)",
                                             "conv.6.weight (16,)",          "conv.6.bias (16,)",
                                             "dense.0.weight (128, 1305)",   "dense.0.bias (128,)",
                                             "dense.1.weight (128,)",        "dense.1.bias (128,)",
                                             "dense.4.weight (64, 128)",     "dense.4.bias (64,)",
                                             "dense.5.weight (64,)",         "dense.5.bias (64,)",
                                             "head.weight (1, 64)",          "head.bias (1,)"};
  std::string got;
  for (const auto& n : names(*a.d)) got += n + "; ";
  INFO("tips-off discriminator parameters: " << got);
  CHECK(names(*a.d) == original);
  CHECK(test::model_state(a) == test::model_state(b));
  const auto pa = a.d->named_parameters(), p0 = d0.named_parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    CHECK(pa[i].second.to_vector() == p0[i].second.to_vector());

  Models on = make_models(tips_config());
  const std::vector<std::string> n_on = names(*on.d);
  auto has = [&](const std::string& s) {
    for (const auto& n : n_on)
      if (n == s) return true;
    return false;
  };
  CHECK(has("dense.0.weight (128, " + std::to_string(16 * 81 + 9 + 1 + 5) + ")"));
  CHECK(has("minibatch.weight (1, 5)"));
  CHECK(has("aux.0.weight (64, 1296)"));
  CHECK(has("aux.2.weight (9, 64)"));
  const data::Batch all = small_zdc()->all_samples();
  const DiscriminatorOutput o = on.d->discriminate(narrow(all.x, 0, 4), narrow(all.c, 0, 4));
  CHECK(o.logit.shape() == Shape{4, 1});
  CHECK(o.features.shape() == Shape{4, 64});
  CHECK(o.aux.shape() == Shape{4, 9});
  CHECK_FALSE(a.d->discriminate(narrow(all.x, 0, 4), narrow(all.c, 0, 4)).aux.defined());
}

TEST_CASE("d tips: the sparsity feature is log(mean soft occupancy + 1e-3) of the counts / 0.5") {
  ZdcDiscriminatorTips tips;
  tips.sparsity = true;
  tips.alpha = 2.5;
  tips.beta = 1.5;
  Philox init(1, 0);
  ZdcDiscriminator d(init, std::make_shared<Philox>(2, 0), ZdcOptions{}, tips);
  // Image 0 empty; image 1 one fibre with 1 photon and one with 3; image 2 every fibre lit (7).
  std::vector<double> v(3 * 1936, 0.0);
  v[1936 + 5] = std::log1p(1.0);
  v[1936 + 900] = std::log1p(3.0);
  for (int p = 0; p < 1936; ++p) v[2 * 1936 + p] = std::log1p(7.0);
  const std::vector<double> f =
      d.sparsity_feature(Tensor::from_vector(v, {3, 1, 44, 44}, DType::F64)).to_vector();
  auto s = [](double count) {  // Eq. 1 on u = count / 0.5, numerator without u^-beta
    const double u = count / 0.5, a = std::pow(u, 2.5);
    return a / (a + std::pow(u, -1.5) + 1.0);
  };
  CHECK(f[0] == doctest::Approx(std::log(1e-3)));
  CHECK(f[1] == doctest::Approx(std::log((s(1.0) + s(3.0)) / 1936 + 1e-3)));
  CHECK(f[2] == doctest::Approx(std::log(s(7.0) + 1e-3)));

  // The whole chain (clamp, expm1, scale, soft occupancy, row mean, log) in a gradient check,
  // log1p values off the clamp's kinks at 0 and 20.
  test::gradcheck([&](const std::vector<Tensor>& x) { return d.sparsity_feature(x[0]); },
                  {test::rand_uniform({3, 1, 5, 4}, 0.05, 3.0, 41)});
}

TEST_CASE("d tips: the auxiliary loss is sum_i w_i mean_b (pred - c)^2, and its gradients") {
  Tensor pred = Tensor::from_vector({1, 2, 0, 4}, {2, 2}, DType::F64);
  Tensor c = Tensor::from_vector({0, 2, 1, 1}, {2, 2}, DType::F64);
  Tensor w = Tensor::from_vector({2, 0.5}, {1, 2}, DType::F64);
  // attribute 0: (1 + 1) / 2 = 1, weight 2; attribute 1: (0 + 9) / 2 = 4.5, weight 0.5.
  CHECK(aux_regression_loss(pred, c, w).item() == doctest::Approx(2 * 1 + 0.5 * 4.5));
  test::gradcheck(
      [](const std::vector<Tensor>& x) { return aux_regression_loss(x[0], x[1], x[2]); },
      {test::rand_uniform({5, 9}, -2, 2, 42), test::rand_uniform({5, 9}, -2, 2, 43),
       test::rand_uniform({1, 9}, 0, 2, 44)},
      1e-6, 1e-7, 1e-5, {true, true, false});
  CHECK_THROWS_WITH_AS(aux_regression_loss(pred, c, Tensor::zeros({1, 3}, DType::F64)),
                       doctest::Contains("w (1, C)"), dg::Error);
}

TEST_CASE("d tips: training with every option on, and resume bit for bit") {
  test::TempDir dir("d_tips_resume");
  const TrainConfig cfg = tips_config();
  const std::string path = dir.file("tips.safetensors");
  Trainer a(cfg, small_zdc(), make_models(cfg));
  for (int i = 0; i < 3; ++i) {
    const StepStats s = a.step();
    CHECK(std::isfinite(s.loss_d));
    CHECK(s.loss_aux > 0);
    CHECK(s.loss_div != 0);
  }
  a.save(path);
  while (a.steps_done() < 6) a.step();

  const TrainConfig saved = read_checkpoint_config(path);
  CHECK(saved.aux_weights == cfg.aux_weights);
  CHECK(saved.soft_sparsity);
  Trainer b(saved, small_zdc(), make_models(saved));
  b.load(path);
  while (b.steps_done() < 6) b.step();
  CHECK(test::model_state(a.models()) == test::model_state(b.models()));
  const StepStats x = a.step(), y = b.step();
  CHECK(x.loss_d == y.loss_d);
  CHECK(x.loss_aux == y.loss_aux);

  // The auxiliary loss trains D's head: on a fixed batch it falls.
  TrainConfig only_aux = tips_config(Regularizer::None);
  only_aux.soft_sparsity = false;
  only_aux.label_flip = only_aux.label_smoothing = 0;
  only_aux.aux_weights = parse_aux_weights("1");
  only_aux.lr_d = 2e-3;
  Trainer t(only_aux, small_zdc(), make_models(only_aux));
  double first = 0, last = 0;
  for (int i = 0; i < 40; ++i) {
    const double l = t.step().loss_aux;
    if (i < 5) first += l;
    if (i >= 35) last += l;
  }
  CHECK(last < 0.8 * first);
}

TEST_CASE("d tips: evaluation of the head on the test split") {
  const TrainConfig cfg = tips_config();
  Models m = make_models(cfg);
  const AuxRegressionEval e = evaluate_aux_head(*m.d, *m.g, *small_zdc(), 5, 7);
  CHECK(e.n == small_zdc()->size());
  for (int i = 0; i < 9; ++i) {
    CHECK(std::isfinite(e.rmse_real[i]));
    CHECK(e.rmse_real[i] > 0);
    CHECK(std::isfinite(e.rmse_generated[i]));
  }
  CHECK(m.d->is_training());  // modes restored
  // The same real-shower figures for another batch size (rows are independent in eval mode).
  const AuxRegressionEval f = evaluate_aux_head(*m.d, *m.g, *small_zdc(), 5, 4);
  for (int i = 0; i < 9; ++i)
    CHECK(f.rmse_real[i] == doctest::Approx(e.rmse_real[i]).epsilon(1e-5));
  const nlohmann::json j = e.to_json();
  CHECK(j.at("rmse_real").contains("Energy"));
  TrainConfig plain = tips_config();
  plain.aux_weights = {};
  Models p = make_models(plain);
  CHECK_THROWS_WITH_AS(evaluate_aux_head(*p.d, *p.g, *small_zdc(), 5),
                       doctest::Contains("no auxiliary head"), dg::Error);
}
