// Binary cross-entropy on logits, averaged over all elements, against a target tensor of the same
// shape or one scalar target (the usual real/fake label of a GAN discriminator).
#include "kernels/cpu/loss.h"

#include "engine/ops.h"
#include "kernels/cuda/loss.h"

namespace dg {

namespace {

// targets undefined: every element's target is `target`.
Tensor bce_impl(const Tensor& logits, const Tensor& targets, double target) {
  const char* name = "bce_with_logits";
  check_defined(logits, name, "logits");
  const int64_t n = logits.numel();
  DG_CHECK(n > 0, name << ": argument 'logits' is empty (shape " << shape_str(logits.shape())
                       << "), the mean is undefined");
  const bool has_t = targets.defined();
  if (has_t) {
    check_same_device(logits, targets, name);
    check_same_dtype(logits, targets, name);
    DG_CHECK(targets.shape() == logits.shape(),
             name << ": argument 'targets' expected shape " << shape_str(logits.shape())
                  << " (as logits), got " << shape_str(targets.shape()));
  }
  // A scalar target is materialized as one element read with stride 0, so both overloads share
  // the kernels.
  Tensor t = has_t ? targets : Tensor::full({}, target, logits.dtype(), logits.device());
  const int64_t ts = has_t ? 1 : 0;
  Tensor out = Tensor::empty({}, logits.dtype(), logits.device());
  if (logits.device() == Device::CUDA)
    cuda::bce_with_logits_forward(logits.data<float>(), t.data<float>(), ts, out.data<float>(), n);
  else
    DG_DISPATCH_FLOAT(logits.dtype(), name, [&] {
      cpu::bce_with_logits_forward<T>(logits.data<T>(), t.data<T>(), ts, out.data<T>(), n);
    });
  if (needs_grad(logits, targets)) {
    bool gx = logits.requires_grad(), gt = has_t && targets.requires_grad();
    Tensor xd = logits.detach(), td = t.detach();
    std::vector<Tensor> inputs = {logits};
    if (has_t) inputs.push_back(targets);
    record(out, name, inputs,
           [xd, td, ts, gx, gt, has_t, n, name](const Tensor& g) -> std::vector<Tensor> {
             Tensor gl, gtg;
             if (g.device() == Device::CUDA) {
               if (gx) {
                 gl = Tensor::empty(xd.shape(), g.dtype(), g.device());
                 cuda::bce_with_logits_backward_logits(xd.data<float>(), td.data<float>(), ts,
                                                       g.data<float>(), gl.data<float>(), n);
               }
               if (gt) {
                 gtg = Tensor::empty(xd.shape(), g.dtype(), g.device());
                 cuda::bce_with_logits_backward_targets(xd.data<float>(), g.data<float>(),
                                                        gtg.data<float>(), n);
               }
               if (has_t) return {gl, gtg};
               return {gl};
             }
             DG_DISPATCH_FLOAT(g.dtype(), name, [&] {
               if (gx) {
                 gl = Tensor::empty(xd.shape(), g.dtype(), g.device());
                 cpu::bce_with_logits_backward_logits<T>(xd.data<T>(), td.data<T>(), ts,
                                                         g.data<T>(), gl.data<T>(), n);
               }
               if (gt) {
                 gtg = Tensor::empty(xd.shape(), g.dtype(), g.device());
                 cpu::bce_with_logits_backward_targets<T>(xd.data<T>(), g.data<T>(), gtg.data<T>(),
                                                          n);
               }
             });
             if (has_t) return {gl, gtg};
             return {gl};
           });
  }
  return out;
}

}  // namespace

Tensor bce_with_logits(const Tensor& logits, const Tensor& targets) {
  check_defined(targets, "bce_with_logits", "targets");
  return bce_impl(logits, targets, 0.0);
}

Tensor bce_with_logits(const Tensor& logits, double target) {
  return bce_impl(logits, Tensor(), target);
}

}  // namespace dg
