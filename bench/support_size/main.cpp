// support_size: time of `divgan support`'s computation (gan/support_size.h) for a real and a
// generated pool of simulated ZDC showers (default 5000 + 5000, the test's full size), per criteria
// set, median over repeats; the result of each repeat must be identical. Writes JSON (device,
// commit, config, figures) and prints a table.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "base/error.h"
#include "bench/common/run_info.h"
#include "datasets/zdc_simulator.h"
#include "gan/support_size.h"

namespace dg::bench {
namespace {

struct Options {
  int64_t showers = 5000;
  int repeats = 3;
  int threads = 0;
  std::vector<std::string> criteria_sets = {"js_x+js_y+total", "js_x+js_y+total+ssim"};
  std::string out;
};

// Simulated showers: at least `n`, cut to n.
std::vector<double> simulated(int64_t n, uint64_t seed) {
  data::ZdcSimConfig c;
  c.seed = seed;
  c.particles = n / 3 + 1;  // at least 3 repeats each
  data::ZdcSample s = data::simulate_zdc(c);
  s.responses.resize(static_cast<size_t>(n * data::kSimPixels));
  return std::move(s.responses);
}

int run(const Options& o) {
  using json = nlohmann::json;
  const std::vector<double> real = simulated(o.showers, 1), gen = simulated(o.showers, 2);
  json results = json::array();
  std::printf(
      "| criteria | real + generated showers | threads | median s | runs s |\n"
      "|---|---:|---:|---:|---|\n");
  for (const std::string& set : o.criteria_sets) {
    gan::SupportOptions opt;
    opt.js_x = set.find("js_x") != std::string::npos;
    opt.js_y = set.find("js_y") != std::string::npos;
    opt.total = set.find("total") != std::string::npos;
    opt.ssim = set.find("ssim") != std::string::npos;
    opt.max_samples = o.showers;
    opt.threads = o.threads;
    std::vector<double> secs;
    json first;
    for (int r = 0; r < o.repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      const gan::SupportResult res = gan::estimate_support(real, gen, opt);
      secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      const json j = res.to_json();
      if (r == 0) first = j;
      DG_CHECK(j == first, "support_size: repeat " << r << " gave another result");
    }
    std::vector<double> sorted = secs;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2];
    const int threads =
        o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
    std::string runs;
    for (double s : secs) runs += (runs.empty() ? "" : ", ") + std::to_string(s).substr(0, 6);
    std::printf("| %s | %lld + %lld | %d | %.2f | %s |\n", set.c_str(),
                static_cast<long long>(o.showers), static_cast<long long>(o.showers), threads,
                median, runs.c_str());
    results.push_back({{"criteria", set},
                       {"threads", threads},
                       {"seconds_median", median},
                       {"seconds", secs},
                       {"real_pool", first["real"]["pool"]},
                       {"generated_pool", first["generated"]["pool"]},
                       {"real_s_half", first["real"]["s_half"]},
                       {"generated_s_half", first["generated"]["s_half"]}});
  }
  json root = {{"benchmark", "support_size"},
               {"implementation", "divgan"},
               {"timestamp_utc", utc_stamp(false)},
               {"git", git_info()},
               {"device", {{"kind", "cpu"}, {"cpu", cpu_info()}}},
               {"config",
                {{"showers_per_pool", o.showers},
                 {"data", "built-in simulator, seeds 1 (real) and 2 (generated)"},
                 {"trials", gan::SupportOptions{}.trials},
                 {"alpha", gan::SupportOptions{}.alpha},
                 {"repeats", o.repeats}}},
               {"results", results}};
  write_result(o.out, "support_size_cpu", root);
  return 0;
}

}  // namespace
}  // namespace dg::bench

int main(int argc, char** argv) {
  dg::bench::Options o;
  CLI::App app{"support_size: time of the birthday-paradox support test (JSON + Markdown)"};
  app.add_option("--showers", o.showers, "showers per pool")->capture_default_str();
  app.add_option("--repeats", o.repeats, "timed repeats per criteria set")->capture_default_str();
  app.add_option("--threads", o.threads, "threads (0: every core)")->capture_default_str();
  app.add_option("--criteria-sets", o.criteria_sets, "criteria sets, e.g. js_x+js_y+total")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--out", o.out,
                 "JSON path (default bench/results/support_size_cpu_<commit>_<time>.json)");
  CLI11_PARSE(app, argc, argv);
  try {
    return dg::bench::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "support_size: %s\n", e.what());
    return 2;
  }
}
