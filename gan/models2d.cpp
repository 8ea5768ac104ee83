// 2D benchmark MLPs (see models2d.h).
#include "gan/models2d.h"

namespace dg::gan {

namespace {
std::shared_ptr<nn::Sequential> mlp(int64_t in, int64_t hidden, int64_t layers, Philox& init) {
  auto s = std::make_shared<nn::Sequential>();
  for (int64_t l = 0; l < layers; ++l) {
    s->add(std::make_shared<nn::Linear>(l == 0 ? in : hidden, hidden, init));
    s->add(std::make_shared<nn::LeakyReLU>(0.2));
  }
  return s;
}
}  // namespace

Generator2D::Generator2D(int64_t latent, int64_t cond, int64_t hidden, Philox& init,
                         bool condition_every_layer)
    : latent_(latent), condition_every_layer_(condition_every_layer) {
  if (!condition_every_layer) {
    net_ = register_module("net", mlp(latent + cond, hidden, 3, init));
    net_->add(std::make_shared<nn::Linear>(hidden, 2, init));
    return;
  }
  // The same layers and names, each Linear after the first widened by the condition.
  net_ = register_module("net", std::make_shared<nn::Sequential>());
  for (int64_t l = 0; l < 3; ++l) {
    net_->add(std::make_shared<nn::Linear>((l == 0 ? latent : hidden) + cond, hidden, init));
    net_->add(std::make_shared<nn::LeakyReLU>(0.2));
  }
  net_->add(std::make_shared<nn::Linear>(hidden + cond, 2, init));
}

Tensor Generator2D::generate(const Tensor& z, const Tensor& c) {
  if (!condition_every_layer_) return net_->forward(concat({z, c}, 1));
  Tensor h = z;
  for (size_t i = 0; i < net_->size(); ++i)  // Linear at even positions, LeakyReLU at odd ones
    h = (*net_)[i].forward(i % 2 == 0 ? concat({h, c}, 1) : h);
  return h;
}

Discriminator2D::Discriminator2D(int64_t cond, int64_t hidden, Philox& init) {
  body_ = register_module("body", mlp(2 + cond, hidden, 3, init));
  head_ = register_module("head", std::make_shared<nn::Linear>(hidden, 1, init));
}

DiscriminatorOutput Discriminator2D::discriminate(const Tensor& x, const Tensor& c) {
  Tensor e = body_->forward(concat({x, c}, 1));
  return {head_->forward(e), e, Tensor()};
}

}  // namespace dg::gan
