// TrainConfig validation and JSON round trip.
#include "gan/config.h"

#include <cstdint>
#include <limits>
#include <string>

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
  DG_CHECK(latent > 0 && hidden > 0, "latent and hidden sizes must be > 0");
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
                      {"eval_every", eval_every},
                      {"keep_best", keep_best},
                      {"label_flip", label_flip},
                      {"label_smoothing", label_smoothing}};
  if (dataset == Dataset::Points2D) {
    j["hidden"] = hidden;
    j["per_condition"] = per_condition;
  } else {
    j["generator"] = generator_arch_name(generator);
    j["responses"] = responses;
    j["particles"] = particles;
    j["sim_particles"] = sim_particles;
    j["data_seed"] = data_seed;
    j["split"] = split_kind_name(split);
    j["eval_regenerations"] = eval_regenerations;
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
  } catch (const nlohmann::json::exception& e) {
    DG_FAIL("training config: " << e.what());
  }
  return c;
}

}  // namespace dg::gan
