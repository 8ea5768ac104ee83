// GPU parity of batch_norm (kernels/cuda/batch_norm.cu: one block per channel, double sums in a
// fixed order), 1d and 2d, training and eval, forward and backward for x, gamma and beta, plus the
// running-statistics update (PyTorch momentum convention, unbiased variance), against the CPU
// double reference, at small odd shapes and the ZDC shapes at batch 128. Run: build-cuda/dg_tests
// -tc="gpu: batch_norm*"
#include <doctest/doctest.h>

#include <string>

#include "tests/gpu/conv_cases.h"

using namespace dg;
using namespace dg::test;

namespace {

constexpr Tol kBnForward{1e-5, 1e-4};
constexpr Tol kBnBackward{1e-4, 1e-4};

void run_bn(const Shape& xs, bool training, bool affine) {
  bn_parity(xs, training, affine, kBnForward, kBnBackward, "");
}

}  // namespace

TEST_CASE("gpu: batch_norm on small odd shapes") {
  DG_REQUIRE_GPU();
  for (const Shape& s :
       {Shape{5, 3}, Shape{2, 7}, Shape{3, 4, 5, 6}, Shape{2, 1, 3, 3}, Shape{7, 300}})
    for (bool training : {true, false})
      for (bool affine : {true, false}) run_bn(s, training, affine);
}

TEST_CASE("gpu: batch_norm at the ZDC shapes, batch 128") {
  DG_REQUIRE_GPU();
  // Original generator: BN1d over 256 and 128*13*13 = 21632 features, BN2d over 128 channels of
  // 24x24 and 64 of 46x46; DCGAN: 64 of 22x22, 32 of 44x44, BN1d over 128*11*11 = 15488.
  for (const Shape& s :
       {Shape{128, 256}, Shape{128, 21632}, Shape{128, 128, 24, 24}, Shape{128, 64, 46, 46},
        Shape{128, 64, 22, 22}, Shape{128, 32, 44, 44}, Shape{128, 15488}})
    for (bool training : {true, false}) run_bn(s, training, true);
}
