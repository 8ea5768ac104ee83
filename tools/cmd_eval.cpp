// `divgan eval`: evaluate a checkpoint on its test split (2D benchmark or ZDC), or evaluate ZDC
// showers already generated (a file from `divgan generate`) against real responses. Prints the
// papers' Table 1 layout and writes JSON.
#include <cstdio>

#include "datasets/npy.h"
#include "datasets/zdc_dataset.h"
#include "gan/trainer.h"
#include "tools/commands.h"
#include "tools/format.h"
#include "tools/run2d.h"
#include "tools/run_zdc.h"

namespace dg::tools {

namespace {

// Generated showers may hold inf/NaN (a diverged model): read without the data-file checks, which
// would reject them, and let the evaluation count and skip them.
std::vector<double> read_showers(const std::string& path, int64_t* rows) {
  data::NpyArray a = data::read_zdc_array_unchecked(path, "responses");
  DG_CHECK(a.shape.size() == 3 && a.shape[1] == data::kZdcSide && a.shape[2] == data::kZdcSide &&
               a.shape[0] > 0,
           path << ": showers have shape " << shape_str(a.shape)
                << "; expected (N, 44, 44) photon counts, N > 0");
  *rows = a.shape[0];
  return std::move(a.data);
}

void eval_showers(const std::string& showers, const std::string& real, const std::string& json) {
  int64_t n_gen = 0, n_real = 0;
  std::vector<double> gen = read_showers(showers, &n_gen);
  std::vector<double> ref = read_showers(real, &n_real);
  DG_CHECK(n_gen % n_real == 0,
           showers << ": " << n_gen << " showers are not a whole number of regenerations of the "
                   << n_real << " real responses in " << real << "; expected N = k * " << n_real
                   << " (regeneration-major)");
  data::check_counts(ref, real + ": real responses");
  gan::ZdcEval e = gan::evaluate_zdc_counts(ref, gen, n_real, n_gen / n_real);
  std::printf("%s", gan::zdc_eval_markdown({{showers, e}}).c_str());
  if (!json.empty()) {
    write_file_atomic(
        json,
        nlohmann::json{{"showers", showers}, {"real", real}, {"test", e.to_json()}}.dump(2) + "\n");
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
  cmd->add_option("--json", *json, "Write the figures to this JSON file");
  cmd->add_option("--seed", *seed, "Seed of the evaluation latents")->capture_default_str();
  cmd->add_option("--regenerations", *regen, "ZDC: regenerations of the test split")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}))
      ->capture_default_str();
  cmd->add_option("--device", *device, "ZDC: cpu, cuda, or auto (a GPU when one is usable)")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  cmd->callback([=] {
    if (!showers->empty()) return eval_showers(*showers, *real, *json);
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
