// ZDC channel sums (see zdc_channels.h).
#include "gan/zdc_channels.h"

#include "base/error.h"

namespace dg::gan {

ZdcChannels zdc_channels(const double* im) {
  constexpr int64_t h = kZdcSide / 2;
  ZdcChannels ch{};
  for (int64_t a = 0; a < kZdcSide; ++a)
    for (int64_t b = 0; b < kZdcSide; ++b) {
      const double v = im[a * kZdcSide + b];
      if ((a + b) % 2) {
        ch[4] += v;
      } else {
        const int q = (a < h ? 0 : 2) + (b < h ? 0 : 1);
        ch[q] += v;
      }
    }
  return ch;
}

std::vector<ZdcChannels> zdc_channels_batch(const std::vector<double>& images) {
  constexpr int64_t px = kZdcSide * kZdcSide;
  DG_CHECK(
      images.size() % px == 0,
      "zdc_channels_batch: " << images.size() << " values are not a whole number of 44x44 images");
  std::vector<ZdcChannels> out(images.size() / px);
  for (size_t i = 0; i < out.size(); ++i) out[i] = zdc_channels(images.data() + i * px);
  return out;
}

}  // namespace dg::gan
