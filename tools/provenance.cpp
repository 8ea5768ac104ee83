// Provenance of results (see provenance.h).
#include "tools/provenance.h"

#include <unistd.h>

#include <ctime>
#include <vector>

#include "datasets/hdf5_io.h"
#include "engine/device.h"
#include "tools/onnx_export.h"

#ifndef DG_VERSION
#define DG_VERSION "unknown"
#endif

namespace dg::tools {

namespace {
std::vector<std::string>& command_line() {
  static std::vector<std::string> args;
  return args;
}
const char* yes_no(bool b) { return b ? "yes" : "no"; }
}  // namespace

#ifdef DG_WITH_ONNX
bool onnx_export_available() { return true; }
#else
bool onnx_export_available() { return false; }
#endif

std::string version_line() {
  return std::string("divgan ") + DG_VERSION + " (commit " + build_commit() + ", CUDA " +
         yes_no(cuda_backend_built()) + ", cuDNN " + yes_no(cudnn_backend_built()) + ", HDF5 " +
         yes_no(data::hdf5_available()) + ", ONNX " + yes_no(onnx_export_available()) + ")";
}

void set_command_line(int argc, char** argv) { command_line().assign(argv, argv + argc); }

std::string local_time_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
  return buf;
}

nlohmann::json provenance(Device device) {
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return {{"version", DG_VERSION},
          {"commit", build_commit()},
          {"built_with",
           {{"cuda", cuda_backend_built()},
            {"cudnn", cudnn_backend_built()},
            {"hdf5", data::hdf5_available()}}},
          {"command_line", command_line()},
          {"host", host},
          {"device", device == Device::CUDA ? "cuda" : "cpu"},
          {"start", local_time_iso()}};
}

}  // namespace dg::tools
