// Batch-norm folding for inference and the switch to synchronized statistics (see module.h).
#include <vector>

#include "engine/nn/module.h"

namespace dg::nn {

namespace {

// w' = w * scale[o] along the output-channel axis `axis` of w (0: Linear/Conv2d, 1:
// ConvTranspose2d); b' = b * scale + shift. Done on host copies in double, written back in the
// tensors' dtype/device.
void fold_into(Tensor& w, Tensor& b, int64_t axis, const std::vector<double>& scale,
               const std::vector<double>& shift) {
  const Shape& s = w.shape();
  const int64_t outer = axis == 0 ? 1 : s[0], channels = s[axis];
  DG_CHECK(channels == static_cast<int64_t>(scale.size()) && b.numel() == channels,
           "fold_batch_norms: layer has " << channels << " output channels, batch norm "
                                          << scale.size());
  const int64_t inner = w.numel() / (outer * channels);
  std::vector<double> wv = w.to_vector(), bv = b.to_vector();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < inner; ++i) wv[(o * channels + c) * inner + i] *= scale[c];
  for (int64_t c = 0; c < channels; ++c) bv[c] = bv[c] * scale[c] + shift[c];
  w.copy_(Tensor::from_vector(wv, w.shape(), w.dtype()).to(w.device()));
  b.copy_(Tensor::from_vector(bv, b.shape(), b.dtype()).to(b.device()));
}

// The weight, bias and output-channel axis of a foldable layer, or false.
bool foldable(Module& m, Tensor*& w, Tensor*& b, int64_t& axis) {
  if (auto* l = dynamic_cast<Linear*>(&m)) {
    w = &l->weight(), b = l->bias(), axis = 0;
  } else if (auto* c = dynamic_cast<Conv2d*>(&m)) {
    w = &c->weight(), b = c->bias(), axis = 0;
  } else if (auto* t = dynamic_cast<ConvTranspose2d*>(&m)) {
    w = &t->weight(), b = t->bias(), axis = 1;
  } else {
    return false;
  }
  return b != nullptr;
}

}  // namespace

int fold_batch_norms(Module& root) {
  int folded = 0;
  if (auto* seq = dynamic_cast<Sequential*>(&root)) {
    for (size_t i = 0; i + 1 < seq->size(); ++i) {
      auto* bn = dynamic_cast<BatchNorm*>(&(*seq)[i + 1]);
      Tensor *w = nullptr, *b = nullptr;
      int64_t axis = 0;
      if (!bn || bn->folded() || !foldable((*seq)[i], w, b, axis)) continue;
      std::vector<double> scale, shift;
      bn->eval_affine(scale, shift);
      NoGradGuard ng;
      fold_into(*w, *b, axis, scale, shift);
      bn->set_folded();
      ++folded;
    }
  }
  for (Module* child : root.children()) folded += fold_batch_norms(*child);
  return folded;
}

bool has_folded_batch_norm(const Module& root) {
  if (auto* bn = dynamic_cast<const BatchNorm*>(&root); bn && bn->folded()) return true;
  for (Module* child : root.children())
    if (has_folded_batch_norm(*child)) return true;
  return false;
}

int synchronize_batch_norms(Module& root, const std::shared_ptr<Collective>& group) {
  int n = 0;
  if (auto* bn = dynamic_cast<BatchNorm*>(&root)) {
    bn->set_group(group);
    ++n;
  }
  for (Module* child : root.children()) n += synchronize_batch_norms(*child, group);
  return n;
}

}  // namespace dg::nn
