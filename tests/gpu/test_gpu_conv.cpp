// GPU parity of conv2d and conv_transpose2d (kernels/cuda/conv.cu: im2col + cuBLAS, col2im gather,
// per-image weight-gradient partials summed in order), forward and backward for x, weight and bias,
// against the CPU double reference: small odd geometries (stride, padding, non-square kernels,
// pointwise, output_padding, rows beyond the last window) and every conv layer of the ZDC models at
// batch 128 (these also run the image chunking of conv.cu with a partial last chunk).
// Run: build-cuda/dg_tests -tc="gpu: conv*"
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "tests/gpu/conv_cases.h"
#include "tests/gpu/gpu_parity.h"

using namespace dg;
using namespace dg::test;

namespace {

using test::ConvCase;

// GEMM-style tolerance from the longest reduction any of the three passes does.
Tol conv_tol(int64_t longest) { return gemm_tol(longest); }

void run_conv(const ConvCase& c, bool transposed) {
  const Conv2dArgs args{c.stride, c.pad, c.out_pad};
  // Weight at PyTorch's default init scale keeps the outputs O(1).
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
  const Tol t = conv_tol(longest);
  const std::string what = std::string(transposed ? "conv_transpose2d " : "conv2d ") + test::conv_label(c);
  if (transposed)
    parity(
        what,
        [args](const std::vector<Tensor>& v) { return conv_transpose2d(v[0], v[1], v[2], args); },
        {x, w, b}, t, t);
  else
    parity(
        what, [args](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], v[2], args); },
        {x, w, b}, t, t);
}

}  // namespace

TEST_CASE("gpu: conv2d on small odd geometries") {
  DG_REQUIRE_GPU();
  for (const ConvCase& c : test::kSmallConvCases)
    run_conv(c, false);
}

TEST_CASE("gpu: conv_transpose2d on small odd geometries") {
  DG_REQUIRE_GPU();
  for (const ConvCase& c : test::kSmallConvTransposeCases)
    run_conv(c, true);
}

TEST_CASE("gpu: conv2d at the ZDC layer shapes, batch 128") {
  DG_REQUIRE_GPU();
  for (const ConvCase& c : test::kZdcConvCases)
    run_conv(c, false);
}

TEST_CASE("gpu: conv_transpose2d at the DCGAN layer shapes, batch 128") {
  DG_REQUIRE_GPU();
  for (const ConvCase& c : test::kZdcConvTransposeCases)
    run_conv(c, true);
}

TEST_CASE("gpu: conv2d without bias, and x without grad") {
  DG_REQUIRE_GPU();
  Tensor x = uniform32({4, 3, 9, 8}, -1.0, 1.0, 1), w = uniform32({5, 3, 3, 3}, -0.3, 0.3, 2);
  const Conv2dArgs a{1, 1, 0};
  parity(
      "conv2d no bias",
      [a](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], Tensor(), a); }, {x, w},
      gemm_tol(300), gemm_tol(300));
  parity("conv2d x without grad",
         [a](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], Tensor(), a); }, {x, w},
         gemm_tol(300), gemm_tol(300), {false, true});
}
