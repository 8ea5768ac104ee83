// Microbenchmark: inverted dropout (p = 0.2) and the fused dropout + leaky-ReLU (slope 0.1) pass
// that ends every hidden block of the ZDC networks, forward and backward, at the ZDC activation
// sizes; the unfused version is the same math as two kernels (kernels/cuda/dropout.h then
// kernels/cuda/unary.h, backward in reverse), i.e. the "before" of the fusion. CPU reference:
// kernels/cpu/dropout.h in double (the mask depends only on Philox (seed, offset)).
#include <cstdio>
#include <string>
#include <vector>

#include "bench/kernels/bench_common.h"
#include "kernels/cpu/dropout.h"
#include "kernels/cuda/dropout.h"
#include "kernels/cuda/unary.h"

using namespace dg::bench;

namespace {

int run(int argc, char** argv) {
  const Options opt = parse_options(argc, argv);
  Report rep("dropout", opt);
  rep.config()["reference"] = "kernels/cpu/dropout.h in double on the float inputs";
  constexpr double kP = 0.2, kKeep = 1.0 - kP, kSlope = 0.1;
  const float scale = static_cast<float>(1.0 / kKeep), slope = static_cast<float>(kSlope);
  rep.config()["p"] = kP;
  rep.config()["slope"] = kSlope;
  const uint64_t rng_seed = 0x5eedd00dULL, rng_offset = 12345;
  dg::cpu::UnaryParams leaky{};
  leaky.slope = kSlope;
  uint64_t seed = 900;
  for (int64_t B : opt.batches) {
    for (const auto& a : kZdcActivations) {
      const int64_t n = B * a.per_sample;
      const auto hx = random_uniform(n, seed++, -3.f, 3.f), hg = random_uniform(n, seed++);
      const auto dx = to_double(hx), dgy = to_double(hg);
      DevBuf x(n), gy(n), y(n), mid(n), gx(n), gmid(n);
      x.upload(hx), gy.upload(hg);
      std::printf("\n[B=%lld] %s  n=%lld\n", (long long)B, a.name, (long long)n);
      json c0{{"activation", a.name}, {"batch", B}, {"numel", n}};
      const Tol tol{1e-6, 1e-6};
      const double rw2 = 8.0 * n, rw3 = 12.0 * n;
      auto add_case = [&](const char* op, std::vector<json> versions) {
        json c = c0;
        c["op"] = op;
        c["versions"] = versions;
        rep.add_case(c);
      };

      std::vector<double> ref(n), ref_out(n), ref_g(n);
      dg::cpu::dropout_apply<double>(dx.data(), ref.data(), n, rng_seed, rng_offset, kKeep,
                                     1.0 / kKeep);
      std::printf(" dropout fwd\n");
      add_case("dropout fwd", {run_version(
                                  rep, opt, "dg",
                                  [&] {
                                    dg::cuda::dropout_apply(x.get(), y.get(), n, rng_seed,
                                                            rng_offset, kKeep, scale);
                                  },
                                  {{"y", &y, &ref, tol}}, double(n), rw2)});

      dg::cpu::dropout_leaky_relu_forward<double>(dx.data(), ref_out.data(), n, rng_seed,
                                                  rng_offset, kKeep, 1.0 / kKeep, kSlope);
      std::printf(" dropout + leaky_relu fwd\n");
      add_case(
          "dropout+leaky_relu fwd",
          {run_version(
               rep, opt, "fused",
               [&] {
                 dg::cuda::dropout_leaky_relu_forward(x.get(), y.get(), n, rng_seed, rng_offset,
                                                      kKeep, scale, slope);
               },
               {{"y", &y, &ref_out, tol}}, 2.0 * n, rw2),
           run_version(
               rep, opt, "unfused (dropout, then leaky_relu)",
               [&] {
                 dg::cuda::dropout_apply(x.get(), mid.get(), n, rng_seed, rng_offset, kKeep, scale);
                 dg::cuda::unary_forward(dg::cpu::UnaryOp::LeakyRelu, leaky, mid.get(), y.get(), n);
               },
               {{"y", &y, &ref_out, tol}}, 2.0 * n, 2 * rw2)});

      // y now holds the fused forward's output (the backward reads it), mid the dropout output.
      dg::cpu::dropout_leaky_relu_backward<double>(ref_out.data(), dgy.data(), ref_g.data(), n,
                                                   rng_seed, rng_offset, kKeep, 1.0 / kKeep,
                                                   kSlope);
      std::printf(" dropout + leaky_relu bwd\n");
      add_case("dropout+leaky_relu bwd",
               {run_version(
                    rep, opt, "fused",
                    [&] {
                      dg::cuda::dropout_leaky_relu_backward(y.get(), gy.get(), gx.get(), n,
                                                            rng_seed, rng_offset, kKeep, scale,
                                                            slope);
                    },
                    {{"gx", &gx, &ref_g, tol}}, 3.0 * n, rw3),
                run_version(
                    rep, opt, "unfused (leaky_relu bwd, then dropout bwd)",
                    [&] {
                      dg::cuda::unary_backward(dg::cpu::UnaryOp::LeakyRelu, leaky, mid.get(),
                                               nullptr, gy.get(), gmid.get(), n);
                      dg::cuda::dropout_apply(gmid.get(), gx.get(), n, rng_seed, rng_offset, kKeep,
                                              scale);
                    },
                    {{"gx", &gx, &ref_g, tol}}, 3.0 * n, rw3 + rw2)});
    }
  }
  return rep.finish();
}

}  // namespace

int main(int argc, char** argv) { return bench_main("bench_dropout", argc, argv, run); }
