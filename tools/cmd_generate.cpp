// `divgan generate`: ZDC showers from a checkpoint for a conditions file or for the test split,
// generated batch by batch and written as photon counts (expm1 of the generator's log1p output) in
// the published layout (.npz key arr_0, .npy, or HDF5 dataset 'responses'), with the conditions of
// every shower beside them (npz member / HDF5 dataset 'particles', or <stem>.particles.npy).
// `--shard i/n` (or an MPI launch) writes one contiguous part of the job (tools/run_zdc.h Shard).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "datasets/npy.h"
#include "datasets/zdc_dataset.h"
#include "engine/nn/module.h"
#include "engine/precision.h"
#include "gan/zdc_channels.h"
#include "tools/commands.h"
#include "tools/run_zdc.h"
#include "tools/shard.h"
#include "tools/train_loop.h"

namespace dg::tools {

namespace {

// How far beyond the training span a condition may lie before the generator is said to
// extrapolate, as a fraction of the span.
constexpr double kRangeMargin = 0.1;

// One warning line naming how many conditions lie outside the training range, and where.
void warn_out_of_range(const data::Standardizer& st, const std::vector<double>& cond,
                       const std::string& origin) {
  const auto r = st.out_of_range(cond, kRangeMargin);
  if (r.rows == 0) return;
  std::string where;
  for (int64_t j = 0; j < data::kZdcCondDim; ++j)
    if (r.per_attribute[j] > 0)
      where += (where.empty() ? "" : ", ") + std::string(data::kZdcAttributeNames[j]) + " " +
               std::to_string(r.per_attribute[j]);
  std::fprintf(stderr,
               "divgan: warning: %lld of %lld conditions in %s lie outside the training range by "
               "more than %.0f%% of its span (%s); the generator extrapolates there\n",
               static_cast<long long>(r.rows),
               static_cast<long long>(cond.size() / data::kZdcCondDim), origin.c_str(),
               100 * kRangeMargin, where.c_str());
}

std::string files(const std::vector<std::string>& written) {
  std::string s;
  for (const auto& w : written) s += (s.empty() ? "" : " + ") + w;
  return s;
}

}  // namespace

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
  auto latents_path = std::make_shared<std::string>();
  auto channels_out = std::make_shared<std::string>();
  auto shard_spec = std::make_shared<std::string>();
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
  auto* seed_opt = cmd->add_option("--seed", *seed, "Seed of the latents")->capture_default_str();
  cmd->add_option("--latents", *latents_path,
                  "The generator's latents instead of --seed: .npy (regenerations*N, 10), row "
                  "r*N + i for shower i of regeneration r (to compare implementations on "
                  "identical inputs)")
      ->check(CLI::ExistingFile)
      ->excludes(seed_opt);
  cmd->add_option("--channels-out", *channels_out,
                  "Also write the five ZDC channel sums of every shower (what ALICE O2 keeps of "
                  "a shower) as .npy (rows as --out, 5) float64");
  cmd->add_option("--shard", *shard_spec,
                  "i/n: generate only part i of n of the job (whole batches, 0-based), for a "
                  "scheduler's job array; the parts in order are the whole output bit for bit. "
                  "Under mpirun each rank takes its part and writes <stem>.shard-<i>-of-<n><ext>");
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
    // An explicit --shard names its own output; under a launcher every rank has the same command
    // line, so each writes beside --out under its shard's name.
    std::optional<Shard> shard;
    std::string out_path = *out, channels_path = *channels_out;
    std::string shard_source = "--shard";  // for messages: the flag, or the launcher's rank
    if (!shard_spec->empty()) {
      shard = parse_shard(*shard_spec, "--shard");
    } else if ((shard = launcher_shard())) {
      shard_source =
          "MPI rank " + std::to_string(shard->index) + " of " + std::to_string(shard->count);
      out_path = shard_path(*out, *shard);
      if (!channels_path.empty()) channels_path = shard_path(channels_path, *shard);
    }
    DG_CHECK(!shard || real_out->empty(), "--real-out is not split into shards ("
                                              << shard_source
                                              << "): write the real test responses from one "
                                                 "process");
    if (!channels_path.empty()) {
      namespace fs = std::filesystem;
      const fs::path p(channels_path);
      DG_CHECK(p.extension() == ".npy", channels_path << ": --channels-out must name a .npy file");
      DG_CHECK(fs::is_directory(p.parent_path().empty() ? fs::path(".") : p.parent_path()),
               channels_path << ": its folder does not exist");
      DG_CHECK(
          fs::weakly_canonical(p) != fs::weakly_canonical(out_path) &&
              (real_out->empty() || fs::weakly_canonical(p) != fs::weakly_canonical(*real_out)),
          channels_path << ": --channels-out must differ from --out and --real-out");
    }
    ZdcModel m = load_zdc_model(*ckpt, select_device(*device));
    if (!*no_fold) nn::fold_batch_norms(*m.g);
    std::vector<double> cond;
    std::vector<double> real;
    if (*test_split) {
      ZdcTestSplit t = checkpoint_test_split(m.cfg);
      cond = std::move(t.conditions);
      if (!real_out->empty()) real = std::move(t.responses);
    } else {
      cond = data::load_zdc_particles(*conditions);
      warn_out_of_range(m.standardizer, cond, *conditions);
    }
    const int64_t n = static_cast<int64_t>(cond.size()) / data::kZdcCondDim;
    std::vector<double> z;
    if (!latents_path->empty()) {
      const data::NpyArray a = data::read_npy(*latents_path);
      const int64_t k = m.g->latent_dim();
      DG_CHECK(a.shape.size() == 2 && a.shape[0] == *regen * n && a.shape[1] == k,
               *latents_path << ": latents of shape " << shape_str(a.shape) << "; expected ("
                             << *regen * n << ", " << k << ") for " << n << " conditions x "
                             << *regen << " regenerations");
      for (size_t i = 0; i < a.data.size(); ++i)
        DG_CHECK(std::isfinite(a.data[i]), *latents_path << ": latent value " << i << " (row "
                                                         << i / k << ") is " << a.data[i]
                                                         << "; expected finite values");
      z = a.data;
    }
    const Shard part = shard.value_or(Shard{});
    const RowRange rows = shard_rows(n, *regen, *batch, part);
    DG_CHECK(rows.last > rows.first,
             shard_source << " (shard " << part.index << "/" << part.count
                          << "): the job has fewer batches of " << *batch
                          << " rows than shards; use fewer shards or a smaller --batch");
    const int64_t count = rows.last - rows.first;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<double> counts =
        generate_counts(m, cond, *regen, *batch, *seed, z.empty() ? nullptr : &z, part);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string dt = "<" + *dtype;
    // The conditions of this part's rows only (row g is shower g % n of regeneration g / n).
    std::vector<double> part_cond;
    part_cond.reserve(static_cast<size_t>(count * data::kZdcCondDim));
    for (int64_t g = rows.first; g < rows.last; ++g)
      part_cond.insert(part_cond.end(), cond.begin() + (g % n) * data::kZdcCondDim,
                       cond.begin() + (g % n + 1) * data::kZdcCondDim);
    const auto written = data::write_zdc_showers(out_path, counts, part_cond, dt);
    const std::string which =
        shard ? " (shard " + std::to_string(part.index) + "/" + std::to_string(part.count) +
                    ": rows " + std::to_string(rows.first) + " to " +
                    std::to_string(rows.last - 1) + " of " + std::to_string(*regen * n) + ")"
              : "";
    std::printf(
        "wrote %s: %lld showers (%lld conditions x %lld)%s with their conditions; %.0f "
        "showers/s on the %s\n",
        files(written).c_str(), static_cast<long long>(count), static_cast<long long>(n),
        static_cast<long long>(*regen), which.c_str(),
        secs > 0 ? static_cast<double>(count) / secs : 0.0,
        m.g->device() == Device::CUDA ? "GPU" : "CPU");
    if (!channels_path.empty()) {
      std::vector<double> sums;
      sums.reserve(counts.size() / data::kZdcPixels * 5);
      for (const auto& ch : gan::zdc_channels_batch(counts))
        sums.insert(sums.end(), ch.begin(), ch.end());
      data::write_npy(channels_path, sums, {count, 5}, "<f8");
      std::printf("wrote %s: the five channel sums of every shower\n", channels_path.c_str());
    }
    if (!real_out->empty()) {
      const auto real_written = data::write_zdc_showers(*real_out, real, cond, dt);
      std::printf("wrote %s: %lld real test responses with their conditions\n",
                  files(real_written).c_str(), static_cast<long long>(n));
    }
  });
}

}  // namespace dg::tools
