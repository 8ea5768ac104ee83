// What the trainer's device-side batches rely on (gan/trainer.h, DeviceData): all_samples() holds
// every sample as batch() would give it, and draw_real_pairs consumes the data stream exactly as
// batch() does and picks the same pairs, for both data sets.
#include <doctest/doctest.h>

#include <vector>

#include "datasets/benchmark2d.h"
#include "engine/ops.h"
#include "tests/test_support.h"

using namespace dg;
using namespace dg::data;

namespace {

std::vector<double> row(const Tensor& t, int64_t i) {
  const int64_t w = t.numel() / t.size(0);
  const std::vector<double> v = t.to_vector();
  return {v.begin() + i * w, v.begin() + (i + 1) * w};
}

void check_rows_and_pairs(const ConditionalDataset& ds) {
  const std::vector<int64_t> idx{3, 0, 7, 3, static_cast<int64_t>(ds.size() - 1)};
  Philox a(42, 9), b(42, 9);
  const Batch batch = ds.batch(idx, a);
  const std::vector<int64_t> pairs = draw_real_pairs(ds.groups(), idx, b);
  CHECK(a.offset() == b.offset());
  const Batch all = ds.all_samples();
  CHECK(all.x.size(0) == ds.size());
  for (size_t r = 0; r < idx.size(); ++r) {
    CAPTURE(r);
    CHECK(row(batch.x, r) == row(all.x, idx[r]));
    CHECK(row(batch.c, r) == row(all.c, idx[r]));
    CHECK(row(reshape(batch.fdiv, {-1, 1}), r) == row(reshape(all.fdiv, {-1, 1}), idx[r]));
    CHECK(row(batch.x_pair, r) == row(all.x, pairs[r]));
    CHECK(ds.groups().group_of[pairs[r]] == ds.groups().group_of[idx[r]]);
  }
  Philox c(1, 0);
  CHECK_THROWS_WITH_AS(draw_real_pairs(ds.groups(), {ds.size()}, c),
                       doctest::Contains("out of range"), Error);
}

}  // namespace

TEST_CASE("batch rows: ZDC all_samples and draw_real_pairs agree with batch()") {
  check_rows_and_pairs(*test::simulated_zdc_train(30));
}

TEST_CASE("batch rows: 2D benchmark all_samples and draw_real_pairs agree with batch()") {
  Benchmark2D ds(make_points2d(5, 20, 0));
  check_rows_and_pairs(ds);
}
