// The parts of every conditional data set that do not depend on its kind (see conditional.h).
#include "datasets/conditional.h"

#include <cstdint>
#include <limits>

#include "base/error.h"
#include "engine/ops.h"

namespace dg::data {

double ConditionalDataset::sample_limit() const { return std::numeric_limits<double>::infinity(); }

Batch ConditionalDataset::batch(const std::vector<int64_t>& idx, Philox& rng) const {
  const int64_t b = static_cast<int64_t>(idx.size());
  for (int64_t i : idx)
    DG_CHECK(i >= 0 && i < size(), "batch: index " << i << " is outside [0, " << size() << ")");
  const std::vector<int64_t> pairs = draw_real_pairs(groups(), idx, rng);
  Tensor rows = Tensor::empty({b}, DType::I32), pair_rows = Tensor::empty({b}, DType::I32);
  for (int64_t r = 0; r < b; ++r) {
    rows.data<int32_t>()[r] = static_cast<int32_t>(idx[r]);
    pair_rows.data<int32_t>()[r] = static_cast<int32_t>(pairs[r]);
  }
  const Batch all = all_samples();
  Batch out;
  out.x = index_rows(all.x, rows);
  out.x_pair = index_rows(all.x, pair_rows);
  out.c = index_rows(all.c, rows);
  out.fdiv = index_rows(all.fdiv, rows);
  return out;
}

}  // namespace dg::data
