// `divgan report`: one page (HTML and Markdown) comparing runs side by side, with the pictures a
// physicist reviewing a fast-simulation model looks at (docs/design.md#report).
#pragma once
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace dg::tools {

struct ReportOptions {
  std::vector<std::string> runs;  // run folders (run.json + checkpoint.safetensors)
  std::string out;                // the report folder, replaced as a whole
  std::string title = "divgan report";
  std::string notes;  // Markdown (paragraphs and tables) under the title, e.g. a study's tables
  Device device = Device::CPU;
  bool pictures = true;  // false: tables only, no Python
  uint64_t seed = 1;     // evaluation latents and the support test's subsets
  bool progress = true;
};

// Evaluates every run, writes OUT/report.html, OUT/report.md, OUT/img/... and OUT/data/...
// (the files behind the pictures) through a temporary folder renamed into place, and returns the
// path of report.html. An existing OUT is replaced only when it holds a report. Pictures need a
// Python 3 with numpy and matplotlib (DIVGAN_PYTHON, else python3 or /usr/bin/python3); without
// one the report says so and keeps its tables.
std::string write_report(const ReportOptions& o);

}  // namespace dg::tools
