// Batch normalization for (N,C) and (N,C,H,W): batch statistics and running-stat update in
// training, running statistics in eval; optional affine gamma/beta.
#include "engine/ops.h"
#include "kernels/cpu/batch_norm.h"
#include "kernels/cuda/batch_norm.h"
#include "kernels/cuda/cudnn.h"
#include "kernels/cuda/runtime.h"

namespace dg {

namespace {

// The cuDNN backend (runtime.h switch) for CUDA tensors, where cuDNN accepts this eps.
bool use_cudnn_bn(double eps) {
  return cuda::conv_backend() == cuda::ConvBackend::Cudnn && cuda::cudnn_batch_norm_supports(eps);
}

void check_channel_vector(const Tensor& t, const Tensor& x, int64_t C, const char* arg) {
  if (!t.defined()) return;
  DG_CHECK(t.shape() == Shape{C}, "batch_norm: " << arg << " has shape " << shape_str(t.shape())
                                                 << ", expected (" << C << ",)");
  check_same_device(t, x, "batch_norm");
  check_same_dtype(t, x, "batch_norm");
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                  Tensor running_var, bool training, double momentum, double eps) {
  check_defined(x, "batch_norm", "x");
  DG_CHECK(x.dim() == 2 || x.dim() == 4,
           "batch_norm: x must be (N,C) or (N,C,H,W), got " << shape_str(x.shape()));
  const int64_t N = x.size(0), C = x.size(1), S = x.dim() == 4 ? x.size(2) * x.size(3) : 1;
  check_channel_vector(gamma, x, C, "gamma");
  check_channel_vector(beta, x, C, "beta");
  check_channel_vector(running_mean, x, C, "running_mean");
  check_channel_vector(running_var, x, C, "running_var");
  DG_CHECK(running_mean.defined() == running_var.defined(),
           "batch_norm: running_mean and running_var must be given together");
  DG_CHECK(eps >= 0.0, "batch_norm: eps " << eps << " is negative");
  if (training) {
    DG_CHECK(N * S > 1, "batch_norm: training needs more than one value per channel, got input "
                            << shape_str(x.shape()));
    DG_CHECK(momentum >= 0.0 && momentum <= 1.0,
             "batch_norm: momentum " << momentum << " outside [0, 1] (PyTorch convention)");
  } else {
    DG_CHECK(running_mean.defined(), "batch_norm: eval mode needs running_mean and running_var");
  }

  // The (mean, invstd) pair the output is normalized with; the backward reuses it, so it is a
  // private copy even in eval mode (the running buffers may move before backward runs).
  Tensor mean = Tensor::empty({C}, x.dtype(), x.device());
  Tensor invstd = Tensor::empty({C}, x.dtype(), x.device());
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device() == Device::CUDA && use_cudnn_bn(eps)) {
    // cuDNN (kernels/cuda/cudnn.h): same statistics, running-stat convention and (mean, invstd).
    const float* gp = gamma.defined() ? gamma.data<float>() : nullptr;
    const float* bp = beta.defined() ? beta.data<float>() : nullptr;
    if (training) {
      cuda::cudnn_batch_norm_forward_training(
          x.data<float>(), gp, bp, out.data<float>(),
          running_mean.defined() ? running_mean.data<float>() : nullptr,
          running_var.defined() ? running_var.data<float>() : nullptr, mean.data<float>(),
          invstd.data<float>(), N, C, S, momentum, eps);
    } else {
      mean.copy_(running_mean);
      cuda::batch_norm_invstd(running_var.data<float>(), invstd.data<float>(), C, eps);
      cuda::cudnn_batch_norm_forward_inference(x.data<float>(), gp, bp, running_mean.data<float>(),
                                               running_var.data<float>(), out.data<float>(), N, C,
                                               S, eps);
    }
  } else if (x.device() == Device::CUDA) {
    // The same sequence on the device (kernels/cuda/batch_norm.h), float32.
    const float* gp = gamma.defined() ? gamma.data<float>() : nullptr;
    const float* bp = beta.defined() ? beta.data<float>() : nullptr;
    if (training) {
      Tensor var = Tensor::empty({C}, x.dtype(), x.device());
      cuda::batch_norm_stats(x.data<float>(), mean.data<float>(), var.data<float>(), N, C, S);
      cuda::batch_norm_invstd(var.data<float>(), invstd.data<float>(), C, eps);
      if (running_mean.defined())
        cuda::batch_norm_update_running(running_mean.data<float>(), running_var.data<float>(),
                                        mean.data<float>(), var.data<float>(), C, N * S, momentum);
    } else {
      mean.copy_(running_mean);
      cuda::batch_norm_invstd(running_var.data<float>(), invstd.data<float>(), C, eps);
    }
    cuda::batch_norm_forward(x.data<float>(), mean.data<float>(), invstd.data<float>(), gp, bp,
                             out.data<float>(), N, C, S);
  } else {
    DG_DISPATCH_FLOAT(x.dtype(), "batch_norm", [&] {
      if (training) {
        Tensor var = Tensor::empty({C}, x.dtype(), x.device());
        cpu::batch_norm_stats<T>(x.data<T>(), mean.data<T>(), var.data<T>(), N, C, S);
        cpu::batch_norm_invstd<T>(var.data<T>(), invstd.data<T>(), C, eps);
        if (running_mean.defined())
          cpu::batch_norm_update_running<T>(running_mean.data<T>(), running_var.data<T>(),
                                            mean.data<T>(), var.data<T>(), C, N * S, momentum);
      } else {
        mean.copy_(running_mean);
        cpu::batch_norm_invstd<T>(running_var.data<T>(), invstd.data<T>(), C, eps);
      }
      cpu::batch_norm_forward<T>(x.data<T>(), mean.data<T>(), invstd.data<T>(),
                                 gamma.defined() ? gamma.data<T>() : nullptr,
                                 beta.defined() ? beta.data<T>() : nullptr, out.data<T>(), N, C, S);
    });
  }

  if (needs_grad({&x, &gamma, &beta})) {
    Tensor xd = x.detach(), gd = gamma.defined() ? gamma.detach() : Tensor();
    const bool gx = x.requires_grad(), gg = gamma.defined() && gamma.requires_grad(),
               gb = beta.defined() && beta.requires_grad();
    record(out, "batch_norm", {x, gamma, beta},
           [xd, gd, mean, invstd, gx, gg, gb, N, C, S, training, eps](const Tensor& g) {
             Tensor dx = gx ? Tensor::empty(xd.shape(), xd.dtype(), xd.device()) : Tensor();
             Tensor dgamma = gg ? Tensor::empty({C}, xd.dtype(), xd.device()) : Tensor();
             Tensor dbeta = gb ? Tensor::empty({C}, xd.dtype(), xd.device()) : Tensor();
             // cuDNN has the training formula only; eval-mode backward stays hand-written.
             if (g.device() == Device::CUDA && training && use_cudnn_bn(eps)) {
               cuda::cudnn_batch_norm_backward(
                   g.data<float>(), xd.data<float>(), mean.data<float>(), invstd.data<float>(),
                   gd.defined() ? gd.data<float>() : nullptr, gx ? dx.data<float>() : nullptr,
                   gg ? dgamma.data<float>() : nullptr, gb ? dbeta.data<float>() : nullptr, N, C, S,
                   eps);
               return std::vector<Tensor>{dx, dgamma, dbeta};
             }
             if (g.device() == Device::CUDA) {
               cuda::batch_norm_backward(
                   g.data<float>(), xd.data<float>(), mean.data<float>(), invstd.data<float>(),
                   gd.defined() ? gd.data<float>() : nullptr, gx ? dx.data<float>() : nullptr,
                   gg ? dgamma.data<float>() : nullptr, gb ? dbeta.data<float>() : nullptr, N, C, S,
                   training);
               return std::vector<Tensor>{dx, dgamma, dbeta};
             }
             DG_DISPATCH_FLOAT(xd.dtype(), "batch_norm backward", [&] {
               cpu::batch_norm_backward<T>(g.data<T>(), xd.data<T>(), mean.data<T>(),
                                           invstd.data<T>(), gd.defined() ? gd.data<T>() : nullptr,
                                           gx ? dx.data<T>() : nullptr,
                                           gg ? dgamma.data<T>() : nullptr,
                                           gb ? dbeta.data<T>() : nullptr, N, C, S, training);
             });
             return std::vector<Tensor>{dx, dgamma, dbeta};
           });
  }
  return out;
}

}  // namespace dg
