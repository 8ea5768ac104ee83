// See bench_common.h.
#include "bench/kernels/bench_common.h"

#include <cublas_v2.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

#ifdef DG_BENCH_CUDNN
#include <cudnn.h>
#endif

#include "kernels/cuda/context.cuh"

#ifndef DG_SOURCE_DIR
#define DG_SOURCE_DIR "."
#endif
#ifndef DG_BENCH_GIT_COMMIT
#define DG_BENCH_GIT_COMMIT "unknown"
#endif

namespace dg::bench {

void check_cuda(cudaError_t err, const char* call, const char* file, int line) {
  if (err == cudaSuccess) return;
  std::ostringstream os;
  os << call << " failed at " << file << ":" << line << ": " << cudaGetErrorName(err) << " ("
     << cudaGetErrorString(err) << ")";
  throw std::runtime_error(os.str());
}

static std::vector<int64_t> parse_list(const std::string& s) {
  std::vector<int64_t> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) v.push_back(std::stoll(item));
  }
  return v;
}

Options parse_options(int argc, char** argv) {
  Options o;
  o.out_dir = std::string(DG_SOURCE_DIR) + "/bench/results";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("missing value after " + a);
      return argv[++i];
    };
    if (a == "--batch")
      o.batches = parse_list(next());
    else if (a == "--warmup")
      o.warmup = std::stoi(next());
    else if (a == "--reps")
      o.reps = std::stoi(next());
    else if (a == "--out")
      o.out_dir = next();
    else if (a == "--no-cold")
      o.cold = false;
    else if (a == "-h" || a == "--help") {
      std::printf("options: --batch 128,256 --warmup 5 --reps 50 --out DIR --no-cold\n");
      std::exit(0);
    } else {
      throw std::runtime_error("unknown option " + a);
    }
  }
  if (o.reps < 1 || o.warmup < 0 || o.batches.empty()) throw std::runtime_error("bad options");
  return o;
}

bool gpu_available(const char* name) {
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess || n == 0) {
    cudaGetLastError();  // clear the sticky-free error state for good measure
    std::printf("no GPU: %s not run (%s)\n", name,
                err != cudaSuccess ? cudaGetErrorName(err) : "no CUDA device");
    return false;
  }
  return true;
}

cudaStream_t bench_stream() { return dg::cuda::stream(); }

DevBuf::DevBuf(size_t n) : n_(n) {
  BENCH_CUDA(cudaMalloc(&p_, std::max<size_t>(n, 1) * sizeof(float)));
}
DevBuf::~DevBuf() {
  if (p_) cudaFree(p_);
}
void DevBuf::upload(const std::vector<float>& h) {
  if (h.size() != n_) throw std::runtime_error("DevBuf::upload: size mismatch");
  BENCH_CUDA(
      cudaMemcpyAsync(p_, h.data(), n_ * sizeof(float), cudaMemcpyHostToDevice, bench_stream()));
  BENCH_CUDA(cudaStreamSynchronize(bench_stream()));
}
std::vector<float> DevBuf::download() const {
  std::vector<float> h(n_);
  BENCH_CUDA(
      cudaMemcpyAsync(h.data(), p_, n_ * sizeof(float), cudaMemcpyDeviceToHost, bench_stream()));
  BENCH_CUDA(cudaStreamSynchronize(bench_stream()));
  return h;
}
void DevBuf::poison() { BENCH_CUDA(cudaMemsetAsync(p_, 0xFF, n_ * sizeof(float), bench_stream())); }

std::vector<float> random_uniform(size_t n, uint64_t seed, float lo, float hi) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

Check check_close(const std::vector<float>& out, const std::vector<double>& ref, Tol tol) {
  Check c;
  c.tol = tol;
  c.n = static_cast<int64_t>(ref.size());
  if (out.size() < ref.size())
    throw std::runtime_error("check_close: output shorter than reference");
  for (int64_t i = 0; i < c.n; ++i) {
    const double o = out[i], r = ref[i];
    const double err = std::abs(o - r);
    bool bad;
    if (!std::isfinite(o)) {
      c.n_nonfinite++;
      bad = std::isfinite(r) || (std::isnan(o) != std::isnan(r));
    } else {
      bad = !(err <= tol.atol + tol.rtol * std::abs(r));
    }
    if (std::isfinite(o) && err > c.max_abs_err) c.max_abs_err = err, c.max_abs_index = i;
    if (std::isfinite(o) && r != 0 && err / std::abs(r) > c.max_rel_err)
      c.max_rel_err = err / std::abs(r);
    if (bad) {
      if (c.first_bad_index < 0) c.first_bad_index = i;
      c.n_bad++;
    }
  }
  c.ok = c.n_bad == 0;
  return c;
}

json to_json(const Check& c) {
  return {{"ok", c.ok},
          {"n", c.n},
          {"n_bad", c.n_bad},
          {"n_nonfinite", c.n_nonfinite},
          {"max_abs_err", c.max_abs_err},
          {"max_abs_index", c.max_abs_index},
          {"max_rel_err", c.max_rel_err},
          {"first_bad_index", c.first_bad_index},
          {"atol", c.tol.atol},
          {"rtol", c.tol.rtol}};
}

void print_check(const std::string& what, const Check& c) {
  std::printf("    check %-28s %s max_abs=%.3g at [%lld] max_rel=%.3g (atol %.2g rtol %.2g)",
              what.c_str(), c.ok ? "ok  " : "FAIL", c.max_abs_err,
              static_cast<long long>(c.max_abs_index), c.max_rel_err, c.tol.atol, c.tol.rtol);
  if (!c.ok)
    std::printf(" bad=%lld nonfinite=%lld first_bad=[%lld]", static_cast<long long>(c.n_bad),
                static_cast<long long>(c.n_nonfinite), static_cast<long long>(c.first_bad_index));
  std::printf("\n");
}

static Stats stats_of(std::vector<double> ms) {
  Stats s;
  s.reps = static_cast<int>(ms.size());
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  s.median_ms = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  s.min_ms = ms.front();
  s.max_ms = ms.back();
  double sum = 0;
  for (double v : ms) sum += v;
  s.mean_ms = sum / static_cast<double>(n);
  return s;
}

namespace {
// 2x the L2 size, written with cudaMemsetAsync before each cold repeat (outside its events).
struct L2Flusher {
  void* buf = nullptr;
  size_t bytes = 0;
  L2Flusher() {
    int dev = 0, l2 = 0;
    BENCH_CUDA(cudaGetDevice(&dev));
    BENCH_CUDA(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
    bytes = std::max<size_t>(size_t(2) * static_cast<size_t>(l2), size_t(1) << 20);
    BENCH_CUDA(cudaMalloc(&buf, bytes));
  }
  ~L2Flusher() { cudaFree(buf); }
  void flush(cudaStream_t s, int i) { BENCH_CUDA(cudaMemsetAsync(buf, i & 0xFF, bytes, s)); }
};
L2Flusher& flusher() {
  static L2Flusher f;
  return f;
}

std::vector<double> timed_runs(const std::function<void()>& fn, int reps, bool cold) {
  cudaStream_t s = bench_stream();
  std::vector<cudaEvent_t> ev(2 * static_cast<size_t>(reps));
  for (auto& e : ev) BENCH_CUDA(cudaEventCreate(&e));
  for (int i = 0; i < reps; ++i) {
    if (cold) flusher().flush(s, i);
    BENCH_CUDA(cudaEventRecord(ev[2 * i], s));
    fn();
    BENCH_CUDA(cudaEventRecord(ev[2 * i + 1], s));
  }
  BENCH_CUDA(cudaStreamSynchronize(s));
  BENCH_CUDA(cudaGetLastError());
  std::vector<double> ms(reps);
  for (int i = 0; i < reps; ++i) {
    float t = 0;
    BENCH_CUDA(cudaEventElapsedTime(&t, ev[2 * i], ev[2 * i + 1]));
    ms[i] = t;
  }
  for (auto& e : ev) cudaEventDestroy(e);
  return ms;
}
}  // namespace

Timing time_it(const std::function<void()>& fn, const Options& opt) {
  cudaStream_t s = bench_stream();
  for (int i = 0; i < opt.warmup; ++i) fn();
  BENCH_CUDA(cudaStreamSynchronize(s));
  BENCH_CUDA(cudaGetLastError());
  Timing t;
  t.hot = stats_of(timed_runs(fn, opt.reps, false));
  if (opt.cold) {
    t.cold = stats_of(timed_runs(fn, opt.reps, true));
    t.has_cold = true;
  }
  return t;
}

static json stats_json(const Stats& s, double flops, double bytes) {
  const double sec = s.median_ms * 1e-3;
  return {{"median_ms", s.median_ms},
          {"min_ms", s.min_ms},
          {"max_ms", s.max_ms},
          {"mean_ms", s.mean_ms},
          {"reps", s.reps},
          {"gflops", sec > 0 ? flops / sec * 1e-9 : 0.0},
          {"gbps", sec > 0 ? bytes / sec * 1e-9 : 0.0}};
}

json figures(const Timing& t, double flops, double bytes) {
  json j{{"flops", flops}, {"min_bytes", bytes}, {"hot", stats_json(t.hot, flops, bytes)}};
  if (t.has_cold) j["cold"] = stats_json(t.cold, flops, bytes);
  return j;
}

void print_timing(const std::string& version, const Timing& t, double flops, double bytes) {
  const Stats& s = t.has_cold ? t.cold : t.hot;
  const double sec = s.median_ms * 1e-3;
  std::printf(
      "    %-28s %s median %9.4f ms (min %.4f max %.4f)  %8.1f GFLOP/s %8.1f GB/s  | hot %9.4f "
      "ms\n",
      version.c_str(), t.has_cold ? "cold" : "hot ", s.median_ms, s.min_ms, s.max_ms,
      flops / sec * 1e-9, bytes / sec * 1e-9, t.hot.median_ms);
}

Report::Report(std::string family, const Options& opt) : family_(std::move(family)), opt_(opt) {
  root_["family"] = family_;
  root_["program"] = "bench_" + family_;
  root_["timestamp_utc"] = utc_stamp(false);
  root_["git"] = git_info();
  root_["device"] = gpu_info();
  root_["config"] = {
      {"batches", opt.batches},
      {"warmup", opt.warmup},
      {"reps", opt.reps},
      {"l2_flush_cold", opt.cold},
      {"timing", "CUDA events around each repeat on the engine stream; median/min/max/mean"},
      {"tf32", "off on the engine path (cuBLAS FP32); tf32 versions named so"}};
  root_["cases"] = json::array();
  const json& d = root_["device"];
  std::printf("bench_%s on %s (cc %s, %d SMs), commit %s\n", family_.c_str(),
              d["name"].get<std::string>().c_str(),
              d["compute_capability"].get<std::string>().c_str(), d["sm_count"].get<int>(),
              root_["git"]["commit"].get<std::string>().substr(0, 12).c_str());
}

int Report::finish() {
  root_["validation_failures"] = failures_;
  std::filesystem::create_directories(opt_.out_dir);
  const std::string commit = root_["git"]["commit"].get<std::string>().substr(0, 12);
  const std::string path =
      opt_.out_dir + "/" + family_ + "_" + commit + "_" + utc_stamp(true) + ".json";
  write_json_atomic(path, root_);
  std::printf("wrote %s%s\n", path.c_str(),
              failures_ ? "  (VALIDATION FAILURES: see \"timed\": false entries)" : "");
  return failures_ ? 1 : 0;
}

static json run_version_or_throw(Report& rep, const Options& opt, json& v,
                                 const std::function<void()>& fn,
                                 const std::vector<Output>& outputs, double flops, double bytes,
                                 const std::function<void()>& reset) {
  const std::string name = v["name"];
  if (reset) reset();
  for (const auto& o : outputs)
    if (o.poison) const_cast<DevBuf*>(o.buf)->poison();
  fn();
  BENCH_CUDA(cudaStreamSynchronize(bench_stream()));
  BENCH_CUDA(cudaGetLastError());
  bool ok = true;
  v["checks"] = json::array();
  std::printf("  %s\n", name.c_str());
  for (const auto& o : outputs) {
    const Check c = check_close(o.buf->download(), *o.ref, o.tol);
    print_check(o.label, c);
    json cj = to_json(c);
    cj["output"] = o.label;
    v["checks"].push_back(cj);
    ok = ok && c.ok;
  }
  v["valid"] = ok;
  if (!ok) {
    rep.note_failure();
    v["timed"] = false;
    return v;
  }
  const Timing t = time_it(fn, opt);
  print_timing(name, t, flops, bytes);
  v["timed"] = true;
  v["figures"] = figures(t, flops, bytes);
  return v;
}

json run_version(Report& rep, const Options& opt, const std::string& name,
                 const std::function<void()>& fn, const std::vector<Output>& outputs, double flops,
                 double bytes, const std::function<void()>& reset) {
  json v{{"name", name}};
  try {
    return run_version_or_throw(rep, opt, v, fn, outputs, flops, bytes, reset);
  } catch (const std::exception& e) {
    // An error (cuDNN refusing a shape, a CUDA fault) is recorded and the program goes on, so the
    // JSON of everything else is still written; the exit code reports the failure.
    std::printf("  %s\n    ERROR: %s\n", name.c_str(), e.what());
    rep.note_failure();
    v["valid"] = false;
    v["timed"] = false;
    v["error"] = e.what();
    return v;
  }
}

int bench_main(const char* name, int argc, char** argv, int (*run)(int, char**)) {
  if (!gpu_available(name)) return 0;
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 2;
  }
}

}  // namespace dg::bench
