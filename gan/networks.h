// Conditional generator / discriminator interfaces shared by the 2D and ZDC models.
#pragma once
#include <memory>
#include <string>

#include "engine/nn/module.h"

namespace dg::gan {

class ConditionalGenerator : public nn::Module {
 public:
  virtual Tensor generate(const Tensor& z, const Tensor& c) = 0;  // (B,K),(B,C) -> (B, ...)
  virtual int64_t latent_dim() const = 0;
  // The layers that map concat(z, c) (B, K + C) to the output, for exporters (tools/onnx_export.h);
  // null for a generator that is not such a network.
  virtual nn::Module* network() { return nullptr; }
  Tensor forward(const Tensor&) override {
    DG_FAIL("a conditional generator needs (z, c): call generate");
  }
};

struct DiscriminatorOutput {
  Tensor logit;     // (B, 1)
  Tensor features;  // (B, F): the penultimate layer, used by the diversity regularizers
  Tensor aux;       // (B, C): the conditions reconstructed from the image, when D has such a head
};

class ConditionalDiscriminator : public nn::Module {
 public:
  virtual DiscriminatorOutput discriminate(const Tensor& x, const Tensor& c) = 0;
  Tensor forward(const Tensor&) override {
    DG_FAIL("a conditional discriminator needs (x, c): call discriminate");
  }
};

}  // namespace dg::gan
