// One ZDC run: data, models, training with periodic evaluation, checkpoints, final evaluation;
// evaluation and generation from a checkpoint.
#include "tools/run_zdc.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "datasets/zdc_simulator.h"
#include "engine/autograd.h"
#include "engine/checkpoint.h"
#include "gan/trainer.h"
#include "tools/format.h"
#include "tools/run.h"
#include "tools/train_loop.h"

namespace dg::tools {

namespace {

const char* kStandardizerKey = "zdc.standardizer";

// The final evaluation's protocol (same groups, same latents) with cfg.eval_regenerations (by
// default the final 5), so the last point of a curve and the final figure compare.
gan::ZdcEvalOptions periodic_eval_options(const gan::TrainConfig& cfg) {
  gan::ZdcEvalOptions o = final_eval_options(cfg.seed);
  o.regenerations = static_cast<int>(cfg.eval_regenerations);
  return o;
}

// The validation half's own latents, so its figures are not the test figures' draws in disguise.
uint64_t validation_seed(uint64_t seed) { return seed + 1000; }

gan::ZdcEval evaluate(gan::ConditionalGenerator& g, const ZdcData& d,
                      const gan::ZdcEvalOptions& opt) {
  return gan::evaluate_zdc(g, *d.test, opt, d.train.get());
}

std::string summary(const nlohmann::json& line) {
  const nlohmann::json& ev = line.at("eval");
  char b[200];
  int n = std::snprintf(b, sizeof b, "test WS mean %.3f, diversity error %.3f, non-finite %lld",
                        json_figure(ev, "ws_mean"), json_figure(ev, "diversity_error"),
                        static_cast<long long>(ev.value("nonfinite_generated", 0)));
  if (line.contains("validation") && n > 0 && n < static_cast<int>(sizeof b))
    std::snprintf(b + n, sizeof b - n, "; validation WS mean %.3f",
                  json_figure(line["validation"], "ws_mean"));
  return b;
}

int64_t buffer_count(const nn::Module& m) {
  int64_t n = 0;
  for (const auto& [name, t] : m.named_buffers()) n += t.numel();
  return n;
}

// Trainable parameters and BN running statistics of both networks (Keras's "Total params" counts
// both, which is how the original generator's 5.87M is usually quoted).
nlohmann::json parameter_counts(const gan::Models& m, const gan::TrainConfig& cfg) {
  return {{"generator", gan::generator_arch_name(cfg.generator)},
          {"generator_trainable", m.g->num_parameters()},
          {"generator_bn_statistics", buffer_count(*m.g)},
          {"discriminator_trainable", m.d->num_parameters()},
          {"discriminator_bn_statistics", buffer_count(*m.d)}};
}

}  // namespace

nlohmann::json ZdcData::describe() const {
  nlohmann::json j = {{"source", source},
                      {"samples", raw.n},
                      {"train", train->size()},
                      {"test", test->size()},
                      {"train_groups", train->groups().members.size()},
                      {"standardizer", standardizer.to_json()}};
  if (validation) j["validation"] = validation->size();
  return j;
}

ZdcData load_zdc_data(const gan::TrainConfig& cfg, bool holdout_validation) {
  ZdcData d;
  if (cfg.responses.empty()) {
    data::ZdcSimConfig sc;
    sc.seed = cfg.data_seed;
    sc.particles = cfg.sim_particles;
    data::ZdcSample s = data::simulate_zdc(sc);
    d.raw.n = s.n;
    d.raw.responses = std::move(s.responses);
    d.raw.particles = std::move(s.particles);
    d.source = "simulator (seed " + std::to_string(cfg.data_seed) + ", " +
               std::to_string(cfg.sim_particles) + " particles)";
  } else {
    d.raw = data::load_zdc(cfg.responses, cfg.particles);
    d.source = cfg.responses + " + " + cfg.particles;
  }
  const data::ZdcSplit split =
      cfg.split == gan::SplitKind::Particle
          ? data::split_by_particle(d.raw.particles, d.raw.n, cfg.data_seed)
          : data::split_80_20(d.raw.n, cfg.data_seed);
  DG_CHECK(split.test.size() > 0,
           d.source << ": " << d.raw.n << " samples leave no test split; expected >= 5");
  DG_CHECK(split.train.size() > 0,
           d.source << ": the particle split leaves no training rows (all " << d.raw.n
                    << " rows are repeats of one particle); --split particle needs at least 2 "
                       "distinct particles, and many more to mean anything");
  d.standardizer.fit(d.raw.particles, split.train);
  d.train = std::make_shared<data::ZdcDataset>(d.raw, split.train, d.standardizer);
  if (!holdout_validation) {
    d.test = std::make_shared<data::ZdcDataset>(d.raw, split.test, d.standardizer);
    return d;
  }
  const int64_t n_test = static_cast<int64_t>(split.test.size());
  DG_CHECK(n_test >= 2,
           d.source << ": a test split of " << n_test << " rows cannot be halved for validation");
  const auto [val, test] = data::halve_rows(d.raw.particles, split.test, cfg.data_seed,
                                            cfg.split == gan::SplitKind::Particle);
  DG_CHECK(!val.empty() && !test.empty(),
           d.source << ": the test split holds one particle; it cannot be halved for validation");
  d.validation = std::make_shared<data::ZdcDataset>(d.raw, val, d.standardizer);
  d.test = std::make_shared<data::ZdcDataset>(d.raw, test, d.standardizer);
  return d;
}

gan::ZdcEvalOptions final_eval_options(uint64_t seed) {
  gan::ZdcEvalOptions o;
  o.seed = seed;
  return o;
}

ZdcRunResult run_zdc(const gan::TrainConfig& cfg_in, const std::string& dir,
                     const RunRequest& request, bool progress, bool holdout_validation,
                     Device device) {
  const RunStart start = begin_run(cfg_in, dir, request);
  progress = progress && request.writes();  // rank 0 alone speaks for a data-parallel run
  const gan::TrainConfig& cfg = start.cfg;
  const bool resuming = start.resuming;
  const ZdcData d = load_zdc_data(cfg, holdout_validation || cfg.keep_best);
  ZdcRunResult r;
  RunParts parts;
  parts.train = d.train;
  parts.checkpoint_metadata = {{kStandardizerKey, d.standardizer.to_json().dump()}};
  parts.describe = [&](const gan::Models& models) {
    const nlohmann::json params = parameter_counts(models, cfg);
    if (progress)
      std::fprintf(stderr,
                   "%s: %zu train / %zu test samples; generator (%s) %lld trainable parameters + "
                   "%lld BN statistics, discriminator %lld + %lld\n",
                   d.source.c_str(), static_cast<size_t>(d.train->size()),
                   static_cast<size_t>(d.test->size()), gan::generator_arch_name(cfg.generator),
                   static_cast<long long>(params["generator_trainable"]),
                   static_cast<long long>(params["generator_bn_statistics"]),
                   static_cast<long long>(params["discriminator_trainable"]),
                   static_cast<long long>(params["discriminator_bn_statistics"]));
    return nlohmann::json{{"data", d.describe()}, {"parameters", params}};
  };
  parts.periodic_eval = [&](gan::ConditionalGenerator& g) {
    nlohmann::json line = {{"eval", evaluate(g, d, periodic_eval_options(cfg)).to_json()}};
    if (cfg.keep_best) {
      gan::ZdcEvalOptions o = periodic_eval_options(cfg);
      o.seed = validation_seed(cfg.seed);
      line["validation"] = gan::evaluate_zdc(g, *d.validation, o, d.train.get()).to_json();
    }
    return line;
  };
  parts.summarize = summary;
  parts.objective = [](const nlohmann::json& line) {
    return json_figure(line.at("validation"), "ws_mean");
  };
  parts.objective_name = "validation ws_mean";
  parts.final_eval = [&](gan::Models& m) {
    gan::ConditionalGenerator& g = *m.g;
    gan::ZdcEvalOptions o = final_eval_options(cfg.seed);
    o.progress = eval_progress(progress);
    r.test = evaluate(g, d, o);
    nlohmann::json ev = {{"data", d.describe()}, {"test", r.test.to_json()}};
    if (d.validation) {
      o.seed = validation_seed(cfg.seed);
      o.progress = eval_progress(progress);
      r.validation = gan::evaluate_zdc(g, *d.validation, o, d.train.get());
      ev["validation"] = r.validation.to_json();
    }
    if (cfg.aux_regression()) {
      r.aux = gan::evaluate_aux_head(*m.d, g, *d.test, cfg.seed);
      ev["aux_regression"] = r.aux->to_json();
    }
    return ev;
  };
  const RunOutcome o = run_training(cfg, dir, resuming, progress, device, parts, request);
  r.steps = o.steps;
  r.seconds = o.seconds;
  r.eval = o.eval;
  return r;
}

ZdcModel load_zdc_model(const std::string& checkpoint, Device device) {
  ZdcModel m;
  const SafetensorsFile f = load_safetensors(checkpoint);
  m.cfg = gan::checkpoint_config(f, checkpoint);
  DG_CHECK(m.cfg.dataset == gan::Dataset::Zdc, checkpoint << ": a '"
                                                          << gan::dataset_name(m.cfg.dataset)
                                                          << "' checkpoint; expected a ZDC model");
  m.step = static_cast<int64_t>(gan::checkpoint_metadata_u64(f, checkpoint, "step"));
  auto it = f.metadata.find(kStandardizerKey);
  DG_CHECK(it != f.metadata.end(),
           checkpoint << ": metadata lacks '" << kStandardizerKey
                      << "' (the condition standardization); expected a divgan ZDC checkpoint");
  try {
    m.standardizer = data::Standardizer::from_json(nlohmann::json::parse(it->second));
  } catch (const nlohmann::json::exception& e) {
    DG_FAIL(checkpoint << ": metadata '" << kStandardizerKey
                       << "' is not valid JSON: " << e.what());
  }
  gan::Models models = gan::make_models(m.cfg);
  nn::NamedTensors g_state = models.g->named_parameters();
  for (auto& b : models.g->named_buffers()) g_state.push_back(b);
  restore_tensors(f, g_state, "G.");
  m.g = models.g;
  m.g->to(device);
  m.g->eval();
  return m;
}

namespace {

// The global batches of a job, in order: (first row, rows).
std::vector<RowRange> job_batches(int64_t n, int64_t regenerations, int64_t batch) {
  std::vector<RowRange> v;
  for (int64_t r = 0; r < regenerations; ++r)
    for (int64_t s = 0; s < n; s += batch) v.push_back({r * n + s, r * n + std::min(s + batch, n)});
  return v;
}

std::pair<size_t, size_t> shard_batches(size_t batches, Shard s) {
  DG_CHECK(s.count >= 1 && s.index >= 0 && s.index < s.count,
           "shard " << s.index << "/" << s.count << ": needs 0 <= i < n");
  const auto c = static_cast<size_t>(s.count), i = static_cast<size_t>(s.index);
  return {i * batches / c, (i + 1) * batches / c};
}

}  // namespace

RowRange shard_rows(int64_t n, int64_t regenerations, int64_t batch, Shard s) {
  const std::vector<RowRange> all = job_batches(n, regenerations, batch);
  const auto [b0, b1] = shard_batches(all.size(), s);
  if (b0 == b1) return {0, 0};  // more shards than batches: this one has nothing to do
  return {all[b0].first, all[b1 - 1].last};
}

void generate_batches(ZdcModel& m, const std::vector<double>& raw_conditions, int64_t regenerations,
                      int64_t batch, uint64_t seed, const std::vector<double>* latents,
                      const GeneratedBatchSink& sink, Shard shard) {
  const int64_t n = static_cast<int64_t>(raw_conditions.size()) / data::kZdcCondDim;
  DG_CHECK(n > 0 && regenerations > 0 && batch > 0,
           "generate: nothing to generate (n = " << n << ")");
  DG_CHECK(
      !latents || static_cast<int64_t>(latents->size()) == regenerations * n * m.g->latent_dim(),
      "generate: " << latents->size() << " latent values for " << regenerations * n
                   << " showers of a " << m.g->latent_dim() << "-d latent");
  const std::vector<double> std_cond = m.standardizer.apply(raw_conditions);
  const uint64_t stream = 4ULL << 48;  // this job's part of the seed's counter space
  Philox rng(seed, stream);
  NoGradGuard ng;
  m.g->eval();
  const int64_t k = m.g->latent_dim();
  const std::vector<RowRange> all = job_batches(n, regenerations, batch);
  const auto [b0, b1] = shard_batches(all.size(), shard);
  for (size_t bi = b0; bi < b1; ++bi) {
    const int64_t g0 = all[bi].first, b = all[bi].last - g0, s = g0 % n;
    std::vector<double> c(std_cond.begin() + s * data::kZdcCondDim,
                          std_cond.begin() + (s + b) * data::kZdcCondDim);
    std::vector<double> z(static_cast<size_t>(b * k));
    if (latents) {
      std::copy(latents->begin() + g0 * k, latents->begin() + (g0 + b) * k, z.begin());
    } else {
      // Normal value e of the stream sits in block e / 2 (engine/rng.h): start at the block of
      // value g0 * k and drop its first value when g0 * k is odd.
      const auto e = static_cast<uint64_t>(g0 * k);
      rng.set_offset(stream + e / 2);
      std::vector<double> drawn(z.size() + e % 2);
      rng.fill_normal(drawn.data(), static_cast<int64_t>(drawn.size()));
      std::copy(drawn.begin() + static_cast<int64_t>(e % 2), drawn.end(), z.begin());
    }
    const Device dev = m.g->device();
    Tensor img = m.g->generate(Tensor::from_vector(z, {b, k}).to(dev),
                               Tensor::from_vector(c, {b, data::kZdcCondDim}).to(dev))
                     .to(Device::CPU);
    sink(g0, img.data<float>(), b);
  }
}

std::vector<double> generate_counts(ZdcModel& m, const std::vector<double>& raw_conditions,
                                    int64_t regenerations, int64_t batch, uint64_t seed,
                                    const std::vector<double>* latents, Shard shard) {
  const int64_t n = static_cast<int64_t>(raw_conditions.size()) / data::kZdcCondDim;
  const RowRange rows = n > 0 && regenerations > 0 && batch > 0
                            ? shard_rows(n, regenerations, batch, shard)
                            : RowRange{};
  std::vector<double> out(static_cast<size_t>((rows.last - rows.first) * data::kZdcPixels));
  generate_batches(
      m, raw_conditions, regenerations, batch, seed, latents,
      [&](int64_t first, const float* p, int64_t count) {
        double* o = out.data() + (first - rows.first) * data::kZdcPixels;
        for (int64_t i = 0; i < count * data::kZdcPixels; ++i)
          o[i] = std::expm1(static_cast<double>(p[i]));
      },
      shard);
  return out;
}

ZdcRunResult evaluate_checkpoint_zdc(const std::string& checkpoint, const gan::ZdcEvalOptions& opt,
                                     Device device) {
  ZdcModel m = load_zdc_model(checkpoint, device);
  ZdcRunResult r;
  r.test = evaluate(*m.g, checkpoint_test_split(m.cfg).data, opt);
  r.steps = m.step;
  return r;
}

ZdcTestSplit checkpoint_test_split(const gan::TrainConfig& cfg) {
  ZdcTestSplit t;
  t.data = load_zdc_data(cfg, cfg.keep_best);
  std::vector<int64_t> all(static_cast<size_t>(t.data.test->size()));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  t.conditions = t.data.test->raw_conditions(all);
  t.responses = t.data.test->raw_responses(all);
  return t;
}

std::vector<double> tile_rows(const std::vector<double>& rows, int64_t k) {
  std::vector<double> out;
  out.reserve(rows.size() * static_cast<size_t>(k));
  for (int64_t r = 0; r < k; ++r) out.insert(out.end(), rows.begin(), rows.end());
  return out;
}

}  // namespace dg::tools
