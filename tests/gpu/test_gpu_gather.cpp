// Row gather on the GPU (kernels/cuda/gather.h), which builds the trainer's batches from the
// device-resident data set: repeated, unordered and last-row indices, widths 1 (f_div), 9
// (conditions) and 1936 (images), output poisoned first; must equal the rows copied on the CPU
// exactly (a gather does no arithmetic).
// Run: build-cuda/dg_tests -tc="gpu: gather*"
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/rng.h"
#include "kernels/cuda/gather.h"
#include "kernels/cuda/runtime.h"
#include "tests/gpu/gpu_parity.h"

using namespace dg;

TEST_CASE("gpu: gather_rows copies the indexed rows exactly") {
  DG_REQUIRE_GPU();
  for (int64_t width : {int64_t{1}, int64_t{9}, int64_t{1936}}) {
    CAPTURE(width);
    const int64_t n = 37;
    Philox rng(5, 0);
    Tensor table = rng.normal({n, width});
    const std::vector<int32_t> rows{36, 0, 5, 5, 17, 36, 1, 0, 22};
    const int64_t b = static_cast<int64_t>(rows.size());
    Tensor dev_table = table.to(Device::CUDA);
    Tensor out = Tensor::full({b, width}, std::nan(""), DType::F32, Device::CUDA);
    void* d_rows = cuda::device_malloc(sizeof(int32_t) * rows.size());
    cuda::copy_host_to_device(d_rows, rows.data(), sizeof(int32_t) * rows.size());
    cuda::gather_rows(dev_table.data<float>(), width, static_cast<const int32_t*>(d_rows), b,
                      out.data<float>());
    const std::vector<double> got = out.to_vector(), src = table.to_vector();
    cuda::device_free(d_rows);
    int64_t bad = 0;
    for (int64_t r = 0; r < b; ++r)
      for (int64_t k = 0; k < width; ++k) bad += !(got[r * width + k] == src[rows[r] * width + k]);
    CHECK(bad == 0);
  }
}
