// Run metadata for benchmark JSON (see run_info.h).
#include "bench/common/run_info.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#ifdef DG_WITH_CUDA
#include <cublas_v2.h>
#include <cuda_runtime.h>
#endif
#ifdef DG_BENCH_CUDNN
#include <cudnn.h>
#endif

#include "base/atomic_file.h"

namespace dg::bench {

using json = nlohmann::json;

namespace {

std::string run_cmd(const std::string& cmd) {
  std::array<char, 256> buf{};
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return out;
  while (fgets(buf.data(), buf.size(), f)) out += buf.data();
  pclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace

json git_info() {
  const std::string dir = DG_SOURCE_DIR;
  std::string commit = run_cmd("git -C '" + dir + "' rev-parse HEAD 2>/dev/null");
  json j;
  if (commit.size() == 40) {
    j["commit"] = commit;
    j["source"] = "git rev-parse at run time";
    j["dirty"] =
        !run_cmd("git -C '" + dir + "' status --porcelain --untracked-files=no 2>/dev/null")
             .empty();
  } else {
    j["commit"] = DG_BENCH_GIT_COMMIT;
    j["source"] = "configure time";
  }
  j["configure_time_commit"] = DG_BENCH_GIT_COMMIT;
  return j;
}

std::string utc_stamp(bool compact) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json cpu_info() {
  json j;
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) j["model"] = line.substr(colon + 2);
      break;
    }
  }
  j["hardware_threads"] = std::thread::hardware_concurrency();
  return j;
}

json gpu_info() {
  json j;
#ifdef DG_WITH_CUDA
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    cudaGetLastError();
    return json{{"available", false}, {"reason", "no usable GPU (cudaGetDeviceCount)"}};
  }
  int dev = 0;
  cudaGetDevice(&dev);
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, dev) != cudaSuccess) {
    cudaGetLastError();
    return json{{"available", false}, {"reason", "cudaGetDeviceProperties failed"}};
  }
  j["available"] = true;
  j["name"] = p.name;
  j["compute_capability"] = std::to_string(p.major) + "." + std::to_string(p.minor);
  j["sm_count"] = p.multiProcessorCount;
  j["l2_bytes"] = p.l2CacheSize;
  j["global_mem_bytes"] = p.totalGlobalMem;
  int v = 0;
  // Peak clocks the driver reports (kHz); the current SM clock is read by run_gpu.sh (nvidia-smi).
  if (cudaDeviceGetAttribute(&v, cudaDevAttrClockRate, dev) == cudaSuccess)
    j["sm_clock_max_khz"] = v;
  if (cudaDeviceGetAttribute(&v, cudaDevAttrMemoryClockRate, dev) == cudaSuccess)
    j["mem_clock_max_khz"] = v;
  if (cudaDeviceGetAttribute(&v, cudaDevAttrGlobalMemoryBusWidth, dev) == cudaSuccess)
    j["mem_bus_bits"] = v;
  cudaGetLastError();
  if (cudaDriverGetVersion(&v) == cudaSuccess) j["driver_version"] = v;
  if (cudaRuntimeGetVersion(&v) == cudaSuccess) j["runtime_version"] = v;
  j["cublas_version"] = CUBLAS_VERSION;
#ifdef DG_BENCH_CUDNN
  j["cudnn_version"] = static_cast<int64_t>(cudnnGetVersion());
#endif
  if (const char* clk = std::getenv("DG_BENCH_SM_CLOCK_MHZ")) j["sm_clock_now_mhz_env"] = clk;
#else
  j["available"] = false;
  j["reason"] = "built without CUDA";
#endif
  return j;
}

void write_json_atomic(const std::string& path, const json& j) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  write_file_atomic(path, j.dump(2) + "\n");
}

std::string write_result(const std::string& out, const std::string& stem, const json& root) {
  const std::string path = !out.empty()
                               ? out
                               : std::string(DG_SOURCE_DIR) + "/bench/results/" + stem + "_" +
                                     root.at("git").at("commit").get<std::string>().substr(0, 12) +
                                     "_" + utc_stamp(true) + ".json";
  write_json_atomic(path, root);
  std::printf("\nwrote %s\n", path.c_str());
  return path;
}

}  // namespace dg::bench
