// Microbenchmark: the dense layers of the ZDC networks (gan/models_zdc.cpp), y = x W^T + b with W
// (out, in), as the three GEMMs of a training step plus the bias kernels:
//   fwd          y (B,out)   = x (B,in) W^T        gemm(false, true,  B,   out, in)
//   bwd-data     gx (B,in)   = gy (B,out) W        gemm(false, false, B,   in,  out)
//   bwd-weight   gW (out,in) = gy^T x              gemm(true,  false, out, in,  B)
//   bias fwd / bias bwd      add_row_bias / bias_backward (hand-written)
// Versions for the GEMMs:
//   dg           kernels/cuda/linear.h gemm: the engine's path (cuBLAS SGEMM, TF32 off)
//   cublas_fp32  cublasGemmEx, CUBLAS_COMPUTE_32F, own handle on the same stream: the baseline,
//                measures the wrapper's overhead
//   cublas_tf32  cublasGemmEx, CUBLAS_COMPUTE_32F_FAST_TF32: what TF32 would give (looser check)
// CPU reference: kernels/cpu/linear.h (Eigen) in double.
#include <cublas_v2.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "bench/kernels/bench_common.h"
#include "kernels/cpu/linear.h"
#include "kernels/cuda/linear.h"

using namespace dg::bench;

namespace {

struct Layer {
  const char* name;
  int64_t in, out;
};
const Layer kLayers[] = {
    {"zdc_gen.fc1 19->256", 19, 256},
    {"zdc_gen.fc2 256->128*13*13", 256, 128 * 13 * 13},
    {"zdc_disc.fc1 16*9*9+9->128", 16 * 9 * 9 + 9, 128},
    {"zdc_disc.fc2 128->64", 128, 64},
    {"zdc_disc.head 64->1", 64, 1},
    {"zdc_dcgan.fc1 19->128*11*11", 19, 128 * 11 * 11},
};

void cublas_check(cublasStatus_t st, const char* call, int line) {
  if (st != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string(call) + " failed at bench_linear.cpp:" +
                             std::to_string(line) + ": status " + std::to_string(int(st)));
}
#define CUBLAS(call) cublas_check((call), #call, __LINE__)

// Row-major C (M,N) = op(A) op(B) as the column-major product C^T = op(B)^T op(A)^T.
void gemm_ex(cublasHandle_t h, cublasComputeType_t ct, bool ta, bool tb, int64_t M, int64_t N,
             int64_t K, const float* A, const float* B, float* C) {
  const float one = 1.f, zero = 0.f;
  CUBLAS(cublasGemmEx(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, int(N),
                      int(M), int(K), &one, B, CUDA_R_32F, int(tb ? K : N), A, CUDA_R_32F,
                      int(ta ? M : K), &zero, C, CUDA_R_32F, int(N), ct, CUBLAS_GEMM_DEFAULT));
}

int run(int argc, char** argv) {
  const Options opt = parse_options(argc, argv);
  Report rep("linear", opt);
  rep.config()["reference"] = "kernels/cpu/linear.h (Eigen) in double on the float inputs";
  cublasHandle_t h = nullptr;
  CUBLAS(cublasCreate(&h));
  CUBLAS(cublasSetStream(h, bench_stream()));
  CUBLAS(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
  uint64_t seed = 300;
  for (int64_t B : opt.batches) {
    for (const auto& l : kLayers) {
      const int64_t in = l.in, out = l.out;
      const auto hx = random_uniform(B * in, seed++), hw = random_uniform(out * in, seed++),
                 hgy = random_uniform(B * out, seed++), hb = random_uniform(out, seed++);
      const auto dx = to_double(hx), dw = to_double(hw), dgy = to_double(hgy), db = to_double(hb);
      std::vector<double> ref_y(B * out), ref_gx(B * in), ref_gw(out * in), ref_yb, ref_gb(out);
      dg::cpu::gemm<double>(false, true, B, out, in, dx.data(), dw.data(), ref_y.data(), false);
      dg::cpu::gemm<double>(false, false, B, in, out, dgy.data(), dw.data(), ref_gx.data(), false);
      dg::cpu::gemm<double>(true, false, out, in, B, dgy.data(), dx.data(), ref_gw.data(), false);
      ref_yb = dgy;  // bias forward adds b to gy's values (accumulates in place)
      dg::cpu::add_row_bias<double>(ref_yb.data(), db.data(), B, out);
      dg::cpu::bias_backward<double>(dgy.data(), ref_gb.data(), B, out);

      DevBuf x(B * in), w(out * in), gy(B * out), bias(out), y(B * out), gx(B * in), gw(out * in),
          yb(B * out), gb(out);
      x.upload(hx), w.upload(hw), gy.upload(hgy), bias.upload(hb);
      std::printf("\n[B=%lld] %s\n", (long long)B, l.name);
      json c0{{"layer", l.name}, {"batch", B}, {"in", in}, {"out", out}};

      struct G {
        const char* dir;
        bool ta, tb;
        int64_t M, N, K;
        const float *A, *Bm;
        DevBuf* C;
        const std::vector<double>* ref;
      };
      const G gemms[] = {
          {"fwd", false, true, B, out, in, x.get(), w.get(), &y, &ref_y},
          {"bwd-data", false, false, B, in, out, gy.get(), w.get(), &gx, &ref_gx},
          {"bwd-weight", true, false, out, in, B, gy.get(), x.get(), &gw, &ref_gw},
      };
      for (const G& g : gemms) {
        json c = c0;
        c["direction"] = g.dir;
        c["gemm"] = {{"trans_a", g.ta}, {"trans_b", g.tb}, {"M", g.M}, {"N", g.N}, {"K", g.K}};
        std::printf(" %s  M=%lld N=%lld K=%lld\n", g.dir, (long long)g.M, (long long)g.N,
                    (long long)g.K);
        const double flops = 2.0 * g.M * g.N * g.K,
                     bytes = 4.0 * (g.M * g.K + g.K * g.N + g.M * g.N);
        const Tol t32{3e-7 * double(g.K) + 1e-5, 1e-4}, ttf{2e-3 * std::sqrt(double(g.K)), 5e-3};
        c["versions"].push_back(run_version(
            rep, opt, "dg",
            [&] { dg::cuda::gemm(g.ta, g.tb, g.M, g.N, g.K, g.A, g.Bm, g.C->get(), false); },
            {{"C", g.C, g.ref, t32}}, flops, bytes));
        c["versions"].push_back(run_version(
            rep, opt, "cublas_fp32",
            [&] {
              gemm_ex(h, CUBLAS_COMPUTE_32F, g.ta, g.tb, g.M, g.N, g.K, g.A, g.Bm, g.C->get());
            },
            {{"C", g.C, g.ref, t32}}, flops, bytes));
        c["versions"].push_back(run_version(
            rep, opt, "cublas_tf32",
            [&] {
              gemm_ex(h, CUBLAS_COMPUTE_32F_FAST_TF32, g.ta, g.tb, g.M, g.N, g.K, g.A, g.Bm,
                      g.C->get());
            },
            {{"C", g.C, g.ref, ttf}}, flops, bytes));
        rep.add_case(c);
      }
      {
        json c = c0;
        c["direction"] = "bias fwd (y += b)";
        std::printf(" bias fwd\n");
        // In place: reset restores yb = gy before the check; timing keeps adding (harmless).
        auto reset = [&] {
          BENCH_CUDA(cudaMemcpyAsync(yb.get(), gy.get(), 4 * B * out, cudaMemcpyDeviceToDevice,
                                     bench_stream()));
        };
        c["versions"].push_back(run_version(
            rep, opt, "dg", [&] { dg::cuda::add_row_bias(yb.get(), bias.get(), B, out); },
            {{"y", &yb, &ref_yb, {1e-6, 1e-6}, false}}, double(B * out), 4.0 * (2 * B * out + out),
            reset));
        rep.add_case(c);
      }
      {
        json c = c0;
        c["direction"] = "bias bwd (gb = sum_rows gy)";
        std::printf(" bias bwd\n");
        c["versions"].push_back(run_version(
            rep, opt, "dg", [&] { dg::cuda::bias_backward(gy.get(), gb.get(), B, out); },
            {{"gb", &gb, &ref_gb, {3e-7 * double(B) + 1e-6, 1e-5}}}, double(B * out),
            4.0 * (B * out + out)));
        rep.add_case(c);
      }
    }
  }
  cublasDestroy(h);
  return rep.finish();
}

}  // namespace

int main(int argc, char** argv) { return bench_main("bench_linear", argc, argv, run); }
