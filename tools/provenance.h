// What a result came from: this binary (version, commit, what it was compiled with), the command
// line, the host and the time. For `divgan --version` and run.json.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "engine/tensor.h"

namespace dg::tools {

// The commit the binary was built from ("<hash>[-dirty]" or "unknown"; generated at build time).
const char* build_commit();
// "divgan 0.4.0 (commit ..., CUDA yes|no, cuDNN yes|no, HDF5 yes|no)".
std::string version_line();
// Remembers argv for run.json (main calls it once, before parsing).
void set_command_line(int argc, char** argv);
// Local time now, ISO 8601 with the UTC offset.
std::string local_time_iso();
// {version, commit, built_with, command_line, host, device, start}: the "provenance" of run.json.
nlohmann::json provenance(Device device);

}  // namespace dg::tools
