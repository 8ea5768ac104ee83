// index_rows on the GPU (engine/ops.h; kernel: kernels/cuda/gather.h), which builds the trainer's
// batches from the device-resident data set: repeated, unordered and last-row indices, widths 1
// (f_div), 9 (conditions) and 1936 (images), output poisoned first; must equal the CPU's
// index_rows exactly (a gather does no arithmetic).
// Run: build-cuda/dg_tests -tc="gpu: index_rows*"
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "engine/ops.h"
#include "engine/rng.h"
#include "tests/gpu/gpu_parity.h"

using namespace dg;

TEST_CASE("gpu: index_rows copies the indexed rows exactly, as on the CPU") {
  DG_REQUIRE_GPU();
  PoisonGuard poison;
  for (int64_t width : {int64_t{1}, int64_t{9}, int64_t{1936}}) {
    CAPTURE(width);
    const int64_t n = 37;
    Philox rng(5, 0);
    Tensor table = rng.normal({n, width});
    const std::vector<int32_t> rows{36, 0, 5, 5, 17, 36, 1, 0, 22};
    Tensor idx = Tensor::empty({static_cast<int64_t>(rows.size())}, DType::I32);
    std::copy(rows.begin(), rows.end(), idx.data<int32_t>());
    const std::vector<double> cpu = index_rows(table, idx).to_vector();
    const std::vector<double> gpu =
        index_rows(table.to(Device::CUDA), idx.to(Device::CUDA)).to_vector();
    CHECK(gpu == cpu);
  }
}
