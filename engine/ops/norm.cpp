// Batch normalization for (N,C) and (N,C,H,W): batch statistics and running-stat update in
// training, running statistics in eval; optional affine gamma/beta.
#include "engine/collective.h"
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

// The statistics of the union of the ranks' batches from each rank's (mean, biased var) over
// equal counts: mean = avg(mean_r), var = avg(var_r) + avg((mean_r - mean)^2) (no E[x^2] - E[x]^2
// cancellation). Every rank computes it from the same gathered values in the same order.
void combine_stats(Collective& group, Tensor& mean, Tensor& var, int64_t C) {
  NoGradGuard ng;
  const int64_t R = group.size();
  const Shape pair{1, 2, C};
  // One gather of every rank's (mean, var): (R, 2, C).
  const Tensor all = reshape(
      group.all_gather(reshape(concat({mean, var}, 0), {1, 2 * C}), "the batch-norm statistics"),
      {R, 2, C});
  const double inv = 1.0 / R;
  const Tensor avg = reshape(mul(sum_to(all, pair), inv), {2, C});  // avg(mean_r); avg(var_r)
  const Tensor mu = narrow(avg, 0, 1);
  // (mean_r - mu; var_r - 0) squared and averaged: the first row is the spread of the means.
  const Tensor shift =
      reshape(concat({mu, Tensor::zeros({1, C}, mean.dtype(), mean.device())}, 0), pair);
  const Tensor dev = sub(all, shift);
  const Tensor spread = narrow(reshape(mul(sum_to(mul(dev, dev), pair), inv), {2, C}), 0, 1);
  mean.copy_(reshape(mu, {C}));
  var.copy_(reshape(add(narrow(avg, 1, 1), spread), {C}));
}

// The backward of synchronized training-mode batch norm (ops.h), given the shared (mean, invstd)
// the forward normalized with and M, the values per channel over every rank.
void record_synced_backward(Tensor& out, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                            const Tensor& mean, const Tensor& invstd, int64_t M,
                            Collective& group) {
  const int64_t N = x.size(0), C = x.size(1), S = x.dim() == 4 ? x.size(2) * x.size(3) : 1;
  const bool gpu = x.device() == Device::CUDA;
  Tensor xd = x.detach(), gd = gamma.defined() ? gamma.detach() : Tensor();
  const bool gx = x.requires_grad(), gg = gamma.defined() && gamma.requires_grad(),
             gb = beta.defined() && beta.requires_grad();
  Collective* grp = &group;
  record(out, "batch_norm", {x, gamma, beta},
         [xd, gd, mean, invstd, gx, gg, gb, N, C, S, M, gpu, grp](const Tensor& g) {
           NoGradGuard ng;
           // This rank's sum g and sum g xhat per channel (xhat from the shared statistics).
           Tensor dgamma = Tensor::empty({C}, xd.dtype(), xd.device());
           Tensor dbeta = Tensor::empty({C}, xd.dtype(), xd.device());
           if (gpu) {
             cuda::batch_norm_backward(g.data<float>(), xd.data<float>(), mean.data<float>(),
                                       invstd.data<float>(), nullptr, nullptr, dgamma.data<float>(),
                                       dbeta.data<float>(), N, C, S, true);
           } else {
             DG_DISPATCH_FLOAT(xd.dtype(), "batch_norm backward", [&] {
               cpu::batch_norm_backward<T>(g.data<T>(), xd.data<T>(), mean.data<T>(),
                                           invstd.data<T>(), nullptr, nullptr, dgamma.data<T>(),
                                           dbeta.data<T>(), N, C, S, true);
             });
           }
           Tensor dx;
           if (gx) {
             // dx = gamma invstd (g - sum_all g / M - xhat sum_all g xhat / M): the sums over every
             // rank's rows, each rank's g being the gradient of its own share of the loss.
             Tensor sums = concat({dbeta, dgamma}, 0);
             grp->all_reduce_sum(sums, "the batch-norm gradient");
             const Shape cs = xd.dim() == 4 ? Shape{1, C, 1, 1} : Shape{1, C};
             const Tensor mean_g = reshape(mul(narrow(sums, 0, C), 1.0 / M), cs);
             const Tensor mean_gx = reshape(mul(narrow(sums, C, C), 1.0 / M), cs);
             const Tensor xhat = mul(sub(xd, reshape(mean, cs)), reshape(invstd, cs));
             const Tensor k = reshape(gd.defined() ? mul(gd, invstd) : invstd, cs);
             dx = mul(sub(sub(g, mean_g), mul(xhat, mean_gx)), k);
           }
           return std::vector<Tensor>{dx, gg ? dgamma : Tensor(), gb ? dbeta : Tensor()};
         });
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                  Tensor running_var, bool training, double momentum, double eps,
                  Collective* group) {
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

  // Synchronized: the local statistics are combined over the ranks before use, and the running
  // statistics count every rank's values (M); cuDNN has no hook for that, the kernels below do.
  const bool synced = training && group && group->size() > 1;
  const int64_t M = N * S * (synced ? group->size() : 1);

  // The (mean, invstd) pair the output is normalized with; the backward reuses it, so it is a
  // private copy even in eval mode (the running buffers may move before backward runs).
  Tensor mean = Tensor::empty({C}, x.dtype(), x.device());
  Tensor invstd = Tensor::empty({C}, x.dtype(), x.device());
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device() == Device::CUDA && use_cudnn_bn(eps) && !synced) {
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
      if (synced) combine_stats(*group, mean, var, C);
      cuda::batch_norm_invstd(var.data<float>(), invstd.data<float>(), C, eps);
      if (running_mean.defined())
        cuda::batch_norm_update_running(running_mean.data<float>(), running_var.data<float>(),
                                        mean.data<float>(), var.data<float>(), C, M, momentum);
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
        if (synced) combine_stats(*group, mean, var, C);
        cpu::batch_norm_invstd<T>(var.data<T>(), invstd.data<T>(), C, eps);
        if (running_mean.defined())
          cpu::batch_norm_update_running<T>(running_mean.data<T>(), running_var.data<T>(),
                                            mean.data<T>(), var.data<T>(), C, M, momentum);
      } else {
        mean.copy_(running_mean);
        cpu::batch_norm_invstd<T>(running_var.data<T>(), invstd.data<T>(), C, eps);
      }
      cpu::batch_norm_forward<T>(x.data<T>(), mean.data<T>(), invstd.data<T>(),
                                 gamma.defined() ? gamma.data<T>() : nullptr,
                                 beta.defined() ? beta.data<T>() : nullptr, out.data<T>(), N, C, S);
    });
  }

  if (synced && needs_grad({&x, &gamma, &beta})) {
    record_synced_backward(out, x, gamma, beta, mean, invstd, M, *group);
  } else if (needs_grad({&x, &gamma, &beta})) {
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
