// What every GPU backend of the convolution and batch-norm family is checked on (hand-written
// kernels and cuDNN): conv geometries (small odd shapes that stress padding, stride, non-square
// kernels and output padding, and the exact ZDC layer shapes at batch 128), the inputs and
// tolerance of one conv parity check, and the batch-norm parity check with its running statistics.
// The backend is whatever is selected when they run.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/gpu/gpu_parity.h"

namespace dg::test {

struct ConvCase {
  const char* what;
  int64_t n, cin, cout, h, w, kh, kw, stride, pad, out_pad;
};

inline std::string conv_label(const ConvCase& c) {
  return std::string(c.what) + " N" + std::to_string(c.n) + " " + std::to_string(c.cin) + "->" +
         std::to_string(c.cout) + " k" + std::to_string(c.kh) + "x" + std::to_string(c.kw) + " s" +
         std::to_string(c.stride) + " p" + std::to_string(c.pad) + " op" +
         std::to_string(c.out_pad) + " in " + std::to_string(c.h) + "x" + std::to_string(c.w);
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

// One conv2d / conv_transpose2d parity check: inputs at PyTorch's default init scale (outputs
// O(1)), and a GEMM-style tolerance from the longest reduction any of the three passes does.
struct ConvSetup {
  std::string what;
  OpFn f;
  std::vector<Tensor> inputs;
  Tol tol;
};

inline ConvSetup conv_setup(const ConvCase& c, bool transposed, const std::string& prefix) {
  const Conv2dArgs args{c.stride, c.pad, c.out_pad};
  const int64_t fan_in = (transposed ? c.cout : c.cin) * c.kh * c.kw;
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  const Shape ws = transposed ? Shape{c.cin, c.cout, c.kh, c.kw} : Shape{c.cout, c.cin, c.kh, c.kw};
  Tensor x = uniform32({c.n, c.cin, c.h, c.w}, -1.0, 1.0, 101);
  Tensor w = uniform32(ws, -bound, bound, 102);
  Tensor b = uniform32({c.cout}, -bound, bound, 103);
  // Output size, for the weight gradient's reduction length N*Ho*Wo (or N*H*W when transposed).
  const int64_t ho = transposed ? (c.h - 1) * c.stride - 2 * c.pad + c.kh + c.out_pad
                                : (c.h + 2 * c.pad - c.kh) / c.stride + 1;
  const int64_t wo = transposed ? (c.w - 1) * c.stride - 2 * c.pad + c.kw + c.out_pad
                                : (c.w + 2 * c.pad - c.kw) / c.stride + 1;
  const int64_t longest =
      std::max({c.cin * c.kh * c.kw, c.cout * c.kh * c.kw, c.n * ho * wo, c.n * c.h * c.w});
  OpFn f;
  if (transposed)
    f = [args](const std::vector<Tensor>& v) { return conv_transpose2d(v[0], v[1], v[2], args); };
  else
    f = [args](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], v[2], args); };
  return {prefix + (transposed ? "conv_transpose2d " : "conv2d ") + conv_label(c),
          f,
          {x, w, b},
          gemm_tol(longest)};
}

// batch_norm parity, 1d or 2d by the rank of xs, forward and backward for x (and gamma, beta when
// affine), plus the running-statistics update (momentum 0.1, unbiased variance).
inline void bn_parity(const Shape& xs, bool training, bool affine, Tol fwd, Tol bwd,
                      const std::string& prefix) {
  const int64_t C = xs[1];
  const std::string what = prefix + "batch_norm " + (training ? "train " : "eval ") +
                           (affine ? "" : "no affine ") + shape_str(xs);
  Tensor x = uniform32(xs, -2.0, 3.0, 41);
  Tensor gamma = uniform32({C}, 0.5, 1.5, 42), beta = uniform32({C}, -0.5, 0.5, 43);
  Tensor rm0 = uniform32({C}, -0.5, 0.5, 44), rv0 = uniform32({C}, 0.5, 2.0, 45);
  std::vector<Tensor> running;  // the buffers each side used: the CPU pair, then the GPU pair
  auto f = [&](const std::vector<Tensor>& v) {
    const Tensor& in = v[0];
    Tensor rm = rm0.to(in.dtype()).to(in.device()), rv = rv0.to(in.dtype()).to(in.device());
    running.push_back(rm);
    running.push_back(rv);
    return affine ? batch_norm(in, v[1], v[2], rm, rv, training, 0.1, 1e-5)
                  : batch_norm(in, Tensor(), Tensor(), rm, rv, training, 0.1, 1e-5);
  };
  if (affine)
    parity(what, f, {x, gamma, beta}, fwd, bwd);
  else
    parity(what, f, {x}, fwd, bwd);
  REQUIRE(running.size() == 4);
  check_close(running[2], running[0], fwd, what + " running_mean");
  check_close(running[3], running[1], fwd, what + " running_var");
}

}  // namespace dg::test
