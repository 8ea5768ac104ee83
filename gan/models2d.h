// MLPs for the 2D benchmark (docs/design.md#2d-models): 3 hidden layers of `hidden` units with
// LeakyReLU(0.2); the discriminator's last hidden layer is the feature vector e. The generator
// takes (z, c) at its input, or with `condition_every_layer` c again at the input of every later
// layer (a stronger conditioning path, for the collapse side study).
#pragma once
#include "gan/networks.h"

namespace dg::gan {

class Generator2D : public ConditionalGenerator {
 public:
  Generator2D(int64_t latent, int64_t cond, int64_t hidden, Philox& init,
              bool condition_every_layer = false);
  Tensor generate(const Tensor& z, const Tensor& c) override;
  int64_t latent_dim() const override { return latent_; }

 private:
  int64_t latent_;
  bool condition_every_layer_;
  std::shared_ptr<nn::Sequential> net_;
};

class Discriminator2D : public ConditionalDiscriminator {
 public:
  Discriminator2D(int64_t cond, int64_t hidden, Philox& init);
  DiscriminatorOutput discriminate(const Tensor& x, const Tensor& c) override;

 private:
  std::shared_ptr<nn::Sequential> body_;
  std::shared_ptr<nn::Linear> head_;
};

}  // namespace dg::gan
