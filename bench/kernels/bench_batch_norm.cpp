// Microbenchmark: batch norm, training mode, at every BatchNorm of the ZDC networks
// (gan/models_zdc.cpp: the dense layers' BN is (B, C) with S = 1, the conv layers' BN (B, C, H*W)).
// Versions:
//   dg          kernels/cuda/batch_norm.h: forward = stats (two passes, double, fixed order) +
//               invstd + running-stat update + normalize; backward = batch_norm_backward (training)
//   dg_cudnn    the engine's run-time-selectable cuDNN path (kernels/cuda/cudnn.h), where built
//   cudnn       cudnnBatchNormalizationForwardTraining / cudnnBatchNormalizationBackward,
//               CUDNN_BATCHNORM_SPATIAL (same math: biased batch variance for normalizing, unbiased
//               for the running variance)
// CPU reference: kernels/cpu/batch_norm.h in double. Outputs checked: y forward; dx, dgamma, dbeta
// backward (gamma, beta random, not 1 and 0).
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "bench/kernels/bench_common.h"
#include "kernels/cpu/batch_norm.h"
#include "kernels/cuda/batch_norm.h"

#ifdef DG_BENCH_CUDNN
#include <cudnn.h>
#endif
#if __has_include("kernels/cuda/cudnn.h")
#include "kernels/cuda/cudnn.h"  // the engine's own cuDNN path, when compiled in
#define DG_BENCH_ENGINE_CUDNN 1
#endif

using namespace dg::bench;

namespace {

constexpr double kEps = 1e-3;       // gan/models_zdc.h bn_eps
constexpr double kMomentum = 0.01;  // Keras 0.99 in PyTorch's convention

struct Layer {
  const char* name;
  int64_t C, S;
};
const Layer kLayers[] = {
    {"zdc_gen.bn1 dense 256", 256, 1},
    {"zdc_gen.bn2 dense 128*13*13", 128 * 13 * 13, 1},
    {"zdc_gen.bn3 128 @24x24", 128, 24 * 24},
    {"zdc_gen.bn4 64 @46x46", 64, 46 * 46},
    {"zdc_disc.bn1 32 @42x42", 32, 42 * 42},
    {"zdc_disc.bn2 16 @19x19", 16, 19 * 19},
    {"zdc_disc.bn3 dense 128", 128, 1},
    {"zdc_disc.bn4 dense 64", 64, 1},
    {"zdc_dcgan.bn1 dense 128*11*11", 128 * 11 * 11, 1},
    {"zdc_dcgan.bn2 64 @22x22", 64, 22 * 22},
    {"zdc_dcgan.bn3 32 @44x44", 32, 44 * 44},
};

#ifdef DG_BENCH_CUDNN
void cudnn_check(cudnnStatus_t st, const char* call, int line) {
  if (st != CUDNN_STATUS_SUCCESS)
    throw std::runtime_error(std::string(call) + " failed at bench_batch_norm.cpp:" +
                             std::to_string(line) + ": " + cudnnGetErrorString(st));
}
#define CUDNN(call) cudnn_check((call), #call, __LINE__)
#endif

int run(int argc, char** argv) {
  const Options opt = parse_options(argc, argv);
  Report rep("batch_norm", opt);
  rep.config()["eps"] = kEps;
  rep.config()["momentum"] = kMomentum;
  rep.config()["reference"] = "kernels/cpu/batch_norm.h in double on the float inputs";
#ifdef DG_BENCH_CUDNN
  cudnnHandle_t cudnn = nullptr;
  CUDNN(cudnnCreate(&cudnn));
  CUDNN(cudnnSetStream(cudnn, bench_stream()));
#endif
  uint64_t seed = 200;
  for (int64_t N : opt.batches) {
    for (const auto& l : kLayers) {
      const int64_t C = l.C, S = l.S, n = N * C * S, M = N * S;
      // x with a per-channel offset so the mean matters; gamma, beta random.
      auto hx = random_uniform(n, seed++, -1.f, 1.f);
      for (int64_t i = 0; i < n; ++i) hx[i] += 0.5f + 0.25f * float((i / S) % C % 7);
      const auto hg = random_uniform(n, seed++), hgamma = random_uniform(C, seed++, 0.5f, 1.5f),
                 hbeta = random_uniform(C, seed++);
      const auto dx_ = to_double(hx), dg_ = to_double(hg), dgamma = to_double(hgamma),
                 dbeta = to_double(hbeta);
      std::vector<double> mean(C), var(C), invstd(C), ref_y(n), ref_dx(n), ref_dgamma(C),
          ref_dbeta(C);
      dg::cpu::batch_norm_stats<double>(dx_.data(), mean.data(), var.data(), N, C, S);
      dg::cpu::batch_norm_invstd<double>(var.data(), invstd.data(), C, kEps);
      dg::cpu::batch_norm_forward<double>(dx_.data(), mean.data(), invstd.data(), dgamma.data(),
                                          dbeta.data(), ref_y.data(), N, C, S);
      dg::cpu::batch_norm_backward<double>(dg_.data(), dx_.data(), mean.data(), invstd.data(),
                                           dgamma.data(), ref_dx.data(), ref_dgamma.data(),
                                           ref_dbeta.data(), N, C, S, true);

      DevBuf x(n), g(n), gamma(C), beta(C), y(n), dx(n), dgm(C), dbt(C), bmean(C), bvar(C), binv(C),
          rmean(C), rvar(C);
      x.upload(hx), g.upload(hg), gamma.upload(hgamma), beta.upload(hbeta);
      const std::vector<float> zeros(C, 0.f), ones(C, 1.f);
      rmean.upload(zeros), rvar.upload(ones);

      auto dg_fwd = [&] {
        dg::cuda::batch_norm_stats(x.get(), bmean.get(), bvar.get(), N, C, S);
        dg::cuda::batch_norm_invstd(bvar.get(), binv.get(), C, kEps);
        dg::cuda::batch_norm_update_running(rmean.get(), rvar.get(), bmean.get(), bvar.get(), C, M,
                                            kMomentum);
        dg::cuda::batch_norm_forward(x.get(), bmean.get(), binv.get(), gamma.get(), beta.get(),
                                     y.get(), N, C, S);
      };
      auto dg_bwd = [&] {
        dg::cuda::batch_norm_backward(g.get(), x.get(), bmean.get(), binv.get(), gamma.get(),
                                      dx.get(), dgm.get(), dbt.get(), N, C, S, true);
      };
      // Forward: read x twice (stats, normalize) at best once, write y; backward: read g, x, write
      // dx.
      const double fwd_bytes = 4.0 * (2.0 * n + 4.0 * C), bwd_bytes = 4.0 * (3.0 * n + 5.0 * C);
      const double fwd_flops = 8.0 * n, bwd_flops = 10.0 * n;
      const Tol tol_y{1e-5, 1e-4}, tol_dx{1e-5, 1e-4};
      const Tol tol_sum{3e-7 * double(M) + 1e-5, 1e-4};
      std::printf("\n[N=%lld] %s  x(%lld,%lld,%lld)\n", (long long)N, l.name, (long long)N,
                  (long long)C, (long long)S);
      json c{{"layer", l.name}, {"batch", N}, {"C", C}, {"S", S}};
      std::vector<Output> fwd_out{{"y", &y, &ref_y, tol_y}};
      std::vector<Output> bwd_out{{"dx", &dx, &ref_dx, tol_dx},
                                  {"dgamma", &dgm, &ref_dgamma, tol_sum},
                                  {"dbeta", &dbt, &ref_dbeta, tol_sum}};
      c["versions"].push_back(
          run_version(rep, opt, "dg fwd (train)", dg_fwd, fwd_out, fwd_flops, fwd_bytes));
      c["versions"].push_back(
          run_version(rep, opt, "dg bwd (train)", dg_bwd, bwd_out, bwd_flops, bwd_bytes, dg_fwd));
#ifdef DG_BENCH_ENGINE_CUDNN
      if (dg::cuda::built_with_cudnn() && dg::cuda::cudnn_batch_norm_supports(kEps)) {
        DevBuf smean(C), sinv(C);
        auto ec_fwd = [&] {
          dg::cuda::cudnn_batch_norm_forward_training(x.get(), gamma.get(), beta.get(), y.get(),
                                                      rmean.get(), rvar.get(), smean.get(),
                                                      sinv.get(), N, C, S, kMomentum, kEps);
        };
        auto ec_bwd = [&] {
          dg::cuda::cudnn_batch_norm_backward(g.get(), x.get(), smean.get(), sinv.get(),
                                              gamma.get(), dx.get(), dgm.get(), dbt.get(), N, C, S,
                                              kEps);
        };
        c["versions"].push_back(
            run_version(rep, opt, "dg_cudnn fwd (train)", ec_fwd, fwd_out, fwd_flops, fwd_bytes));
        c["versions"].push_back(run_version(rep, opt, "dg_cudnn bwd (train)", ec_bwd, bwd_out,
                                            bwd_flops, bwd_bytes, ec_fwd));
      }
#endif
#ifdef DG_BENCH_CUDNN
      cudnnTensorDescriptor_t xd = nullptr, pd = nullptr;
      CUDNN(cudnnCreateTensorDescriptor(&xd));
      CUDNN(cudnnCreateTensorDescriptor(&pd));
      // (N, C, S, 1): SPATIAL normalizes over N, H, W per channel.
      CUDNN(cudnnSetTensor4dDescriptor(xd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, int(N), int(C),
                                       int(S), 1));
      CUDNN(cudnnDeriveBNTensorDescriptor(pd, xd, CUDNN_BATCHNORM_SPATIAL));
      DevBuf cmean(C), cinv(C);
      const float one = 1.f, zero = 0.f;
      auto cd_fwd = [&] {
        CUDNN(cudnnBatchNormalizationForwardTraining(
            cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, xd, x.get(), xd, y.get(), pd, gamma.get(),
            beta.get(), kMomentum, rmean.get(), rvar.get(), kEps, cmean.get(), cinv.get()));
      };
      auto cd_bwd = [&] {
        CUDNN(cudnnBatchNormalizationBackward(
            cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, &one, &zero, xd, x.get(), xd, g.get(), xd,
            dx.get(), pd, gamma.get(), dgm.get(), dbt.get(), kEps, cmean.get(), cinv.get()));
      };
      c["versions"].push_back(
          run_version(rep, opt, "cudnn fwd (train)", cd_fwd, fwd_out, fwd_flops, fwd_bytes));
      c["versions"].push_back(run_version(rep, opt, "cudnn bwd (train)", cd_bwd, bwd_out, bwd_flops,
                                          bwd_bytes, cd_fwd));
      cudnnDestroyTensorDescriptor(pd);
      cudnnDestroyTensorDescriptor(xd);
#endif
      rep.add_case(c);
    }
  }
#ifdef DG_BENCH_CUDNN
  cudnnDestroy(cudnn);
#endif
  return rep.finish();
}

}  // namespace

int main(int argc, char** argv) { return bench_main("bench_batch_norm", argc, argv, run); }
