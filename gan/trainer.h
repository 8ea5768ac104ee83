// The conditional-GAN training step (docs/design.md#training-step) with every diversity
// regularizer, checkpoints that restore everything (parameters, BN statistics, Adam moments, RNG
// offsets, step) and a divergence guard.
#pragma once
#include <limits>
#include <map>
#include <memory>
#include <string>

#include "datasets/conditional.h"
#include "engine/checkpoint.h"
#include "engine/collective.h"
#include "engine/graph.h"
#include "engine/optim.h"
#include "engine/precision.h"
#include "gan/config.h"
#include "gan/networks.h"
#include "gan/regularizer.h"

namespace dg::gan {

struct Models {
  std::shared_ptr<ConditionalGenerator> g;
  std::shared_ptr<ConditionalDiscriminator> d;
  std::shared_ptr<Philox> dropout_rng;  // shared by every Dropout of both networks
};

// Builds the networks a config asks for, initialized from the config's seed.
Models make_models(const TrainConfig& cfg);

struct StepStats {
  double loss_d = 0, loss_g_adv = 0, loss_div = 0;
  double loss_aux = 0;  // D's auxiliary regression loss on the real batch (part of loss_d); 0: off
  // Diagnostics of the step (docs/design.md#training-diagnostics): the mean |e| of D's features
  // on the real batch, and the mean generated value (log1p counts for ZDC) of the batch rows.
  double d_feature_scale = 0, fake_mean = 0;
};

class Trainer {
 public:
  // `group`: the ranks of a data-parallel run (docs/design.md#data-parallel-training); null or
  // size 1: this process alone. With N ranks every rank draws the whole batch of cfg.batch rows
  // from the same streams and trains on its own cfg.batch / N of them (rows [rank b, rank b + b)
  // of everything drawn per row), the gradients are averaged over the ranks before each update,
  // and the step's losses are the ranks' average: the replicas stay bitwise equal and, together,
  // train on the single-process batch. Batch norm uses per-rank statistics unless
  // cfg.sync_batch_norm; the running statistics are then averaged over the ranks after each step.
  Trainer(TrainConfig cfg, std::shared_ptr<const data::ConditionalDataset> data, Models models,
          std::shared_ptr<Collective> group = nullptr);
  // Pinned in memory: a captured step graph refers to this trainer's optimizers.
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;
  Trainer(Trainer&&) = delete;
  Trainer& operator=(Trainer&&) = delete;

  // One batch: a discriminator update, then a generator update, then the losses read back. Throws
  // dg::Error when a loss or a generated value became non-finite (or, for ZDC, overflows counts);
  // the caller must not train on (the diverged update has been applied).
  StepStats step();

  // A step in two halves, so that the device half has no host transfer or synchronization and can
  // run ahead of the host (and be captured as a CUDA graph):
  //   stage(): the host half; draws the batch rows, real pairs and latents from the CPU streams
  //     (the streams never depend on the device) and copies them into the step's fixed input
  //     tensors on the models' device (asynchronously on the GPU);
  //   compute(): the device half; both updates from the staged inputs only, under a
  //     HostTransferGuard; the losses and the overflow measure land in a device tensor.
  // step_async() = stage() + compute() (or a replay of the captured compute() in graph mode), and
  // no wait; last_stats() waits and reads the latest step's losses, throwing when it diverged.
  void stage();
  void compute();
  void step_async();
  StepStats last_stats() const;

  // Graph mode (models on the GPU): the first two step_async() run eagerly, the third captures
  // compute() as a CUDA graph (engine/graph.h), every later one replays it. Same losses as the
  // eager step, bit for bit in deterministic mode. A failed capture throws and turns graph mode
  // off (that step's batch is drawn but not trained on).
  void set_graph_mode(bool on);
  bool graph_mode() const { return graph_mode_; }
  // Kernel nodes of the captured step (0 before the capture).
  int64_t graph_kernel_nodes() const;
  int64_t steps_done() const { return step_; }
  const TrainConfig& config() const { return cfg_; }
  Models& models() { return m_; }
  // The inputs the last stage() staged (read only; for tests and diagnostics).
  const StepInputs& staged() const { return in_; }

  // Atomic safetensors checkpoint of the whole training state.
  // `more` adds metadata entries to this file only (e.g. what made it the best checkpoint).
  void save(const std::string& path, const std::map<std::string, std::string>& more = {}) const;
  // Restores a checkpoint written by save() for the same architecture. A checkpoint of a run with
  // another number of ranks is refused (the batch split, the per-rank statistics and the order of
  // the sums change) unless allow_rank_change, which continues it as the closest equivalent.
  void load(const std::string& path, bool allow_rank_change = false);
  Collective& group() const { return *group_; }
  // Metadata written into every checkpoint besides the training state (e.g. the ZDC condition
  // standardization, which generation needs).
  void set_extra_metadata(std::map<std::string, std::string> meta) {
    extra_meta_ = std::move(meta);
  }
  // True when every parameter, buffer and optimizer moment is finite.
  bool state_finite() const;
  // A 64-bit hash (FNV-1a) of the bytes of every parameter, buffer and optimizer moment: equal on
  // every rank of a data-parallel run while the replicas are equal.
  uint64_t state_hash() const;

 private:
  TrainConfig cfg_;
  std::shared_ptr<const data::ConditionalDataset> data_;
  Models m_;
  Adam opt_g_, opt_d_;
  Philox z_rng_, data_rng_;
  Philox label_rng_;  // label flipping (drawn only with cfg.label_flip > 0)
  int64_t step_ = 0;
  std::map<std::string, std::string> extra_meta_;
  std::shared_ptr<Collective> group_;
  int64_t local_batch_ = 0;      // cfg.batch / ranks: the rows this rank trains on
  std::vector<Tensor> buffers_;  // every BN running statistic of G and D (averaged over ranks)
  // Sums t's tensors over the ranks and divides by their number (data-parallel runs only).
  void average_over_ranks(const std::vector<Tensor>& ts, const char* what);
  // Rows [rank b, rank b + b) of a host tensor of the whole batch (b = t.size(0) / ranks).
  Tensor local_rows(const Tensor& t) const;

  // The regularizer of cfg_.reg (gan/regularizer.h): what it stages and its loss.
  std::unique_ptr<DiversityRegularizer> reg_;
  // The staged inputs of one step (fixed shapes and addresses: a captured graph reads them).
  StepInputs in_;
  // Every sample (x, c, f_div of rows 0..N-1), uploaded once to the models' device (kept on the
  // host when too large for the GPU). Each batch is gathered from it with index_rows by int32 row
  // indices drawn on the host (rows_: the batch, its real pairs, each batch row repeated for the
  // regularizer): a GPU step stages a few kilobytes of indices and latents, not its images. The
  // same draws from data_rng_ as data_->batch(), on every device.
  data::Batch table_;  // x, c, fdiv (no pairs)
  Tensor rows_[3];  // int32 on the table's device: batch rows (B), their pairs (B), repeated (B*r)
  void stage_batch(const std::vector<int64_t>& idx, Device dev);
  void stage_targets(Device dev);
  // (7,) on the models' device: loss_d, loss_g_adv, loss_div of the latest step, the divergence
  // measure summed over every step so far (0 while all is fine; sticky), loss_aux, and the two
  // diagnostics of StepStats.
  Tensor stats_;
  // (1, 9) auxiliary regression weights on the models' device (undefined: no auxiliary head).
  Tensor aux_w_;
  bool graph_mode_ = false;
  std::unique_ptr<StepGraph> graph_;
  int64_t eager_steps_ = 0;  // steps run eagerly since graph mode was switched on

  // The overflow measure of generated samples: 0 exactly when every value is finite (and, for ZDC,
  // within log1p of float32's largest count).
  Tensor overflow_measure(const Tensor& fake) const;
  // 0 for a finite scalar, NaN otherwise (no host read).
  static Tensor nonfinite_flag(const Tensor& scalar);
};

// Reads only the config stored in a checkpoint (to rebuild models before load()).
TrainConfig read_checkpoint_config(const std::string& path);
// Metadata entry `key` of a checkpoint loaded from `path` as an unsigned integer (e.g. "step");
// throws naming the file and the key when it is missing, not a number or above `max`.
uint64_t checkpoint_metadata_u64(const SafetensorsFile& file, const std::string& path,
                                 const std::string& key,
                                 uint64_t max = std::numeric_limits<uint64_t>::max());
// The config from a checkpoint already loaded from `path` (named in errors).
TrainConfig checkpoint_config(const SafetensorsFile& file, const std::string& path);

}  // namespace dg::gan
