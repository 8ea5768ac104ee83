// TrainConfig validation and JSON round trip.
#include "gan/config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "datasets/zdc_dataset.h"
#include "gan/models_zdc.h"

namespace dg::gan {

Dataset parse_dataset(const std::string& s) {
  if (s == "2d") return Dataset::Points2D;
  if (s == "zdc") return Dataset::Zdc;
  DG_FAIL("dataset '" << s << "' is not supported (expected: 2d or zdc)");
}

const char* dataset_name(Dataset d) { return d == Dataset::Zdc ? "zdc" : "2d"; }

GeneratorArch parse_generator_arch(const std::string& s) {
  if (s == "original") return GeneratorArch::Original;
  if (s == "dcgan") return GeneratorArch::Dcgan;
  DG_FAIL("generator '" << s << "' is not supported (expected: original or dcgan)");
}

const char* generator_arch_name(GeneratorArch g) {
  return g == GeneratorArch::Dcgan ? "dcgan" : "original";
}

SplitKind parse_split_kind(const std::string& s) {
  if (s == "row") return SplitKind::Row;
  if (s == "particle") return SplitKind::Particle;
  DG_FAIL("split '" << s << "' is not supported (expected: row or particle)");
}

const char* split_kind_name(SplitKind k) { return k == SplitKind::Particle ? "particle" : "row"; }

std::array<double, 9> parse_aux_weights(const std::string& spec) {
  static_assert(data::kZdcCondDim == 9);
  std::array<double, 9> w{};
  std::array<bool, 9> named{};
  double rest = 0;
  bool have_rest = false;
  auto number = [&](const std::string& text, const std::string& item) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    DG_CHECK(used == text.size() && used > 0 && std::isfinite(v) && v >= 0,
             "--aux-regression: '" << item << "': the weight must be a finite number >= 0, got '"
                                   << text << "'");
    return v;
  };
  size_t start = 0;
  while (start <= spec.size()) {
    const size_t end = std::min(spec.find(',', start), spec.size());
    const std::string item = spec.substr(start, end - start);
    DG_CHECK(!item.empty(), "--aux-regression '" << spec << "': empty item (expected weight or "
                                                 << "name=weight, comma-separated)");
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      DG_CHECK(!have_rest, "--aux-regression '" << spec << "': more than one bare weight");
      rest = number(item, item);
      have_rest = true;
    } else {
      std::string name = item.substr(0, eq);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      int at = -1;
      for (int i = 0; i < 9; ++i) {
        std::string known = data::kZdcAttributeNames[i];
        std::transform(known.begin(), known.end(), known.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (known == name) at = i;
      }
      DG_CHECK(at >= 0, "--aux-regression: unknown attribute '"
                            << item.substr(0, eq)
                            << "' (expected energy, vx, vy, vz, px, py, pz, mass or charge)");
      DG_CHECK(!named[at], "--aux-regression '" << spec << "': '" << name << "' given twice");
      w[at] = number(item.substr(eq + 1), item);
      named[at] = true;
    }
    start = end + 1;
  }
  for (int i = 0; i < 9; ++i)
    if (!named[i]) w[i] = rest;
  return w;
}

void apply_tip_preset(const std::string& tip, TrainConfig& cfg) {
  DG_CHECK(tip == "aux" || tip == "sparsity" || tip == "labels" || tip == "all",
           "unknown tip '" << tip << "' (expected aux, sparsity, labels or all)");
  if (tip == "aux" || tip == "all") cfg.aux_weights.fill(0.1);
  if (tip == "sparsity" || tip == "all") cfg.soft_sparsity = true;
  if (tip == "labels" || tip == "all") {
    cfg.label_flip = 0.05;
    cfg.label_smoothing = 0.1;
  }
}

bool TrainConfig::aux_regression() const {
  return std::any_of(aux_weights.begin(), aux_weights.end(), [](double v) { return v != 0; });
}

void TrainConfig::validate() const {
  DG_CHECK(responses.empty() == particles.empty(),
           "ZDC data needs both a responses and a particles file (or neither, for the built-in "
           "simulator)");
  DG_CHECK(precision != MatmulPrecision::BF16,
           "precision 'bf16' is not supported for training (expected: fp32 or tf32; bf16 is a "
           "generation mode: divgan generate --precision bf16)");
  DG_CHECK(dataset != Dataset::Zdc || latent == kZdcLatent,
           "the ZDC networks take a " << kZdcLatent << "-d latent; got latent " << latent);
  DG_CHECK(sim_particles >= 10, "sim_particles must be >= 10, got " << sim_particles);
  DG_CHECK(eval_every >= 0, "eval_every must be >= 0, got " << eval_every);
  DG_CHECK(eval_regenerations > 0, "eval_regenerations must be > 0, got " << eval_regenerations);
  DG_CHECK(!keep_best || eval_every > 0,
           "--keep-best needs periodic evaluations to choose from: set --eval-every > 0");
  DG_CHECK(lambda < 0 || reg != Regularizer::None || lambda == 0,
           "lambda " << lambda << " given without a regularizer (use --reg)");
  DG_CHECK(steps > 0, "steps must be > 0, got " << steps);
  DG_CHECK(batch > 0, "batch must be > 0, got " << batch);
  DG_CHECK(lr_g > 0, "lr_g must be > 0, got " << lr_g);
  DG_CHECK(lr_d > 0, "lr_d must be > 0, got " << lr_d);
  DG_CHECK(beta1 >= 0 && beta1 < 1, "beta1 must lie in [0, 1), got " << beta1);
  DG_CHECK(beta2 >= 0 && beta2 < 1, "beta2 must lie in [0, 1), got " << beta2);
  DG_CHECK(adam_eps > 0, "Adam eps must be > 0");
  DG_CHECK(label_flip >= 0 && label_flip < 1,
           "label_flip (--label-flip) must lie in [0, 1), got " << label_flip);
  DG_CHECK(label_smoothing >= 0 && label_smoothing < 1,
           "label_smoothing (--label-smoothing) must lie in [0, 1), got " << label_smoothing);
  for (int i = 0; i < 9; ++i)
    DG_CHECK(std::isfinite(aux_weights[i]) && aux_weights[i] >= 0,
             "aux_regression (--aux-regression): the weight of "
                 << data::kZdcAttributeNames[i] << " must be a finite number >= 0, got "
                 << aux_weights[i]);
  DG_CHECK(sparsity_alpha > 0 && std::isfinite(sparsity_alpha),
           "sparsity_alpha (--sparsity-alpha) must be a finite number > 0, got " << sparsity_alpha);
  DG_CHECK(sparsity_beta > 0 && std::isfinite(sparsity_beta),
           "sparsity_beta (--sparsity-beta) must be a finite number > 0, got " << sparsity_beta);
  DG_CHECK(
      minibatch_kernels >= 1 && minibatch_kernels <= 1024,
      "minibatch_kernels (--minibatch-kernels) must lie in [1, 1024], got " << minibatch_kernels);
  DG_CHECK(dataset == Dataset::Zdc || (!aux_regression() && !soft_sparsity),
           "--aux-regression and --soft-sparsity are ZDC options (the 2D benchmark has neither "
           "images nor physical attributes)");
  DG_CHECK(latent > 0 && hidden > 0, "latent and hidden sizes must be > 0");
  DG_CHECK(dataset == Dataset::Points2D || !condition_every_layer,
           "--condition-every-layer is a 2D-benchmark option (the ZDC networks are fixed)");
  DG_CHECK(per_condition > 1, "per_condition must be > 1, got " << per_condition);
  DG_CHECK(checkpoint_every > 0 && log_every > 0, "checkpoint/log intervals must be > 0");
  DG_CHECK(reg_opt.divco_negatives > 0 && reg_opt.divco_tau > 0, "DivCo K and tau must be > 0");
}

nlohmann::json TrainConfig::to_json() const {
  nlohmann::json j = {{"dataset", dataset_name(dataset)},
                      {"reg", regularizer_name(reg)},
                      {"lambda", effective_lambda()},
                      {"steps", steps},
                      {"batch", batch},
                      {"seed", seed},
                      {"lr_g", lr_g},
                      {"lr_d", lr_d},
                      {"beta1", beta1},
                      {"beta2", beta2},
                      {"adam_eps", adam_eps},
                      {"latent", latent},
                      {"checkpoint_every", checkpoint_every},
                      {"log_every", log_every},
                      {"ds_tau", reg_opt.ds_tau},
                      {"divco_negatives", reg_opt.divco_negatives},
                      {"divco_tau", reg_opt.divco_tau},
                      {"divco_radius", reg_opt.divco_radius},
                      {"eps", reg_opt.eps},
                      {"precision", matmul_precision_name(precision)},
                      {"graph", graph},
                      {"sync_batch_norm", sync_batch_norm},
                      {"eval_every", eval_every},
                      {"keep_best", keep_best},
                      {"label_flip", label_flip},
                      {"label_smoothing", label_smoothing}};
  if (dataset == Dataset::Points2D) {
    j["hidden"] = hidden;
    j["per_condition"] = per_condition;
    j["condition_every_layer"] = condition_every_layer;
  } else {
    j["generator"] = generator_arch_name(generator);
    j["responses"] = responses;
    j["particles"] = particles;
    j["sim_particles"] = sim_particles;
    j["data_seed"] = data_seed;
    j["split"] = split_kind_name(split);
    j["eval_regenerations"] = eval_regenerations;
    j["aux_regression"] = aux_weights;
    j["soft_sparsity"] = soft_sparsity;
    j["sparsity_alpha"] = sparsity_alpha;
    j["sparsity_beta"] = sparsity_beta;
    j["minibatch_kernels"] = minibatch_kernels;
  }
  return j;
}

namespace {

using json = nlohmann::json;

// A JSON value for an error message: a number or string as written, an array or object by its
// type only (dumping a deeply nested one would recurse once per level).
std::string describe(const json& v) {
  return v.is_array() || v.is_object() ? std::string("an ") + v.type_name() : v.dump();
}

// Integer fields must be JSON integers in the field's range: get<int64_t>() would also take 2.5
// (truncating it) or 1e300 (undefined behaviour), and get<uint64_t>() would wrap -1.
int64_t int_field(const json& j, const char* key) {
  const json& v = j.at(key);
  DG_CHECK(v.is_number_integer() &&
               (!v.is_number_unsigned() ||
                v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())),
           "training config: '" << key << "' must be an integer, got " << describe(v));
  return v.get<int64_t>();
}

uint64_t uint_field(const json& j, const char* key) {
  const json& v = j.at(key);
  DG_CHECK(v.is_number_unsigned(),
           "training config: '" << key << "' must be a non-negative integer, got " << describe(v));
  return v.get<uint64_t>();
}

// Fields of one data set, or added later: absent keeps the default.
int64_t int_field(const json& j, const char* key, int64_t absent) {
  return j.contains(key) ? int_field(j, key) : absent;
}

uint64_t uint_field(const json& j, const char* key, uint64_t absent) {
  return j.contains(key) ? uint_field(j, key) : absent;
}

}  // namespace

TrainConfig TrainConfig::from_json(const nlohmann::json& j) {
  TrainConfig c;
  try {
    c.dataset = parse_dataset(j.at("dataset").get<std::string>());
    c.reg = parse_regularizer(j.at("reg").get<std::string>());
    c.lambda = j.at("lambda").get<double>();
    c.steps = int_field(j, "steps");
    c.batch = int_field(j, "batch");
    c.seed = uint_field(j, "seed");
    c.lr_g = j.at("lr_g").get<double>();
    c.lr_d = j.at("lr_d").get<double>();
    c.beta1 = j.at("beta1").get<double>();
    c.beta2 = j.at("beta2").get<double>();
    c.adam_eps = j.at("adam_eps").get<double>();
    c.latent = int_field(j, "latent");
    c.hidden = int_field(j, "hidden", c.hidden);
    c.per_condition = int_field(j, "per_condition", c.per_condition);
    c.condition_every_layer = j.value("condition_every_layer", false);
    c.checkpoint_every = int_field(j, "checkpoint_every");
    c.log_every = int_field(j, "log_every");
    c.reg_opt.ds_tau = j.at("ds_tau").get<double>();
    c.reg_opt.divco_negatives = int_field(j, "divco_negatives");
    c.reg_opt.divco_tau = j.at("divco_tau").get<double>();
    c.reg_opt.divco_radius = j.at("divco_radius").get<double>();
    c.reg_opt.eps = j.at("eps").get<double>();
    // Fields of one data set, or added later: absent keeps the default.
    c.generator = c.dataset == Dataset::Zdc && !j.contains("generator")
                      ? GeneratorArch::Original  // recorded since dcgan exists; before, original
                      : parse_generator_arch(j.value("generator", "dcgan"));
    if (j.contains("precision"))
      c.precision = parse_matmul_precision(j.at("precision").get<std::string>());
    c.graph = j.value("graph", c.graph);
    c.sync_batch_norm = j.value("sync_batch_norm", c.sync_batch_norm);
    c.responses = j.value("responses", c.responses);
    c.particles = j.value("particles", c.particles);
    c.sim_particles = int_field(j, "sim_particles", c.sim_particles);
    c.data_seed = uint_field(j, "data_seed", c.data_seed);
    c.eval_every = int_field(j, "eval_every", c.eval_every);
    c.eval_regenerations = int_field(j, "eval_regenerations", c.eval_regenerations);
    c.split = parse_split_kind(j.value("split", "row"));
    c.keep_best = j.value("keep_best", c.keep_best);
    c.label_flip = j.value("label_flip", c.label_flip);
    c.label_smoothing = j.value("label_smoothing", c.label_smoothing);
    if (j.contains("aux_regression")) {
      const json& w = j.at("aux_regression");
      DG_CHECK(
          w.is_array() && w.size() == 9,
          "training config: 'aux_regression' must be an array of 9 numbers, got " << describe(w));
      for (int i = 0; i < 9; ++i) c.aux_weights[i] = w.at(i).get<double>();
    }
    c.soft_sparsity = j.value("soft_sparsity", c.soft_sparsity);
    c.sparsity_alpha = j.value("sparsity_alpha", c.sparsity_alpha);
    c.sparsity_beta = j.value("sparsity_beta", c.sparsity_beta);
    c.minibatch_kernels = int_field(j, "minibatch_kernels", c.minibatch_kernels);
  } catch (const nlohmann::json::exception& e) {
    DG_FAIL("training config: " << e.what());
  }
  return c;
}

}  // namespace dg::gan
