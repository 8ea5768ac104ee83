// `divgan eval`: evaluate a checkpoint; prints the Table 1 layout and writes JSON.
#include <cstdio>

#include "tools/commands.h"
#include "tools/format.h"
#include "gan/trainer.h"
#include "tools/run2d.h"

namespace dg::tools {

void add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Evaluate a trained checkpoint on the test split");
  auto ckpt = std::make_shared<std::string>();
  auto json = std::make_shared<std::string>();
  auto seed = std::make_shared<uint64_t>(1);
  cmd->add_option("--checkpoint", *ckpt, "Checkpoint written by train (checkpoint.safetensors)")
      ->required()->check(CLI::ExistingFile);
  cmd->add_option("--json", *json, "Write the figures to this JSON file");
  cmd->add_option("--seed", *seed, "Seed of the evaluation latents")->capture_default_str();
  cmd->callback([=] {
    Run2DResult r = evaluate_checkpoint_2d(*ckpt, *seed);
    gan::TrainConfig cfg = gan::read_checkpoint_config(*ckpt);
    std::printf("%s", eval2d_markdown({{gan::regularizer_title(cfg.reg), r.test}}).c_str());
    if (!json->empty()) {
      nlohmann::json j = {{"checkpoint", *ckpt}, {"config", cfg.to_json()}, {"steps", r.steps},
                          {"eval_seed", *seed}, {"test", r.test.to_json()}, {"validation", r.validation.to_json()}};
      write_file_atomic(*json, j.dump(2) + "\n");
      std::printf("\nwrote %s\n", json->c_str());
    }
  });
}

}  // namespace dg::tools
