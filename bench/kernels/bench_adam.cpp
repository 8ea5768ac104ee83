// Microbenchmark: Adam as one fused multi-tensor update (kernels/cuda/adam.h adam_update_multi:
// up to 32 tensors per launch) over the parameter lists of the ZDC networks, against the same
// kernel called once per tensor (what a per-parameter optimizer loop launches). Adam does not
// depend on the batch size, so --batch is ignored here. CPU reference: engine/optim.cpp's formula
// (adam_update) in double. In-place update: p, m, v are restored before each check; the timed
// repeats keep stepping (values stay bounded).
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "bench/kernels/bench_common.h"
#include "kernels/cuda/adam.h"

using namespace dg::bench;

namespace {

struct ParamSet {
  const char* name;
  std::vector<int64_t> sizes;
};

// gan/models_zdc.cpp: weights and biases, BN gamma and beta, in module order.
ParamSet zdc_generator() {
  const int64_t d = 128 * 13 * 13;
  return {"zdc_generator",
          {256 * 19, 256, 256, 256, d * 256, d, d, d, 128 * 128 * 9, 128, 128, 128, 64 * 128 * 9,
           64, 64, 64, 64 * 9, 1}};
}
ParamSet zdc_discriminator() {
  return {"zdc_discriminator",
          {32 * 9, 32, 32, 32, 16 * 32 * 9, 16, 16, 16, 128 * 1305, 128, 128, 128, 64 * 128, 64, 64,
           64, 64, 1}};
}
ParamSet zdc_dcgan_generator() {
  const int64_t d = 128 * 11 * 11;
  return {"zdc_dcgan_generator",
          {d * 19, d, d, d, 128 * 64 * 16, 64, 64, 64, 64 * 32 * 16, 32, 32, 32, 32 * 9, 1}};
}

int run(int argc, char** argv) {
  const Options opt = parse_options(argc, argv);
  Report rep("adam", opt);
  // gan/config.h: beta1 0.5, beta2 0.999, eps 1e-8; step 10, lr 1e-4, no weight decay.
  const double lr = 1e-4, b1 = 0.5, b2 = 0.999, eps = 1e-8;
  const int t = 10;
  dg::cuda::AdamStepConstants s{
      b1, b2, eps, 0.0, 1.0, lr / (1 - std::pow(b1, t)), std::sqrt(1 - std::pow(b2, t))};
  rep.config()["adam"] = {{"lr", lr}, {"beta1", b1}, {"beta2", b2}, {"eps", eps}, {"step", t}};
  rep.config()["reference"] = "engine/optim.cpp adam_update formula in double";
  rep.config()["note"] = "Adam is independent of the batch size; --batch is ignored";
  uint64_t seed = 400;
  for (const ParamSet& ps : {zdc_generator(), zdc_discriminator(), zdc_dcgan_generator()}) {
    int64_t n = 0;
    for (int64_t k : ps.sizes) n += k;
    // One flat allocation per state, tensors as slices (like separate parameters, 16-byte aligned).
    std::vector<int64_t> off;
    int64_t total = 0;
    for (int64_t k : ps.sizes) off.push_back(total), total += (k + 3) / 4 * 4;
    const auto hp = random_uniform(total, seed++), hg = random_uniform(total, seed++),
               hm = random_uniform(total, seed++, -0.1f, 0.1f),
               hv = random_uniform(total, seed++, 1e-4f, 1e-2f);
    std::vector<double> rp(total), rm(total), rv(total);
    for (int64_t i = 0; i < total; ++i) {
      const double g = hg[i], p = hp[i];
      const double m = b1 * hm[i] + (1 - b1) * g, v = b2 * hv[i] + (1 - b2) * g * g;
      rm[i] = m, rv[i] = v, rp[i] = p - s.step_size * m / (std::sqrt(v) / s.sqrt_bc2 + eps);
    }
    DevBuf p(total), g(total), m(total), v(total);
    g.upload(hg);
    auto reset = [&] { p.upload(hp), m.upload(hm), v.upload(hv); };
    std::vector<dg::cuda::AdamTensor> ts;
    for (size_t i = 0; i < ps.sizes.size(); ++i)
      ts.push_back(
          {p.get() + off[i], g.get() + off[i], m.get() + off[i], v.get() + off[i], ps.sizes[i]});
    // Padding elements between tensors are not updated: give the reference their old values.
    for (size_t i = 0; i < ps.sizes.size(); ++i) {
      const int64_t end = (i + 1 < ps.sizes.size()) ? off[i + 1] : total;
      for (int64_t j = off[i] + ps.sizes[i]; j < end; ++j)
        rp[j] = hp[j], rm[j] = hm[j], rv[j] = hv[j];
    }
    const double flops = 14.0 * n, bytes = 28.0 * n;
    const Tol tol{1e-6, 1e-5};
    std::printf("\n%s: %zu tensors, %lld parameters\n", ps.name, ps.sizes.size(), (long long)n);
    json c{{"params", ps.name}, {"tensors", ps.sizes.size()}, {"sizes", ps.sizes}, {"numel", n}};
    const std::vector<Output> outs{
        {"p", &p, &rp, tol, false}, {"m", &m, &rm, tol, false}, {"v", &v, &rv, tol, false}};
    c["versions"].push_back(run_version(
        rep, opt, "dg multi-tensor", [&] { dg::cuda::adam_update_multi(ts.data(), ts.size(), s); },
        outs, flops, bytes, reset));
    c["versions"].push_back(run_version(
        rep, opt, "dg one launch per tensor",
        [&] {
          for (const auto& tt : ts) dg::cuda::adam_update_multi(&tt, 1, s);
        },
        outs, flops, bytes, reset));
    rep.add_case(c);
  }
  return rep.finish();
}

}  // namespace

int main(int argc, char** argv) { return bench_main("bench_adam", argc, argv, run); }
