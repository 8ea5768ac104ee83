// `divgan eval`: evaluate a checkpoint on its test split (2D benchmark or ZDC), or evaluate ZDC
// showers already generated (a file from `divgan generate`) against real responses. Prints the
// papers' Table 1 layout and writes JSON.
#include <cstdio>

#include "datasets/npy.h"
#include "datasets/zdc_dataset.h"
#include "gan/eval_zdc_breakdown.h"
#include "gan/trainer.h"
#include "tools/commands.h"
#include "tools/format.h"
#include "tools/run2d.h"
#include "tools/run_zdc.h"

namespace dg::tools {

namespace {

// The attributes of the real rows: --particles, else those stored with the real responses, else
// the first N rows of those stored with the showers; empty when none is found.
std::vector<double> find_particles(const std::string& given, const std::string& real,
                                   const std::string& showers, int64_t n_real, std::string* from) {
  std::vector<double> p;
  if (!given.empty()) {
    p = data::load_zdc_particles(given);
    *from = given;
  } else if (p = data::find_zdc_particles(real); !p.empty()) {
    *from = real;
  } else if (p = data::find_zdc_particles(showers); !p.empty()) {
    // The showers' own conditions, one row per shower: they must repeat the first N rows in every
    // regeneration to stand for the real rows'.
    *from = showers;
    const int64_t row = n_real * data::kZdcCondDim;
    DG_CHECK(static_cast<int64_t>(p.size()) % row == 0,
             showers << ": particles hold " << p.size() / data::kZdcCondDim
                     << " rows; expected one per shower, a multiple of the " << n_real
                     << " real responses");
    for (size_t i = row; i < p.size(); ++i)
      DG_CHECK(p[i] == p[i % row], showers << ": the conditions of shower " << i / data::kZdcCondDim
                                           << " differ from those of shower "
                                           << (i % row) / data::kZdcCondDim
                                           << "; expected the same rows in every regeneration");
    p.resize(row);
  }
  if (!p.empty())
    DG_CHECK(static_cast<int64_t>(p.size()) == n_real * data::kZdcCondDim,
             *from << ": particles hold " << p.size() / data::kZdcCondDim << " rows for the "
                   << n_real << " real responses in " << real << "; expected one row per response");
  return p;
}

void eval_showers(const std::string& showers, const std::string& real,
                  const std::string& particles_path, const std::string& json, uint64_t seed) {
  int64_t n_gen = 0, n_real = 0;
  // Generated showers may hold inf/NaN (a diverged model): read without the data-file checks,
  // which would reject them, and let the evaluation count and skip them.
  std::vector<double> gen = data::read_zdc_showers_unchecked(showers, "showers", &n_gen);
  std::vector<double> ref = data::read_zdc_showers_unchecked(real, "showers", &n_real);
  DG_CHECK(n_gen % n_real == 0,
           showers << ": " << n_gen << " showers are not a whole number of regenerations of the "
                   << n_real << " real responses in " << real << "; expected N = k * " << n_real
                   << " (regeneration-major)");
  data::check_counts(ref, real + ": real responses");
  const int64_t k = n_gen / n_real;
  std::string from;
  const std::vector<double> particles =
      find_particles(particles_path, real, showers, n_real, &from);
  // Showers stored with their own conditions must be the real rows', regeneration by
  // regeneration: otherwise the comparison is of different particles.
  if (!particles.empty() && from != showers) {
    const std::vector<double> own = data::find_zdc_particles(showers);
    if (!own.empty()) {
      DG_CHECK(static_cast<int64_t>(own.size()) == n_gen * data::kZdcCondDim,
               showers << ": particles hold " << own.size() / data::kZdcCondDim << " rows for "
                       << n_gen << " showers; expected one row per shower");
      for (int64_t i = 0; i < n_gen * data::kZdcCondDim; ++i)
        DG_CHECK(own[i] == particles[i % (n_real * data::kZdcCondDim)],
                 showers << ": shower " << i / data::kZdcCondDim
                         << " was generated for other attributes than real row "
                         << (i / data::kZdcCondDim) % n_real << " of " << from
                         << "; expected the real rows repeated per regeneration");
    }
  }
  const int64_t max_groups = gan::ZdcEvalOptions{}.max_div_groups;
  gan::ZdcEval e = gan::evaluate_zdc_counts(ref, gen, n_real, k);
  // Some broken images are counted and left out; all of them broken is no evaluation at all.
  DG_CHECK(e.nonfinite_generated < n_gen,
           showers << ": all " << n_gen
                   << " showers hold inf or NaN counts; expected finite photon counts (the "
                      "generator diverged or the file is not what generate wrote)");
  std::vector<std::pair<std::string, gan::ZdcEval>> rows = {{showers, e}};
  nlohmann::json j = {{"showers", showers}, {"real", real}};
  if (!particles.empty()) {
    std::vector<int64_t> all(n_real);
    for (int64_t i = 0; i < n_real; ++i) all[i] = i;
    gan::diversity_error_counts(ref, gen, particles, n_real, k, all, max_groups, seed, e);
    rows = {{"all", e}};
    nlohmann::json breakdown = nlohmann::json::array();
    for (const gan::RowSubset& sub : gan::zdc_breakdown_subsets(particles, n_real)) {
      const gan::ZdcEval se =
          gan::evaluate_zdc_counts_rows(ref, gen, particles, n_real, k, sub.rows, max_groups, seed);
      rows.emplace_back(sub.name, se);
      breakdown.push_back(
          {{"subset", sub.name}, {"rows", sub.rows.size()}, {"test", se.to_json()}});
    }
    j["particles"] = from;
    j["breakdown"] = breakdown;
    std::printf("showers %s against %s (conditions from %s)\n\n", showers.c_str(), real.c_str(),
                from.c_str());
  } else {
    std::printf(
        "(no conditions: give --particles, or real responses written with their 'particles', for "
        "the diversity error and the breakdown by species and energy)\n\n");
  }
  j["test"] = e.to_json();
  std::printf("%s", gan::zdc_eval_markdown(rows).c_str());
  if (!json.empty()) {
    write_file_atomic(json, j.dump(2) + "\n");
    std::printf("\nwrote %s\n", json.c_str());
  }
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "eval",
      "Evaluate a checkpoint on its test split, or generated ZDC showers against real ones");
  auto ckpt = std::make_shared<std::string>();
  auto json = std::make_shared<std::string>();
  auto showers = std::make_shared<std::string>();
  auto real = std::make_shared<std::string>();
  auto particles = std::make_shared<std::string>();
  auto seed = std::make_shared<uint64_t>(1);
  auto regen = std::make_shared<int64_t>(5);
  auto device = std::make_shared<std::string>("cpu");
  auto* c =
      cmd->add_option("--checkpoint", *ckpt, "Checkpoint written by train (checkpoint.safetensors)")
          ->check(CLI::ExistingFile);
  auto* s = cmd->add_option("--showers", *showers,
                            "ZDC showers from `generate` (.npz/.npy/.h5), (k*N, 44, 44)")
                ->check(CLI::ExistingFile);
  cmd->add_option("--real", *real,
                  "Real responses to compare --showers with (.npz/.npy/.h5), (N, 44, 44)")
      ->check(CLI::ExistingFile)
      ->needs(s);
  s->needs(cmd->get_option("--real"));
  c->excludes(s);
  cmd->add_option(
         "--particles", *particles,
         "Attributes of the --real rows (N, 9) or (N, 10), for the diversity error and the "
         "breakdown by species and energy (default: those stored with --real or "
         "--showers, as generate writes them)")
      ->check(CLI::ExistingFile)
      ->needs(s);
  cmd->add_option("--json", *json, "Write the figures to this JSON file");
  cmd->add_option("--seed", *seed, "Seed of the evaluation latents")->capture_default_str();
  cmd->add_option("--regenerations", *regen, "ZDC: regenerations of the test split")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}))
      ->capture_default_str();
  cmd->add_option("--device", *device, "ZDC: cpu, cuda, or auto (a GPU when one is usable)")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  cmd->callback([=] {
    if (!showers->empty()) return eval_showers(*showers, *real, *particles, *json, *seed);
    DG_CHECK(!ckpt->empty(), "eval needs --checkpoint, or --showers with --real");
    gan::TrainConfig cfg = gan::read_checkpoint_config(*ckpt);
    nlohmann::json j = {{"checkpoint", *ckpt}, {"config", cfg.to_json()}, {"eval_seed", *seed}};
    if (cfg.dataset == gan::Dataset::Zdc) {
      gan::ZdcEvalOptions opt = final_eval_options(*seed);
      opt.regenerations = static_cast<int>(*regen);
      ZdcRunResult r = evaluate_checkpoint_zdc(*ckpt, opt, select_device(*device));
      std::printf("%s",
                  gan::zdc_eval_markdown({{gan::regularizer_title(cfg.reg), r.test}}).c_str());
      j["steps"] = r.steps;
      j["test"] = r.test.to_json();
    } else {
      Run2DResult r = evaluate_checkpoint_2d(*ckpt, *seed);
      std::printf("%s", eval2d_markdown({{gan::regularizer_title(cfg.reg), r.test}}).c_str());
      j["steps"] = r.steps;
      j["test"] = r.test.to_json();
      j["validation"] = r.validation.to_json();
    }
    if (!json->empty()) {
      write_file_atomic(*json, j.dump(2) + "\n");
      std::printf("\nwrote %s\n", json->c_str());
    }
  });
}

}  // namespace dg::tools
