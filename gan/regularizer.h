// A diversity regularizer as one object (docs/design.md#diversity-regularizers): what it adds to a
// training step, from the latents the host half draws to the loss the device half adds to the
// generator's objective. The trainer knows this interface only, so adding a regularizer touches its
// own file (gan/regularizer_<name>.cpp) and the factory (gan/regularizer.cpp).
//
// A step (gan/trainer.cpp) with a regularizer R:
//   host half   z1 (B,K) ~ N(0,1), then R.draw_latents(...) from the same latent stream, in order;
//               the batch (x, c, x_pair, fdiv) and, when R.condition_repeats() = r > 0, each batch
//               row's condition repeated r times (c_rep, (B*r, C))
//   device half G runs once on the rows [z1 | R.generator_rows(...)] with their conditions; D is
//               updated on the first B generated rows; the generator's adversarial pass through D
//               covers every generated row when R.needs_features() (R then reads D's features of
//               them), else the first B; loss_G = BCE(D(G(z1, c)), 1) + lambda R.loss(view)
#pragma once
#include <memory>
#include <vector>

#include "engine/rng.h"
#include "engine/tensor.h"
#include "gan/networks.h"
#include "gan/regularizers.h"

namespace dg::gan {

// The staged inputs of one step (fixed tensors on the models' device; undefined where unused).
struct StepInputs {
  Tensor x, c, x_pair, fdiv;  // the batch: (B, ...), (B, C), (B, ...), (B,)
  Tensor z1;                  // (B, K)
  std::vector<Tensor> z;      // the regularizer's latents, as draw_latents returned them
  Tensor c_rep;               // (B*r, C): each batch row's condition r = condition_repeats() times
  Tensor t_real, t_fake;      // (B, 1) D's targets with label tips; undefined: 1 and 0
};

// What the loss sees of a step (device tensors; every one but `fake` in the autograd graph of the
// generator's update).
struct StepView {
  int64_t batch = 0;               // B
  const StepInputs* in = nullptr;  // the staged inputs
  Tensor fake;                     // (B + extra rows, ...): G on every row
  Tensor fake1;                    // (B, ...): the first B rows (G(z1, c))
  DiscriminatorOutput d_out;       // D on every generated row (needs_features) or the first B
  ConditionalDiscriminator* d = nullptr;  // for extra passes (e.g. real samples, without grad)
};

class DiversityRegularizer {
 public:
  virtual ~DiversityRegularizer() = default;
  virtual Regularizer kind() const = 0;
  // Host half: this regularizer's latents for a batch of b rows of latent dimension k, drawn from
  // `z_rng` after z1 (host tensors; the trainer stages them as StepInputs::z in this order).
  virtual std::vector<Tensor> draw_latents(Philox& z_rng, int64_t b, int64_t k) const {
    (void)z_rng, (void)b, (void)k;
    return {};
  }
  // How many times each batch row's condition is repeated for extra generator rows (StepInputs::
  // c_rep); 0: none.
  virtual int64_t condition_repeats() const { return 0; }
  // Device half: the latents and conditions of the generator's rows after the first B, appended
  // to `z` and `c` (both start as {z1} and {c}).
  virtual void generator_rows(const StepInputs& in, std::vector<Tensor>& z,
                              std::vector<Tensor>& c) const {
    (void)in, (void)z, (void)c;
  }
  // True when the loss reads D's features of the generated rows: the generator's adversarial pass
  // through D then covers every generated row.
  virtual bool needs_features() const { return false; }
  // The loss added to the generator's objective (times lambda); undefined: none.
  virtual Tensor loss(const StepView& v) const = 0;
};

// The regularizers that compare two generations of the same condition (MS, DS, SDI, DivBal): one
// more latent z2 (B,K) ~ N(0,1) and G run on (z2, c) as rows B..2B-1.
class PairedRegularizer : public DiversityRegularizer {
 public:
  std::vector<Tensor> draw_latents(Philox& z_rng, int64_t b, int64_t k) const override {
    return {z_rng.normal({b, k})};
  }
  void generator_rows(const StepInputs& in, std::vector<Tensor>& z,
                      std::vector<Tensor>& c) const override {
    z.push_back(in.z[0]);
    c.push_back(in.c);
  }
};

// The regularizer `kind` with its options.
std::unique_ptr<DiversityRegularizer> create_regularizer(Regularizer kind,
                                                         const RegularizerOptions& opt);

}  // namespace dg::gan
