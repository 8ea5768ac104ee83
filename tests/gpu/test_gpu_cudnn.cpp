// The cuDNN backend (kernels/cuda/cudnn_*.cu) selected with dg::cuda::set_conv_backend: GPU parity
// of conv2d, conv_transpose2d and batch_norm against the CPU double reference (a subset of
// test_gpu_conv's / test_gpu_batch_norm's cases, the ZDC shapes at batch 128 included), cuDNN
// against the hand-written kernels on identical GPU inputs, and the switch itself (which also runs
// without a GPU: a build without cuDNN must refuse it). Skipped with a visible message where no GPU
// is present.
// Run: build-cuda/dg_tests -tc="gpu: cudnn*"
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/cuda/cudnn.h"
#include "tests/gpu/conv_cases.h"
#include "tests/gpu/gpu_parity.h"

using namespace dg;
using namespace dg::test;

namespace {

// Selects a backend for one scope and restores the previous one (also on a failed REQUIRE).
class BackendScope {
 public:
  explicit BackendScope(cuda::ConvBackend b) : prev_(cuda::conv_backend()) {
    cuda::set_conv_backend(b);
  }
  ~BackendScope() {
    try {
      cuda::set_conv_backend(prev_);
    } catch (...) {
    }
  }
  BackendScope(const BackendScope&) = delete;
  BackendScope& operator=(const BackendScope&) = delete;

 private:
  cuda::ConvBackend prev_;
};

bool cudnn_or_skip() {
  if (!gpu_or_skip()) return false;
  if (cuda::built_with_cudnn()) return true;
  MESSAGE("built without cuDNN: this cuDNN test is skipped");
  return false;
}
#define DG_REQUIRE_CUDNN() \
  if (!cudnn_or_skip()) return

using test::ConvCase;

void conv_parity(const ConvCase& c, bool transposed) {
  const ConvSetup s = conv_setup(c, transposed, "cudnn ");
  BackendScope scope(cuda::ConvBackend::Cudnn);
  parity(s.what, s.f, s.inputs, s.tol, s.tol);
}

// Output and input gradients of f on the GPU under one backend, copied to the CPU.
std::vector<Tensor> gpu_run(cuda::ConvBackend b, const OpFn& f, const std::vector<Tensor>& inputs,
                            unsigned seed) {
  BackendScope scope(b);
  std::vector<Tensor> v;
  for (const Tensor& in : inputs) {
    Tensor g = in.to(Device::CUDA).detach();
    g.set_requires_grad(true);
    v.push_back(g);
  }
  Tensor y = f(v);
  Tensor cot = uniform32(y.shape(), -1.0, 1.0, seed);
  y.backward(cot.to(Device::CUDA));
  std::vector<Tensor> out{y.to(Device::CPU)};
  for (const Tensor& g : v) out.push_back(g.grad().to(Device::CPU));
  return out;
}

// cuDNN against the hand-written kernels on the same GPU inputs and cotangent.
void agreement(const std::string& what, const OpFn& f, const std::vector<Tensor>& inputs, Tol tol) {
  PoisonGuard poison;
  const std::vector<Tensor> hw = gpu_run(cuda::ConvBackend::Handwritten, f, inputs, 9);
  const std::vector<Tensor> dnn = gpu_run(cuda::ConvBackend::Cudnn, f, inputs, 9);
  REQUIRE(hw.size() == dnn.size());
  for (size_t i = 0; i < hw.size(); ++i)
    check_close(dnn[i], hw[i], tol,
                what + (i == 0 ? " output" : " gradient of input " + std::to_string(i - 1)) +
                    " (cudnn vs hand-written)");
}

// cuDNN's batch-norm statistics are float sums (the hand-written kernels carry double): a little
// looser than test_gpu_batch_norm's tolerances.
constexpr Tol kBnForward{5e-5, 2e-4};
constexpr Tol kBnBackward{2e-4, 2e-4};

void bn_parity(const Shape& xs, bool training, bool affine) {
  BackendScope scope(cuda::ConvBackend::Cudnn);
  test::bn_parity(xs, training, affine, kBnForward, kBnBackward, "cudnn ");
}

}  // namespace

TEST_CASE("gpu: cudnn backend switch") {
  if (!cuda::built_with_cudnn()) {
    CHECK_THROWS_WITH_AS(cuda::set_conv_backend(cuda::ConvBackend::Cudnn),
                         doctest::Contains("built without"), Error);
    return;
  }
  DG_REQUIRE_GPU();
  const cuda::ConvBackend prev = cuda::conv_backend();
  cuda::set_conv_backend(cuda::ConvBackend::Cudnn);
  CHECK(cuda::conv_backend() == cuda::ConvBackend::Cudnn);
  cuda::set_conv_backend(cuda::ConvBackend::Handwritten);
  CHECK(cuda::conv_backend() == cuda::ConvBackend::Handwritten);
  cuda::set_conv_backend(prev);
}

TEST_CASE("gpu: cudnn conv2d and conv_transpose2d on small odd geometries") {
  DG_REQUIRE_CUDNN();
  for (const ConvCase& c : test::kSmallConvCases) conv_parity(c, false);
  for (const ConvCase& c : test::kSmallConvTransposeCases) conv_parity(c, true);
}

TEST_CASE("gpu: cudnn conv at the ZDC layer shapes, batch 128") {
  DG_REQUIRE_CUDNN();
  for (const ConvCase& c : test::kZdcConvCases) conv_parity(c, false);
  for (const ConvCase& c : test::kZdcConvTransposeCases) conv_parity(c, true);
}

TEST_CASE("gpu: cudnn batch_norm on small odd shapes and the ZDC shapes") {
  DG_REQUIRE_CUDNN();
  for (const Shape& s : {Shape{5, 3}, Shape{3, 4, 5, 6}, Shape{2, 1, 3, 3}, Shape{7, 300}})
    for (bool training : {true, false})
      for (bool affine : {true, false}) bn_parity(s, training, affine);
  for (const Shape& s :
       {Shape{128, 21632}, Shape{128, 128, 24, 24}, Shape{128, 64, 46, 46}, Shape{128, 32, 44, 44}})
    for (bool training : {true, false}) bn_parity(s, training, true);
}

TEST_CASE("gpu: cudnn agrees with the hand-written kernels") {
  DG_REQUIRE_CUDNN();
  for (const ConvCase& c : {
           ConvCase{"G 26x26", 128, 128, 128, 26, 26, 3, 3, 1, 0, 0},
           ConvCase{"stride 2 padded non-square kernel", 3, 2, 3, 7, 8, 2, 3, 2, 1, 0},
       }) {
    ConvSetup s = conv_setup(c, false, "cudnn ");
    agreement(s.what, s.f, s.inputs, s.tol);
  }
  for (const ConvCase& c : {
           ConvCase{"DCGAN 22->44", 128, 64, 32, 22, 22, 4, 4, 2, 1, 0},
           ConvCase{"stride 2 output_padding 1", 2, 3, 2, 4, 5, 3, 3, 2, 1, 1},
       }) {
    ConvSetup s = conv_setup(c, true, "cudnn ");
    agreement(s.what, s.f, s.inputs, s.tol);
  }
  for (bool training : {true, false}) {
    const Shape xs{128, 64, 22, 22};
    Tensor x = uniform32(xs, -2.0, 3.0, 51);
    Tensor gamma = uniform32({64}, 0.5, 1.5, 52), beta = uniform32({64}, -0.5, 0.5, 53);
    Tensor rm0 = uniform32({64}, -0.5, 0.5, 54), rv0 = uniform32({64}, 0.5, 2.0, 55);
    agreement(
        std::string("batch_norm ") + (training ? "train " : "eval ") + shape_str(xs),
        [&](const std::vector<Tensor>& v) {
          Tensor rm = rm0.to(Device::CUDA), rv = rv0.to(Device::CUDA);
          return batch_norm(v[0], v[1], v[2], rm, rv, training, 0.1, 1e-5);
        },
        {x, gamma, beta}, kBnBackward);
  }
}
