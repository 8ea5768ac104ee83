// Microbenchmark: the fused diversity regularizer (kernels/cuda/diversity.h: one launch forward,
// one backward) against the same math as separate engine kernels (what the autograd graph of
// sub/abs/mean_rows/div/add/mean launches without the fused op: kernels/cuda/{elementwise,unary,
// reduce}.h), at the ZDC shapes:
//   DS     (gan/regularizers.cpp ds_loss):   e = flattened images (B, 44*44), kRatioNegative,
//          e2 detached (no grad_e2)
//   SDI / DivBal (sdi_loss, divbal_loss):    e = discriminator features (B, 64), kRatioInverse,
//          gradients w.r.t. both e1 and e2
// latents z (B, 10). Versions: fused / unfused, each for forward, backward and forward+backward
// (the figure the 10x target of issue 4 is about). CPU reference: kernels/cpu/diversity.h in
// double. Every version's outputs (d_g, d_z, loss; grad_e1, grad_e2) are validated before timing.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "bench/kernels/bench_common.h"
#include "kernels/cpu/diversity.h"
#include "kernels/cuda/diversity.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/reduce.h"
#include "kernels/cuda/unary.h"

using namespace dg::bench;
using dg::DiversityMode;
using dg::cpu::BinaryOp;
using dg::cpu::UnaryOp;

namespace {

constexpr int64_t kLatent = 10;  // gan/models_zdc.h kZdcLatent
constexpr double kEps = 1e-5;    // gan/regularizers.h default

struct Case {
  const char* name;
  int64_t F;
  DiversityMode mode;
  bool grad_e2;
};
const Case kCases[] = {
    {"ds: images (B,1936), ratio-negative, e2 detached", 44 * 44, DiversityMode::kRatioNegative,
     false},
    {"sdi/divbal: disc features (B,64), ratio-inverse", 64, DiversityMode::kRatioInverse, true},
};

// Same-shape elementwise binary op through the engine's broadcasting kernel.
void bin(BinaryOp op, const float* a, const float* b, float* out, int64_t n) {
  dg::cuda::binary_forward(op, a, b, out, {n}, {1}, {1});
}

int run(int argc, char** argv) {
  const Options opt = parse_options(argc, argv);
  Report rep("diversity", opt);
  rep.config()["latent_dim"] = kLatent;
  rep.config()["eps"] = kEps;
  rep.config()["reference"] = "kernels/cpu/diversity.h in double on the float inputs";
  rep.config()["unfused"] =
      "forward: sub, abs, sum_rows (e and z), then ratio ops and sum_all; backward: the autograd "
      "chain "
      "(sum_all_backward, mul/div, sum_rows_backward, abs backward, negation for grad_e2); engine "
      "kernels, "
      "one launch each";
  uint64_t seed = 100;
  const dg::cpu::UnaryParams up{};
  for (int64_t B : opt.batches) {
    for (const auto& cs : kCases) {
      const int64_t F = cs.F, K = kLatent;
      const auto he1 = random_uniform(B * F, seed++), he2 = random_uniform(B * F, seed++);
      const auto hz1 = random_uniform(B * K, seed++), hz2 = random_uniform(B * K, seed++);
      const auto hw = random_uniform(B, seed++, 0.5f, 1.5f);
      const std::vector<float> hg{1.0f};
      const auto de1 = to_double(he1), de2 = to_double(he2), dz1 = to_double(hz1),
                 dz2 = to_double(hz2), dw = to_double(hw);
      std::vector<double> ref_dg(B), ref_dz(B), ref_loss(1), ref_ge1(B * F), ref_ge2(B * F);
      const double g1 = 1.0;
      dg::cpu::diversity_forward<double>(de1.data(), de2.data(), dz1.data(), dz2.data(), dw.data(),
                                         B, F, K, cs.mode, kEps, ref_dg.data(), ref_dz.data(),
                                         ref_loss.data());
      dg::cpu::diversity_backward<double>(de1.data(), de2.data(), dw.data(), B, F, cs.mode, kEps,
                                          &g1, ref_dg.data(), ref_dz.data(), ref_ge1.data(),
                                          cs.grad_e2 ? ref_ge2.data() : nullptr);

      DevBuf e1(B * F), e2(B * F), z1(B * K), z2(B * K), w(B), gl(1);
      e1.upload(he1), e2.upload(he2), z1.upload(hz1), z2.upload(hz2), w.upload(hw), gl.upload(hg);
      DevBuf d_g(B), d_z(B), loss(1), ge1(B * F), ge2(B * F);
      // unfused intermediates
      DevBuf diff_e(B * F), abs_e(B * F), diff_z(B * K), abs_z(B * K), t0(B), t1(B), t2(B), t3(B),
          t4(B), t5(B), g_abs(B * F);

      auto fused_fwd = [&] {
        dg::cuda::diversity_forward(e1.get(), e2.get(), z1.get(), z2.get(), w.get(), B, F, K,
                                    cs.mode, kEps, d_g.get(), d_z.get(), loss.get());
      };
      auto fused_bwd = [&] {
        dg::cuda::diversity_backward(e1.get(), e2.get(), w.get(), B, F, cs.mode, kEps, gl.get(),
                                     d_g.get(), d_z.get(), ge1.get(),
                                     cs.grad_e2 ? ge2.get() : nullptr);
      };
      // t0 = ratio denominator / ratio, t1 = per-sample term (see kernels/cpu/diversity.h).
      auto unfused_fwd = [&] {
        bin(BinaryOp::Sub, e1.get(), e2.get(), diff_e.get(), B * F);
        dg::cuda::unary_forward(UnaryOp::Abs, up, diff_e.get(), abs_e.get(), B * F);
        dg::cuda::sum_rows_forward(abs_e.get(), d_g.get(), B, F, 1.0 / double(F));
        bin(BinaryOp::Sub, z1.get(), z2.get(), diff_z.get(), B * K);
        dg::cuda::unary_forward(UnaryOp::Abs, up, diff_z.get(), abs_z.get(), B * K);
        dg::cuda::sum_rows_forward(abs_z.get(), d_z.get(), B, K, 1.0 / double(K));
        if (cs.mode == DiversityMode::kRatioInverse) {
          bin(BinaryOp::Div, d_g.get(), d_z.get(), t2.get(), B);  // ratio
          dg::cuda::scale_shift_forward(t2.get(), t0.get(), B, 1.f,
                                        float(kEps));          // denom = ratio + eps
          bin(BinaryOp::Div, w.get(), t0.get(), t1.get(), B);  // term = w / denom
          dg::cuda::sum_all_forward(t1.get(), loss.get(), B, 1.0 / double(B));
        } else {
          dg::cuda::scale_shift_forward(d_z.get(), t0.get(), B, 1.f, float(kEps));  // dz + eps
          bin(BinaryOp::Div, d_g.get(), t0.get(), t2.get(), B);                     // r
          bin(BinaryOp::Mul, t2.get(), w.get(), t1.get(), B);                       // w r
          dg::cuda::sum_all_forward(t1.get(), loss.get(), B, -1.0 / double(B));     // -mean
        }
      };
      // Reads diff_e, t0 (and d_z) from unfused_fwd, as autograd would keep them.
      auto unfused_bwd = [&] {
        if (cs.mode == DiversityMode::kRatioInverse) {
          dg::cuda::sum_all_backward(gl.get(), t1.get(), B, 1.0 / double(B));  // g_term
          bin(BinaryOp::Mul, t1.get(), w.get(), t2.get(), B);                  // g_term w
          bin(BinaryOp::Mul, t0.get(), t0.get(), t3.get(), B);                 // denom^2
          bin(BinaryOp::Div, t2.get(), t3.get(), t4.get(), B);                 // g w / denom^2
          dg::cuda::scale_shift_forward(t4.get(), t5.get(), B, -1.f, 0.f);     // g_ratio
          bin(BinaryOp::Div, t5.get(), d_z.get(), t3.get(), B);                // g_dg
        } else {
          dg::cuda::sum_all_backward(gl.get(), t1.get(), B, -1.0 / double(B));  // g_(w r)
          bin(BinaryOp::Mul, t1.get(), w.get(), t2.get(), B);                   // g_r
          bin(BinaryOp::Div, t2.get(), t0.get(), t3.get(), B);                  // g_dg
        }
        dg::cuda::sum_rows_backward(t3.get(), g_abs.get(), B, F, 1.0 / double(F));
        dg::cuda::unary_backward(UnaryOp::Abs, up, diff_e.get(), nullptr, g_abs.get(), ge1.get(),
                                 B * F);
        if (cs.grad_e2) dg::cuda::scale_shift_forward(ge1.get(), ge2.get(), B * F, -1.f, 0.f);
      };

      // Napkin math: forward reads e1, e2, z1, z2, w; backward reads e1, e2, w, d_g, d_z and writes
      // grad_e1 (and grad_e2). Flops: ~3 per element of e and z (sub, abs, add) forward, ~2
      // backward.
      const double n_e = double(B * F), n_z = double(B * K);
      const double fwd_bytes = 4.0 * (2 * n_e + 2 * n_z + 3 * B + 1);
      const double bwd_bytes = 4.0 * (2 * n_e + 3 * B + 1 + n_e * (cs.grad_e2 ? 2 : 1));
      const double fwd_flops = 3.0 * (n_e + n_z) + 6.0 * B,
                   bwd_flops = 2.0 * n_e * (cs.grad_e2 ? 2 : 1) + 6.0 * B;

      std::printf("\n[B=%lld] %s\n", (long long)B, cs.name);
      json c{
          {"case", cs.name},
          {"batch", B},
          {"F", F},
          {"K", K},
          {"grad_e2", cs.grad_e2},
          {"kind", cs.mode == DiversityMode::kRatioInverse ? "ratio_inverse" : "ratio_negative"}};
      const Tol tol_sum{1e-6, 1e-5};  // float vs double of a mean of |differences|
      const Tol tol_grad{1e-9, 1e-5};
      std::vector<Output> fwd_out{{"d_g", &d_g, &ref_dg, tol_sum},
                                  {"d_z", &d_z, &ref_dz, tol_sum},
                                  {"loss", &loss, &ref_loss, tol_sum}};
      std::vector<Output> bwd_out{{"grad_e1", &ge1, &ref_ge1, tol_grad}};
      if (cs.grad_e2) bwd_out.push_back({"grad_e2", &ge2, &ref_ge2, tol_grad});
      std::vector<Output> both = fwd_out;
      both.insert(both.end(), bwd_out.begin(), bwd_out.end());
      // Backward-only versions need the forward's d_g, d_z (and the unfused graph's saved tensors):
      // reset runs the matching forward first, outside the check's poisoning of the gradients.
      c["versions"].push_back(
          run_version(rep, opt, "fused fwd", fused_fwd, fwd_out, fwd_flops, fwd_bytes));
      c["versions"].push_back(
          run_version(rep, opt, "unfused fwd", unfused_fwd, fwd_out, fwd_flops, fwd_bytes));
      c["versions"].push_back(
          run_version(rep, opt, "fused bwd", fused_bwd, bwd_out, bwd_flops, bwd_bytes, fused_fwd));
      c["versions"].push_back(run_version(rep, opt, "unfused bwd", unfused_bwd, bwd_out, bwd_flops,
                                          bwd_bytes, unfused_fwd));
      c["versions"].push_back(run_version(
          rep, opt, "fused fwd+bwd", [&] { fused_fwd(), fused_bwd(); }, both, fwd_flops + bwd_flops,
          fwd_bytes + bwd_bytes));
      c["versions"].push_back(run_version(
          rep, opt, "unfused fwd+bwd", [&] { unfused_fwd(), unfused_bwd(); }, both,
          fwd_flops + bwd_flops, fwd_bytes + bwd_bytes));
      rep.add_case(c);
    }
  }
  return rep.finish();
}

}  // namespace

int main(int argc, char** argv) { return bench_main("bench_diversity", argc, argv, run); }
