// Regression pin for the refactor of gan/trainer.cpp and gan/regularizers.*: the three losses a
// training step reports (loss_d, loss_g_adv, loss_div) for every regularizer, 20 steps each, on a
// small simulated ZDC set (DCGAN generator) and on the 2D benchmark, must equal bit for bit the
// tables in tests/loss_regression_tables.h.
//
// The values: the losses the engine computed at commit e2df5d9, the commit before the
// regularizer/trainer refactor, recorded from CPU float32 runs of exactly the setup below (the
// trainer keeps them as float32; StepStats holds them as doubles, so the hex-float literals are
// exact). Bitwise, because the refactor is meant to move code, not to change arithmetic: any
// reordered sum, fused or split expression or changed draw from a random stream shows up as a
// differing bit within a step or two, while a tolerance would let it through.
//
// One table per instruction set. GCC contracts a*b+c into an FMA wherever the target has FMA (the
// build's -std=gnu++20 implies -ffp-contract=fast), and Eigen picks its GEMM kernels (and with
// them the summation order) by the vector extensions compiled in, so a -march=native build
// (DG_NATIVE=ON, the default; AVX-512 + FMA on the recording machine), an AVX2 + FMA build and a
// DG_NATIVE=OFF build (x86-64: SSE2, no FMA) all compute different floats. recorded_table() picks
// the table by the macros the compiler defines. Tables hold for optimized builds (Release -O3 and
// RelWithDebInfo -O2 agree) with GCC 12 (this image's compiler) and Intel or generic tuning; a
// build they do not cover (another compiler, -O0, -mtune=znver*, whose FMA-chain avoidance changes
// contractions, another instruction set) skips the test with a message. Eigen also sizes the depth
// blocks of its GEMM from the L1 cache size it reads with cpuid, which changes the summation order
// of long products from one CPU to another, so the test pins Eigen's cache sizes
// (PinnedEigenCacheSizes) while it runs, to the recording machine's (where unpinned runs give the
// same values). The thread count does not matter (the CPU kernels sum in a fixed order); the C
// library's exp, log and tanh are those of the build image.
//
// After an intentional numerical change (a kernel, the simulator, an initialization, a default),
// re-record every table: in each of the three configurations below, build and run
//   DG_RECORD_LOSSES=1 build/dg_tests -tc="regression:*" | sed -n '/^\/\/ Recorded/,/^};/p'
// and paste the printed array over the one of the same name; then clang-format the file and put
// the commit the values now come from in this header. On an x86-64 machine with AVX-512, each
// configured with -G Ninja -DDG_CUDA=OFF -DDG_BENCH=OFF and built with --target dg_tests:
//   cmake -S . -B build                                                      kLossesAvx512Fma
//   cmake -S . -B build -DDG_NATIVE=OFF -DCMAKE_CXX_FLAGS=-march=x86-64-v3   kLossesAvx2Fma
//   cmake -S . -B build -DDG_NATIVE=OFF                                      kLossesSse2
// Run: build/dg_tests -tc="regression:*"
#include <doctest/doctest.h>

#include <Eigen/Core>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>

#include "datasets/benchmark2d.h"
#include "gan/models_zdc.h"
#include "gan/trainer.h"
#include "tests/loss_regression_tables.h"
#include "tests/test_support.h"

using namespace dg;
using namespace dg::gan;
using namespace dg::test::loss_regression;

namespace {

constexpr const char* kLossNames[3] = {"loss_d", "loss_g_adv", "loss_div"};

// ZDC: 30 simulated particles (tests/test_support.h), DCGAN generator, batch 3 (odd, so that a
// reordered batch sum changes bits), DS unclamped. 2D: batch 16, 10 points per (class, spread),
// hidden 32, DS clamped at a tau that clips some samples and not others. Default lambdas.
TrainConfig run_config(const std::string& dataset, Regularizer reg) {
  TrainConfig c;
  c.dataset = parse_dataset(dataset);
  c.reg = reg;
  c.seed = 11;
  if (c.dataset == Dataset::Zdc) {
    c.generator = GeneratorArch::Dcgan;
    c.latent = kZdcLatent;
    c.batch = 3;
    c.reg_opt.divco_negatives = 2;
  } else {
    c.batch = 16;
    c.per_condition = 10;
    c.hidden = 32;
    c.reg_opt.divco_negatives = 4;
    c.reg_opt.ds_tau = 0.03;
  }
  return c;
}

std::shared_ptr<const data::ConditionalDataset> run_data(const TrainConfig& c) {
  if (c.dataset == Dataset::Zdc) {
    static const std::shared_ptr<const data::ConditionalDataset> zdc =
        test::simulated_zdc_train(30);
    return zdc;
  }
  return std::make_shared<data::Benchmark2D>(data::make_points2d(c.seed, c.per_condition, 0));
}

// Pins the cache sizes Eigen derives its GEMM blocking from (by default read with cpuid) to those
// of the recording machine (L1 48 KiB, L2 2 MiB, L3 480 MiB), and restores the previous ones on
// exit.
class PinnedEigenCacheSizes {
 public:
  PinnedEigenCacheSizes() { Eigen::setCpuCacheSizes(48 << 10, 2 << 20, 480 << 20); }
  ~PinnedEigenCacheSizes() { Eigen::setCpuCacheSizes(l1_, l2_, l3_); }
  PinnedEigenCacheSizes(const PinnedEigenCacheSizes&) = delete;
  PinnedEigenCacheSizes& operator=(const PinnedEigenCacheSizes&) = delete;

 private:
  std::ptrdiff_t l1_ = Eigen::l1CacheSize(), l2_ = Eigen::l2CacheSize(), l3_ = Eigen::l3CacheSize();
};

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

std::string exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%a (%.9g)", v, v);
  return buf;
}

// Prints one run as an initializer of RecordedRun.
void print_run(const std::string& dataset, const std::string& reg,
               const double (&loss)[kSteps][3]) {
  std::printf("    {\"%s\", \"%s\", {", dataset.c_str(), reg.c_str());
  for (int s = 0; s < kSteps; ++s)
    std::printf("{%a, %a, %a}%s", loss[s][0], loss[s][1], loss[s][2], s + 1 < kSteps ? ", " : "");
  std::printf("}},\n");
}

}  // namespace

TEST_CASE(
    "regression: losses of every regularizer over 20 steps are bitwise those recorded before the "
    "regularizer refactor") {
  const RecordedTable table = recorded_table();
  const bool record = std::getenv("DG_RECORD_LOSSES") != nullptr;
  if (table.name == nullptr && !record) {
    const std::string why = "no losses recorded for this build (" + std::string(table.build) +
                            "): the loss regression test is skipped "
                            "(tests/test_loss_regression.cpp says how to record them)";
    MESSAGE(why);
    return;
  }
  if (record)
    std::printf("// Recorded for %s by DG_RECORD_LOSSES=1:\nconst RecordedRun %s[] = {\n",
                table.build, table.name ? table.name : "kLossesNew");
  PinnedEigenCacheSizes pin;
  size_t at = 0;
  for (const std::string dataset : {"zdc", "2d"}) {
    for (Regularizer reg : kAllRegularizers) {
      const std::string name = regularizer_name(reg);
      CAPTURE(dataset);
      CAPTURE(name);
      const TrainConfig cfg = run_config(dataset, reg);
      Trainer trainer(cfg, run_data(cfg), make_models(cfg));
      double loss[kSteps][3];
      for (int s = 0; s < kSteps; ++s) {
        const StepStats st = trainer.step();
        loss[s][0] = st.loss_d;
        loss[s][1] = st.loss_g_adv;
        loss[s][2] = st.loss_div;
      }
      if (record) {
        print_run(dataset, name, loss);
        continue;
      }
      REQUIRE(at < table.count);
      const RecordedRun& want = table.runs[at++];
      REQUIRE(want.dataset == dataset);
      REQUIRE(std::string(want.reg) == name);
      // The first differing loss of the run (the later ones follow from it), and how many differ.
      int differing = 0, first_step = -1, first_loss = -1;
      for (int s = 0; s < kSteps; ++s)
        for (int k = 0; k < 3; ++k)
          if (!same_bits(loss[s][k], want.loss[s][k]) && differing++ == 0) {
            first_step = s;
            first_loss = k;
          }
      if (differing > 0)
        FAIL_CHECK(dataset << " " << name << ": at step " << first_step << " (0-based) "
                           << std::string(kLossNames[first_loss]) << " is "
                           << exact(loss[first_step][first_loss]) << ", recorded "
                           << exact(want.loss[first_step][first_loss]) << " ("
                           << std::string(table.name) << "; " << differing << " of " << 3 * kSteps
                           << " losses of this run differ)");
    }
  }
  if (record)
    std::printf("};\n");
  else
    CHECK(at == table.count);
}
