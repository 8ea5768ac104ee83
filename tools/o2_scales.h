// The condition-scales text file of ALICE O2's ZDC fast simulation (docs/design.md#onnx-export):
// a line "#means", one mean per line, a blank line, a line "#scales", one scale per line; O2 feeds
// its models (raw - mean) / scale per attribute, in the order of data::kZdcAttributeNames.
#pragma once
#include <string>

#include "datasets/zdc_dataset.h"

namespace dg::tools {

// The standardizer's means and scales, each written to round-trip to the same double.
std::string o2_scales_text(const data::Standardizer& st);

// Reads such a file the way O2 does (the block starts after the exact header line and ends at the
// first blank line or the end of the file), but strictly: 9 numbers in each block, scales
// positive, anything else a one-line error naming `origin`. Returns a standardizer without range.
data::Standardizer parse_o2_scales(const std::string& text, const std::string& origin);

}  // namespace dg::tools
