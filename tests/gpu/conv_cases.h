// The convolution geometries every GPU convolution backend is checked on (hand-written kernels and
// cuDNN): small odd shapes that stress padding, stride, non-square kernels and output padding, and
// the exact ZDC layer shapes at batch 128.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dg::test {

struct ConvCase {
  const char* what;
  int64_t n, cin, cout, h, w, kh, kw, stride, pad, out_pad;
};

inline std::string conv_label(const ConvCase& c) {
  return std::string(c.what) + " N" + std::to_string(c.n) + " " + std::to_string(c.cin) + "->" +
         std::to_string(c.cout) + " k" + std::to_string(c.kh) + "x" + std::to_string(c.kw) + " s" +
         std::to_string(c.stride) + " p" + std::to_string(c.pad) + " op" + std::to_string(c.out_pad) + " in " +
         std::to_string(c.h) + "x" + std::to_string(c.w);
}

inline const std::vector<ConvCase> kSmallConvCases = {
    {"valid", 3, 2, 5, 7, 6, 3, 3, 1, 0, 0},
    {"same", 2, 3, 4, 5, 5, 3, 3, 1, 1, 0},
    {"stride 2, rows beyond the last window", 2, 3, 2, 8, 9, 3, 3, 2, 0, 0},
    {"stride 2 padded non-square kernel", 3, 2, 3, 7, 8, 2, 3, 2, 1, 0},
    {"pointwise", 4, 5, 3, 4, 6, 1, 1, 1, 0, 0},
    {"kernel = image", 2, 3, 4, 3, 3, 3, 3, 1, 0, 0},
    {"one image, one channel", 1, 1, 1, 5, 4, 2, 2, 1, 0, 0},
};

inline const std::vector<ConvCase> kSmallConvTransposeCases = {
    {"stride 2 k4 p1", 2, 3, 4, 5, 6, 4, 4, 2, 1, 0},
    {"stride 2 output_padding 1", 2, 3, 2, 4, 5, 3, 3, 2, 1, 1},
    {"stride 3 non-square", 3, 2, 3, 3, 4, 2, 3, 3, 0, 2},
    {"stride 1 same", 2, 4, 3, 5, 5, 3, 3, 1, 1, 0},
    {"pointwise", 3, 4, 5, 4, 3, 1, 1, 1, 0, 0},
};

inline const std::vector<ConvCase> kZdcConvCases = {
    // Generator ("original"): after each upsample, valid 3x3.
    {"G 26x26", 128, 128, 128, 26, 26, 3, 3, 1, 0, 0},
    {"G 48x48", 128, 128, 64, 48, 48, 3, 3, 1, 0, 0},
    {"G output", 128, 64, 1, 46, 46, 3, 3, 1, 0, 0},
    // DCGAN generator output layer: same 3x3 on 44x44.
    {"DCGAN output", 128, 32, 1, 44, 44, 3, 3, 1, 1, 0},
    // Discriminator.
    {"D first", 128, 1, 32, 44, 44, 3, 3, 1, 0, 0},
    {"D second", 128, 32, 16, 21, 21, 3, 3, 1, 0, 0},
};

inline const std::vector<ConvCase> kZdcConvTransposeCases = {
    {"DCGAN 11->22", 128, 128, 64, 11, 11, 4, 4, 2, 1, 0},
    {"DCGAN 22->44", 128, 64, 32, 22, 22, 4, 4, 2, 1, 0},
};

}  // namespace dg::test
