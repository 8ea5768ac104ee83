// generate_zdc: the inference library's generation time (include/divgan/generator.h, the API a
// simulation framework calls) for one batch size and CPU thread count: median wall time of
// Generator::generate with given latents and log1p output (the work an ONNX runtime does on the
// exported model), over repeats after warm-up calls. Writes JSON (commit, CPU, config, figures) to
// stdout or --out; bench/reference/onnx_vs_divgan.py runs it beside onnxruntime. With --layers it
// also runs the same folded network layer by layer through the engine and records the median time
// of each layer (where the time goes).
#include <cxxabi.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "bench/common/run_info.h"
#include "divgan/generator.h"
#include "engine/autograd.h"
#include "engine/device.h"
#include "tools/run_zdc.h"

namespace {

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string type_name(const dg::nn::Module& m) {
  int status = 0;
  char* d = abi::__cxa_demangle(typeid(m).name(), nullptr, nullptr, &status);
  std::string s = status == 0 && d ? d : typeid(m).name();
  std::free(d);
  const auto colon = s.rfind("::");
  return colon == std::string::npos ? s : s.substr(colon + 2);
}

// Median ms of each layer of the checkpoint's folded network on a batch of `batch` rows, through
// the engine directly (the library's copy of the engine is not reachable from here, so the thread
// cap is set on this copy too).
nlohmann::json layer_times(const std::string& checkpoint, int batch, int threads, int repeats) {
  dg::set_cpu_threads(threads);
  dg::tools::ZdcModel m = dg::tools::load_zdc_model(checkpoint);
  dg::nn::fold_batch_norms(*m.g);
  auto* seq = dynamic_cast<dg::nn::Sequential*>(m.g->network());
  DG_CHECK(seq, "generate_zdc --layers: the generator's network is not a Sequential");
  dg::NoGradGuard ng;
  m.g->eval();
  dg::Philox rng(1, 0);
  const dg::Tensor input = dg::concat({rng.normal({batch, 10}), rng.normal({batch, 9})}, 1);
  std::vector<std::vector<double>> ms(seq->size());
  for (int r = 0; r < repeats + 2; ++r) {
    dg::Tensor x = input;
    for (size_t i = 0; i < seq->size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      x = (*seq)[i].forward(x);
      const double t =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (r >= 2) ms[i].push_back(t);
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < seq->size(); ++i)
    out.push_back({{"layer", i}, {"type", type_name((*seq)[i])}, {"median_ms", median_of(ms[i])}});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"divgan inference-library generation time"};
  std::string checkpoint, out;
  int batch = 1, threads = 1, repeats = 50, warmup = 5;
  bool layers = false;
  app.add_option("--checkpoint", checkpoint, "ZDC checkpoint")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--batch", batch, "Particles per call")->check(CLI::Range(1, 1 << 16));
  app.add_option("--threads", threads, "CPU threads (0: all)")->check(CLI::Range(0, 1024));
  app.add_option("--repeats", repeats, "Timed calls")->check(CLI::Range(1, 100000));
  app.add_option("--warmup", warmup, "Untimed calls first")->check(CLI::Range(0, 1000));
  app.add_option("--out", out, "JSON file (default: stdout)");
  app.add_flag("--layers", layers, "Also time each layer of the network (engine, folded)");
  CLI11_PARSE(app, argc, argv);
  try {
    divgan::set_cpu_threads(threads);
    divgan::Generator g(checkpoint);
    g.set_batch_rows(batch);
    // Particles at the checkpoint's attribute means would need its standardizer; any finite raw
    // values cost the same, so a fixed plausible neutron is repeated.
    const double neutron[divgan::kAttributes] = {2500, 0.001,  -0.002,  0.05, 0.1,
                                                 -0.2, 2499.9, 939.565, 0};
    std::vector<double> particles;
    for (int i = 0; i < batch; ++i) particles.insert(particles.end(), neutron, neutron + 9);
    std::mt19937 rng(1);
    std::normal_distribution<float> normal;
    std::vector<float> z(static_cast<size_t>(batch) * divgan::kLatentDim);
    for (float& v : z) v = normal(rng);
    for (int i = 0; i < warmup; ++i) g.generate(particles, z, divgan::Output::Log1p);
    std::vector<double> ms;
    double checksum = 0;
    for (int i = 0; i < repeats; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const std::vector<float> img = g.generate(particles, z, divgan::Output::Log1p);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      for (float v : img) checksum += v;
    }
    const double median = median_of(ms);
    nlohmann::json j = {{"benchmark", "generate_zdc"},
                        {"git", dg::bench::git_info()},
                        {"time_utc", dg::bench::utc_stamp(false)},
                        {"cpu", dg::bench::cpu_info()},
                        {"version", divgan::version()},
                        {"config",
                         {{"checkpoint", checkpoint},
                          {"model", g.description()},
                          {"batch", batch},
                          {"threads", threads},
                          {"repeats", repeats},
                          {"warmup", warmup},
                          {"output", "log1p, given latents"}}},
                        {"median_ms", median},
                        {"min_ms", *std::min_element(ms.begin(), ms.end())},
                        {"showers_per_s", 1000.0 * batch / median},
                        {"runs_ms", ms},
                        {"checksum", checksum}};
    if (layers) j["layers"] = layer_times(checkpoint, batch, threads, std::min(repeats, 20));
    if (out.empty())
      std::printf("%s\n", j.dump(1).c_str());
    else
      dg::bench::write_json_atomic(out, j);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "generate_zdc: %s\n", e.what());
    return 1;
  }
  return 0;
}
