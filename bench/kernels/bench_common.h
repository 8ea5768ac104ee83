// Shared pieces of the kernel microbenchmarks (bench/kernels/bench_*.cpp;
// docs/design.md#benchmarks): device discovery with the "no GPU" exit, device buffers, random
// inputs, NaN poisoning, validation against a CPU reference (atol + rtol*|ref|, max error and its
// index), CUDA-event timing (warm-up excluded, L2 flushed before every timed repeat, median/min/max
// of many repeats; hot-cache figures reported beside), device/driver/commit info and the JSON
// report written under bench/results/. Every benchmark runs on the engine context's stream
// (kernels/cuda/context.cuh), the stream all of dg::cuda's kernels launch on.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/common/run_info.h"

namespace dg::bench {

using json = nlohmann::json;

// The ZDC activations (gan/models_zdc.cpp, per sample) that the elementwise-type benchmarks run
// at: each is followed by batch norm, dropout and leaky ReLU in the networks.
struct Activation {
  const char* name;
  int64_t per_sample;
};
inline constexpr Activation kZdcActivations[] = {
    {"zdc_gen dense 128*13*13", 128 * 13 * 13},
    {"zdc_gen 128 @24x24", 128 * 24 * 24},
    {"zdc_gen 64 @46x46", 64 * 46 * 46},
    {"zdc_disc 32 @42x42", 32 * 42 * 42},
};

// Command line shared by every benchmark:
//   --batch 128,256   batch sizes (default: the ZDC training batches 128 and 256)
//   --warmup N        untimed runs before timing (default 5)
//   --reps N          timed repeats (default 50)
//   --out DIR         where the JSON goes (default <source>/bench/results)
//   --no-cold         skip the L2-flushed timing (hot only)
struct Options {
  std::vector<int64_t> batches{128, 256};
  int warmup = 5;
  int reps = 50;
  std::string out_dir;
  bool cold = true;
};
Options parse_options(int argc, char** argv);

// True when a CUDA device is usable; otherwise prints "no GPU: <name> not run (<reason>)" and
// returns false (the caller exits 0, so CI can smoke-run the binary).
bool gpu_available(const char* name);

// The main() of every benchmark: exits 0 with gpu_available's line where there is no GPU, runs
// run(argc, argv) otherwise, and turns an escaping exception into "name: what" and exit code 2.
int bench_main(const char* name, int argc, char** argv, int (*run)(int, char**));

// The engine context's stream (creates the context).
cudaStream_t bench_stream();

// Throws std::runtime_error with the call and location when a CUDA runtime call fails.
void check_cuda(cudaError_t err, const char* call, const char* file, int line);
#define BENCH_CUDA(call) ::dg::bench::check_cuda((call), #call, __FILE__, __LINE__)

// A float device buffer from cudaMalloc (not the engine's caching allocator, so the allocator's
// counters stay those of the kernels' own scratch).
class DevBuf {
 public:
  DevBuf() = default;
  explicit DevBuf(size_t n);
  ~DevBuf();
  DevBuf(const DevBuf&) = delete;
  DevBuf& operator=(const DevBuf&) = delete;
  DevBuf(DevBuf&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr, o.n_ = 0; }
  float* get() const { return p_; }
  size_t size() const { return n_; }
  void upload(const std::vector<float>& h);  // synchronous, on the bench stream
  std::vector<float> download() const;       // waits for the bench stream
  void poison();                             // every byte 0xFF: every float a NaN

 private:
  float* p_ = nullptr;
  size_t n_ = 0;
};

// Uniform random floats in [lo, hi) from a fixed seed (never zeros: METHOD.md).
std::vector<float> random_uniform(size_t n, uint64_t seed, float lo = -1.f, float hi = 1.f);
std::vector<double> to_double(const std::vector<float>& v);

// atol + rtol * |ref|. For sums of K terms of size ~1 a float result carries ~eps*sqrt(K) of
// rounding: callers scale atol with the reduction length.
struct Tol {
  double atol = 1e-5;
  double rtol = 1e-4;
};
struct Check {
  bool ok = false;
  int64_t n = 0;
  int64_t n_bad = 0;        // elements out of tolerance (NaN/inf included)
  int64_t n_nonfinite = 0;  // NaN or inf in the result: an unwritten (poisoned) element shows here
  double max_abs_err = 0;
  int64_t max_abs_index = -1;
  double max_rel_err = 0;  // |out - ref| / |ref| where |ref| > 0
  int64_t first_bad_index = -1;
  Tol tol;
};
Check check_close(const std::vector<float>& out, const std::vector<double>& ref, Tol tol);
json to_json(const Check& c);
// Prints one line: "  <what>: ok/FAIL max_abs=... at [i] ...".
void print_check(const std::string& what, const Check& c);

struct Stats {
  double median_ms = 0, min_ms = 0, max_ms = 0, mean_ms = 0;
  int reps = 0;
};
struct Timing {
  Stats cold;  // L2 flushed (cudaMemsetAsync over 2x the L2 size) before each repeat
  Stats hot;   // back-to-back repeats, inputs possibly L2-resident
  bool has_cold = false;
};
// Runs fn opt.warmup times untimed, then times opt.reps launches each between two CUDA events on
// the bench stream. fn must enqueue its work on that stream (dg::cuda kernels do).
Timing time_it(const std::function<void()>& fn, const Options& opt);

// The napkin math beside a time: flops and the fewest bytes the op must move.
json figures(const Timing& t, double flops, double bytes);
void print_timing(const std::string& version, const Timing& t, double flops, double bytes);

// One benchmark program's report: fills device, git and config, collects cases, writes
// <out>/<family>_<commit12>_<UTC timestamp>.json.
class Report {
 public:
  Report(std::string family, const Options& opt);
  json& config() { return root_["config"]; }
  void add_case(json c) { root_["cases"].push_back(std::move(c)); }
  void note_failure() { failures_++; }
  int failures() const { return failures_; }
  // Writes the file, prints its path; returns the process exit code (1 if any validation failed).
  int finish();

 private:
  std::string family_;
  Options opt_;
  json root_;
  int failures_ = 0;
};

// One output of a version under test: the device buffer, its reference and tolerance.
struct Output {
  std::string label;
  const DevBuf* buf;
  const std::vector<double>* ref;
  Tol tol;
  bool poison = true;  // false for in-place outputs that are also inputs (reset() restores them)
};

// Validate-then-time for one version of one case: runs reset (if any), poisons every output,
// runs fn once, checks each output against its reference; only if all pass, times fn and
// returns the version's JSON (name, checks, figures). On a failure the version is not timed,
// "timed": false is stored and the report counts the failure (the program then exits 1).
json run_version(Report& rep, const Options& opt, const std::string& name,
                 const std::function<void()>& fn, const std::vector<Output>& outputs, double flops,
                 double bytes, const std::function<void()>& reset = {});

}  // namespace dg::bench
