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

void run_conv(const ConvCase& c, bool transposed) {
  const ConvSetup s = conv_setup(c, transposed, "");
  parity(s.what, s.f, s.inputs, s.tol, s.tol);
}

}  // namespace

TEST_CASE("gpu: conv2d on small odd geometries") {
  DG_REQUIRE_GPU();
  for (const ConvCase& c : test::kSmallConvCases) run_conv(c, false);
}

TEST_CASE("gpu: conv_transpose2d on small odd geometries") {
  DG_REQUIRE_GPU();
  for (const ConvCase& c : test::kSmallConvTransposeCases) run_conv(c, true);
}

TEST_CASE("gpu: conv2d at the ZDC layer shapes, batch 128") {
  DG_REQUIRE_GPU();
  for (const ConvCase& c : test::kZdcConvCases) run_conv(c, false);
}

TEST_CASE("gpu: conv_transpose2d at the DCGAN layer shapes, batch 128") {
  DG_REQUIRE_GPU();
  for (const ConvCase& c : test::kZdcConvTransposeCases) run_conv(c, true);
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
