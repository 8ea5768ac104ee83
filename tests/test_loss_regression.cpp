// Regression pin for the refactor of gan/trainer.cpp and gan/regularizers.*: the three losses a
// training step reports (loss_d, loss_g_adv, loss_div) for every regularizer, 20 steps each, on a
// small simulated ZDC set (DCGAN generator) and on the 2D benchmark, must equal bit for bit the
// tables at the end of this file.
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
#include "tests/test_support.h"

using namespace dg;
using namespace dg::gan;

namespace {

constexpr int kSteps = 20;
constexpr const char* kLossNames[3] = {"loss_d", "loss_g_adv", "loss_div"};

// One run's recorded losses: step -> {loss_d, loss_g_adv, loss_div}.
struct RecordedRun {
  const char* dataset;
  const char* reg;  // regularizer_name()
  double loss[kSteps][3];
};

struct RecordedTable {
  const char* name;   // the array that holds it; null: none recorded for this build
  const char* build;  // the build it holds for, in words
  const RecordedRun* runs;
  size_t count;
};

// The table for this build (defined after the tables, at the end of the file).
RecordedTable recorded_table();

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

namespace {

// The tables, as printed by DG_RECORD_LOSSES=1 at commit e2df5d9 (clang-formatted).

// DG_NATIVE=ON (-march=native) on the recording machine, an x86-64 CPU with AVX-512.
const RecordedRun kLossesAvx512Fma[] = {
    {"zdc",
     "none",
     {{0x1.80b594p+0, 0x1.a0fa3cp-1, 0x0p+0}, {0x1.629adcp+0, 0x1.962e46p-1, 0x0p+0},
      {0x1.6de698p+0, 0x1.97c73cp-1, 0x0p+0}, {0x1.4d2ddap+0, 0x1.b8668cp-1, 0x0p+0},
      {0x1.61f73p+0, 0x1.96bafep-1, 0x0p+0},  {0x1.7b6b3cp+0, 0x1.b0401cp-1, 0x0p+0},
      {0x1.862bp+0, 0x1.5cadb6p-1, 0x0p+0},   {0x1.61d33p+0, 0x1.d3c3ap-1, 0x0p+0},
      {0x1.72aa4cp+0, 0x1.a7bf72p-1, 0x0p+0}, {0x1.609e6ap+0, 0x1.c9ee0ap-1, 0x0p+0},
      {0x1.68f698p+0, 0x1.87cefp-1, 0x0p+0},  {0x1.75cddep+0, 0x1.c65e9p-1, 0x0p+0},
      {0x1.7cd178p+0, 0x1.ab6288p-1, 0x0p+0}, {0x1.761b54p+0, 0x1.90e822p-1, 0x0p+0},
      {0x1.52a21ep+0, 0x1.739296p-1, 0x0p+0}, {0x1.4e9384p+0, 0x1.6edb5ap-1, 0x0p+0},
      {0x1.75df5p+0, 0x1.bf47cp-1, 0x0p+0},   {0x1.80ab3p+0, 0x1.a3b2ep-1, 0x0p+0},
      {0x1.5f0558p+0, 0x1.6e83e4p-1, 0x0p+0}, {0x1.7d902cp+0, 0x1.abd9b8p-1, 0x0p+0}}},
    {"zdc",
     "ms",
     {{0x1.6f63c8p+0, 0x1.b33b1ap-1, 0x1.6659eep+2}, {0x1.60eaccp+0, 0x1.bfbf16p-1, 0x1.4cbffap+2},
      {0x1.6ea466p+0, 0x1.984bdcp-1, 0x1.3099dcp+2}, {0x1.53071p+0, 0x1.7acb58p-1, 0x1.283d34p+2},
      {0x1.6f6738p+0, 0x1.55bbeap-1, 0x1.44c504p+2}, {0x1.72b2dcp+0, 0x1.bc0cc4p-1, 0x1.18e27cp+2},
      {0x1.80c77ap+0, 0x1.b51cd2p-1, 0x1.3290fap+2}, {0x1.5a5a9cp+0, 0x1.d46c76p-1, 0x1.1aac9p+2},
      {0x1.7640e8p+0, 0x1.9c9d7p-1, 0x1.e72254p+1},  {0x1.6c0744p+0, 0x1.8ef68ap-1, 0x1.d4559ep+1},
      {0x1.5acc32p+0, 0x1.99df24p-1, 0x1.f3c088p+1}, {0x1.690b68p+0, 0x1.e56994p-1, 0x1.13dbeap+2},
      {0x1.8ca1fp+0, 0x1.bdfd6ap-1, 0x1.f4b99ap+1},  {0x1.589e7ep+0, 0x1.cb776ep-1, 0x1.1a98e6p+2},
      {0x1.5a2d94p+0, 0x1.96a396p-1, 0x1.75515ep+1}, {0x1.7ac404p+0, 0x1.aae72cp-1, 0x1.0eb6ep+2},
      {0x1.6be9bcp+0, 0x1.ae9144p-1, 0x1.89f9cep+1}, {0x1.7119d8p+0, 0x1.9aea42p-1, 0x1.b2f078p+1},
      {0x1.6a471cp+0, 0x1.aa10b6p-1, 0x1.af089cp+1}, {0x1.75a6p+0, 0x1.e8b2bcp-1, 0x1.b24056p+1}}},
    {"zdc", "ds", {{0x1.6f63c8p+0, 0x1.b33b1ap-1, -0x1.75a9bcp-3},
                   {0x1.5e92bcp+0, 0x1.c6fbbcp-1, -0x1.7f9518p-3},
                   {0x1.679f54p+0, 0x1.9bb376p-1, -0x1.8ac3d6p-3},
                   {0x1.54138cp+0, 0x1.85e71cp-1, -0x1.87c4cp-3},
                   {0x1.661a1p+0, 0x1.672148p-1, -0x1.562e46p-3},
                   {0x1.6ad35cp+0, 0x1.b57482p-1, -0x1.787876p-3},
                   {0x1.88748cp+0, 0x1.9e53f6p-1, -0x1.4ae5b2p-3},
                   {0x1.62a73cp+0, 0x1.e12784p-1, -0x1.6890a2p-3},
                   {0x1.7cdacap+0, 0x1.a7e006p-1, -0x1.944e2ep-3},
                   {0x1.6a056p+0, 0x1.aa10dp-1, -0x1.8dd658p-3},
                   {0x1.5e17a4p+0, 0x1.6bcf5ap-1, -0x1.66fep-3},
                   {0x1.6698a8p+0, 0x1.b682f8p-1, -0x1.372d72p-3},
                   {0x1.6d6938p+0, 0x1.a4c7a6p-1, -0x1.5c0b3cp-3},
                   {0x1.6bf988p+0, 0x1.d4757cp-1, -0x1.244adep-3},
                   {0x1.4b5e2ap+0, 0x1.e020c2p-1, -0x1.b419f8p-3},
                   {0x1.6c0dc4p+0, 0x1.9ec7b8p-1, -0x1.2c079ap-3},
                   {0x1.7da49cp+0, 0x1.e571b4p-1, -0x1.99dcdap-3},
                   {0x1.56a198p+0, 0x1.800fc6p-1, -0x1.57492p-3},
                   {0x1.6fcf1ep+0, 0x1.adfaa6p-1, -0x1.57ca2ap-3},
                   {0x1.7a9068p+0, 0x1.9b158ap-1, -0x1.5ed3fep-3}}},
    {"zdc", "divco", {{0x1.7bc746p+0, 0x1.f7ee52p-1, 0x1.6ba2p-3},
                      {0x1.5a66e8p+0, 0x1.aae62cp-1, 0x1.40e188p+0},
                      {0x1.706f44p+0, 0x1.3824cap-1, 0x1.d02ap-2},
                      {0x1.6fd42cp+0, 0x1.a9634cp-1, 0x1.11a586p+0},
                      {0x1.8cf274p+0, 0x1.a6ef4ep-1, 0x1.b8236cp+1},
                      {0x1.4abfc8p+0, 0x1.05f4c4p+0, 0x1.0e47ccp+1},
                      {0x1.792644p+0, 0x1.aec96ep-1, 0x1.30fccep+0},
                      {0x1.6f8646p+0, 0x1.ecc902p-1, 0x1.64eccep+0},
                      {0x1.65e57p+0, 0x1.89ac26p-1, 0x1.7b0d9ep+1},
                      {0x1.4b065p+0, 0x1.941bdap-1, 0x1.01cacp-2},
                      {0x1.727c3ap+0, 0x1.a6a57ep-1, 0x1.7667ccp+2},
                      {0x1.3e6364p+0, 0x1.c55c5cp-1, 0x1.f1dbfp-1},
                      {0x1.4bac4cp+0, 0x1.9f856ep-1, 0x1.8402ccp-2},
                      {0x1.a549bcp+0, 0x1.cf8c4cp-1, 0x1.a9883cp+1},
                      {0x1.6a3676p+0, 0x1.aace36p-1, 0x1.a8246cp+0},
                      {0x1.55f23ep+0, 0x1.98f358p-1, 0x1.eeabep-2},
                      {0x1.8efaap+0, 0x1.37867ep-1, 0x1.a15a26p+0},
                      {0x1.7ac988p+0, 0x1.3d03f8p-1, 0x1.2500bcp-1},
                      {0x1.78ee48p+0, 0x1.a6688ap-1, 0x1.62e79cp+0},
                      {0x1.85523cp+0, 0x1.b346d4p-1, 0x1.201ce4p+0}}},
    {"zdc",
     "sdi",
     {{0x1.6f63c8p+0, 0x1.5127eep-1, 0x1.3f2c8p-4},  {0x1.47c186p+0, 0x1.fea0e4p-1, 0x1.25b182p-1},
      {0x1.58affp+0, 0x1.b186cep-1, 0x1.61d3b8p-3},  {0x1.540008p+0, 0x1.bc953ep-1, 0x1.154d78p-4},
      {0x1.6f2f48p+0, 0x1.b1b0e2p-1, 0x1.2a8d7p-4},  {0x1.769574p+0, 0x1.7db226p-1, 0x1.c92718p-3},
      {0x1.88cadp+0, 0x1.7d2cdcp-1, 0x1.bfcbdcp-2},  {0x1.5d1918p+0, 0x1.93f464p-1, 0x1.e401b6p-4},
      {0x1.61bd0ep+0, 0x1.75105cp-1, 0x1.4e57bap-2}, {0x1.652f0cp+0, 0x1.9fee2ap-1, 0x1.28a1f2p-2},
      {0x1.4d1a38p+0, 0x1.c7dc82p-1, 0x1.82b02cp-1}, {0x1.6f6868p+0, 0x1.bcd09ep-1, 0x1.5c6aap-2},
      {0x1.7f2818p+0, 0x1.781834p-1, 0x1.5f0c66p-1}, {0x1.75778p+0, 0x1.594242p-1, 0x1.fc504ap-3},
      {0x1.668fcp+0, 0x1.7406b4p-1, 0x1.48b36cp-2},  {0x1.950c1ep+0, 0x1.83209cp-1, 0x1.075bfp+0},
      {0x1.8c80d4p+0, 0x1.f4515p-1, 0x1.6fc672p-3},  {0x1.93f0fap+0, 0x1.6eaaa2p-1, 0x1.c284f4p-3},
      {0x1.5e9f84p+0, 0x1.bd2c6ep-1, 0x1.194958p-2}, {0x1.56f8bep+0, 0x1.c1b6ap-1, 0x1.f6875ep-1}}},
    {"zdc", "divbal", {{0x1.6f63c8p+0, 0x1.5127eep-1, -0x1.686ec4p-4},
                       {0x1.530728p+0, 0x1.7c9e6ep-1, -0x1.11538ep-3},
                       {0x1.62d1dp+0, 0x1.e692acp-1, -0x1.13f84p-2},
                       {0x1.6fcfb4p+0, 0x1.0634f4p+0, -0x1.6cf792p-3},
                       {0x1.8df676p+0, 0x1.cb7caap-1, -0x1.c934cp-3},
                       {0x1.664348p+0, 0x1.d470b4p-1, 0x1.abc734p-9},
                       {0x1.684602p+0, 0x1.61b5e2p-1, -0x1.ba143cp-4},
                       {0x1.76ee44p+0, 0x1.7f6f4ap-1, -0x1.4b7488p-4},
                       {0x1.7555bcp+0, 0x1.6ea4cp-1, -0x1.610adep-4},
                       {0x1.454b7p+0, 0x1.c5465ap-1, 0x1.0c21c6p-5},
                       {0x1.84c3d8p+0, 0x1.89cc5p-1, -0x1.a6ab4p-4},
                       {0x1.3d95ap+0, 0x1.8fcb0ep-1, -0x1.d3750cp-5},
                       {0x1.59fbfcp+0, 0x1.a91abcp-1, 0x1.081a76p-5},
                       {0x1.7d0582p+0, 0x1.bba9c4p-1, 0x1.9b06f4p-7},
                       {0x1.74b8eap+0, 0x1.929012p-1, -0x1.b3d3a4p-4},
                       {0x1.673fcp+0, 0x1.af2dd6p-1, -0x1.11ae38p-4},
                       {0x1.580002p+0, 0x1.711dfp-1, -0x1.0f15p-4},
                       {0x1.8ee1dp+0, 0x1.dcf4f8p-1, -0x1.833ba8p-3},
                       {0x1.837598p+0, 0x1.b90506p-1, 0x1.0431bp-5},
                       {0x1.81b6c4p+0, 0x1.abd122p-1, -0x1.708e18p-3}}},
    {"2d",
     "none",
     {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x0p+0}, {0x1.62e3e8p+0, 0x1.4b06d4p-1, 0x0p+0},
      {0x1.640f7p+0, 0x1.4ac0fap-1, 0x0p+0},  {0x1.63e626p+0, 0x1.49d40ap-1, 0x0p+0},
      {0x1.63c2d8p+0, 0x1.4a1fdcp-1, 0x0p+0}, {0x1.62c7a4p+0, 0x1.4b0818p-1, 0x0p+0},
      {0x1.63d068p+0, 0x1.4aaf84p-1, 0x0p+0}, {0x1.634ce2p+0, 0x1.4c0534p-1, 0x0p+0},
      {0x1.63d2fcp+0, 0x1.4af8a6p-1, 0x0p+0}, {0x1.6360e8p+0, 0x1.4bc87ep-1, 0x0p+0},
      {0x1.63cc88p+0, 0x1.4c35f2p-1, 0x0p+0}, {0x1.631ceap+0, 0x1.4c8d36p-1, 0x0p+0},
      {0x1.6276f4p+0, 0x1.4c46e6p-1, 0x0p+0}, {0x1.62ec28p+0, 0x1.4cd73p-1, 0x0p+0},
      {0x1.627154p+0, 0x1.4ca58ap-1, 0x0p+0}, {0x1.62843p+0, 0x1.4db232p-1, 0x0p+0},
      {0x1.621cacp+0, 0x1.4cbcd2p-1, 0x0p+0}, {0x1.62875ep+0, 0x1.4dbf6ap-1, 0x0p+0},
      {0x1.627b1cp+0, 0x1.4d35d4p-1, 0x0p+0}, {0x1.624c46p+0, 0x1.4d905ep-1, 0x0p+0}}},
    {"2d", "ms", {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x1.30cbdp+5},
                  {0x1.62e3cep+0, 0x1.4b0734p-1, 0x1.2cd4aep+5},
                  {0x1.6409f4p+0, 0x1.4acb48p-1, 0x1.0c7b1ap+5},
                  {0x1.63e238p+0, 0x1.49dabap-1, 0x1.88c084p+5},
                  {0x1.63c31cp+0, 0x1.4a1f2ap-1, 0x1.32c6cap+5},
                  {0x1.62c438p+0, 0x1.4b0e28p-1, 0x1.6bb95cp+5},
                  {0x1.63d004p+0, 0x1.4ab012p-1, 0x1.a3869ep+5},
                  {0x1.634a34p+0, 0x1.4c09aap-1, 0x1.7ccd58p+5},
                  {0x1.63d328p+0, 0x1.4af832p-1, 0x1.13a53cp+5},
                  {0x1.63615p+0, 0x1.4bc7e6p-1, 0x1.0c012cp+5},
                  {0x1.63c854p+0, 0x1.4c3d7ap-1, 0x1.2f184ep+5},
                  {0x1.631a6p+0, 0x1.4c9152p-1, 0x1.552d58p+5},
                  {0x1.62742ap+0, 0x1.4c4a38p-1, 0x1.4a50fp+5},
                  {0x1.62edp+0, 0x1.4cd55cp-1, 0x1.8b90ecp+5},
                  {0x1.62714cp+0, 0x1.4ca244p-1, 0x1.f94cf6p+4},
                  {0x1.6285fp+0, 0x1.4dab52p-1, 0x1.12fa6ep+5},
                  {0x1.621706p+0, 0x1.4cc042p-1, 0x1.2b4658p+5},
                  {0x1.62832cp+0, 0x1.4dc58ap-1, 0x1.34c47cp+5},
                  {0x1.6276d4p+0, 0x1.4d369p-1, 0x1.29a3a2p+5},
                  {0x1.624364p+0, 0x1.4d999ap-1, 0x1.300456p+5}}},
    {"2d", "ds", {{0x1.634486p+0, 0x1.4a2ea4p-1, -0x1.6f23c8p-6},
                  {0x1.62e428p+0, 0x1.4b068ep-1, -0x1.784af2p-6},
                  {0x1.640a1cp+0, 0x1.4acb18p-1, -0x1.9978ep-6},
                  {0x1.63e23p+0, 0x1.49daeap-1, -0x1.2b7622p-6},
                  {0x1.63c30cp+0, 0x1.4a1f7ap-1, -0x1.7a9e22p-6},
                  {0x1.62c3e2p+0, 0x1.4b0ec2p-1, -0x1.66174cp-6},
                  {0x1.63cf56p+0, 0x1.4ab13p-1, -0x1.23e392p-6},
                  {0x1.6349e4p+0, 0x1.4c0a4cp-1, -0x1.33846ep-6},
                  {0x1.63d2fp+0, 0x1.4af8cp-1, -0x1.999818p-6},
                  {0x1.63611cp+0, 0x1.4bc82p-1, -0x1.91418ap-6},
                  {0x1.63c7e4p+0, 0x1.4c3e52p-1, -0x1.473be4p-6},
                  {0x1.631a06p+0, 0x1.4c91ep-1, -0x1.40c5aap-6},
                  {0x1.62733p+0, 0x1.4c4baap-1, -0x1.4c40d4p-6},
                  {0x1.62ebf8p+0, 0x1.4cd732p-1, -0x1.1d723cp-6},
                  {0x1.627048p+0, 0x1.4ca3dcp-1, -0x1.6a7286p-6},
                  {0x1.6284d8p+0, 0x1.4dad82p-1, -0x1.72b6ep-6},
                  {0x1.62161cp+0, 0x1.4cc26ep-1, -0x1.503e48p-6},
                  {0x1.6282e4p+0, 0x1.4dc6e8p-1, -0x1.1e16dp-6},
                  {0x1.62764p+0, 0x1.4d381ep-1, -0x1.68fb42p-6},
                  {0x1.62414p+0, 0x1.4d9cb2p-1, -0x1.4b62e6p-6}}},
    {"2d", "divco", {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x1.9bfb7p+0},
                     {0x1.62e77ep+0, 0x1.4b0064p-1, 0x1.9bf7b4p+0},
                     {0x1.640db8p+0, 0x1.4ac486p-1, 0x1.9bfc9cp+0},
                     {0x1.63e454p+0, 0x1.49d70cp-1, 0x1.9c0e2cp+0},
                     {0x1.63c274p+0, 0x1.4a2072p-1, 0x1.9bff5cp+0},
                     {0x1.62c5ep+0, 0x1.4b0a4cp-1, 0x1.9c0326p+0},
                     {0x1.63ce2cp+0, 0x1.4ab2ep-1, 0x1.9bff38p+0},
                     {0x1.634b88p+0, 0x1.4c077cp-1, 0x1.9c01cap+0},
                     {0x1.63d3dap+0, 0x1.4af72ep-1, 0x1.9c02ecp+0},
                     {0x1.635e32p+0, 0x1.4bccf4p-1, 0x1.9c085ap+0},
                     {0x1.63cb1p+0, 0x1.4c37bep-1, 0x1.9c091ep+0},
                     {0x1.631d68p+0, 0x1.4c8b8ap-1, 0x1.9c099p+0},
                     {0x1.627362p+0, 0x1.4c4b56p-1, 0x1.9bff56p+0},
                     {0x1.62eb1cp+0, 0x1.4cd828p-1, 0x1.9c0852p+0},
                     {0x1.626f68p+0, 0x1.4ca5dap-1, 0x1.9c0aecp+0},
                     {0x1.6284d4p+0, 0x1.4dae96p-1, 0x1.9c0636p+0},
                     {0x1.621c16p+0, 0x1.4cba58p-1, 0x1.9c00b8p+0},
                     {0x1.628678p+0, 0x1.4dc108p-1, 0x1.9c05eap+0},
                     {0x1.6279fep+0, 0x1.4d3344p-1, 0x1.9bfefep+0},
                     {0x1.624514p+0, 0x1.4d9b18p-1, 0x1.9bfb34p+0}}},
    {"2d", "sdi", {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x1.992bf2p+10},
                   {0x1.62e3f4p+0, 0x1.4b06eep-1, 0x1.428b28p+10},
                   {0x1.640a1p+0, 0x1.4acb1p-1, 0x1.8dd156p+10},
                   {0x1.63e228p+0, 0x1.49dad2p-1, 0x1.d929f6p+10},
                   {0x1.63c31cp+0, 0x1.4a1f2ap-1, 0x1.03bad6p+10},
                   {0x1.62c424p+0, 0x1.4b0e42p-1, 0x1.b76194p+9},
                   {0x1.63d024p+0, 0x1.4aafcap-1, 0x1.ec3186p+11},
                   {0x1.634a0ap+0, 0x1.4c09f4p-1, 0x1.1575f6p+10},
                   {0x1.63d2e2p+0, 0x1.4af89ep-1, 0x1.7fb374p+10},
                   {0x1.63611p+0, 0x1.4bc83ap-1, 0x1.d2f8f6p+10},
                   {0x1.63c7ccp+0, 0x1.4c3e6ep-1, 0x1.e0da32p+10},
                   {0x1.631a14p+0, 0x1.4c91c4p-1, 0x1.eb984ap+9},
                   {0x1.62735p+0, 0x1.4c4b7ep-1, 0x1.2bb334p+10},
                   {0x1.62ec2ap+0, 0x1.4cd6e2p-1, 0x1.ad1a1p+10},
                   {0x1.62705p+0, 0x1.4ca422p-1, 0x1.2f6fcap+10},
                   {0x1.628442p+0, 0x1.4daedp-1, 0x1.7bf342p+10},
                   {0x1.6215c6p+0, 0x1.4cc354p-1, 0x1.750a7cp+11},
                   {0x1.62823cp+0, 0x1.4dc842p-1, 0x1.689588p+10},
                   {0x1.6276acp+0, 0x1.4d37bp-1, 0x1.1579e2p+11},
                   {0x1.6241bp+0, 0x1.4d9c62p-1, 0x1.ef25b6p+10}}},
    {"2d", "divbal", {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x1.624cc2p+4},
                      {0x1.62e3dcp+0, 0x1.4b0718p-1, 0x1.2e70bp+4},
                      {0x1.6409f8p+0, 0x1.4acb3ap-1, 0x1.4759e4p+4},
                      {0x1.63e218p+0, 0x1.49daf2p-1, 0x1.d5eb66p+3},
                      {0x1.63c2fep+0, 0x1.4a1f5ep-1, 0x1.bd8594p+3},
                      {0x1.62c40cp+0, 0x1.4b0e7p-1, 0x1.3d6028p+3},
                      {0x1.63cff8p+0, 0x1.4ab01cp-1, 0x1.69282p+5},
                      {0x1.6349dcp+0, 0x1.4c0a4cp-1, 0x1.96f77ep+3},
                      {0x1.63d2c4p+0, 0x1.4af8cep-1, 0x1.46a602p+3},
                      {0x1.6360ccp+0, 0x1.4bc87ep-1, 0x1.74a94ap+4},
                      {0x1.63c784p+0, 0x1.4c3e76p-1, 0x1.46ec56p+4},
                      {0x1.6319f8p+0, 0x1.4c9136p-1, 0x1.dba944p+3},
                      {0x1.6272e8p+0, 0x1.4c4b4cp-1, 0x1.e5e16p+3},
                      {0x1.62ebfcp+0, 0x1.4cd658p-1, 0x1.530ab2p+4},
                      {0x1.626ff4p+0, 0x1.4ca378p-1, 0x1.fd1bfap+3},
                      {0x1.6283d8p+0, 0x1.4dae62p-1, 0x1.000a3ep+4},
                      {0x1.62159p+0, 0x1.4cc25ep-1, 0x1.a4397ap+5},
                      {0x1.6281ep+0, 0x1.4dc828p-1, 0x1.759158p+4},
                      {0x1.627666p+0, 0x1.4d3674p-1, 0x1.9b5a06p+4},
                      {0x1.624188p+0, 0x1.4d9b4ap-1, 0x1.0a6aa4p+4}}},
};

// DG_NATIVE=OFF with CMAKE_CXX_FLAGS=-march=x86-64-v3.
const RecordedRun kLossesAvx2Fma[] = {
    {"zdc",
     "none",
     {{0x1.80b598p+0, 0x1.a0fa4ep-1, 0x0p+0}, {0x1.629bcp+0, 0x1.962d86p-1, 0x0p+0},
      {0x1.6dbc4p+0, 0x1.96d7a8p-1, 0x0p+0},  {0x1.4d493cp+0, 0x1.c5523ep-1, 0x0p+0},
      {0x1.6535b8p+0, 0x1.96e95ep-1, 0x0p+0}, {0x1.72d584p+0, 0x1.b3306cp-1, 0x0p+0},
      {0x1.8677e4p+0, 0x1.5f7536p-1, 0x0p+0}, {0x1.604ec4p+0, 0x1.e8fec4p-1, 0x0p+0},
      {0x1.7b63cp+0, 0x1.9c6494p-1, 0x0p+0},  {0x1.685c3cp+0, 0x1.9586acp-1, 0x0p+0},
      {0x1.51cf6p+0, 0x1.966e0ep-1, 0x0p+0},  {0x1.7fba4p+0, 0x1.de33a2p-1, 0x0p+0},
      {0x1.7ab082p+0, 0x1.9438eep-1, 0x0p+0}, {0x1.6ba8fcp+0, 0x1.66261p-1, 0x0p+0},
      {0x1.5efffep+0, 0x1.ac681ep-1, 0x0p+0}, {0x1.5569ccp+0, 0x1.8847c4p-1, 0x0p+0},
      {0x1.7be978p+0, 0x1.9f21dap-1, 0x0p+0}, {0x1.75ec5ep+0, 0x1.96509ep-1, 0x0p+0},
      {0x1.57643p+0, 0x1.97936cp-1, 0x0p+0},  {0x1.682a9p+0, 0x1.c82196p-1, 0x0p+0}}},
    {"zdc",
     "ms",
     {{0x1.6f63c8p+0, 0x1.b33b08p-1, 0x1.6659eep+2}, {0x1.60e8e4p+0, 0x1.bfbf44p-1, 0x1.4cbfe8p+2},
      {0x1.6ec814p+0, 0x1.97d234p-1, 0x1.3096b4p+2}, {0x1.519bb8p+0, 0x1.70067ap-1, 0x1.283ad6p+2},
      {0x1.693e4ep+0, 0x1.5ff37cp-1, 0x1.440ef4p+2}, {0x1.6cc428p+0, 0x1.ca5286p-1, 0x1.182076p+2},
      {0x1.7bf9c2p+0, 0x1.eb7024p-1, 0x1.2f6e32p+2}, {0x1.647a52p+0, 0x1.d0ace8p-1, 0x1.175ba4p+2},
      {0x1.763894p+0, 0x1.8132f6p-1, 0x1.e159dep+1}, {0x1.76a7acp+0, 0x1.83464p-1, 0x1.ccc71cp+1},
      {0x1.624948p+0, 0x1.9ae37p-1, 0x1.ed6ecp+1},   {0x1.6a9cdcp+0, 0x1.d243d6p-1, 0x1.11003p+2},
      {0x1.6f8b4p+0, 0x1.a7c5fep-1, 0x1.ec469ap+1},  {0x1.5aeb1cp+0, 0x1.b14504p-1, 0x1.1971dap+2},
      {0x1.66bf38p+0, 0x1.865f1ap-1, 0x1.753936p+1}, {0x1.540386p+0, 0x1.b1fe3cp-1, 0x1.0e27c2p+2},
      {0x1.7da7e8p+0, 0x1.c1a6bap-1, 0x1.85bb7ap+1}, {0x1.7540cp+0, 0x1.9e47a8p-1, 0x1.ba6722p+1},
      {0x1.6108aep+0, 0x1.c6d1dep-1, 0x1.acc27cp+1}, {0x1.621d98p+0, 0x1.aab7dap-1, 0x1.af716p+1}}},
    {"zdc", "ds", {{0x1.6f63c8p+0, 0x1.b33b08p-1, -0x1.75a9bcp-3},
                   {0x1.5e954p+0, 0x1.c6fbd8p-1, -0x1.7f956p-3},
                   {0x1.67a218p+0, 0x1.9bd49p-1, -0x1.8ac1f8p-3},
                   {0x1.53d448p+0, 0x1.863284p-1, -0x1.87c49ap-3},
                   {0x1.691cd8p+0, 0x1.65ddb2p-1, -0x1.570edp-3},
                   {0x1.6cce84p+0, 0x1.aa85eap-1, -0x1.7676bep-3},
                   {0x1.83c6dp+0, 0x1.9998c6p-1, -0x1.46cedep-3},
                   {0x1.6507acp+0, 0x1.ef3cdp-1, -0x1.64740cp-3},
                   {0x1.71b69p+0, 0x1.8939cep-1, -0x1.94f1e4p-3},
                   {0x1.730d1cp+0, 0x1.7843e2p-1, -0x1.929404p-3},
                   {0x1.395de8p+0, 0x1.b3dcbp-1, -0x1.6f9d0ep-3},
                   {0x1.718eeap+0, 0x1.b636b2p-1, -0x1.44abbp-3},
                   {0x1.5ea3bcp+0, 0x1.999ef6p-1, -0x1.6704bp-3},
                   {0x1.7afc64p+0, 0x1.a85ce6p-1, -0x1.26fb66p-3},
                   {0x1.5cb03ap+0, 0x1.aac6dp-1, -0x1.afaed8p-3},
                   {0x1.5bca4p+0, 0x1.78470cp-1, -0x1.23eef8p-3},
                   {0x1.8f8936p+0, 0x1.e4f514p-1, -0x1.8eabd6p-3},
                   {0x1.5bb61ep+0, 0x1.9342bap-1, -0x1.535ba4p-3},
                   {0x1.75a928p+0, 0x1.b868f4p-1, -0x1.5782cep-3},
                   {0x1.717fc4p+0, 0x1.abed6p-1, -0x1.5e0214p-3}}},
    {"zdc",
     "divco",
     {{0x1.7bc748p+0, 0x1.f7ee1p-1, 0x1.6b6cacp-3},  {0x1.5a4aecp+0, 0x1.ab0c9ep-1, 0x1.409208p+0},
      {0x1.715444p+0, 0x1.3d1e2cp-1, 0x1.2e3c76p-2}, {0x1.6e3676p+0, 0x1.996f58p-1, 0x1.4b49ccp+0},
      {0x1.871d2cp+0, 0x1.dcd7e2p-1, 0x1.38b83cp+1}, {0x1.5014f6p+0, 0x1.dbd80ap-1, 0x1.0c53a6p-1},
      {0x1.84faf2p+0, 0x1.c13b14p-1, 0x1.5ff156p+1}, {0x1.7082p+0, 0x1.c49b68p-1, 0x1.6b857p+1},
      {0x1.6a2aa2p+0, 0x1.7f6a1ep-1, 0x1.fc91e4p+1}, {0x1.59457p+0, 0x1.b9b15ep-1, 0x1.d01c96p+0},
      {0x1.94119p+0, 0x1.a093fep-1, 0x1.994ce6p+1},  {0x1.38dbdcp+0, 0x1.a95edap-1, 0x1.cb8b96p-1},
      {0x1.545f9p+0, 0x1.7bb402p-1, 0x1.130e5ep+0},  {0x1.a13c34p+0, 0x1.7388cap-1, 0x1.199c5p+1},
      {0x1.87860cp+0, 0x1.b16df6p-1, 0x1.31d694p+1}, {0x1.6b61f8p+0, 0x1.a953f2p-1, 0x1.5b690cp+2},
      {0x1.814db4p+0, 0x1.d2c228p-1, 0x1.76369ep+0}, {0x1.9356b8p+0, 0x1.850d8cp-1, 0x1.2bd454p+0},
      {0x1.931218p+0, 0x1.c5e842p-1, 0x1.ed181ep-1}, {0x1.8f6d2ep+0, 0x1.9ea51p-1, 0x1.345c08p+0}}},
    {"zdc",
     "sdi",
     {{0x1.6f63c8p+0, 0x1.5127e6p-1, 0x1.3f2c8ap-4}, {0x1.47c09p+0, 0x1.fea21ep-1, 0x1.25b26ap-1},
      {0x1.588e1cp+0, 0x1.b06b2p-1, 0x1.61e218p-3},  {0x1.53616ep+0, 0x1.bb1da8p-1, 0x1.1687a8p-4},
      {0x1.6e063ap+0, 0x1.b601bp-1, 0x1.29932p-4},   {0x1.6bab7p+0, 0x1.8d5538p-1, 0x1.d581ccp-3},
      {0x1.859d78p+0, 0x1.72a99p-1, 0x1.bad4fep-2},  {0x1.5fdaa4p+0, 0x1.ad87bep-1, 0x1.da02aep-4},
      {0x1.5c6606p+0, 0x1.5823dp-1, 0x1.2e8d8p-2},   {0x1.6a7ab4p+0, 0x1.98c2ap-1, 0x1.3a54aap-2},
      {0x1.4aabf4p+0, 0x1.0366cep+0, 0x1.6f190ep-1}, {0x1.64505p+0, 0x1.d229ccp-1, 0x1.5b46d2p-2},
      {0x1.78873p+0, 0x1.5bfe56p-1, 0x1.3f7e96p-1},  {0x1.606088p+0, 0x1.790914p-1, 0x1.e4ee04p-3},
      {0x1.6efe4cp+0, 0x1.792d6cp-1, 0x1.711554p-2}, {0x1.9a9c82p+0, 0x1.92448cp-1, 0x1.1487eap+0},
      {0x1.9fa068p+0, 0x1.e86f34p-1, 0x1.7c5604p-3}, {0x1.786bb8p+0, 0x1.b4d6dep-1, 0x1.c4653ep-3},
      {0x1.57eda8p+0, 0x1.b0e6d8p-1, 0x1.1c5368p-2}, {0x1.79afbp+0, 0x1.aefcc6p-1, 0x1.f2ac1cp-1}}},
    {"zdc", "divbal", {{0x1.6f63c8p+0, 0x1.5127e6p-1, -0x1.686e6ep-4},
                       {0x1.530938p+0, 0x1.7ca53ap-1, -0x1.1147c8p-3},
                       {0x1.63da34p+0, 0x1.e83a44p-1, -0x1.18b924p-2},
                       {0x1.70083ap+0, 0x1.0025cp+0, -0x1.416f26p-3},
                       {0x1.878a94p+0, 0x1.caa12ap-1, -0x1.b6831ap-3},
                       {0x1.600076p+0, 0x1.e58ep-1, 0x1.c63628p-8},
                       {0x1.70d05cp+0, 0x1.5cdb7ap-1, -0x1.443724p-4},
                       {0x1.66a6f8p+0, 0x1.6730c4p-1, -0x1.c706f2p-4},
                       {0x1.6bdae8p+0, 0x1.842a5cp-1, -0x1.3584fcp-3},
                       {0x1.4ae2cp+0, 0x1.004992p+0, -0x1.619518p-4},
                       {0x1.84ccb4p+0, 0x1.87acdap-1, -0x1.becd5p-4},
                       {0x1.3c33eep+0, 0x1.672cdcp-1, -0x1.1572ecp-4},
                       {0x1.6265p+0, 0x1.c2f398p-1, 0x1.0f330ep-7},
                       {0x1.80795ap+0, 0x1.510a18p-1, 0x1.349c4cp-4},
                       {0x1.8ebbecp+0, 0x1.438b06p-1, -0x1.f0bb1ep-5},
                       {0x1.50b078p+0, 0x1.c6c4d8p-1, 0x1.2fe256p-4},
                       {0x1.771f7ap+0, 0x1.7a6974p-1, -0x1.9f51e2p-5},
                       {0x1.5b2edp+0, 0x1.6eb148p-1, -0x1.26805ap-3},
                       {0x1.87a01cp+0, 0x1.7fe53cp-1, 0x1.050e2ap-4},
                       {0x1.88cceap+0, 0x1.b687b4p-1, -0x1.4fc882p-3}}},
    {"2d",
     "none",
     {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x0p+0}, {0x1.62e3e8p+0, 0x1.4b06d4p-1, 0x0p+0},
      {0x1.640f7p+0, 0x1.4ac0fap-1, 0x0p+0},  {0x1.63e626p+0, 0x1.49d40ap-1, 0x0p+0},
      {0x1.63c2d8p+0, 0x1.4a1fdcp-1, 0x0p+0}, {0x1.62c7a4p+0, 0x1.4b0818p-1, 0x0p+0},
      {0x1.63d068p+0, 0x1.4aaf86p-1, 0x0p+0}, {0x1.634cep+0, 0x1.4c0534p-1, 0x0p+0},
      {0x1.63d2fcp+0, 0x1.4af8a6p-1, 0x0p+0}, {0x1.6360e8p+0, 0x1.4bc87ep-1, 0x0p+0},
      {0x1.63cc88p+0, 0x1.4c35f2p-1, 0x0p+0}, {0x1.631ceap+0, 0x1.4c8d36p-1, 0x0p+0},
      {0x1.6276f4p+0, 0x1.4c46e6p-1, 0x0p+0}, {0x1.62ec28p+0, 0x1.4cd73p-1, 0x0p+0},
      {0x1.627154p+0, 0x1.4ca58ap-1, 0x0p+0}, {0x1.62843p+0, 0x1.4db232p-1, 0x0p+0},
      {0x1.621cacp+0, 0x1.4cbcd2p-1, 0x0p+0}, {0x1.62875ep+0, 0x1.4dbf6ap-1, 0x0p+0},
      {0x1.627b1cp+0, 0x1.4d35d4p-1, 0x0p+0}, {0x1.624c46p+0, 0x1.4d905ep-1, 0x0p+0}}},
    {"2d", "ms", {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x1.30cbdp+5},
                  {0x1.62e3cep+0, 0x1.4b0734p-1, 0x1.2cd4acp+5},
                  {0x1.6409f4p+0, 0x1.4acb48p-1, 0x1.0c7b1cp+5},
                  {0x1.63e238p+0, 0x1.49dabap-1, 0x1.88c084p+5},
                  {0x1.63c31cp+0, 0x1.4a1f2ap-1, 0x1.32c6ccp+5},
                  {0x1.62c438p+0, 0x1.4b0e28p-1, 0x1.6bb95cp+5},
                  {0x1.63d004p+0, 0x1.4ab012p-1, 0x1.a38694p+5},
                  {0x1.634a34p+0, 0x1.4c09aap-1, 0x1.7ccd54p+5},
                  {0x1.63d328p+0, 0x1.4af832p-1, 0x1.13a53cp+5},
                  {0x1.63615p+0, 0x1.4bc7e6p-1, 0x1.0c012ap+5},
                  {0x1.63c854p+0, 0x1.4c3d7ap-1, 0x1.2f184cp+5},
                  {0x1.631a6p+0, 0x1.4c9152p-1, 0x1.552d5cp+5},
                  {0x1.62742ap+0, 0x1.4c4a38p-1, 0x1.4a50eep+5},
                  {0x1.62edp+0, 0x1.4cd55cp-1, 0x1.8b90e8p+5},
                  {0x1.62714cp+0, 0x1.4ca244p-1, 0x1.f94cf8p+4},
                  {0x1.6285fp+0, 0x1.4dab52p-1, 0x1.12fa6ep+5},
                  {0x1.621708p+0, 0x1.4cc044p-1, 0x1.2b46aap+5},
                  {0x1.62832cp+0, 0x1.4dc58ap-1, 0x1.34c47cp+5},
                  {0x1.6276d2p+0, 0x1.4d369p-1, 0x1.29a3ap+5},
                  {0x1.624362p+0, 0x1.4d999ap-1, 0x1.3004cep+5}}},
    {"2d", "ds", {{0x1.634486p+0, 0x1.4a2ea4p-1, -0x1.6f23c6p-6},
                  {0x1.62e428p+0, 0x1.4b068ep-1, -0x1.784af4p-6},
                  {0x1.640a1cp+0, 0x1.4acb16p-1, -0x1.9978ep-6},
                  {0x1.63e23p+0, 0x1.49daeap-1, -0x1.2b762p-6},
                  {0x1.63c30cp+0, 0x1.4a1f7ap-1, -0x1.7a9e24p-6},
                  {0x1.62c3e2p+0, 0x1.4b0ec2p-1, -0x1.66174ap-6},
                  {0x1.63cf56p+0, 0x1.4ab13p-1, -0x1.23e394p-6},
                  {0x1.6349e4p+0, 0x1.4c0a4cp-1, -0x1.33847p-6},
                  {0x1.63d2fp+0, 0x1.4af8cp-1, -0x1.999816p-6},
                  {0x1.63611cp+0, 0x1.4bc82p-1, -0x1.91418ap-6},
                  {0x1.63c7e4p+0, 0x1.4c3e52p-1, -0x1.473be4p-6},
                  {0x1.631a06p+0, 0x1.4c91ep-1, -0x1.40c5acp-6},
                  {0x1.62733p+0, 0x1.4c4baap-1, -0x1.4c40d4p-6},
                  {0x1.62ebfap+0, 0x1.4cd732p-1, -0x1.1d723ap-6},
                  {0x1.627048p+0, 0x1.4ca3dcp-1, -0x1.6a7286p-6},
                  {0x1.6284d8p+0, 0x1.4dad82p-1, -0x1.72b6dep-6},
                  {0x1.62161cp+0, 0x1.4cc26ep-1, -0x1.503e46p-6},
                  {0x1.6282e4p+0, 0x1.4dc6e8p-1, -0x1.1e16d2p-6},
                  {0x1.62764p+0, 0x1.4d381ep-1, -0x1.68fb4p-6},
                  {0x1.62414p+0, 0x1.4d9cb2p-1, -0x1.4b62e8p-6}}},
    {"2d", "divco", {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x1.9bfb7p+0},
                     {0x1.62e77ep+0, 0x1.4b0064p-1, 0x1.9bf7b4p+0},
                     {0x1.640db8p+0, 0x1.4ac486p-1, 0x1.9bfc9cp+0},
                     {0x1.63e454p+0, 0x1.49d70cp-1, 0x1.9c0e2cp+0},
                     {0x1.63c274p+0, 0x1.4a2074p-1, 0x1.9bff5cp+0},
                     {0x1.62c5ep+0, 0x1.4b0a4cp-1, 0x1.9c0326p+0},
                     {0x1.63ce2cp+0, 0x1.4ab2ep-1, 0x1.9bff38p+0},
                     {0x1.634b88p+0, 0x1.4c077cp-1, 0x1.9c01cap+0},
                     {0x1.63d3dap+0, 0x1.4af72ep-1, 0x1.9c02ecp+0},
                     {0x1.635e32p+0, 0x1.4bccf4p-1, 0x1.9c0858p+0},
                     {0x1.63cb1p+0, 0x1.4c37bep-1, 0x1.9c091ep+0},
                     {0x1.631d68p+0, 0x1.4c8b8ap-1, 0x1.9c099p+0},
                     {0x1.627362p+0, 0x1.4c4b56p-1, 0x1.9bff56p+0},
                     {0x1.62eb1cp+0, 0x1.4cd828p-1, 0x1.9c0852p+0},
                     {0x1.626f68p+0, 0x1.4ca5dap-1, 0x1.9c0aecp+0},
                     {0x1.6284d4p+0, 0x1.4dae96p-1, 0x1.9c0636p+0},
                     {0x1.621c16p+0, 0x1.4cba58p-1, 0x1.9c00b8p+0},
                     {0x1.628678p+0, 0x1.4dc108p-1, 0x1.9c05eap+0},
                     {0x1.6279fep+0, 0x1.4d3344p-1, 0x1.9bfefep+0},
                     {0x1.624514p+0, 0x1.4d9b18p-1, 0x1.9bfb34p+0}}},
    {"2d", "sdi", {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x1.992c7ep+10},
                   {0x1.62e3f4p+0, 0x1.4b06eep-1, 0x1.428b14p+10},
                   {0x1.640a1p+0, 0x1.4acb2cp-1, 0x1.8dcc84p+10},
                   {0x1.63e226p+0, 0x1.49dbp-1, 0x1.d91fe4p+10},
                   {0x1.63c31cp+0, 0x1.4a1f58p-1, 0x1.03bb5ap+10},
                   {0x1.62c418p+0, 0x1.4b0e58p-1, 0x1.b74cf8p+9},
                   {0x1.63d014p+0, 0x1.4aafdap-1, 0x1.ec38fap+11},
                   {0x1.634a0ep+0, 0x1.4c09fap-1, 0x1.1570f4p+10},
                   {0x1.63d2dcp+0, 0x1.4af8cp-1, 0x1.7fb578p+10},
                   {0x1.6360ecp+0, 0x1.4bc816p-1, 0x1.d2f1cep+10},
                   {0x1.63c7c4p+0, 0x1.4c3e08p-1, 0x1.e0cd84p+10},
                   {0x1.631a24p+0, 0x1.4c912ap-1, 0x1.eba4e6p+9},
                   {0x1.62734cp+0, 0x1.4c4afap-1, 0x1.2bb41p+10},
                   {0x1.62ec38p+0, 0x1.4cd63cp-1, 0x1.adf098p+10},
                   {0x1.62704p+0, 0x1.4ca34cp-1, 0x1.2f4b6ap+10},
                   {0x1.628444p+0, 0x1.4dade2p-1, 0x1.7bf0c8p+10},
                   {0x1.6215ep+0, 0x1.4cc246p-1, 0x1.75445cp+11},
                   {0x1.62825p+0, 0x1.4dc72cp-1, 0x1.68c8c4p+10},
                   {0x1.6276b6p+0, 0x1.4d3698p-1, 0x1.15ff78p+11},
                   {0x1.6241bcp+0, 0x1.4d9b38p-1, 0x1.f2077cp+10}}},
    {"2d", "divbal", {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x1.624d6cp+4},
                      {0x1.62e3dcp+0, 0x1.4b0718p-1, 0x1.2e70b6p+4},
                      {0x1.6409f8p+0, 0x1.4acb3ap-1, 0x1.4759eep+4},
                      {0x1.63e218p+0, 0x1.49daf2p-1, 0x1.d5eaccp+3},
                      {0x1.63c2fep+0, 0x1.4a1f5ep-1, 0x1.bd8526p+3},
                      {0x1.62c40cp+0, 0x1.4b0e7p-1, 0x1.3d6084p+3},
                      {0x1.63cff8p+0, 0x1.4ab01cp-1, 0x1.6927p+5},
                      {0x1.6349dcp+0, 0x1.4c0a4cp-1, 0x1.96f8f8p+3},
                      {0x1.63d2c4p+0, 0x1.4af8cep-1, 0x1.46a5bp+3},
                      {0x1.6360ccp+0, 0x1.4bc87ep-1, 0x1.74a9a6p+4},
                      {0x1.63c784p+0, 0x1.4c3e76p-1, 0x1.46ed06p+4},
                      {0x1.6319f8p+0, 0x1.4c9136p-1, 0x1.dba978p+3},
                      {0x1.6272e8p+0, 0x1.4c4b4cp-1, 0x1.e5e1fp+3},
                      {0x1.62ebfcp+0, 0x1.4cd658p-1, 0x1.530ad2p+4},
                      {0x1.626ff4p+0, 0x1.4ca378p-1, 0x1.fd1b1cp+3},
                      {0x1.6283d8p+0, 0x1.4dae62p-1, 0x1.000a28p+4},
                      {0x1.62159p+0, 0x1.4cc25ep-1, 0x1.a43678p+5},
                      {0x1.6281ep+0, 0x1.4dc828p-1, 0x1.759172p+4},
                      {0x1.627666p+0, 0x1.4d3674p-1, 0x1.9b59e4p+4},
                      {0x1.624188p+0, 0x1.4d9b4ap-1, 0x1.0a6a88p+4}}},
};

// DG_NATIVE=OFF (the compiler's default x86-64 target).
const RecordedRun kLossesSse2[] = {
    {"zdc",
     "none",
     {{0x1.80b594p+0, 0x1.a0fa64p-1, 0x0p+0}, {0x1.629facp+0, 0x1.95d9dp-1, 0x0p+0},
      {0x1.6e0968p+0, 0x1.937e72p-1, 0x0p+0}, {0x1.4c1d9cp+0, 0x1.c37b58p-1, 0x0p+0},
      {0x1.5aa42p+0, 0x1.a3a8fcp-1, 0x0p+0},  {0x1.750d58p+0, 0x1.b570aep-1, 0x0p+0},
      {0x1.80852cp+0, 0x1.941d12p-1, 0x0p+0}, {0x1.6257a8p+0, 0x1.df8d8ep-1, 0x0p+0},
      {0x1.843174p+0, 0x1.9aa8eep-1, 0x0p+0}, {0x1.585eb8p+0, 0x1.b7558cp-1, 0x0p+0},
      {0x1.61bdc4p+0, 0x1.9bb7c8p-1, 0x0p+0}, {0x1.6cab2ep+0, 0x1.c81e74p-1, 0x0p+0},
      {0x1.813702p+0, 0x1.97b2fcp-1, 0x0p+0}, {0x1.821854p+0, 0x1.68516p-1, 0x0p+0},
      {0x1.6a5fc4p+0, 0x1.9ee832p-1, 0x0p+0}, {0x1.505248p+0, 0x1.752698p-1, 0x0p+0},
      {0x1.73b908p+0, 0x1.b71c1cp-1, 0x0p+0}, {0x1.73a4f2p+0, 0x1.a33618p-1, 0x0p+0},
      {0x1.71c93cp+0, 0x1.851976p-1, 0x0p+0}, {0x1.621542p+0, 0x1.bf6224p-1, 0x0p+0}}},
    {"zdc", "ms", {{0x1.6f63c8p+0, 0x1.b33b3p-1, 0x1.6659eep+2},
                   {0x1.60e63p+0, 0x1.bfc046p-1, 0x1.4cc008p+2},
                   {0x1.6ea794p+0, 0x1.98447cp-1, 0x1.309ac8p+2},
                   {0x1.52fba4p+0, 0x1.7c616ep-1, 0x1.283dc6p+2},
                   {0x1.70a394p+0, 0x1.4e250ep-1, 0x1.44d864p+2},
                   {0x1.642994p+0, 0x1.bfa07p-1, 0x1.185392p+2},
                   {0x1.789d7cp+0, 0x1.be9b5cp-1, 0x1.30087cp+2},
                   {0x1.6ccbf8p+0, 0x1.b2c9c8p-1, 0x1.18bb68p+2},
                   {0x1.86c69ap+0, 0x1.5dd57p-1, 0x1.e422d2p+1},
                   {0x1.668bd4p+0, 0x1.c3177cp-1, 0x1.d9b608p+1},
                   {0x1.5a63ecp+0, 0x1.c23fb4p-1, 0x1.fc4716p+1},
                   {0x1.78db78p+0, 0x1.73e288p-1, 0x1.1c290cp+2},
                   {0x1.75e082p+0, 0x1.b00654p-1, 0x1.03c65ap+2},
                   {0x1.634eeap+0, 0x1.8602d4p-1, 0x1.236808p+2},
                   {0x1.58e876p+0, 0x1.dfe222p-1, 0x1.7cbc5p+1},
                   {0x1.5d03d4p+0, 0x1.976768p-1, 0x1.16242ap+2},
                   {0x1.7d710cp+0, 0x1.fc58f4p-1, 0x1.8f6e22p+1},
                   {0x1.73b1b4p+0, 0x1.94a69ap-1, 0x1.bf3f2ep+1},
                   {0x1.755d7p+0, 0x1.af018cp-1, 0x1.b154ecp+1},
                   {0x1.6daf02p+0, 0x1.dbdb32p-1, 0x1.be3e46p+1}}},
    {"zdc", "ds", {{0x1.6f63c8p+0, 0x1.b33b3p-1, -0x1.75a9bcp-3},
                   {0x1.5e9216p+0, 0x1.c700c6p-1, -0x1.7f94bap-3},
                   {0x1.67a094p+0, 0x1.9bd45p-1, -0x1.8abc9ep-3},
                   {0x1.546adap+0, 0x1.8279b6p-1, -0x1.87cc6ap-3},
                   {0x1.66bfecp+0, 0x1.5c1978p-1, -0x1.5614c2p-3},
                   {0x1.6a9a8ap+0, 0x1.c37bdcp-1, -0x1.76311p-3},
                   {0x1.7e976ep+0, 0x1.9d7952p-1, -0x1.469484p-3},
                   {0x1.6aac34p+0, 0x1.fa4912p-1, -0x1.627da2p-3},
                   {0x1.77c514p+0, 0x1.a9dd84p-1, -0x1.987754p-3},
                   {0x1.6aced8p+0, 0x1.99fbdcp-1, -0x1.929944p-3},
                   {0x1.67a754p+0, 0x1.a22fb8p-1, -0x1.752eap-3},
                   {0x1.69444p+0, 0x1.6daabep-1, -0x1.4cb42ep-3},
                   {0x1.6f7ddep+0, 0x1.b7c202p-1, -0x1.750ddp-3},
                   {0x1.826d2cp+0, 0x1.bcd296p-1, -0x1.3754dp-3},
                   {0x1.6935d4p+0, 0x1.d75fp-1, -0x1.c2ec1cp-3},
                   {0x1.589ap+0, 0x1.9d0caep-1, -0x1.335546p-3},
                   {0x1.7ca718p+0, 0x1.ee2592p-1, -0x1.add7dap-3},
                   {0x1.6f5898p+0, 0x1.91c5e6p-1, -0x1.70ad7p-3},
                   {0x1.623c14p+0, 0x1.79116p-1, -0x1.6c2434p-3},
                   {0x1.68b7fep+0, 0x1.a73db8p-1, -0x1.7375a4p-3}}},
    {"zdc", "divco", {{0x1.7bc744p+0, 0x1.f7ee4p-1, 0x1.6b6dacp-3},
                      {0x1.5a6654p+0, 0x1.aaff78p-1, 0x1.40f86ep+0},
                      {0x1.7131e4p+0, 0x1.3ce72ep-1, 0x1.3de116p-2},
                      {0x1.6fd22p+0, 0x1.99098p-1, 0x1.56d5cp+0},
                      {0x1.875f52p+0, 0x1.e0de64p-1, 0x1.7ff71cp+1},
                      {0x1.467264p+0, 0x1.fa17ccp-1, 0x1.4bd376p-2},
                      {0x1.83d63ap+0, 0x1.cbd37p-1, 0x1.7b2caep+1},
                      {0x1.7c0f3p+0, 0x1.e1e7dap-1, 0x1.12004cp+1},
                      {0x1.60c394p+0, 0x1.a9bbb6p-1, 0x1.ac31e6p+2},
                      {0x1.5d338p+0, 0x1.6fa8b6p-1, 0x1.3cfb84p+0},
                      {0x1.7a3fdep+0, 0x1.ac6772p-1, 0x1.f18c2p+2},
                      {0x1.480fd8p+0, 0x1.89fdbep-1, 0x1.fc2cacp-4},
                      {0x1.4ad4cp+0, 0x1.179a42p-1, 0x1.3dae74p+0},
                      {0x1.9d63dp+0, 0x1.92bbbcp-1, 0x1.e12104p-1},
                      {0x1.7146ap+0, 0x1.c94b9ep-1, 0x1.285116p-1},
                      {0x1.50b238p+0, 0x1.684298p-1, 0x1.4f6edep+1},
                      {0x1.716f4cp+0, 0x1.6a407cp-1, 0x1.dc9e4p-3},
                      {0x1.8a9b5cp+0, 0x1.a89ad2p-1, 0x1.d33f44p+2},
                      {0x1.9cadep+0, 0x1.215356p+0, 0x1.2171acp-3},
                      {0x1.795e44p+0, 0x1.a5ac2cp-1, 0x1.59565cp+0}}},
    {"zdc",
     "sdi",
     {{0x1.6f63c8p+0, 0x1.5127fcp-1, 0x1.3f2c76p-4}, {0x1.47c23ap+0, 0x1.fe9b26p-1, 0x1.25b2dap-1},
      {0x1.589feap+0, 0x1.b03a6p-1, 0x1.61ec66p-3},  {0x1.53b31cp+0, 0x1.bcf3e6p-1, 0x1.16273ep-4},
      {0x1.6fbd2cp+0, 0x1.b01fa2p-1, 0x1.28446p-4},  {0x1.762344p+0, 0x1.89aa2cp-1, 0x1.c5ff1cp-3},
      {0x1.8a1496p+0, 0x1.8e144ep-1, 0x1.b1096cp-2}, {0x1.5419eap+0, 0x1.894feep-1, 0x1.ec0ee6p-4},
      {0x1.63a046p+0, 0x1.6d4b14p-1, 0x1.1fa65ap-2}, {0x1.67d0b2p+0, 0x1.a6e95cp-1, 0x1.536cbp-2},
      {0x1.39193cp+0, 0x1.e3351cp-1, 0x1.71523p-1},  {0x1.529e3p+0, 0x1.d62ca6p-1, 0x1.6f6c4cp-2},
      {0x1.75e662p+0, 0x1.508fbcp-1, 0x1.61657p-1},  {0x1.60a1dep+0, 0x1.58ac94p-1, 0x1.a385c6p-3},
      {0x1.66e166p+0, 0x1.c408c6p-1, 0x1.089ff4p-2}, {0x1.8a6c3cp+0, 0x1.b11faap-1, 0x1.20d2a6p+0},
      {0x1.783c6cp+0, 0x1.e4faf8p-1, 0x1.4bc0e8p-3}, {0x1.83e688p+0, 0x1.4f05c6p-1, 0x1.448e8cp-2},
      {0x1.58c93cp+0, 0x1.ac993cp-1, 0x1.047522p-2}, {0x1.5a7998p+0, 0x1.be4cp-1, 0x1.f0e46cp-1}}},
    {"zdc", "divbal", {{0x1.6f63c8p+0, 0x1.5127fcp-1, -0x1.686f26p-4},
                       {0x1.530642p+0, 0x1.7c9fccp-1, -0x1.113a7p-3},
                       {0x1.63c478p+0, 0x1.e93408p-1, -0x1.18231cp-2},
                       {0x1.7018b8p+0, 0x1.fc61a2p-1, -0x1.70aa92p-3},
                       {0x1.8736ecp+0, 0x1.aa937p-1, -0x1.d87be8p-3},
                       {0x1.60f464p+0, 0x1.e9cf24p-1, -0x1.db30fap-6},
                       {0x1.7565e4p+0, 0x1.5106dap-1, -0x1.e3d51ap-4},
                       {0x1.78648cp+0, 0x1.9f8b7p-1, -0x1.298de8p-3},
                       {0x1.6b6214p+0, 0x1.8f3fbap-1, -0x1.dd2f3ap-4},
                       {0x1.52316p+0, 0x1.08a456p+0, 0x1.198b6cp-6},
                       {0x1.8d4408p+0, 0x1.826d2ep-1, -0x1.d49dfep-4},
                       {0x1.38aadcp+0, 0x1.c9074cp-1, -0x1.71376p-4},
                       {0x1.52fa2ep+0, 0x1.bb1e1ap-1, 0x1.a33f56p-6},
                       {0x1.8a8b8cp+0, 0x1.8a5dd8p-1, 0x1.50402ap-4},
                       {0x1.8b4884p+0, 0x1.669fc6p-1, -0x1.e6abc8p-6},
                       {0x1.715e68p+0, 0x1.b6ccf8p-1, -0x1.a37592p-8},
                       {0x1.71b46ep+0, 0x1.6978c6p-1, -0x1.f4a0fcp-5},
                       {0x1.6e7b9p+0, 0x1.9a3b1p-1, -0x1.8f8df4p-3},
                       {0x1.a1c204p+0, 0x1.a2cbeep-1, 0x1.74a44cp-5},
                       {0x1.8c6d94p+0, 0x1.cbf808p-1, -0x1.271632p-4}}},
    {"2d",
     "none",
     {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x0p+0}, {0x1.62e3e8p+0, 0x1.4b06d4p-1, 0x0p+0},
      {0x1.640f7p+0, 0x1.4ac0fap-1, 0x0p+0},  {0x1.63e626p+0, 0x1.49d40ap-1, 0x0p+0},
      {0x1.63c2d8p+0, 0x1.4a1fdcp-1, 0x0p+0}, {0x1.62c7a4p+0, 0x1.4b0818p-1, 0x0p+0},
      {0x1.63d068p+0, 0x1.4aaf84p-1, 0x0p+0}, {0x1.634ce2p+0, 0x1.4c0534p-1, 0x0p+0},
      {0x1.63d2fcp+0, 0x1.4af8a6p-1, 0x0p+0}, {0x1.6360e8p+0, 0x1.4bc87ep-1, 0x0p+0},
      {0x1.63cc88p+0, 0x1.4c35f2p-1, 0x0p+0}, {0x1.631ceap+0, 0x1.4c8d36p-1, 0x0p+0},
      {0x1.6276f4p+0, 0x1.4c46e6p-1, 0x0p+0}, {0x1.62ec28p+0, 0x1.4cd73p-1, 0x0p+0},
      {0x1.627154p+0, 0x1.4ca58ap-1, 0x0p+0}, {0x1.62843p+0, 0x1.4db232p-1, 0x0p+0},
      {0x1.621cacp+0, 0x1.4cbcd2p-1, 0x0p+0}, {0x1.62875ep+0, 0x1.4dbf6ap-1, 0x0p+0},
      {0x1.627b1cp+0, 0x1.4d35d4p-1, 0x0p+0}, {0x1.624c46p+0, 0x1.4d905ep-1, 0x0p+0}}},
    {"2d", "ms", {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x1.30cbdp+5},
                  {0x1.62e3cep+0, 0x1.4b0734p-1, 0x1.2cd4acp+5},
                  {0x1.6409f4p+0, 0x1.4acb48p-1, 0x1.0c7b1ap+5},
                  {0x1.63e238p+0, 0x1.49dabap-1, 0x1.88c084p+5},
                  {0x1.63c31cp+0, 0x1.4a1f2ap-1, 0x1.32c6ccp+5},
                  {0x1.62c438p+0, 0x1.4b0e28p-1, 0x1.6bb95cp+5},
                  {0x1.63d004p+0, 0x1.4ab012p-1, 0x1.a38692p+5},
                  {0x1.634a34p+0, 0x1.4c09aap-1, 0x1.7ccd58p+5},
                  {0x1.63d328p+0, 0x1.4af832p-1, 0x1.13a53ap+5},
                  {0x1.63615p+0, 0x1.4bc7e6p-1, 0x1.0c012ap+5},
                  {0x1.63c854p+0, 0x1.4c3d7ap-1, 0x1.2f184ep+5},
                  {0x1.631a6p+0, 0x1.4c9152p-1, 0x1.552d5cp+5},
                  {0x1.62742ap+0, 0x1.4c4a38p-1, 0x1.4a50fp+5},
                  {0x1.62edp+0, 0x1.4cd55cp-1, 0x1.8b90eap+5},
                  {0x1.62714cp+0, 0x1.4ca244p-1, 0x1.f94cf8p+4},
                  {0x1.6285fp+0, 0x1.4dab52p-1, 0x1.12fa6ep+5},
                  {0x1.621708p+0, 0x1.4cc044p-1, 0x1.2b4702p+5},
                  {0x1.62832cp+0, 0x1.4dc58ap-1, 0x1.34c47ap+5},
                  {0x1.6276d4p+0, 0x1.4d369p-1, 0x1.29a3a2p+5},
                  {0x1.624364p+0, 0x1.4d999ap-1, 0x1.300554p+5}}},
    {"2d", "ds", {{0x1.634486p+0, 0x1.4a2ea4p-1, -0x1.6f23c6p-6},
                  {0x1.62e428p+0, 0x1.4b068ep-1, -0x1.784af4p-6},
                  {0x1.640a1cp+0, 0x1.4acb18p-1, -0x1.9978ep-6},
                  {0x1.63e23p+0, 0x1.49daeap-1, -0x1.2b7622p-6},
                  {0x1.63c30cp+0, 0x1.4a1f7ap-1, -0x1.7a9e2p-6},
                  {0x1.62c3e2p+0, 0x1.4b0ec2p-1, -0x1.66174cp-6},
                  {0x1.63cf56p+0, 0x1.4ab13p-1, -0x1.23e394p-6},
                  {0x1.6349e4p+0, 0x1.4c0a4cp-1, -0x1.33846ep-6},
                  {0x1.63d2eep+0, 0x1.4af8cp-1, -0x1.999818p-6},
                  {0x1.63611cp+0, 0x1.4bc82p-1, -0x1.91418ap-6},
                  {0x1.63c7e4p+0, 0x1.4c3e52p-1, -0x1.473be4p-6},
                  {0x1.631a06p+0, 0x1.4c91ep-1, -0x1.40c5a8p-6},
                  {0x1.62733p+0, 0x1.4c4baap-1, -0x1.4c40d6p-6},
                  {0x1.62ebfap+0, 0x1.4cd732p-1, -0x1.1d723ap-6},
                  {0x1.627048p+0, 0x1.4ca3dcp-1, -0x1.6a7286p-6},
                  {0x1.6284d8p+0, 0x1.4dad82p-1, -0x1.72b6e2p-6},
                  {0x1.62161cp+0, 0x1.4cc26ep-1, -0x1.503e48p-6},
                  {0x1.6282e4p+0, 0x1.4dc6e8p-1, -0x1.1e16d2p-6},
                  {0x1.62764p+0, 0x1.4d381ep-1, -0x1.68fb42p-6},
                  {0x1.62414p+0, 0x1.4d9cb2p-1, -0x1.4b62e8p-6}}},
    {"2d", "divco", {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x1.9bfb7p+0},
                     {0x1.62e77ep+0, 0x1.4b0064p-1, 0x1.9bf7b4p+0},
                     {0x1.640db8p+0, 0x1.4ac486p-1, 0x1.9bfc9cp+0},
                     {0x1.63e454p+0, 0x1.49d70cp-1, 0x1.9c0e2cp+0},
                     {0x1.63c274p+0, 0x1.4a2072p-1, 0x1.9bff5cp+0},
                     {0x1.62c5ep+0, 0x1.4b0a4cp-1, 0x1.9c0326p+0},
                     {0x1.63ce2cp+0, 0x1.4ab2ep-1, 0x1.9bff38p+0},
                     {0x1.634b88p+0, 0x1.4c077cp-1, 0x1.9c01cap+0},
                     {0x1.63d3dap+0, 0x1.4af72ep-1, 0x1.9c02ecp+0},
                     {0x1.635e32p+0, 0x1.4bccf4p-1, 0x1.9c085ap+0},
                     {0x1.63cb1p+0, 0x1.4c37bep-1, 0x1.9c091ep+0},
                     {0x1.631d68p+0, 0x1.4c8b8ap-1, 0x1.9c099p+0},
                     {0x1.627362p+0, 0x1.4c4b56p-1, 0x1.9bff56p+0},
                     {0x1.62eb1cp+0, 0x1.4cd828p-1, 0x1.9c0852p+0},
                     {0x1.626f68p+0, 0x1.4ca5dap-1, 0x1.9c0aecp+0},
                     {0x1.6284d4p+0, 0x1.4dae96p-1, 0x1.9c0636p+0},
                     {0x1.621c16p+0, 0x1.4cba58p-1, 0x1.9c00b8p+0},
                     {0x1.628678p+0, 0x1.4dc108p-1, 0x1.9c05eap+0},
                     {0x1.6279fep+0, 0x1.4d3344p-1, 0x1.9bfefep+0},
                     {0x1.624514p+0, 0x1.4d9b18p-1, 0x1.9bfb34p+0}}},
    {"2d", "sdi", {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x1.992c3ep+10},
                   {0x1.62e3f4p+0, 0x1.4b06eep-1, 0x1.428ac6p+10},
                   {0x1.640a1p+0, 0x1.4acb1p-1, 0x1.8dcf7ep+10},
                   {0x1.63e22ap+0, 0x1.49dad2p-1, 0x1.d92a9cp+10},
                   {0x1.63c31cp+0, 0x1.4a1f2ap-1, 0x1.03babp+10},
                   {0x1.62c424p+0, 0x1.4b0e42p-1, 0x1.b76176p+9},
                   {0x1.63d024p+0, 0x1.4aafcap-1, 0x1.ec2f3cp+11},
                   {0x1.634a0ap+0, 0x1.4c09f4p-1, 0x1.157546p+10},
                   {0x1.63d2e2p+0, 0x1.4af89ep-1, 0x1.7fb3b6p+10},
                   {0x1.63611p+0, 0x1.4bc83ap-1, 0x1.d2f806p+10},
                   {0x1.63c7ccp+0, 0x1.4c3e6ep-1, 0x1.e0d80cp+10},
                   {0x1.631a14p+0, 0x1.4c91c4p-1, 0x1.eb9a1ep+9},
                   {0x1.62735p+0, 0x1.4c4b7ep-1, 0x1.2bb334p+10},
                   {0x1.62ec2ap+0, 0x1.4cd6e2p-1, 0x1.ad1ac2p+10},
                   {0x1.62705p+0, 0x1.4ca422p-1, 0x1.2f700cp+10},
                   {0x1.628442p+0, 0x1.4daedp-1, 0x1.7bf3d2p+10},
                   {0x1.6215c6p+0, 0x1.4cc354p-1, 0x1.750b14p+11},
                   {0x1.62823cp+0, 0x1.4dc842p-1, 0x1.68956ep+10},
                   {0x1.6276acp+0, 0x1.4d37bp-1, 0x1.15794p+11},
                   {0x1.6241bp+0, 0x1.4d9c62p-1, 0x1.ef24eap+10}}},
    {"2d", "divbal", {{0x1.634486p+0, 0x1.4a2ea4p-1, 0x1.624d06p+4},
                      {0x1.62e3dcp+0, 0x1.4b0718p-1, 0x1.2e70c2p+4},
                      {0x1.6409f8p+0, 0x1.4acb3ap-1, 0x1.47599ap+4},
                      {0x1.63e218p+0, 0x1.49daf2p-1, 0x1.d5e9f4p+3},
                      {0x1.63c2fep+0, 0x1.4a1f5ep-1, 0x1.bd85bcp+3},
                      {0x1.62c40cp+0, 0x1.4b0e7p-1, 0x1.3d602cp+3},
                      {0x1.63cff8p+0, 0x1.4ab01cp-1, 0x1.692814p+5},
                      {0x1.6349dcp+0, 0x1.4c0a4cp-1, 0x1.96f9e2p+3},
                      {0x1.63d2c4p+0, 0x1.4af8cep-1, 0x1.46a578p+3},
                      {0x1.6360ccp+0, 0x1.4bc87ep-1, 0x1.74aa18p+4},
                      {0x1.63c784p+0, 0x1.4c3e76p-1, 0x1.46ed52p+4},
                      {0x1.6319f8p+0, 0x1.4c9136p-1, 0x1.dba9bp+3},
                      {0x1.6272e8p+0, 0x1.4c4b4cp-1, 0x1.e5e1b2p+3},
                      {0x1.62ebfcp+0, 0x1.4cd658p-1, 0x1.530c24p+4},
                      {0x1.626ff4p+0, 0x1.4ca378p-1, 0x1.fd1b8cp+3},
                      {0x1.6283d8p+0, 0x1.4dae62p-1, 0x1.000b38p+4},
                      {0x1.62159p+0, 0x1.4cc25ep-1, 0x1.a438fep+5},
                      {0x1.6281ep+0, 0x1.4dc828p-1, 0x1.7591d4p+4},
                      {0x1.627666p+0, 0x1.4d3674p-1, 0x1.9b5a8cp+4},
                      {0x1.624188p+0, 0x1.4d9b4ap-1, 0x1.0a6a76p+4}}},
};

RecordedTable recorded_table() {
#if !defined(__GNUC__) || defined(__clang__) || __GNUC__ != 12
  return {nullptr, "a compiler other than GCC 12, the one of the tables", nullptr, 0};
#elif !defined(__OPTIMIZE__)
  // At -O0 GCC fuses no a*b+c into an FMA.
  return {nullptr, "unoptimized; the tables are of optimized builds", nullptr, 0};
#elif defined(__tune_znver1__) || defined(__tune_znver2__) || defined(__tune_znver3__) || \
    defined(__tune_znver4__) || defined(__tune_znver5__)
  // GCC's tunings for AMD Zen leave chains of FMAs unfused (--param avoid-fma-max-bits).
  return {nullptr, "tuned for AMD Zen, -mtune=znver*", nullptr, 0};
#elif defined(__x86_64__) && defined(__FMA__) && defined(__AVX512F__)
  return {"kLossesAvx512Fma", "GCC 12, x86-64 AVX-512 + FMA", kLossesAvx512Fma,
          std::size(kLossesAvx512Fma)};
#elif defined(__x86_64__) && defined(__FMA__) && defined(__AVX2__)
  return {"kLossesAvx2Fma", "GCC 12, x86-64 AVX2 + FMA", kLossesAvx2Fma, std::size(kLossesAvx2Fma)};
#elif defined(__x86_64__) && !defined(__FMA__) && !defined(__AVX__)
  return {"kLossesSse2", "GCC 12, x86-64 SSE, no FMA", kLossesSse2, std::size(kLossesSse2)};
#else
  return {nullptr, "an instruction set without a table", nullptr, 0};
#endif
}

}  // namespace
