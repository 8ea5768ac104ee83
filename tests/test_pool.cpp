// upsample_nearest2d and max_pool2d: hand-computed values, tie-breaking, gradient checks, errors.
// Run: build/dg_tests -tc="*pool*,*upsample*"
#include <algorithm>
#include <numeric>
#include <random>

#include "tests/gradcheck.h"

using namespace dg;
using dg::test::gradcheck;
using dg::test::rand_uniform;

namespace {

// Distinct values (a scaled random permutation of 0..n-1, shifted to straddle 0), so no window of
// max_pool2d holds a tie and a finite-difference step never changes which element is the maximum.
Tensor distinct_values(const Shape& shape, unsigned seed) {
  std::vector<double> v(shape_numel(shape));
  std::iota(v.begin(), v.end(), 0.0);
  std::mt19937_64 gen(seed);
  std::shuffle(v.begin(), v.end(), gen);
  for (auto& x : v) x = 0.01 * x - 0.3;
  return Tensor::from_vector(v, shape, DType::F64);
}

}  // namespace

TEST_CASE("upsample_nearest2d values") {
  PoisonGuard poison;
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {1, 1, 2, 3}, DType::F64);
  Tensor y = upsample_nearest2d(x, 2);
  CHECK(y.shape() == Shape{1, 1, 4, 6});
  CHECK(y.to_vector() == std::vector<double>{1, 1, 2, 2, 3, 3,  //
                                             1, 1, 2, 2, 3, 3,  //
                                             4, 4, 5, 5, 6, 6,  //
                                             4, 4, 5, 5, 6, 6});
  CHECK(upsample_nearest2d(x, 1).to_vector() == x.to_vector());
  Tensor x2 = rand_uniform({2, 3, 4, 5}, -1, 1, 5, DType::F32);
  Tensor y3 = upsample_nearest2d(x2, 3);
  CHECK(y3.shape() == Shape{2, 3, 12, 15});
  CHECK(y3.at(((1 * 3 + 2) * 12 + 7) * 15 + 11) == x2.at(((1 * 3 + 2) * 4 + 2) * 5 + 3));
}

TEST_CASE("gradcheck: upsample_nearest2d") {
  Tensor x = rand_uniform({2, 3, 3, 4}, -1, 1, 11);
  gradcheck([](const std::vector<Tensor>& t) { return upsample_nearest2d(t[0], 2); }, {x});
  gradcheck([](const std::vector<Tensor>& t) { return upsample_nearest2d(t[0], 3); }, {x});
}

TEST_CASE("max_pool2d values, floor mode and strides") {
  PoisonGuard poison;
  // (1,1,4,5), window 2: the last column is dropped (floor mode).
  Tensor x = Tensor::from_vector({1,  9,  2, 3,  100,  //
                                  4,  5,  8, 7,  100,  //
                                  -1, -2, 0, 6,  100,  //
                                  -3, -4, 5, -6, 100},
                                 {1, 1, 4, 5}, DType::F64);
  Tensor y = max_pool2d(x, 2);
  CHECK(y.shape() == Shape{1, 1, 2, 2});
  CHECK(y.to_vector() == std::vector<double>{9, 8, -1, 6});
  // Overlapping windows (stride 1).
  Tensor y1 = max_pool2d(x, 2, 1);
  CHECK(y1.shape() == Shape{1, 1, 3, 4});
  CHECK(y1.to_vector() == std::vector<double>{9, 9, 8, 100, 5, 8, 8, 100, -1, 5, 6, 100});
  // Window 3, stride 2 on (1,1,4,5): one row of windows, two columns.
  Tensor y3 = max_pool2d(x, 3, 2);
  CHECK(y3.shape() == Shape{1, 1, 1, 2});
  CHECK(y3.to_vector() == std::vector<double>{9, 100});
  CHECK(max_pool2d(Tensor::zeros({2, 3, 5, 5}, DType::F32), 2).shape() == Shape{2, 3, 2, 2});
}

TEST_CASE("max_pool2d sends each window's gradient to its first maximum in row-major order") {
  // All ties: every window's gradient lands on its top-left element.
  Tensor x = Tensor::full({1, 1, 4, 4}, 1.0, DType::F64).set_requires_grad();
  Tensor gy = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2}, DType::F64);
  max_pool2d(x, 2).backward(gy);
  CHECK(x.grad().to_vector() == std::vector<double>{1, 0, 2, 0,  //
                                                    0, 0, 0, 0,  //
                                                    3, 0, 4, 0,  //
                                                    0, 0, 0, 0});
  // A tie between the second element of the first row and the first of the second row: the scan
  // reaches (0,1) first.
  Tensor x2 = Tensor::from_vector({0, 5, 5, 1}, {1, 1, 2, 2}, DType::F64).set_requires_grad();
  max_pool2d(x2, 2).backward(Tensor::full({1, 1, 1, 1}, 1.0, DType::F64));
  CHECK(x2.grad().to_vector() == std::vector<double>{0, 1, 0, 0});
  // Overlapping windows that share a maximum add their gradients on it.
  Tensor x3 = Tensor::from_vector({0, 0, 0, 0, 9, 0, 0, 0, 0}, {1, 1, 3, 3}, DType::F64)
                  .set_requires_grad();
  max_pool2d(x3, 2, 1).backward(Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2}, DType::F64));
  CHECK(x3.grad().to_vector() == std::vector<double>{0, 0, 0, 0, 10, 0, 0, 0, 0});
}

TEST_CASE("gradcheck: max_pool2d with distinct inputs") {
  struct Case {
    Shape shape;
    int64_t kernel, stride;
  };
  const Case cases[] = {{{2, 3, 4, 6}, 2, 0},
                        {{2, 2, 5, 7}, 2, 0},
                        {{2, 2, 5, 6}, 3, 2},
                        {{1, 3, 4, 5}, 2, 1},
                        {{2, 2, 6, 6}, 3, 0}};
  unsigned seed = 21;
  for (const auto& c : cases) {
    CAPTURE(shape_str(c.shape));
    CAPTURE(c.kernel);
    CAPTURE(c.stride);
    Tensor x = distinct_values(c.shape, seed++);
    const int64_t k = c.kernel, s = c.stride;
    gradcheck([k, s](const std::vector<Tensor>& t) { return max_pool2d(t[0], k, s); }, {x});
  }
}

TEST_CASE("max_pool2d and upsample_nearest2d in float32 match float64") {
  Tensor x = distinct_values({2, 4, 9, 10}, 31);
  Tensor xf = x.to(DType::F32);
  auto a = max_pool2d(xf, 3, 2).to_vector(), b = max_pool2d(x, 3, 2).to_vector();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-6));
  CHECK(upsample_nearest2d(xf, 2).to_vector() ==
        upsample_nearest2d(xf.to(DType::F64), 2).to_vector());
}

TEST_CASE("max_pool2d / upsample_nearest2d errors") {
  Tensor x = Tensor::zeros({2, 3, 4, 4}, DType::F64);
  CHECK_THROWS_WITH_AS(
      max_pool2d(Tensor::zeros({3, 4, 4}, DType::F64), 2),
      doctest::Contains("max_pool2d: x must be 4-D (N,C,H,W), got shape (3, 4, 4)"), dg::Error);
  CHECK_THROWS_WITH_AS(max_pool2d(x, 5),
                       doctest::Contains("max_pool2d: window 5x5 is larger than the input 4x4"),
                       dg::Error);
  CHECK_THROWS_AS(max_pool2d(x, 0), dg::Error);
  CHECK_THROWS_AS(max_pool2d(x, 2, -1), dg::Error);
  CHECK_THROWS_WITH_AS(upsample_nearest2d(Tensor::zeros({4, 4}, DType::F64), 2),
                       doctest::Contains("upsample_nearest2d: x must be 4-D"), dg::Error);
  CHECK_THROWS_WITH_AS(upsample_nearest2d(x, 0),
                       doctest::Contains("upsample_nearest2d: scale must be >= 1"), dg::Error);
}
