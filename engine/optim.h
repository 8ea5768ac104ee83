// Adam (Kingma & Ba) with optional L2 weight decay (added to the gradient, as torch.optim.Adam) or
// decoupled decay (AdamW). Keras' default eps is 1e-7; PyTorch's 1e-8.
#pragma once
#include <string>
#include <vector>

#include "engine/nn/module.h"

namespace dg {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled_weight_decay = false;
};

class Adam {
 public:
  Adam(nn::NamedTensors params, AdamOptions opt);
  // One update of every parameter that has a gradient; bias-corrected moments.
  void step();
  void zero_grad();
  int64_t steps() const { return t_; }
  void set_steps(int64_t t) { t_ = t; }
  const AdamOptions& options() const { return opt_; }
  AdamOptions& options() { return opt_; }
  // "exp_avg.<param>" and "exp_avg_sq.<param>", for checkpoints (restored in place by name).
  nn::NamedTensors named_state() const;

 private:
  nn::NamedTensors params_;
  std::vector<Tensor> m_, v_;
  AdamOptions opt_;
  int64_t t_ = 0;
};

}  // namespace dg
