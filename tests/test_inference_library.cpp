// The inference library (include/divgan/generator.h) against the CLI's generation path: the same
// showers for the same seed or latents, log1p and counts consistent, channel sums as gan's,
// results independent of the CPU thread count, two Generators on two threads at once, and every
// failure a divgan::Error with a message naming its cause.
// Run: build/dg_tests -tc="inference library*"
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <thread>

#include "divgan/generator.h"
#include "gan/models_zdc.h"
#include "gan/zdc_channels.h"
#include "tests/test_support.h"
#include "tools/run_zdc.h"

using namespace dg;

namespace {

// A one-step ZDC run (DCGAN generator on 20 simulated particles); returns its checkpoint.
std::string tiny_checkpoint(const test::TempDir& dir) {
  gan::TrainConfig cfg;
  cfg.dataset = gan::Dataset::Zdc;
  cfg.generator = gan::GeneratorArch::Dcgan;
  cfg.latent = gan::kZdcLatent;
  cfg.sim_particles = 20;
  cfg.batch = 4;
  cfg.steps = 1;
  const std::string run = dir.file("run");
  tools::run_zdc(cfg, run, tools::RunRequest{}, false);
  return run + "/checkpoint.safetensors";
}

std::vector<double> particles(const tools::ZdcModel& m, int n) {
  std::vector<double> p;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < divgan::kAttributes; ++j)
      p.push_back(m.standardizer.mean[j] + m.standardizer.scale[j] * 0.1 * ((i * 7 + j) % 5 - 2));
  return p;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const divgan::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("inference library: the same showers as the CLI's generation, by seed and by latents") {
  test::TempDir dir("inference_library");
  const std::string ckpt = tiny_checkpoint(dir);
  tools::ZdcModel m = tools::load_zdc_model(ckpt);
  nn::fold_batch_norms(*m.g);
  const std::vector<double> p = particles(m, 5);

  divgan::Generator g(ckpt);
  CHECK(g.training_steps() == 1);
  CHECK(g.description().find("dcgan") != std::string::npos);
  g.set_batch_rows(2);  // batches of 2, 2 and 1, as `generate --batch 2`
  const std::vector<double> ref = tools::generate_counts(m, p, 1, 2, 11);
  const std::vector<float> counts = g.generate(p, 11);
  REQUIRE(counts.size() == ref.size());
  int nonzero = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    CHECK(counts[i] == static_cast<float>(ref[i]));
    nonzero += ref[i] != 0;
  }
  CHECK(nonzero > 0);

  const std::vector<float> log1p = g.generate(p, 11, divgan::Output::Log1p);
  for (size_t i = 0; i < ref.size(); ++i)
    CHECK(counts[i] == static_cast<float>(std::expm1(static_cast<double>(log1p[i]))));

  std::vector<float> z(5 * divgan::kLatentDim);
  for (size_t i = 0; i < z.size(); ++i) z[i] = static_cast<float>(std::sin(1.7 * i));
  const std::vector<double> zd(z.begin(), z.end());
  const std::vector<double> ref_z = tools::generate_counts(m, p, 1, 2, 0, &zd);
  const std::vector<float> by_z = g.generate(p, z);
  for (size_t i = 0; i < ref_z.size(); ++i) CHECK(by_z[i] == static_cast<float>(ref_z[i]));

  const auto sums = divgan::channel_sums(counts);
  const auto gan_sums = gan::zdc_channels_batch(std::vector<double>(counts.begin(), counts.end()));
  REQUIRE(sums.size() == 5);
  for (size_t i = 0; i < sums.size(); ++i) CHECK(sums[i] == gan_sums[i]);

  SUBCASE("results do not depend on the CPU thread count") {
    divgan::set_cpu_threads(1);
    const std::vector<float> one = g.generate(p, 11);
    divgan::set_cpu_threads(0);
    CHECK(one == counts);
  }
  SUBCASE("two Generators on two threads at once") {
    divgan::Generator g2(ckpt);
    g2.set_batch_rows(2);
    std::vector<float> a, b;
    std::thread t1([&] { a = g.generate(p, 11); });
    std::thread t2([&] { b = g2.generate(p, 11); });
    t1.join();
    t2.join();
    CHECK(a == counts);
    CHECK(b == counts);
  }
  SUBCASE("failures are divgan::Error naming their cause") {
    CHECK(error_of([&] { g.generate(std::vector<double>(8), 1); }).find("multiple of 9") !=
          std::string::npos);
    CHECK(error_of([&] { g.generate(p, std::vector<float>(3)); }).find("latent values") !=
          std::string::npos);
    std::vector<float> bad = z;
    bad[4] = NAN;
    CHECK(error_of([&] { g.generate(p, bad); }).find("not finite") != std::string::npos);
    CHECK(error_of([&] { g.set_batch_rows(0); }).find("at least 1") != std::string::npos);
    CHECK(error_of([&] { divgan::set_cpu_threads(-1); }).find("CPU threads") != std::string::npos);
    CHECK(error_of([&] {
            divgan::Generator missing(dir.file("nope.safetensors"));
          }).find("nope.safetensors") != std::string::npos);
  }
}
