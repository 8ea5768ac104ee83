// The conditional-GAN training step of DESIGN.md section 5 with every diversity regularizer,
// checkpoints that restore everything (parameters, BN statistics, Adam moments, RNG offsets, step)
// and a divergence guard.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "datasets/conditional.h"
#include "engine/checkpoint.h"
#include "engine/optim.h"
#include "gan/config.h"
#include "gan/networks.h"

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
};

class Trainer {
 public:
  Trainer(TrainConfig cfg, std::shared_ptr<const data::ConditionalDataset> data, Models models);

  // One batch: a discriminator update, then a generator update. Throws dg::Error when a loss
  // becomes non-finite (the models are then not updated further).
  StepStats step();
  int64_t steps_done() const { return step_; }
  const TrainConfig& config() const { return cfg_; }
  Models& models() { return m_; }

  // Atomic safetensors checkpoint of the whole training state.
  void save(const std::string& path) const;
  // Restores a checkpoint written by save() for the same architecture.
  void load(const std::string& path);
  // Metadata written into every checkpoint besides the training state (e.g. the ZDC condition
  // standardization, which generation needs).
  void set_extra_metadata(std::map<std::string, std::string> meta) {
    extra_meta_ = std::move(meta);
  }
  // True when every parameter, buffer and optimizer moment is finite.
  bool state_finite() const;

 private:
  TrainConfig cfg_;
  std::shared_ptr<const data::ConditionalDataset> data_;
  Models m_;
  Adam opt_g_, opt_d_;
  Philox z_rng_, data_rng_;
  int64_t step_ = 0;
  std::map<std::string, std::string> extra_meta_;

  // Throws when generated samples are non-finite (or, for ZDC, overflow counts).
  void check_outputs(const Tensor& fake) const;
};

// Reads only the config stored in a checkpoint (to rebuild models before load()).
TrainConfig read_checkpoint_config(const std::string& path);
// Metadata entry `key` of a checkpoint loaded from `path` as an unsigned integer (e.g. "step");
// throws naming the file and the key when it is missing or not a number.
uint64_t checkpoint_metadata_u64(const SafetensorsFile& file, const std::string& path,
                                 const std::string& key);
// The config from a checkpoint already loaded from `path` (named in errors).
TrainConfig checkpoint_config(const SafetensorsFile& file, const std::string& path);

}  // namespace dg::gan
