// The fused diversity regularizer (SDI, DivBal, DS): shape checks, dispatch and its backward.
// Kernels: kernels/cpu/diversity.h. Tests: tests/test_diversity.cpp (dg_tests -tc="*divers*").
#include "kernels/cpu/diversity.h"

#include <cmath>

#include "engine/ops.h"
#include "kernels/cuda/diversity.h"

namespace dg {

namespace {

void check_diversity_args(const Tensor& e1, const Tensor& e2, const Tensor& z1, const Tensor& z2,
                          const Tensor& w, double eps) {
  const char* op = "diversity_loss";
  check_defined(e1, op, "e1");
  check_defined(e2, op, "e2");
  check_defined(z1, op, "z1");
  check_defined(z2, op, "z2");
  check_defined(w, op, "w");
  for (const Tensor* t : {&e2, &z1, &z2, &w}) {
    check_same_device(e1, *t, op);
    check_same_dtype(e1, *t, op);
  }
  DG_CHECK(e1.dim() == 2, op << ": e1 must be (B, F) features, got " << shape_str(e1.shape()));
  DG_CHECK(e2.shape() == e1.shape(), op << ": e2 " << shape_str(e2.shape())
                                        << " must have the shape of e1 " << shape_str(e1.shape()));
  const int64_t B = e1.size(0);
  DG_CHECK(B > 0 && e1.size(1) > 0,
           op << ": empty batch or feature dimension, e1 is " << shape_str(e1.shape()));
  DG_CHECK(z1.dim() == 2 && z1.size(0) == B && z1.size(1) > 0,
           op << ": z1 must be (B, K) with B = " << B << ", got " << shape_str(z1.shape()));
  DG_CHECK(z2.shape() == z1.shape(), op << ": z2 " << shape_str(z2.shape())
                                        << " must have the shape of z1 " << shape_str(z1.shape()));
  DG_CHECK(w.dim() == 1 && w.size(0) == B,
           op << ": w must be (B,) with B = " << B << ", got " << shape_str(w.shape()));
  DG_CHECK(std::isfinite(eps) && eps >= 0, op << ": eps must be finite and >= 0, got " << eps);
}

}  // namespace

Tensor diversity_loss(const Tensor& e1, const Tensor& e2, const Tensor& z1, const Tensor& z2,
                      const Tensor& w, DiversityMode mode, double eps) {
  check_diversity_args(e1, e2, z1, z2, w, eps);
  DG_CHECK(mode == DiversityMode::kRatioInverse || mode == DiversityMode::kRatioNegative,
           "diversity_loss: unknown mode " << static_cast<int>(mode));
  const int64_t B = e1.size(0), F = e1.size(1), K = z1.size(1);
  // d_g and d_z are kept for the backward, which then needs only a sign pass over the features.
  Tensor d_g = Tensor::empty({B}, e1.dtype(), e1.device());
  Tensor d_z = Tensor::empty({B}, e1.dtype(), e1.device());
  Tensor loss = Tensor::empty({}, e1.dtype(), e1.device());
  if (e1.device() == Device::CUDA)
    cuda::diversity_forward(e1.data<float>(), e2.data<float>(), z1.data<float>(), z2.data<float>(),
                            w.data<float>(), B, F, K, mode, eps, d_g.data<float>(),
                            d_z.data<float>(), loss.data<float>());
  else
    DG_DISPATCH_FLOAT(e1.dtype(), "diversity_loss", [&] {
      cpu::diversity_forward<T>(e1.data<T>(), e2.data<T>(), z1.data<T>(), z2.data<T>(), w.data<T>(),
                                B, F, K, mode, eps, d_g.data<T>(), d_z.data<T>(), loss.data<T>());
    });
  if (!needs_grad(e1, e2)) return loss;
  Tensor e1d = e1.detach(), e2d = e2.detach(), wd = w.detach();
  const bool need_e1 = e1.requires_grad(), need_e2 = e2.requires_grad();
  record(loss, "diversity_loss", {e1, e2, z1, z2, w}, [=](const Tensor& g) -> std::vector<Tensor> {
    DG_CHECK(g.device() == e1d.device() && g.dtype() == e1d.dtype(),
             "diversity_loss backward: gradient is " << dtype_name(g.dtype()) << " on "
                                                     << device_name(g.device()));
    // The kernel always produces grad_e1 (grad_e2 is its negation); a DS-GAN step passes
    // e2.detach(), so grad_e2 is skipped then.
    Tensor ge1 = Tensor::empty(e1d.shape(), e1d.dtype(), e1d.device());
    Tensor ge2 = need_e2 ? Tensor::empty(e2d.shape(), e2d.dtype(), e2d.device()) : Tensor();
    if (g.device() == Device::CUDA) {
      cuda::diversity_backward(e1d.data<float>(), e2d.data<float>(), wd.data<float>(), B, F, mode,
                               eps, g.data<float>(), d_g.data<float>(), d_z.data<float>(),
                               ge1.data<float>(), need_e2 ? ge2.data<float>() : nullptr);
      return {need_e1 ? ge1 : Tensor(), ge2, Tensor(), Tensor(), Tensor()};
    }
    DG_DISPATCH_FLOAT(e1d.dtype(), "diversity_loss backward", [&] {
      cpu::diversity_backward<T>(e1d.data<T>(), e2d.data<T>(), wd.data<T>(), B, F, mode, eps,
                                 g.data<T>(), d_g.data<T>(), d_z.data<T>(), ge1.data<T>(),
                                 need_e2 ? ge2.data<T>() : nullptr);
    });
    return {need_e1 ? ge1 : Tensor(), ge2, Tensor(), Tensor(), Tensor()};
  });
  return loss;
}

}  // namespace dg
