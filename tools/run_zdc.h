// ZDC runs: the data a config names (files, or the built-in simulator), training into an output
// folder with periodic test-split evaluation, evaluation of a checkpoint, and generation.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "datasets/zdc_dataset.h"
#include "gan/aux_regression.h"
#include "gan/config.h"
#include "gan/eval_zdc.h"
#include "tools/run.h"
#include "tools/shard.h"

namespace dg::tools {

struct ZdcData {
  data::ZdcRaw raw;
  data::Standardizer standardizer;  // fitted on the training split
  std::shared_ptr<data::ZdcDataset> train, test;
  std::shared_ptr<data::ZdcDataset> validation;  // only with a held-out validation half
  std::string source;               // "simulator (seed S, P particles)" or the two paths
  nlohmann::json describe() const;  // source, sizes and split, for run.json / eval.json
};

// Simulator (cfg.data_seed, cfg.sim_particles) or cfg.responses/cfg.particles; split 80/20 by
// cfg.data_seed, by row or by particle (cfg.split); conditions standardized on the training split.
// With `holdout_validation`, the test split is halved by a seeded permutation (of rows, or of
// particles with the particle split) into a validation half (for choosing hyper-parameters such as
// lambda, or the best checkpoint) and the test half that is reported.
ZdcData load_zdc_data(const gan::TrainConfig& cfg, bool holdout_validation = false);

struct ZdcRunResult {
  gan::ZdcEval test;
  gan::ZdcEval validation;  // only with a held-out validation half
  // D's auxiliary head on the test split, when the run trains one (--aux-regression).
  std::optional<gan::AuxRegressionEval> aux;
  int64_t steps = 0;
  double seconds = 0;
  nlohmann::json eval;  // what eval.json holds (after training)
};

// Options of the final (and `eval`) evaluation: the protocol of docs/design.md#metrics.
gan::ZdcEvalOptions final_eval_options(uint64_t seed);

// Trains cfg into `dir` (run.json, metrics.jsonl, checkpoint.safetensors, eval.json); `existing`
// says what to do with a run already there. The test split is halved for validation when
// `holdout_validation` or cfg.keep_best.
ZdcRunResult run_zdc(const gan::TrainConfig& cfg, const std::string& dir, const RunRequest& request,
                     bool progress, bool holdout_validation = false, Device device = Device::CPU);

// Evaluates a ZDC checkpoint's generator on the test split of its data (the test half when it
// was trained with keep_best).
ZdcRunResult evaluate_checkpoint_zdc(const std::string& checkpoint, const gan::ZdcEvalOptions& opt,
                                     Device device = Device::CPU);

// The generator of a ZDC checkpoint in eval mode, with the condition standardization saved in it.
struct ZdcModel {
  gan::TrainConfig cfg;
  int64_t step = 0;  // training steps behind the checkpoint
  std::shared_ptr<gan::ConditionalGenerator> g;
  data::Standardizer standardizer;
};
ZdcModel load_zdc_model(const std::string& checkpoint, Device device = Device::CPU);

// Generation spread over processes (`generate --shard i/n`, MPI ranks, a scheduler's job array):
// shard `index` of `count` takes the global batches [index * B / count, (index + 1) * B / count) of
// the job's B batches. Its rows are contiguous, and each of its batches is the very batch the whole
// job runs (the same rows, latents and float rounding), so the shards in order are the whole job's
// output bit for bit.
// The rows [first, last) shard `s` generates of a job of `rows` rows in batches of `batch` that
// restart at every regeneration of `n` conditions.
struct RowRange {
  int64_t first = 0, last = 0;
};
RowRange shard_rows(int64_t n, int64_t regenerations, int64_t batch, Shard s);

// Photon counts (regenerations * n, 44, 44), regeneration-major, for raw attributes (n, 9); batches
// of `batch` rows, latents from Philox(seed) seeded by the global row (row g's latents are the
// values g*k .. g*k + k - 1 of the normal stream, k the latent size), or, when `latents` is given,
// its rows ((regenerations * n, latent_dim), row r * n + i for shower i of regeneration r; the
// caller checks the shape), so that two implementations can be compared on identical inputs. With
// a shard, only its rows (shard_rows), in order.
std::vector<double> generate_counts(ZdcModel& m, const std::vector<double>& raw_conditions,
                                    int64_t regenerations, int64_t batch, uint64_t seed,
                                    const std::vector<double>* latents = nullptr, Shard shard = {});
// The same passes with the generator's output as it comes (log1p of counts, float32): `sink`
// receives each batch, `rows` images of 44x44 for showers first .. first + rows - 1 (global rows,
// the order above). generate_counts is this with expm1 into one array.
using GeneratedBatchSink = std::function<void(int64_t first, const float* log1p, int64_t rows)>;
void generate_batches(ZdcModel& m, const std::vector<double>& raw_conditions, int64_t regenerations,
                      int64_t batch, uint64_t seed, const std::vector<double>* latents,
                      const GeneratedBatchSink& sink, Shard shard = {});

// What a checkpoint's model is judged on: the data of its config, where the test split is the test
// half of a keep-best run, and the test rows' raw conditions (n, 9) and photon counts (n, 44, 44).
struct ZdcTestSplit {
  ZdcData data;
  std::vector<double> conditions, responses;
};
ZdcTestSplit checkpoint_test_split(const gan::TrainConfig& cfg);

// `rows` repeated `k` times: the conditions of k regeneration-major showers per row.
std::vector<double> tile_rows(const std::vector<double>& rows, int64_t k);

}  // namespace dg::tools
