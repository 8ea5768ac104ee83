// `divgan generate`: ZDC showers from a checkpoint for a conditions file or for the test split,
// generated batch by batch and written as photon counts (expm1 of the generator's log1p output) in
// the published layout (.npz key arr_0, .npy, or HDF5 dataset 'responses').
#include <cstdio>

#include "datasets/zdc_dataset.h"
#include "engine/nn/module.h"
#include "engine/precision.h"
#include "tools/commands.h"
#include "tools/run_zdc.h"
#include "tools/train_loop.h"

namespace dg::tools {

void add_generate_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("generate", "Generate ZDC showers (photon counts) from a checkpoint");
  auto ckpt = std::make_shared<std::string>();
  auto conditions = std::make_shared<std::string>();
  auto test_split = std::make_shared<bool>(false);
  auto out = std::make_shared<std::string>();
  auto real_out = std::make_shared<std::string>();
  auto batch = std::make_shared<int64_t>(256);
  auto regen = std::make_shared<int64_t>(1);
  auto seed = std::make_shared<uint64_t>(1);
  auto dtype = std::make_shared<std::string>("f4");
  auto device = std::make_shared<std::string>("cpu");
  auto precision = std::make_shared<std::string>("fp32");
  auto no_fold = std::make_shared<bool>(false);
  cmd->add_option("--checkpoint", *ckpt, "ZDC checkpoint written by train")
      ->required()
      ->check(CLI::ExistingFile);
  auto* c = cmd->add_option("--conditions", *conditions,
                            "Particles in raw units: .npz (arr_0), .npy or .h5 (dataset "
                            "'particles'), (N,9) or (N,10)")
                ->check(CLI::ExistingFile);
  auto* t = cmd->add_flag("--test-split", *test_split,
                          "Generate for the test split of the checkpoint's data");
  c->excludes(t);
  cmd->add_option("--out", *out, "Output file: .npz, .npy, .h5 or .hdf5")->required();
  cmd->add_option("--real-out", *real_out,
                  "With --test-split: also write the real test responses here");
  cmd->add_option("--batch", *batch, "Rows per generator pass")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("--regenerations", *regen, "Showers per condition (written regeneration-major)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}))
      ->capture_default_str();
  cmd->add_option("--seed", *seed, "Seed of the latents")->capture_default_str();
  cmd->add_option("--dtype", *dtype, "Stored precision: f4 or f8")
      ->check(CLI::IsMember({"f4", "f8"}))
      ->capture_default_str();
  cmd->add_option("--device", *device, "cpu, cuda, or auto (a GPU when one is usable)")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  cmd->add_option("--precision", *precision,
                  "Matrix products in fp32, tf32 or bf16 (bf16/tf32 operands, float32 sums; on "
                  "the CPU emulated by rounding)")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}))
      ->capture_default_str();
  cmd->add_flag("--no-fold", *no_fold,
                "Keep batch norm as separate passes (default: folded into the preceding layers, "
                "the same function to float rounding, one pass less per block)");
  cmd->callback([=] {
    MatmulPrecisionGuard guard(parse_matmul_precision(*precision));
    DG_CHECK(!conditions->empty() || *test_split,
             "generate needs --conditions FILE or --test-split");
    DG_CHECK(real_out->empty() || *test_split, "--real-out needs --test-split");
    ZdcModel m = load_zdc_model(*ckpt, select_device(*device));
    if (!*no_fold) nn::fold_batch_norms(*m.g);
    std::vector<double> cond;
    std::vector<double> real;
    if (*test_split) {
      ZdcData d = load_zdc_data(m.cfg);
      std::vector<int64_t> all(d.test->size());
      for (int64_t i = 0; i < d.test->size(); ++i) all[i] = i;
      cond = d.test->raw_conditions(all);
      if (!real_out->empty()) real = d.test->raw_responses(all);
    } else {
      cond = data::load_zdc_particles(*conditions);
    }
    const int64_t n = static_cast<int64_t>(cond.size()) / data::kZdcCondDim;
    std::vector<double> counts = generate_counts(m, cond, *regen, *batch, *seed);
    const std::string dt = "<" + *dtype;
    data::write_zdc_array(*out, counts, {*regen * n, data::kZdcSide, data::kZdcSide}, dt,
                          "responses");
    std::printf("wrote %s: %lld showers (%lld conditions x %lld)\n", out->c_str(),
                static_cast<long long>(*regen * n), static_cast<long long>(n),
                static_cast<long long>(*regen));
    if (!real_out->empty()) {
      data::write_zdc_array(*real_out, real, {n, data::kZdcSide, data::kZdcSide}, dt, "responses");
      std::printf("wrote %s: %lld real test responses\n", real_out->c_str(),
                  static_cast<long long>(n));
    }
  });
}

}  // namespace dg::tools
