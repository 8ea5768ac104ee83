// O2's scales file (see o2_scales.h).
#include "tools/o2_scales.h"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

#include "base/error.h"

namespace dg::tools {

namespace {

void block(std::string& out, const char* header, const std::array<double, data::kZdcCondDim>& v) {
  out += header;
  out += '\n';
  char buf[40];
  for (double x : v) {
    std::snprintf(buf, sizeof buf, "%.17g\n", x);
    out += buf;
  }
}

// The numbers after the line `header` up to a blank line or the end.
std::vector<double> read_block(const std::string& text, const std::string& header,
                               const std::string& origin) {
  std::istringstream in(text);
  std::string line;
  bool found = false;
  while (std::getline(in, line))
    if (line == header) {
      found = true;
      break;
    }
  DG_CHECK(found, origin << ": no line '" << header << "'; expected O2's scales format ("
                         << "'#means', 9 numbers, a blank line, '#scales', 9 numbers)");
  std::vector<double> v;
  while (std::getline(in, line) && !line.empty()) {
    size_t used = 0;
    double x = 0;
    try {
      x = std::stod(line, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    DG_CHECK(used == line.size() && std::isfinite(x),
             origin << ": '" << line << "' in block " << header << " is not a finite number");
    v.push_back(x);
  }
  DG_CHECK(v.size() == static_cast<size_t>(data::kZdcCondDim),
           origin << ": block " << header << " holds " << v.size() << " numbers; expected "
                  << data::kZdcCondDim << " (one per attribute)");
  return v;
}

}  // namespace

std::string o2_scales_text(const data::Standardizer& st) {
  std::string out;
  block(out, "#means", st.mean);
  out += '\n';
  block(out, "#scales", st.scale);
  return out;
}

data::Standardizer parse_o2_scales(const std::string& text, const std::string& origin) {
  data::Standardizer st;
  const auto means = read_block(text, "#means", origin);
  const auto scales = read_block(text, "#scales", origin);
  for (int64_t j = 0; j < data::kZdcCondDim; ++j) {
    DG_CHECK(scales[j] > 0, origin << ": scale of " << data::kZdcAttributeNames[j] << " is "
                                   << scales[j] << "; expected a positive number");
    st.mean[j] = means[j];
    st.scale[j] = scales[j];
  }
  return st;
}

}  // namespace dg::tools
