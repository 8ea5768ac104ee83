// index_rows (engine/ops.h) and int32 tensors on the CPU: the gather picks exactly the indexed
// rows (repeats, any order, last row), of any row shape; bad indices, a float index tensor, an
// int32 source and a source that requires grad are refused with messages; int32 tensors copy,
// narrow and poison (to INT32_MIN) but refuse float arithmetic and conversion.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "engine/ops.h"
#include "engine/rng.h"

using namespace dg;

namespace {
Tensor indices(const std::vector<int32_t>& v) {
  Tensor t = Tensor::empty({static_cast<int64_t>(v.size())}, DType::I32);
  std::copy(v.begin(), v.end(), t.data<int32_t>());
  return t;
}
}  // namespace

TEST_CASE("index_rows gathers rows by int32 indices") {
  Philox rng(2, 0);
  for (DType dt : {DType::F32, DType::F64}) {
    Tensor src = rng.normal({6, 2, 3}).to(dt);
    const std::vector<int32_t> rows{5, 0, 3, 3, 1};
    Tensor out = index_rows(src, indices(rows));
    CHECK(out.shape() == Shape{5, 2, 3});
    CHECK(out.dtype() == dt);
    for (size_t r = 0; r < rows.size(); ++r)
      for (int64_t k = 0; k < 6; ++k) CHECK(out.at(r * 6 + k) == src.at(rows[r] * 6 + k));
  }
  Tensor v = Tensor::from_vector({1, 2, 3}, {3});
  CHECK(index_rows(v, indices({2, 2, 0})).to_vector() == std::vector<double>{3, 3, 1});
  CHECK(index_rows(v, indices({})).shape() == Shape{0});
}

TEST_CASE("index_rows refuses bad indices and arguments") {
  Tensor src = Tensor::zeros({4, 2});
  CHECK_THROWS_WITH_AS(index_rows(src, indices({0, 4})),
                       doctest::Contains("rows[1] = 4 is outside [0, 4)"), Error);
  CHECK_THROWS_WITH_AS(index_rows(src, indices({-1})), doctest::Contains("outside"), Error);
  CHECK_THROWS_WITH_AS(index_rows(src, Tensor::zeros({2})), doctest::Contains("int32"), Error);
  CHECK_THROWS_WITH_AS(index_rows(indices({1, 2}), indices({0})), doctest::Contains("float"),
                       Error);
  Tensor w = Tensor::zeros({4, 2});
  w.set_requires_grad(true);
  CHECK_THROWS_WITH_AS(index_rows(w, indices({0})), doctest::Contains("not differentiable"), Error);
}

TEST_CASE("int32 tensors: copies, narrow and poison, no float arithmetic") {
  Tensor t = indices({7, -3, 11, 0});
  CHECK(t.dtype() == DType::I32);
  CHECK(t.nbytes() == 16);
  CHECK(t.to_vector() == std::vector<double>{7, -3, 11, 0});
  CHECK(t.clone().to_vector() == t.to_vector());
  CHECK(narrow(t, 1, 2).to_vector() == std::vector<double>{-3, 11});
  {
    PoisonGuard poison;
    Tensor p = Tensor::empty({3}, DType::I32);
    for (double v : p.to_vector()) CHECK(v == std::numeric_limits<int32_t>::min());
  }
  CHECK_THROWS_WITH_AS(add(t, t), doctest::Contains("int32"), Error);
  CHECK_THROWS_WITH_AS(t.to(DType::F32), doctest::Contains("int32"), Error);
}
