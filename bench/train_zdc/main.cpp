// bench/train_zdc: the ZDC GAN's whole training step, per diversity regularizer and batch size,
// eager and CUDA-graph-replayed, in FP32 and TF32; plus generation throughput in FP32/TF32/BF16.
// Writes JSON (device, commit, config, figures; the fields bench/reference/ writes too) and prints
// a Markdown table. Runs on the GPU (the figures that matter) and on the CPU (for the record).
//   build/train_zdc --device cuda                     # every regularizer, B = 64/128/256
//   build/train_zdc --device cpu --batches 32 --steps 3 --warmup 1
//   build/train_zdc --export-data zdc_train.npz       # the training split for the PyTorch side
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "bench/common/run_info.h"
#include "bench/train_zdc/generation_bench.h"
#include "bench/train_zdc/step_bench.h"
#include "datasets/npz.h"
#include "engine/nn/module.h"
#include "kernels/cuda/runtime.h"
#include "tools/study_util.h"
#include "tools/train_loop.h"

namespace dg::bench {
namespace {

using json = nlohmann::json;

struct Options {
  std::string device = "auto";
  std::string regs = "none,ms,ds,divco,sdi,divbal";
  std::string tips = "aux,sparsity,labels,all";  // on top of "none", beside the regularizers
  std::string batches;                           // default depends on the device
  std::string modes;  // default: eager,graph on the GPU, eager on the CPU
  std::string precisions = "fp32,tf32";
  int warmup = -1, steps = -1;
  int64_t sim_particles = 2000;
  uint64_t data_seed = 1, seed = 1;
  std::string generator = "original";
  bool generation = true;
  bool fusion = true;
  bool fold = true;
  int64_t gen_batch = -1;
  int gen_reps = -1;
  int64_t ws_showers = -1;
  std::string checkpoint;
  std::string export_data;
  std::string out;
};

// The training split as the PyTorch reference reads it: x (N,1,44,44) log1p counts, c (N,9)
// standardized, fdiv (N,), group (N,) group index (as float64; integers exactly).
void export_training_split(const tools::ZdcData& d, const std::string& path) {
  const int64_t n = d.train->size();
  std::vector<int64_t> idx(n);
  for (int64_t i = 0; i < n; ++i) idx[i] = i;
  Philox rng(0, 0);
  data::Batch b = d.train->batch(idx, rng);
  std::vector<data::NpzMember> m;
  m.push_back({"x", {n, 1, 44, 44}, b.x.to_vector(), "<f4"});
  m.push_back({"c", {n, 9}, b.c.to_vector(), "<f4"});
  m.push_back({"fdiv", {n}, b.fdiv.to_vector(), "<f4"});
  std::vector<double> group(d.train->groups().group_of.begin(), d.train->groups().group_of.end());
  m.push_back({"group", {n}, group, "<f8"});
  data::write_npz(path, m, true);
  std::printf("wrote %s (%lld training showers)\n", path.c_str(), static_cast<long long>(n));
}

std::vector<std::string> split_csv(const std::string& s, const char* flag) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const std::string tok =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    DG_CHECK(!tok.empty(), flag << ": empty entry in '" << s << "'");
    out.push_back(tok);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<int64_t> parse_batches(const std::string& s) {
  std::vector<int64_t> out;
  for (const std::string& t : split_csv(s, "--batches")) {
    size_t used = 0;
    int64_t v = 0;
    try {
      v = std::stoll(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    DG_CHECK(used == t.size() && v > 0, "--batches: '" << t << "' is not a positive integer");
    out.push_back(v);
  }
  return out;
}

std::string fmt_or_dash(const json& v, const char* f) {
  if (v.is_null()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v.get<double>());
  return buf;
}

void print_table(const json& results) {
  std::printf(
      "\n| regularizer | B | mode | precision | median ms | samples/s | peak MiB | launches | "
      "reg share | fused kernel share |\n|---|---:|---|---|---:|---:|---:|---:|---:|---:|\n");
  for (const json& r : results) {
    const json peak = r["peak_device_bytes"].is_null()
                          ? json(nullptr)
                          : json(r["peak_device_bytes"].get<double>() / (1 << 20));
    std::string name = r["regularizer"].get<std::string>();
    if (!r.value("tip", json(nullptr)).is_null()) name += " + " + r["tip"].get<std::string>();
    std::printf("| %s | %lld | %s | %s | %.3f | %.0f | %s | %s | %s | %s |\n", name.c_str(),
                static_cast<long long>(r["batch"].get<int64_t>()),
                r["mode"].get<std::string>().c_str(), r["precision"].get<std::string>().c_str(),
                r["step_ms_median"].get<double>(), r["samples_per_s"].get<double>(),
                fmt_or_dash(peak, "%.0f").c_str(),
                fmt_or_dash(r["kernel_launches_per_step"], "%.0f").c_str(),
                fmt_or_dash(r["reg_share"], "%.3f").c_str(),
                fmt_or_dash(r["fused_kernel_share"], "%.4f").c_str());
  }
}

int run(const Options& o) {
  nn::set_fuse_activations(o.fusion);
  const Device dev = tools::select_device(o.device);
  const bool gpu = dev == Device::CUDA;
  gan::TrainConfig dcfg;
  dcfg.dataset = gan::Dataset::Zdc;
  dcfg.sim_particles = o.sim_particles;
  dcfg.data_seed = o.data_seed;
  const tools::ZdcData data = tools::load_zdc_data(dcfg);
  if (!o.export_data.empty()) {
    export_training_split(data, o.export_data);
    return 0;
  }

  StepSettings s;
  s.device = dev;
  s.warmup = o.warmup >= 0 ? o.warmup : (gpu ? 10 : 1);
  s.steps = o.steps > 0 ? o.steps : (gpu ? 50 : 3);
  s.seed = o.seed;
  s.generator = gan::parse_generator_arch(o.generator);
  const std::vector<gan::Regularizer> regs = tools::parse_regularizers(o.regs);
  // Each tip is measured on the plain step (regularizer none), after the regularizers, so that its
  // reg share is its own cost.
  std::vector<StepCase> cases;
  for (gan::Regularizer reg : regs) cases.push_back({reg, 0, "", MatmulPrecision::FP32, ""});
  for (const std::string& tip :
       o.tips.empty() ? std::vector<std::string>{} : split_csv(o.tips, "--tips")) {
    gan::TrainConfig probe;
    gan::apply_tip_preset(tip, probe);  // refuses an unknown name before anything is measured
    cases.push_back({gan::Regularizer::None, 0, "", MatmulPrecision::FP32, tip});
  }
  const auto batches = parse_batches(o.batches.empty() ? (gpu ? "64,128,256" : "32") : o.batches);
  const auto modes =
      split_csv(o.modes.empty() ? (gpu ? "eager,graph" : "eager") : o.modes, "--modes");
  for (const std::string& m : modes) {
    DG_CHECK(m == "eager" || m == "graph", "--modes: unknown mode '" << m << "' (eager, graph)");
    DG_CHECK(m == "eager" || gpu,
             "--modes graph needs the GPU (CUDA graphs); this run is on the CPU");
  }
  std::vector<MatmulPrecision> precisions;
  for (const std::string& p : split_csv(o.precisions, "--precisions"))
    precisions.push_back(parse_matmul_precision(p));

  json results = json::array();
  std::map<std::string, double> none_ms;  // "batch/mode/precision" -> median of the plain step
  gan::Models trained;
  for (MatmulPrecision p : precisions)
    for (const std::string& mode : modes)
      for (int64_t b : batches)
        for (StepCase sc : cases) {
          const gan::Regularizer reg = sc.reg;
          sc.batch = b;
          sc.mode = mode;
          sc.precision = p;
          std::fprintf(stderr, "train_zdc: %s%s%s B=%lld %s %s ...\n",
                       gan::regularizer_name(reg).c_str(), sc.tip.empty() ? "" : " + ",
                       sc.tip.c_str(), static_cast<long long>(b), mode.c_str(),
                       matmul_precision_name(p));
          StepResult r = run_step_case(sc, s, data);
          const std::string key = std::to_string(b) + "/" + mode + "/" + matmul_precision_name(p);
          const bool plain = reg == gan::Regularizer::None && sc.tip.empty();
          if (plain) none_ms[key] = r.median_ms;
          if (!plain && none_ms.count(key)) {
            const double extra = r.median_ms - none_ms[key];
            r.json["reg_extra_ms"] = extra;
            r.json["reg_share"] = extra / r.median_ms;
          } else {
            r.json["reg_extra_ms"] = nullptr;
            r.json["reg_share"] = nullptr;
          }
          const double fused = fused_kernel_ms(reg, b, dev, gpu ? 50 : 5);
          r.json["fused_kernel_ms"] = fused >= 0 ? json(fused) : json(nullptr);
          r.json["fused_kernel_share"] = fused >= 0 ? json(fused / r.median_ms) : json(nullptr);
          results.push_back(r.json);
          if (!trained.g) trained = r.models;
        }

  json root;
  root["benchmark"] = "train_zdc";
  root["implementation"] = "divgan";
  root["timestamp_utc"] = utc_stamp(false);
  root["git"] = git_info();
  root["commit"] = root["git"]["commit"];
  root["device"] = {{"kind", gpu ? "cuda" : "cpu"}, {"gpu", gpu_info()}, {"cpu", cpu_info()}};
  if (gpu)
    root["device"]["name"] = root["device"]["gpu"]["name"];
  else
    root["device"]["name"] = root["device"]["cpu"].value("model", "cpu");
  root["config"] = {
      {"generator", o.generator},
      {"sim_particles", o.sim_particles},
      {"data_seed", o.data_seed},
      {"data_rows", data.train->size()},
      {"seed", o.seed},
      {"warmup", s.warmup},
      {"steps", s.steps},
      {"deterministic", true},
      {"fused_dropout_leaky_relu", o.fusion},
      {"conv_backend", !gpu ? "cpu"
                       : cuda::conv_backend() == cuda::ConvBackend::Cudnn
                           ? "cudnn (DG_CUDNN=1)"
                           : "hand-written (im2col + cuBLAS)"},
      {"tips",
       {{"aux", "auxiliary regression, every weight 0.1"},
        {"sparsity", "soft sparsity (alpha = beta = 2) + minibatch discrimination (8 kernels)"},
        {"labels", "label flipping 0.05 + one-sided smoothing 0.1"},
        {"all", "the three together"}}},
      {"lambda", {{"ms", 1.0}, {"ds", 1.0}, {"divco", 1.0}, {"sdi", 0.1}, {"divbal", 0.1}}}};
  root["results"] = results;
  print_table(results);

  if (o.generation) {
    GenerationSettings gs;
    gs.device = dev;
    gs.batch = o.gen_batch > 0 ? o.gen_batch : (gpu ? 4096 : 256);
    gs.reps = o.gen_reps > 0 ? o.gen_reps : (gpu ? 20 : 2);
    gs.ws_showers = o.ws_showers > 0 ? o.ws_showers : (gpu ? 20000 : 512);
    gs.fold_bn = o.fold;
    std::shared_ptr<gan::ConditionalGenerator> g;
    std::string source;
    if (!o.checkpoint.empty()) {
      g = tools::load_zdc_model(o.checkpoint, dev).g;
      source = o.checkpoint;
    } else {
      g = trained.g;
      source = "the generator of the first measured case after its warm-up + timed steps";
    }
    DG_CHECK(g, "generation: no generator (measure at least one case or pass --checkpoint)");
    std::fprintf(stderr, "train_zdc: generation ...\n");
    json gen = run_generation(*g, data, gs);
    root["generation"] = {{"model", source}, {"results", gen}};
    std::printf(
        "\n| precision | batch | showers/s | call ms | mean channel WS vs FP32 |\n"
        "|---|---:|---:|---:|---:|\n");
    for (const json& e : gen)
      std::printf("| %s%s | %lld | %.0f | %.3f | %s |\n", e["precision"].get<std::string>().c_str(),
                  e["emulated"].get<bool>() ? " (CPU emulation)" : "",
                  static_cast<long long>(e["batch"].get<int64_t>()),
                  e["showers_per_s"].get<double>(), e["call_ms_median"].get<double>(),
                  fmt_or_dash(e.value("mean_channel_ws_vs_fp32", json(nullptr)), "%.4g").c_str());
  }

  write_result(o.out, std::string("train_zdc_") + (gpu ? "cuda" : "cpu"), root);
  return 0;
}

}  // namespace
}  // namespace dg::bench

int main(int argc, char** argv) {
  dg::bench::Options o;
  CLI::App app{"train_zdc: ZDC training-step and generation benchmark (JSON + Markdown)"};
  app.add_option("--device", o.device, "cpu | cuda | auto")->capture_default_str();
  app.add_option("--regs", o.regs, "regularizers, comma-separated")->capture_default_str();
  app.add_option("--tips", o.tips,
                 "paper 004's tips measured on the plain step: aux, sparsity, labels, all "
                 "(comma-separated; empty: none)")
      ->capture_default_str();
  app.add_option("--batches", o.batches,
                 "batch sizes (default: 64,128,256 on the GPU, 32 on the CPU)");
  app.add_option("--modes", o.modes, "eager,graph (graph: GPU only; default both on the GPU)");
  app.add_option("--precisions", o.precisions, "matmul precisions of the step: fp32,tf32")
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "untimed steps first (default 10 GPU, 1 CPU)");
  app.add_option("--steps", o.steps, "timed steps (default 50 GPU, 3 CPU)");
  app.add_option("--sim-particles", o.sim_particles, "simulated particles")->capture_default_str();
  app.add_option("--data-seed", o.data_seed, "simulator and split seed")->capture_default_str();
  app.add_option("--seed", o.seed, "initialization and latent seed")->capture_default_str();
  app.add_option("--generator", o.generator, "original | dcgan")->capture_default_str();
  app.add_flag("!--no-generation", o.generation, "skip the generation benchmark");
  app.add_flag("!--no-fold", o.fold,
               "generation with batch norm as separate passes (default: folded, as generate does)");
  app.add_flag("!--no-fusion", o.fusion,
               "run dropout and leaky ReLU as separate ops (the 'before' of the fusion)");
  app.add_option("--gen-batch", o.gen_batch,
                 "showers per generator call (default 4096 GPU, 256 CPU)");
  app.add_option("--gen-reps", o.gen_reps, "timed generator calls per precision");
  app.add_option("--ws-showers", o.ws_showers, "showers per precision in the channel comparison");
  app.add_option("--checkpoint", o.checkpoint, "a trained ZDC checkpoint for the generation part");
  app.add_option("--export-data", o.export_data,
                 "write the training split to this .npz for bench/reference and exit");
  app.add_option("--out", o.out,
                 "JSON path (default bench/results/train_zdc_<device>_<commit>_<time>.json)");
  CLI11_PARSE(app, argc, argv);
  try {
    return dg::bench::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_zdc: %s\n", e.what());
    return 2;
  }
}
