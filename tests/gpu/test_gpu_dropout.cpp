// GPU dropout (kernels/cuda/dropout.cu) keeps exactly the elements the CPU keeps for the same
// (seed, offset): the masks come from the shared host/device Philox of kernels/common/philox.h.
// Forward and backward parity against the CPU double reference (a kept element scaled, a dropped
// one 0: any mask difference is an error of |x| / keep), element counts that are not a multiple
// of 4, non-zero offsets, and the generator advancing by the same amount on both devices.
// Run: build-cuda/dg_tests -tc="gpu: dropout*"
#include <doctest/doctest.h>

#include <string>

#include "engine/rng.h"
#include "tests/gpu/gpu_parity.h"

using namespace dg;
using namespace dg::test;

TEST_CASE("gpu: dropout draws the CPU's mask") {
  DG_REQUIRE_GPU();
  struct Case {
    Shape s;
    double p;
    uint64_t seed, offset;
  };
  for (const Case& c : {Case{{1001}, 0.5, 7, 0}, Case{{3, 5, 7}, 0.3, 11, 5},
                        Case{{128, 256}, 0.2, 0x5eedd00dULL, 123456789ULL},
                        Case{{128, 128, 24, 24}, 0.5, 3, (1ULL << 40) + 3}}) {
    Tensor x = off_zero32(c.s, 0.1, 2.0, 61);
    std::vector<uint64_t> offsets_after;
    auto f = [&](const std::vector<Tensor>& v) {
      Philox rng(c.seed, c.offset);
      Tensor y = dropout(v[0], c.p, true, rng);
      offsets_after.push_back(rng.offset());
      return y;
    };
    parity("dropout p " + std::to_string(c.p) + " " + shape_str(c.s), f, {x}, kElementwise,
           kElementwise);
    REQUIRE(offsets_after.size() == 2);
    CHECK(offsets_after[0] == offsets_after[1]);
  }
}

TEST_CASE("gpu: fused dropout + leaky ReLU matches the CPU forward and backward") {
  DG_REQUIRE_GPU();
  for (const Shape& s : {Shape{1001}, Shape{16, 64, 46, 46}}) {
    Tensor x = off_zero32(s, 0.1, 2.0, 62);
    auto f = [](const std::vector<Tensor>& v) {
      Philox rng(0x5eedd00dULL, 77);
      return dropout_leaky_relu(v[0], 0.2, 0.1, true, rng);
    };
    parity("dropout_leaky_relu " + shape_str(s), f, {x}, kElementwise, kElementwise);
  }
}
