// GPU parity of batch_norm (kernels/cuda/batch_norm.cu: one block per channel, double sums in a
// fixed order), 1d and 2d, training and eval, forward and backward for x, gamma and beta, plus the
// running-statistics update (PyTorch momentum convention, unbiased variance), against the CPU
// double reference, at small odd shapes and the ZDC shapes at batch 128. Run: build-cuda/dg_tests
// -tc="gpu: batch_norm*"
#include <doctest/doctest.h>

#include <string>

#include "tests/gpu/gpu_parity.h"

using namespace dg;
using namespace dg::test;

namespace {

constexpr Tol kBnForward{1e-5, 1e-4};
constexpr Tol kBnBackward{1e-4, 1e-4};

void run_bn(const Shape& xs, bool training, bool affine) {
  const int64_t C = xs[1];
  std::string what = std::string("batch_norm ") + (training ? "train " : "eval ") +
                     (affine ? "" : "no affine ") + shape_str(xs);
  Tensor x = uniform32(xs, -2.0, 3.0, 41);
  Tensor gamma = uniform32({C}, 0.5, 1.5, 42), beta = uniform32({C}, -0.5, 0.5, 43);
  Tensor rm0 = uniform32({C}, -0.5, 0.5, 44), rv0 = uniform32({C}, 0.5, 2.0, 45);
  // The running buffers each side used: CPU pair first, then the GPU pair.
  std::vector<Tensor> running;
  auto f = [&](const std::vector<Tensor>& v) {
    const Tensor& in = v[0];
    Tensor rm = rm0.to(in.dtype()).to(in.device()), rv = rv0.to(in.dtype()).to(in.device());
    running.push_back(rm);
    running.push_back(rv);
    return affine ? batch_norm(in, v[1], v[2], rm, rv, training, 0.1, 1e-5)
                  : batch_norm(in, Tensor(), Tensor(), rm, rv, training, 0.1, 1e-5);
  };
  if (affine)
    parity(what, f, {x, gamma, beta}, kBnForward, kBnBackward);
  else
    parity(what, f, {x}, kBnForward, kBnBackward);
  REQUIRE(running.size() == 4);
  check_close(running[2], running[0], kBnForward, what + " running_mean");
  check_close(running[3], running[1], kBnForward, what + " running_var");
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
