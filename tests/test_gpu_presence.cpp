// Says visibly whether GPU parity tests can run here; the CUDA backend must never crash without a
// GPU.
#include <doctest/doctest.h>

#include "engine/tensor.h"
#include "kernels/cuda/runtime.h"

TEST_CASE("device discovery never throws, with or without a GPU") {
  int n = -1;
  CHECK_NOTHROW(n = dg::cuda::device_count());
  CHECK(n >= 0);
  if (!dg::cuda::built_with_cuda())
    MESSAGE("built without CUDA: GPU parity tests are not compiled");
  else if (n == 0)
    MESSAGE("no GPU present: GPU parity tests skipped (CUDA backend compiled)");
  if (n == 0) {
    // Asking for device memory without a GPU is an error with a message, not a crash.
    CHECK_THROWS_AS(dg::Tensor::empty({4}, dg::DType::F32, dg::Device::CUDA), dg::Error);
  }
}
