// `divgan train`: one training run (2D benchmark or ZDC), evaluated on the test split at the end.
#include <cstdio>

#include "gan/models_zdc.h"
#include "tools/commands.h"
#include "tools/format.h"
#include "tools/run2d.h"
#include "tools/run_zdc.h"
#include "tools/validators.h"

namespace dg::tools {

void add_train_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("train", "Train a conditional GAN and evaluate it on the test split");
  auto cfg = std::make_shared<gan::TrainConfig>();
  auto reg = std::make_shared<std::string>("none");
  auto out = std::make_shared<std::string>();
  auto resume = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  auto device = std::make_shared<std::string>("cpu");
  // Strings on the command line, enums in the config: parsed once, in the callback.
  auto dataset = std::make_shared<std::string>(gan::dataset_name(cfg->dataset));
  auto generator = std::make_shared<std::string>(gan::generator_arch_name(cfg->generator));
  auto precision = std::make_shared<std::string>(matmul_precision_name(cfg->precision));
  cmd->add_option("--data", *dataset, "Data set: 2d (the SDI-GAN synthetic benchmark) or zdc")
      ->check(CLI::IsMember({"2d", "zdc"}))
      ->capture_default_str();
  cmd->add_option("--generator", *generator,
                  "ZDC generator: original (upsample+conv, 5.8M) or dcgan (transposed conv)")
      ->check(CLI::IsMember({"original", "dcgan"}))
      ->capture_default_str();
  cmd->add_option("--precision", *precision,
                  "Matrix products: fp32, or tf32 (tensor cores on a GPU; emulated on the CPU)")
      ->check(CLI::IsMember({"fp32", "tf32"}))
      ->capture_default_str();
  cmd->add_flag("--graph", cfg->graph,
                "Capture the training step as a CUDA graph and replay it (with --device cuda)");
  cmd->add_option("--responses", cfg->responses,
                  "ZDC responses file (.npz key arr_0, .npy, or .h5 dataset 'responses'); default: "
                  "the built-in simulator");
  cmd->add_option("--particles", cfg->particles,
                  "ZDC particles file (.npz/.npy/.h5 dataset 'particles'), (N,9) or (N,10)");
  cmd->add_option("--sim-particles", cfg->sim_particles,
                  "Built-in simulator: particles to simulate (each showered 3-8 times)")
      ->check(CLI::Range(int64_t{10}, int64_t{100000000}))
      ->capture_default_str();
  cmd->add_option("--data-seed", cfg->data_seed,
                  "ZDC: seed of the simulator draw and of the 80/20 split")
      ->capture_default_str();
  cmd->add_option(
         "--eval-every", cfg->eval_every,
         "ZDC: steps between test-split evaluations written to metrics.jsonl (0: only at the end)")
      ->check(non_negative())
      ->capture_default_str();
  cmd->add_option("--eval-regenerations", cfg->eval_regenerations,
                  "ZDC: regenerations of the periodic evaluation")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--reg", *reg, "Diversity regularizer: none, ms, ds, divco, sdi, divbal")
      ->capture_default_str();
  cmd->add_option("--lambda", cfg->lambda,
                  "Regularizer weight (default: 0.1 for sdi/divbal, 1 otherwise)")
      ->check(non_negative());
  cmd->add_option("--steps", cfg->steps, "Training steps (batches)")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--batch", cfg->batch, "Batch size")->check(positive())->capture_default_str();
  cmd->add_option("--seed", cfg->seed, "Seed of data, initialization and sampling")
      ->capture_default_str();
  cmd->add_option("--lr-g", cfg->lr_g, "Generator Adam learning rate")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--lr-d", cfg->lr_d, "Discriminator Adam learning rate")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--beta1", cfg->beta1, "Adam beta1")
      ->check(CLI::Range(0.0, 0.999999))
      ->capture_default_str();
  cmd->add_option("--beta2", cfg->beta2, "Adam beta2")
      ->check(CLI::Range(0.0, 0.999999))
      ->capture_default_str();
  cmd->add_option("--adam-eps", cfg->adam_eps, "Adam epsilon (Keras uses 1e-7)")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--latent", cfg->latent, "Latent dimension")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--hidden", cfg->hidden, "Hidden units of the MLPs")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--ds-tau", cfg->reg_opt.ds_tau, "DS-GAN clamp of the ratio (0: none)")
      ->check(non_negative())
      ->capture_default_str();
  cmd->add_option("--divco-negatives", cfg->reg_opt.divco_negatives, "DivCo negatives per query")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", cfg->checkpoint_every, "Steps between checkpoints")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--log-every", cfg->log_every, "Steps between metrics.jsonl lines")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--out", *out,
                  "Output directory (run.json, metrics.jsonl, checkpoint.safetensors, eval.json)")
      ->required();
  cmd->add_flag("--resume", *resume, "Continue from <out>/checkpoint.safetensors when it exists");
  cmd->add_flag("--quiet", *quiet, "No progress bar");
  cmd->add_option("--device", *device, "cpu, cuda, or auto (a GPU when one is usable)")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  cmd->callback([=] {
    const Device dev = select_device(*device);
    gan::TrainConfig c = *cfg;
    DG_CHECK(
        !c.graph || dev == Device::CUDA,
        "--graph needs the GPU (CUDA graphs): use it with --device cuda or auto on a GPU machine");
    c.reg = gan::parse_regularizer(*reg);
    c.dataset = gan::parse_dataset(*dataset);
    c.generator = gan::parse_generator_arch(*generator);
    c.precision = parse_matmul_precision(*precision);
    if (c.dataset == gan::Dataset::Zdc) {
      if (cmd->count("--latent") == 0) c.latent = gan::kZdcLatent;
      ZdcRunResult r = run_zdc(c, *out, *resume, !*quiet, false, dev);
      std::printf("%s", gan::zdc_eval_markdown({{gan::regularizer_title(c.reg), r.test}}).c_str());
      std::printf("\nwrote %s/eval.json (%lld steps, %.1f s)\n", out->c_str(),
                  static_cast<long long>(r.steps), r.seconds);
      return;
    }
    Run2DResult r = run_2d(c, *out, *resume, !*quiet, dev);
    std::printf("%s", eval2d_markdown({{gan::regularizer_title(c.reg), r.test}}).c_str());
    std::printf("\nwrote %s/eval.json (%lld steps, %.1f s)\n", out->c_str(),
                static_cast<long long>(r.steps), r.seconds);
  });
}

}  // namespace dg::tools
