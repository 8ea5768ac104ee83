// The shape of ZDC data (docs/design.md#zdc-data-files), shared by the data set, the networks and
// the metrics: 44x44 images of photon counts, 9 particle attributes.
#pragma once
#include <cstdint>

namespace dg::data {

inline constexpr int64_t kZdcSide = 44;
inline constexpr int64_t kZdcPixels = kZdcSide * kZdcSide;
// Energy, Vx, Vy, Vz, Px, Py, Pz, mass [MeV], charge [e].
inline constexpr int64_t kZdcCondDim = 9;
// Images are trained as log1p(counts): above log(FLT_MAX) = 88.72 a value's count (expm1)
// overflows float32.
inline constexpr double kZdcLog1pCountLimit = 88.72;

}  // namespace dg::data
