// Microbenchmark: the memory-bound elementwise kernels at the ZDC activation sizes:
// leaky-ReLU (slope 0.2) and sigmoid forward/backward (kernels/cuda/unary.h), same-shape add
// (kernels/cuda/elementwise.h binary_forward) and scale_shift. Baseline: cudaMemcpyAsync
// device-to-device of the same number of bytes read + written (the bandwidth roof any of these
// kernels can reach; reported as GB/s of that copy, it has no CPU reference). CPU reference:
// kernels/cpu/{unary,elementwise}.h in double.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "bench/kernels/bench_common.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/unary.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/unary.h"

using namespace dg::bench;
using dg::cpu::BinaryOp;
using dg::cpu::UnaryOp;

namespace {

int run(int argc, char** argv) {
  const Options opt = parse_options(argc, argv);
  Report rep("elementwise", opt);
  rep.config()["reference"] = "kernels/cpu/{unary,elementwise}.h in double on the float inputs";
  dg::cpu::UnaryParams leaky{};
  leaky.slope = 0.2;
  const dg::cpu::UnaryParams none{};
  uint64_t seed = 500;
  for (int64_t B : opt.batches) {
    for (const auto& a : kZdcActivations) {
      const int64_t n = B * a.per_sample;
      const auto hx = random_uniform(n, seed++, -3.f, 3.f), hb = random_uniform(n, seed++),
                 hg = random_uniform(n, seed++);
      const auto dx = to_double(hx), db = to_double(hb), dgy = to_double(hg);
      DevBuf x(n), b(n), gy(n), y(n), gx(n), roof_src(2 * n),
          roof_dst(2 * n);  // roof: up to 1.5n floats
      x.upload(hx), b.upload(hb), gy.upload(hg);
      std::printf("\n[B=%lld] %s  n=%lld\n", (long long)B, a.name, (long long)n);
      json c0{{"activation", a.name}, {"batch", B}, {"numel", n}};
      const Tol tol{1e-6, 1e-6};
      const double rw2 = 8.0 * n, rw3 = 12.0 * n;  // bytes: 1 read + 1 write, 2 reads + 1 write

      auto add_case = [&](const char* op, std::vector<json> versions) {
        json c = c0;
        c["op"] = op;
        c["versions"] = versions;
        rep.add_case(c);
      };
      auto copy_roof = [&](double bytes) {
        // Not validated (a copy); bytes/2 read and bytes/2 written, as the kernel it sits beside.
        Timing t = time_it(
            [&] {
              BENCH_CUDA(cudaMemcpyAsync(roof_dst.get(), roof_src.get(), size_t(bytes / 2),
                                         cudaMemcpyDeviceToDevice, bench_stream()));
            },
            opt);
        print_timing("cudaMemcpy D2D (roof)", t, 0, bytes);
        return json{{"name", "cudaMemcpy D2D (bandwidth roof)"},
                    {"valid", nullptr},
                    {"timed", true},
                    {"figures", figures(t, 0, bytes)}};
      };
      std::vector<double> ref(n), ref_sig(n);
      for (auto [op, p, label] : {std::tuple{UnaryOp::LeakyRelu, leaky, "leaky_relu"},
                                  std::tuple{UnaryOp::Sigmoid, none, "sigmoid"}}) {
        dg::cpu::unary_forward<double>(op, p, dx.data(), ref.data(), n);
        ref_sig = ref;  // the forward output, which sigmoid's backward reads
        std::printf(" %s fwd\n", label);
        add_case((std::string(label) + " fwd").c_str(),
                 {run_version(
                      rep, opt, "dg", [&] { dg::cuda::unary_forward(op, p, x.get(), y.get(), n); },
                      {{"y", &y, &ref, tol}}, double(n), rw2),
                  copy_roof(rw2)});
        dg::cpu::unary_backward<double>(op, p, dx.data(), ref_sig.data(), dgy.data(), ref.data(),
                                        n);
        std::printf(" %s bwd\n", label);
        // y holds the forward output from the check above (and the timed runs: same values).
        add_case(
            (std::string(label) + " bwd").c_str(),
            {run_version(
                 rep, opt, "dg",
                 [&] { dg::cuda::unary_backward(op, p, x.get(), y.get(), gy.get(), gx.get(), n); },
                 {{"gx", &gx, &ref, tol}}, double(n), rw3),
             copy_roof(rw3)});
      }
      dg::cpu::binary_forward<double>(BinaryOp::Add, dx.data(), db.data(), ref.data(), {n}, {1},
                                      {1});
      std::printf(" add\n");
      add_case("add (same shape)", {run_version(
                                        rep, opt, "dg",
                                        [&] {
                                          dg::cuda::binary_forward(BinaryOp::Add, x.get(), b.get(),
                                                                   y.get(), {n}, {1}, {1});
                                        },
                                        {{"out", &y, &ref, tol}}, double(n), rw3),
                                    copy_roof(rw3)});
      for (int64_t i = 0; i < n; ++i) ref[i] = double(float(hx[i] * 0.5f)) + 0.25;
      std::printf(" scale_shift\n");
      add_case("scale_shift",
               {run_version(
                    rep, opt, "dg",
                    [&] { dg::cuda::scale_shift_forward(x.get(), y.get(), n, 0.5f, 0.25f); },
                    {{"out", &y, &ref, tol}}, 2.0 * n, rw2),
                copy_roof(rw2)});
    }
  }
  return rep.finish();
}

}  // namespace

int main(int argc, char** argv) { return bench_main("bench_elementwise", argc, argv, run); }
