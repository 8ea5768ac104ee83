// `divgan support`: the support size of real and generated ZDC showers by the birthday paradox
// (gan/support_size.h, docs/design.md#support-size), from two shower files or from a checkpoint
// (its test split against one generated shower per test condition). Prints a table, writes JSON.
#include <cstdio>
#include <sstream>

#include "base/atomic_file.h"
#include "datasets/zdc_dataset.h"
#include "gan/support_size.h"
#include "tools/commands.h"
#include "tools/format.h"
#include "tools/progress.h"
#include "tools/run_zdc.h"
#include "tools/train_loop.h"

namespace dg::tools {

namespace {

// "10,20,50" or "start:stop" or "start:stop:step" (inclusive), as an increasing grid.
std::vector<int64_t> parse_sizes(const std::string& spec) {
  std::vector<int64_t> out;
  auto number = [&](const std::string& s) {
    size_t used = 0;
    int64_t v = 0;
    try {
      v = std::stoll(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    DG_CHECK(
        !s.empty() && used == s.size(),
        "--sizes: '" << s << "' is not an integer (expected e.g. 10,20,50 or 2:500 or 2:500:5)");
    return v;
  };
  if (spec.find(':') != std::string::npos) {
    std::vector<std::string> parts;
    std::stringstream ss(spec);
    for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
    DG_CHECK(parts.size() == 2 || parts.size() == 3,
             "--sizes: '" << spec << "' is not start:stop or start:stop:step");
    const int64_t start = number(parts[0]), stop = number(parts[1]),
                  step = parts.size() == 3 ? number(parts[2]) : 1;
    DG_CHECK(step >= 1 && start <= stop,
             "--sizes: '" << spec << "' is empty or has a step below 1");
    // Bounded before it is built: a subset can hold at most a pool of showers, and a grid of
    // more than a million sizes is a typo.
    DG_CHECK(start >= 0 && (stop - start) / step < 1000000,
             "--sizes: '" << spec << "' has more than a million sizes or a negative one");
    for (int64_t k = 0; k <= (stop - start) / step; ++k) out.push_back(start + k * step);
  } else {
    std::stringstream ss(spec);
    for (std::string p; std::getline(ss, p, ',');) out.push_back(number(p));
  }
  return out;
}

}  // namespace

void add_support_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "support",
      "Support size of real and generated ZDC showers by the birthday paradox (duplicates at "
      "real-data quantiles of profile, total-count and SSIM distances)");
  auto real = std::make_shared<std::string>();
  auto showers = std::make_shared<std::string>();
  auto ckpt = std::make_shared<std::string>();
  auto json = std::make_shared<std::string>();
  auto criteria =
      std::make_shared<std::vector<std::string>>(std::vector<std::string>{"js_x", "js_y", "total"});
  auto sizes = std::make_shared<std::string>();
  auto device = std::make_shared<std::string>("cpu");
  auto quiet = std::make_shared<bool>(false);
  auto o = std::make_shared<gan::SupportOptions>();
  auto* r = cmd->add_option("--real", *real,
                            "Real responses (.npz/.npy/.h5), (N, 44, 44): the thresholds and the "
                            "real curve")
                ->check(CLI::ExistingFile);
  auto* s = cmd->add_option("--showers", *showers,
                            "Generated showers (.npz/.npy/.h5, as `generate` writes them)")
                ->check(CLI::ExistingFile);
  auto* c = cmd->add_option("--checkpoint", *ckpt,
                            "ZDC checkpoint: the test split of its data against one shower "
                            "generated per test condition (instead of --real/--showers)")
                ->check(CLI::ExistingFile);
  r->needs(s);
  s->needs(r);
  c->excludes(r)->excludes(s);
  cmd->add_option("--json", *json, "Write thresholds, curves and support sizes to this JSON file");
  cmd->add_option("--criteria", *criteria,
                  "What makes a duplicate, every one required: js_x, js_y (Jensen-Shannon "
                  "divergence of the x/y profiles), total (|total count difference|), ssim")
      ->delimiter(',')
      ->check(CLI::IsMember({"js_x", "js_y", "total", "ssim"}))
      ->capture_default_str();
  cmd->add_option("--alpha", o->alpha,
                  "Thresholds at this quantile of the real pairs' distances (1 - alpha for SSIM)")
      ->capture_default_str();
  cmd->add_option("--ssim-range", o->ssim_range,
                  "Dynamic range L of the SSIM constants C1 = (0.01 L)^2, C2 = (0.03 L)^2, in "
                  "photons")
      ->capture_default_str();
  cmd->add_option("--max-samples", o->max_samples,
                  "At most this many showers per pool (a seeded random subset)")
      ->capture_default_str();
  cmd->add_option("--trials", o->trials, "Random subsets per size")->capture_default_str();
  cmd->add_option("--sizes", *sizes,
                  "Subset sizes: 10,20,50 or start:stop[:step] (default: every size from 2 to "
                  "the pool's)");
  cmd->add_option("--seed", o->seed,
                  "Seed of the subsets (and of the generated showers with --checkpoint)")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "Threads for the pair distances (0: every core)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_option("--device", *device, "With --checkpoint: cpu, cuda, or auto")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  cmd->add_flag("--quiet", *quiet, "No progress bar");
  cmd->callback([=] {
    gan::SupportOptions opt = *o;
    opt.js_x = opt.js_y = opt.total = opt.ssim = false;
    for (const std::string& k : *criteria) {
      opt.js_x |= k == "js_x";
      opt.js_y |= k == "js_y";
      opt.total |= k == "total";
      opt.ssim |= k == "ssim";
    }
    if (!sizes->empty()) opt.sizes = parse_sizes(*sizes);
    opt.validate();  // before any file is read or shower generated
    DG_CHECK(!real->empty() || !ckpt->empty(),
             "support needs --real FILE with --showers FILE, or --checkpoint FILE");
    std::vector<double> ref, gen;
    std::string real_name = *real, gen_name = *showers;
    if (!ckpt->empty()) {
      ZdcModel m = load_zdc_model(*ckpt, select_device(*device));
      ZdcTestSplit t = checkpoint_test_split(m.cfg);
      ref = std::move(t.responses);
      gen = generate_counts(m, t.conditions, 1, 256, opt.seed);
      real_name = "test split of " + t.data.source;
      gen_name = *ckpt + " (one shower per test condition, seed " + std::to_string(opt.seed) + ")";
    } else {
      // As eval reads generated files: inf/NaN are counted, not refused.
      ref = data::read_zdc_showers_unchecked(*real, "real responses");
      gen = data::read_zdc_showers_unchecked(*showers, "showers");
    }
    std::unique_ptr<ProgressBar> bar;
    std::string stage;
    if (!*quiet)
      opt.progress = [&](const std::string& name, int64_t done, int64_t total) {
        if (name == stage && !bar) return;  // this stage's bar is finished
        if (name != stage) {
          if (bar) bar->finish();
          stage = name;
          bar = std::make_unique<ProgressBar>(0, total, name);
        }
        if (done < total) {
          bar->update(done);
        } else {
          bar->finish();
          bar.reset();
        }
      };
    const gan::SupportResult res = gan::estimate_support(ref, gen, opt);
    std::printf("support size: real %s, generated %s\n\n%s", real_name.c_str(), gen_name.c_str(),
                res.markdown().c_str());
    if (!json->empty()) {
      nlohmann::json j = res.to_json();
      j["real_source"] = real_name;
      j["generated_source"] = gen_name;
      write_file_atomic(*json, j.dump(1) + "\n");
      std::printf("\nwrote %s\n", json->c_str());
    }
  });
}

}  // namespace dg::tools
