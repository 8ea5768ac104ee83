// `divgan train`: one training run (2D benchmark or ZDC), evaluated on the test split at the end.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "engine/device.h"
#include "gan/models_zdc.h"
#include "gan/trainer.h"
#include "tools/commands.h"
#include "tools/format.h"
#include "tools/run2d.h"
#include "tools/run_zdc.h"
#include "tools/suggest.h"
#include "tools/validators.h"

namespace dg::tools {

namespace {

const char* const kZdcGroup = "ZDC options (--data zdc)";
const char* const k2dGroup = "2D-benchmark options (--data 2d)";

// The flags of `group` that the command line gave.
std::vector<std::string> given_in(const CLI::App& cmd, const std::string& group) {
  std::vector<std::string> given;
  for (const CLI::Option* o : cmd.get_options())
    if (o->get_group() == group && o->count() > 0) given.push_back(o->get_name());
  return given;
}

// Which data set this command trains: the checkpoint's when resuming one, else --data, else
// inferred from the flags (ZDC files or ZDC-only flags mean zdc; nothing says otherwise: 2d).
// Flags of the other data set are refused, naming them.
gan::Dataset resolve_dataset(const CLI::App& cmd, const std::string& data_flag,
                             const std::string& out, bool resume) {
  const std::vector<std::string> zdc = given_in(cmd, kZdcGroup), two_d = given_in(cmd, k2dGroup);
  const std::string ckpt = (std::filesystem::path(out) / "checkpoint.safetensors").string();
  const bool explicit_data = cmd.count("--data") > 0;
  gan::Dataset d;
  std::string why;
  if (resume && std::filesystem::exists(ckpt)) {
    d = gan::read_checkpoint_config(ckpt).dataset;
    why = "the checkpoint in '" + out + "' is a " + gan::dataset_name(d) + " run";
    DG_CHECK(!explicit_data || gan::parse_dataset(data_flag) == d,
             "--data " << data_flag << " contradicts " << why);
  } else if (explicit_data) {
    d = gan::parse_dataset(data_flag);
    why = "--data " + data_flag;
  } else if (!zdc.empty()) {
    DG_CHECK(two_d.empty(), join_names(two_d)
                                << " (2D benchmark) and " << join_names(zdc)
                                << " (ZDC) cannot be combined; choose one with --data");
    d = gan::Dataset::Zdc;
    why = "inferred from " + join_names(zdc);
  } else {
    d = gan::Dataset::Points2D;
    why = "the default";
  }
  const std::vector<std::string>& foreign = d == gan::Dataset::Zdc ? two_d : zdc;
  DG_CHECK(foreign.empty(), join_names(foreign)
                                << (foreign.size() > 1 ? " are options" : " is an option")
                                << " of the "
                                << (d == gan::Dataset::Zdc ? "2D benchmark" : "ZDC model")
                                << ", but this run trains "
                                << (d == gan::Dataset::Zdc ? "the ZDC model" : "the 2D benchmark")
                                << " (" << why << ")");
  return d;
}

// The config fields (JSON names) this command line sets: every given option whose name, without
// "--" and with '-' as '_', is a field of the config.
std::set<std::string> given_fields(const CLI::App& cmd, const gan::TrainConfig& c) {
  const nlohmann::json fields = c.to_json();
  std::set<std::string> given;
  for (const CLI::Option* o : cmd.get_options()) {
    if (o->count() == 0 || o->get_lnames().empty()) continue;
    std::string name = o->get_lnames()[0];
    std::replace(name.begin(), name.end(), '-', '_');
    if (fields.contains(name)) given.insert(name);
  }
  return given;
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("train", "Train a conditional GAN and evaluate it on the test split");
  auto cfg = std::make_shared<gan::TrainConfig>();
  auto reg = std::make_shared<std::string>("none");
  auto out = std::make_shared<std::string>();
  auto resume = std::make_shared<bool>(false);
  auto overwrite = std::make_shared<bool>(false);
  auto override_config = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  auto device = std::make_shared<std::string>("cpu");
  // Strings on the command line, enums in the config: parsed once, in the callback.
  auto dataset = std::make_shared<std::string>(gan::dataset_name(cfg->dataset));
  auto generator = std::make_shared<std::string>(gan::generator_arch_name(cfg->generator));
  auto split = std::make_shared<std::string>(gan::split_kind_name(cfg->split));
  auto precision = std::make_shared<std::string>(matmul_precision_name(cfg->precision));
  auto aux = std::make_shared<std::string>();

  cmd->add_option("--data", *dataset,
                  "Data set: zdc (the calorimeter) or 2d (the SDI-GAN paper's synthetic "
                  "benchmark). Default: zdc when ZDC files or ZDC options are given, else 2d; "
                  "the checkpoint's with --resume")
      ->check(CLI::IsMember({"2d", "zdc"}));
  cmd->add_option("--reg", *reg, "Diversity regularizer: none, ms, ds, divco, sdi, divbal")
      ->capture_default_str();
  cmd->add_option("--lambda", cfg->lambda,
                  "Regularizer weight (default: 0.1 for sdi/divbal, 1 otherwise)")
      ->check(non_negative());
  cmd->add_option("--steps", cfg->steps, "Training steps (batches)")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--batch", cfg->batch, "Batch size")->check(positive())->capture_default_str();
  cmd->add_option("--seed", cfg->seed, "Seed of initialization and latents (2D: also the data)")
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
  cmd->add_option("--label-flip", cfg->label_flip,
                  "Probability of swapping D's real/generated target per sample (paper 004's "
                  "label flipping; 0: off)")
      ->capture_default_str();
  cmd->add_option("--label-smoothing", cfg->label_smoothing,
                  "One-sided label smoothing: D's target for real samples is 1 - this (0: off)")
      ->capture_default_str();
  cmd->add_option("--ds-tau", cfg->reg_opt.ds_tau, "DS-GAN clamp of the ratio (0: none)")
      ->check(non_negative())
      ->capture_default_str();
  cmd->add_option("--divco-negatives", cfg->reg_opt.divco_negatives, "DivCo negatives per query")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--precision", *precision,
                  "Matrix products: fp32, or tf32 (tensor cores on a GPU; emulated on the CPU)")
      ->check(CLI::IsMember({"fp32", "tf32"}))
      ->capture_default_str();
  cmd->add_flag("--graph", cfg->graph,
                "Capture the training step as a CUDA graph and replay it (with --device cuda)");
  cmd->add_option("--device", *device, "cpu, cuda, or auto (a GPU when one is usable)")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  const char* const dp_group = "Data-parallel training (mpirun -np N divgan train ...)";
  auto dist_timeout = std::make_shared<double>(300);
  cmd->add_flag("--sync-batch-norm", cfg->sync_batch_norm,
                "Batch norm's training statistics over every rank's rows (default: each rank's "
                "own, as in one process with a batch of --batch / N)")
      ->group(dp_group);
  cmd->add_option("--dist-timeout", *dist_timeout,
                  "Seconds a rank waits in a collective for the others before it stops the run "
                  "with an error (a dead or stuck rank); longer than the slowest rank's lag")
      ->check(positive())
      ->capture_default_str()
      ->group(dp_group);
  auto threads = std::make_shared<int64_t>(0);
  cmd->add_option("--threads", *threads,
                  "CPU threads of this process's kernels (0: every core, shared among the ranks "
                  "this node runs under mpirun)")
      ->check(non_negative())
      ->capture_default_str();
  auto check_replicas = std::make_shared<bool>(false);
  cmd->add_flag("--check-replicas", *check_replicas,
                "Compare a hash of the ranks' training states after every step (default: at "
                "every checkpoint) and stop when they differ")
      ->group(dp_group);

  // ZDC only.
  cmd->add_option("--generator", *generator,
                  "dcgan (the default: transposed convolutions, 0.51M parameters, a tenth of the "
                  "work for comparable channel figures; what the quick start and studyzdc use) "
                  "or original (the papers' upsample+conv neutron network, 5.8M)")
      ->check(CLI::IsMember({"original", "dcgan"}))
      ->group(kZdcGroup);
  cmd->add_option("--responses", cfg->responses,
                  "Responses file (.npz key arr_0, .npy, or .h5 dataset 'responses'), (N,44,44) "
                  "photon counts; default: the built-in simulator")
      ->group(kZdcGroup);
  cmd->add_option("--particles", cfg->particles,
                  "Particles file (.npz/.npy/.h5 dataset 'particles'), (N,9) or (N,10); see the "
                  "README's 'Training on your own ZDC data'")
      ->group(kZdcGroup);
  cmd->add_option("--sim-particles", cfg->sim_particles,
                  "Built-in simulator: particles to simulate, each showered 3-8 times (default "
                  "1000)")
      ->check(CLI::Range(int64_t{10}, int64_t{100000000}))
      ->group(kZdcGroup);
  cmd->add_option("--data-seed", cfg->data_seed,
                  "Seed of the simulator draw and of the 80/20 split (default 1)")
      ->group(kZdcGroup);
  cmd->add_option("--split", *split,
                  "80/20 split by row (the papers' convention: a test particle's repeats are "
                  "mostly in training) or by particle (whole groups of repeats on one side: the "
                  "test measures unseen kinematics). Default row")
      ->check(CLI::IsMember({"row", "particle"}))
      ->group(kZdcGroup);
  // Paper 004's discriminator tips.
  cmd->add_option("--aux-regression", *aux,
                  "Auxiliary regression of the 9 conditions by a head on D (paper 004, Eq. 3): "
                  "per-attribute weights, 'W' for all, 'name=W,...' (energy, vx, vy, vz, px, py, "
                  "pz, mass, charge) or both ('0.1,energy=1'). Default: off")
      ->group(kZdcGroup);
  cmd->add_flag("--soft-sparsity", cfg->soft_sparsity,
                "Feed D each image's soft occupancy (paper 004, Eq. 1) and a minibatch-"
                "discrimination layer on it")
      ->group(kZdcGroup);
  cmd->add_option("--sparsity-alpha", cfg->sparsity_alpha,
                  "Soft-sparsity exponent alpha > 0 (default 2; larger: a sharper step)")
      ->group(kZdcGroup);
  cmd->add_option("--sparsity-beta", cfg->sparsity_beta,
                  "Soft-sparsity exponent beta > 0 (default 2)")
      ->group(kZdcGroup);
  cmd->add_option("--minibatch-kernels", cfg->minibatch_kernels,
                  "Kernels of the minibatch-discrimination layer of --soft-sparsity (default 8)")
      ->group(kZdcGroup);
  cmd->add_option("--eval-regenerations", cfg->eval_regenerations,
                  "Regenerations of each periodic evaluation (default 5, as the final one)")
      ->check(positive())
      ->group(kZdcGroup);

  // 2D benchmark only (the ZDC networks are fixed: a 10-d latent, the papers' layers).
  cmd->add_option("--latent", cfg->latent, "Latent dimension (default 8)")
      ->check(positive())
      ->group(k2dGroup);
  cmd->add_option("--hidden", cfg->hidden, "Hidden units of the MLPs (default 128)")
      ->check(positive())
      ->group(k2dGroup);
  cmd->add_flag("--condition-every-layer", cfg->condition_every_layer,
                "The generator sees the condition at every layer, not only at its input")
      ->group(k2dGroup);

  const char* const out_group = "Output and evaluation";
  cmd->add_option("--out", *out,
                  "Run directory (run.json, metrics.jsonl, checkpoint.safetensors, eval.json)")
      ->required()
      ->group(out_group);
  cmd->add_flag("--resume", *resume, "Continue the run in --out from its checkpoint")
      ->group(out_group);
  cmd->add_flag("--overwrite", *overwrite,
                "Replace the run already in --out (without it, an existing run is refused)")
      ->group(out_group);
  cmd->add_option("--eval-every", cfg->eval_every,
                  "Steps between evaluations written to metrics.jsonl (0: only at the end)")
      ->check(non_negative())
      ->capture_default_str()
      ->group(out_group);
  cmd->add_flag("--keep-best", cfg->keep_best,
                "Also keep checkpoint_best.safetensors, the state with the best validation figure "
                "among the --eval-every evaluations (ZDC: the test split is halved into "
                "validation and test; named in eval.json)")
      ->group(out_group);
  cmd->add_option("--checkpoint-every", cfg->checkpoint_every, "Steps between checkpoints")
      ->check(positive())
      ->capture_default_str()
      ->group(out_group);
  cmd->add_option("--log-every", cfg->log_every, "Steps between metrics.jsonl lines")
      ->check(positive())
      ->capture_default_str()
      ->group(out_group);
  cmd->add_flag("--quiet", *quiet, "No progress bar")->group(out_group);
  cmd->add_flag("--override", *override_config,
                "With --resume: take this command's regularizer, lambda, batch, seed, optimizer or "
                "precision settings where they differ from the checkpoint's (refused otherwise)")
      ->needs(cmd->get_option("--resume"))
      ->group(out_group);
  cmd->get_option("--resume")->excludes(cmd->get_option("--overwrite"));

  cmd->callback([=] {
    gan::TrainConfig c = *cfg;
    c.dataset = resolve_dataset(*cmd, *dataset, *out, *resume);
    const Device dev = select_device(*device);
    DG_CHECK(
        !c.graph || dev == Device::CUDA,
        "--graph needs the GPU (CUDA graphs): use it with --device cuda or auto on a GPU machine");
    c.reg = gan::parse_regularizer(*reg);
    c.generator = gan::parse_generator_arch(*generator);
    c.split = gan::parse_split_kind(*split);
    c.precision = parse_matmul_precision(*precision);
    if (cmd->count("--aux-regression") > 0) c.aux_weights = gan::parse_aux_weights(*aux);
    DG_CHECK(c.soft_sparsity ||
                 (cmd->count("--sparsity-alpha") == 0 && cmd->count("--sparsity-beta") == 0 &&
                  cmd->count("--minibatch-kernels") == 0),
             "--sparsity-alpha, --sparsity-beta and --minibatch-kernels set up --soft-sparsity: "
             "add --soft-sparsity");
    RunRequest existing(*resume      ? ExistingRun::Resume
                        : *overwrite ? ExistingRun::Overwrite
                                     : ExistingRun::Refuse);
    if (c.dataset == gan::Dataset::Zdc) c.latent = gan::kZdcLatent;
    existing.given = given_fields(*cmd, c);
    existing.override_config = *override_config;
    existing.check_replicas = *check_replicas;
    set_cpu_threads(*threads > 0 ? *threads : default_threads_per_rank());
    if (launched_with_mpi()) {
      // One process per rank, started by mpirun (or srun): the global batch is split over them.
      MpiOptions mo;
      mo.timeout_s = *dist_timeout;
      mo.gpu = dev == Device::CUDA;
      existing.group = mpi_world(mo);
    }
    const bool speaks = existing.writes();
    if (c.dataset == gan::Dataset::Zdc) {
      ZdcRunResult r = run_zdc(c, *out, existing, !*quiet, false, dev);
      if (!speaks) return;
      std::printf("%s", gan::zdc_eval_markdown({{gan::regularizer_title(c.reg), r.test}}).c_str());
      std::printf("\nwrote %s/eval.json (%lld steps, %.1f s)\n", out->c_str(),
                  static_cast<long long>(r.steps), r.seconds);
      return;
    }
    Run2DResult r = run_2d(c, *out, existing, !*quiet, dev);
    if (!speaks) return;
    std::printf("%s", eval2d_markdown({{gan::regularizer_title(c.reg), r.test}}).c_str());
    std::printf("\nwrote %s/eval.json (%lld steps, %.1f s)\n", out->c_str(),
                static_cast<long long>(r.steps), r.seconds);
  });
}

}  // namespace dg::tools
