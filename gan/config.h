// Training configuration: every knob of a run, saved in checkpoint metadata and run.json.
#pragma once
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/precision.h"
#include "gan/regularizers.h"

namespace dg::gan {

// Which data set and networks a run trains (its names in configs and on the command line: "2d",
// "zdc").
enum class Dataset { Points2D, Zdc };
Dataset parse_dataset(const std::string& s);  // throws naming the choices
const char* dataset_name(Dataset d);
// The ZDC generator architecture ("original": the neutron network; "dcgan": transposed
// convolutions).
enum class GeneratorArch { Original, Dcgan };
GeneratorArch parse_generator_arch(const std::string& s);
const char* generator_arch_name(GeneratorArch g);
// How the ZDC rows are split 80/20 ("row": rows independently, the papers' convention, so a test
// particle usually has repeats in training; "particle": whole groups of repeats go to one side, so
// the test measures new kinematics). docs/design.md#split.
enum class SplitKind { Row, Particle };
SplitKind parse_split_kind(const std::string& s);
const char* split_kind_name(SplitKind k);
// The per-attribute weights of the auxiliary regression from a comma-separated list of items,
// each "name=weight" (an attribute of data::kZdcAttributeNames, any case) or a bare weight for
// every attribute not named ("1", "0.5,energy=2", "energy=1,px=0.1"; unnamed attributes are 0 when
// no bare weight is given). Throws naming the item and what was expected.
std::array<double, 9> parse_aux_weights(const std::string& spec);
// Paper 004's tips as named presets, for studies and benchmarks (docs/design.md#tip-presets):
// "aux" (auxiliary regression, every weight 0.1), "sparsity" (soft sparsity with its defaults),
// "labels" (label flipping 0.05 and one-sided smoothing 0.1), "all" (the three). Sets those fields
// of `cfg`; throws naming the choices for another name.
struct TrainConfig;
void apply_tip_preset(const std::string& tip, TrainConfig& cfg);

struct TrainConfig {
  Dataset dataset = Dataset::Points2D;
  Regularizer reg = Regularizer::None;
  double lambda = -1.0;  // < 0: the regularizer's default
  int64_t steps = 3000;
  int64_t batch = 128;
  uint64_t seed = 1;
  double lr_g = 2e-4, lr_d = 2e-4;
  double beta1 = 0.5, beta2 = 0.999, adam_eps = 1e-8;
  int64_t latent = 8;
  int64_t hidden = 128;
  int64_t per_condition = 1000;  // 2D: training points per (class, spread)
  // 2D: the generator sees the condition at every layer, not only at its input (gan/models2d.h).
  bool condition_every_layer = false;
  // ZDC (dataset "zdc"): the generator architecture, the data (files, or the built-in simulator
  // when both paths are empty) and the periodic evaluation on the test split.
  // dcgan is the default: a tenth of the original network's work for comparable channel figures
  // (docs/design.md#models); checkpoints written before the field existed hold the original.
  GeneratorArch generator = GeneratorArch::Dcgan;  // ZDC only
  std::string responses, particles;                // .npz/.npy/.h5 paths; empty: simulator
  int64_t sim_particles = 1000;                    // simulated particles (each showered 3-8 times)
  uint64_t data_seed = 1;            // simulator draw and 80/20 split; `seed` is init + latents
  SplitKind split = SplitKind::Row;  // ZDC only
  int64_t eval_every = 0;            // steps between periodic evaluations (0: only at the end)
  int64_t eval_regenerations = 5;    // ZDC only
  // Keep the checkpoint with the best periodic validation figure beside the last one (needs
  // eval_every > 0). ZDC: the test split is then halved into a validation half that selects and the
  // test half that is reported; 2D: the validation draw selects.
  bool keep_best = false;
  int64_t checkpoint_every = 1000;
  int64_t log_every = 100;
  RegularizerOptions reg_opt;
  // Matrix products of the training step: fp32, or tf32 (tensor cores on the GPU, emulated by
  // operand rounding on the CPU; engine/precision.h). Off by default; recorded in checkpoints.
  MatmulPrecision precision = MatmulPrecision::FP32;
  // Capture the training step as a CUDA graph and replay it (models on the GPU only). Changes how
  // the step runs, not what it computes (the same losses bit for bit).
  bool graph = false;
  // Data-parallel runs (mpirun): batch norm's training statistics over every rank's rows instead
  // of each rank's own (docs/design.md#synchronized-batch-norm). No effect in one process.
  bool sync_batch_norm = false;
  // Paper 004's label tips (docs/design.md#label-flipping-and-smoothing), for D's loss only: a
  // real sample's target is 1 - label_smoothing (one-sided smoothing), a generated one's 0, and
  // each is swapped with probability label_flip (a seeded stream, exact on resume).
  double label_flip = 0;       // in [0, 1)
  double label_smoothing = 0;  // in [0, 1)
  bool label_tips() const { return label_flip > 0 || label_smoothing > 0; }
  // Paper 004's discriminator tips, ZDC only; both change D's architecture, so a run keeps them.
  // Auxiliary regression (docs/design.md#auxiliary-regression): a head h on D's convolutional
  // features reconstructs the 9 standardized conditions; D minimizes
  // sum_i aux_weights[i] * mean (h_i(x) - c_i)^2 on real images, G the same on generated ones.
  // All weights 0: no head.
  std::array<double, 9> aux_weights{};
  bool aux_regression() const;
  // Soft sparsity (docs/design.md#soft-sparsity): D also sees each image's soft occupancy (Eq. 1
  // with sparsity_alpha, sparsity_beta) and a minibatch-discrimination layer of
  // minibatch_kernels kernels acting on it across the batch.
  bool soft_sparsity = false;
  double sparsity_alpha = 2, sparsity_beta = 2;
  int64_t minibatch_kernels = 8;

  double effective_lambda() const { return lambda < 0 ? default_lambda(reg) : lambda; }
  // Throws dg::Error naming the field and the accepted range.
  void validate() const;
  // The fields of this run's data set only (a ZDC config has no `hidden`, a 2D one no `generator`).
  nlohmann::json to_json() const;
  // Fields absent from `j` (the other data set's, or added later) keep their defaults, except the
  // ZDC generator of a config written before it was recorded: the original network.
  static TrainConfig from_json(const nlohmann::json& j);
};

}  // namespace dg::gan
