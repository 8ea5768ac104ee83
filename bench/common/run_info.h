// What every benchmark JSON records about the run, so a figure can be traced to its code and card:
// the commit (and whether the tree was dirty), the UTC time, the host CPU and, in a CUDA build with
// a GPU, the device with its clocks and library versions. Compiled in every build; the device part
// is empty without CUDA.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace dg::bench {

nlohmann::json git_info();
std::string utc_stamp(bool compact);
// CPU model and hardware threads (from /proc/cpuinfo and std::thread).
nlohmann::json cpu_info();
// Name, compute capability, SMs, memory, peak clocks, driver/runtime/cuBLAS/cuDNN versions of the
// current GPU; {"available": false, "reason": ...} where there is none.
nlohmann::json gpu_info();
// Writes `j` (indented) to `path` through a temporary file and a rename, creating the folder.
void write_json_atomic(const std::string& path, const nlohmann::json& j);
// Writes a benchmark's `root` (which holds "git" from git_info()) to `out`, or, when `out` is
// empty, to bench/results/<stem>_<commit12>_<UTC>.json in the source tree; prints and returns
// the path.
std::string write_result(const std::string& out, const std::string& stem,
                         const nlohmann::json& root);

}  // namespace dg::bench
