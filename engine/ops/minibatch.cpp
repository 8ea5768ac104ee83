// minibatch_similarity: shape checks, dispatch and backward (kernels/cpu/minibatch.h, CUDA:
// kernels/cuda/minibatch.h).
#include "kernels/cpu/minibatch.h"

#include "engine/ops.h"
#include "kernels/cuda/minibatch.h"

namespace dg {

namespace {

Tensor minibatch_backward(const Tensor& m, const Tensor& g) {
  const char* op = "minibatch_similarity_backward";
  const int64_t N = m.size(0), B = m.size(1), C = m.size(2);
  Tensor gm = Tensor::empty(m.shape(), m.dtype(), m.device());
  if (m.device() == Device::CUDA) {
    cuda::minibatch_similarity_backward(m.data<float>(), g.data<float>(), gm.data<float>(), N, B,
                                        C);
    return gm;
  }
  DG_DISPATCH_FLOAT(m.dtype(), op, [&] {
    cpu::minibatch_similarity_backward<T>(m.data<T>(), g.data<T>(), gm.data<T>(), N, B, C);
  });
  return gm;
}

}  // namespace

Tensor minibatch_similarity(const Tensor& m) {
  const char* op = "minibatch_similarity";
  check_defined(m, op, "m");
  DG_CHECK(m.dim() == 3 && m.size(1) > 0 && m.size(2) > 0,
           op << ": m must be (N, B, C) with B, C > 0, got " << shape_str(m.shape()));
  const int64_t N = m.size(0), B = m.size(1), C = m.size(2);
  Tensor o = Tensor::empty({N, B}, m.dtype(), m.device());
  if (m.device() == Device::CUDA) {
    cuda::minibatch_similarity_forward(m.data<float>(), o.data<float>(), N, B, C);
  } else {
    DG_DISPATCH_FLOAT(m.dtype(), op, [&] {
      cpu::minibatch_similarity_forward<T>(m.data<T>(), o.data<T>(), N, B, C);
    });
  }
  if (needs_grad(m)) {
    Tensor md = m.detach();
    record(o, op, {m},
           [md](const Tensor& g) -> std::vector<Tensor> { return {minibatch_backward(md, g)}; });
  }
  return o;
}

}  // namespace dg
