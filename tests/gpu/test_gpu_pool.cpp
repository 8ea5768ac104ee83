// GPU parity of upsample_nearest2d and max_pool2d (kernels/cuda/pool.cu: gathers, no atomics),
// forward and backward, against the CPU double reference: odd shapes, scale 3, overlapping pool
// windows (stride < kernel), rows and columns beyond the last window, ties (first maximum wins on
// both sides), and the ZDC shapes at batch 128.
// Run: build-cuda/dg_tests -tc="gpu: upsample*,gpu: max_pool*"
#include <doctest/doctest.h>

#include <string>

#include "tests/gpu/gpu_parity.h"

using namespace dg;
using namespace dg::test;

TEST_CASE("gpu: upsample_nearest2d") {
  DG_REQUIRE_GPU();
  struct Case {
    Shape s;
    int64_t scale;
  };
  for (const Case& c : {Case{{2, 3, 5, 4}, 2}, Case{{1, 2, 3, 5}, 3}, Case{{3, 1, 4, 4}, 1},
                        // ZDC generator: 13 -> 26 and 24 -> 48, 128 channels, batch 128.
                        Case{{128, 128, 13, 13}, 2}, Case{{128, 128, 24, 24}, 2}}) {
    Tensor x = uniform32(c.s, -1.0, 1.0, 51);
    const int64_t k = c.scale;
    parity(
        "upsample x" + std::to_string(k) + " " + shape_str(c.s),
        [k](const std::vector<Tensor>& v) { return upsample_nearest2d(v[0], k); }, {x},
        kElementwise, kElementwise);
  }
}

TEST_CASE("gpu: max_pool2d") {
  DG_REQUIRE_GPU();
  struct Case {
    Shape s;
    int64_t kernel, stride;
  };
  for (const Case& c :
       {Case{{2, 3, 6, 6}, 2, 0}, Case{{2, 2, 7, 5}, 2, 0}, Case{{2, 2, 7, 8}, 3, 2},
        Case{{1, 3, 9, 9}, 3, 1}, Case{{2, 1, 5, 5}, 5, 0},
        // ZDC discriminator: 42 -> 21 and 19 -> 9 (a row and column left over).
        Case{{128, 32, 42, 42}, 2, 0}, Case{{128, 16, 19, 19}, 2, 0}}) {
    Tensor x = uniform32(c.s, -1.0, 1.0, 52);
    const int64_t k = c.kernel, st = c.stride;
    parity(
        "max_pool2d k" + std::to_string(k) + " s" + std::to_string(st) + " " + shape_str(c.s),
        [k, st](const std::vector<Tensor>& v) { return max_pool2d(v[0], k, st); }, {x},
        kElementwise, kElementwise);
  }
}

TEST_CASE("gpu: max_pool2d with ties picks the first maximum, as on the CPU") {
  DG_REQUIRE_GPU();
  // Values from {0, 0.25, 0.5, 0.75}: most windows hold a tie for their maximum.
  const Shape s{2, 3, 8, 7};
  std::vector<double> v(static_cast<size_t>(2 * 3 * 8 * 7));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.25 * static_cast<double>((i * 7 + i / 5) % 4);
  Tensor x = Tensor::from_vector(v, s, DType::F32);
  for (int64_t st : {int64_t(0), int64_t(1)})
    parity(
        "max_pool2d ties s" + std::to_string(st),
        [st](const std::vector<Tensor>& a) { return max_pool2d(a[0], 3, st); }, {x}, kElementwise,
        kElementwise);
}
