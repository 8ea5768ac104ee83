// The 5 ZDC channels of a 44x44 image of photon counts (docs/design.md#zdc-channels), index (a, b)
// = (first axis, second axis), h = 22: ch5 sums the pixels with (a + b) odd; ch1..ch4 sum the
// pixels with (a + b) even in the quadrants a<h,b<h / a<h,b>=h / a>=h,b<h / a>=h,b>=h.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "datasets/zdc_layout.h"

namespace dg::gan {

using data::kZdcSide;
using ZdcChannels = std::array<double, 5>;  // ch1..ch5

// image: 44*44 counts in row-major (a, b) order (already expm1'ed for generated images).
ZdcChannels zdc_channels(const double* image);
// images: (N, 44, 44) row-major -> N channel vectors.
std::vector<ZdcChannels> zdc_channels_batch(const std::vector<double>& images);

}  // namespace dg::gan
