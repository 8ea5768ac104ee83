// The seeded 2D benchmark data and its batches (see benchmark2d.h).
#include "datasets/benchmark2d.h"

#include <cmath>

#include "base/error.h"

namespace dg::data {

void centre2d(int cls, double* x, double* y) {
  *x = -40.0 + 40.0 * (cls % 3);
  *y = -40.0 + 40.0 * (cls / 3);
}

Points2D make_points2d(uint64_t seed, int64_t per_condition, uint64_t stream) {
  DG_CHECK(per_condition > 0, "make_points2d: per_condition must be positive");
  // Streams are separated by a large offset so train/test/validation never share draws.
  Philox rng(seed, stream << 40);
  Points2D p;
  const int64_t n = 2 * kClasses2D * per_condition;
  std::vector<double> noise(2 * n);
  rng.fill_normal(noise.data(), 2 * n);
  p.xy.resize(2 * n);
  int64_t i = 0;
  for (int s = 0; s < 2; ++s)
    for (int k = 0; k < kClasses2D; ++k)
      for (int64_t r = 0; r < per_condition; ++r, ++i) {
        double cx, cy;
        centre2d(k, &cx, &cy);
        const double sd = s ? 10.0 : 1.0;
        p.xy[2 * i] = cx + sd * noise[2 * i];
        p.xy[2 * i + 1] = cy + sd * noise[2 * i + 1];
        p.cls.push_back(k);
        p.spread.push_back(s);
      }
  return p;
}

std::vector<double> conditions2d(const std::vector<int>& cls, const std::vector<int>& spread) {
  DG_CHECK(cls.size() == spread.size(), "conditions2d: sizes differ");
  std::vector<double> c(cls.size() * kCondDim2D, 0.0);
  for (size_t i = 0; i < cls.size(); ++i) {
    DG_CHECK(cls[i] >= 0 && cls[i] < kClasses2D, "conditions2d: class " << cls[i]);
    c[i * kCondDim2D + cls[i]] = 1.0;
    c[i * kCondDim2D + 9] = spread[i];
  }
  return c;
}

Benchmark2D::Benchmark2D(Points2D train) : pts_(std::move(train)) {
  const std::vector<double> cond = conditions2d(pts_.cls, pts_.spread);
  // f_div as for images: per-coordinate std summed, normalized to [0, 1]
  // (docs/design.md#groups-f_div-and-real-pairs).
  groups_ = group_by_condition(cond, pts_.size(), kCondDim2D, pts_.xy, 2);
  const int64_t n = size();
  samples_.x = Tensor::empty({n, 2});
  samples_.c = Tensor::empty({n, kCondDim2D});
  samples_.fdiv = Tensor::empty({n});
  float* x = samples_.x.data<float>();
  float* c = samples_.c.data<float>();
  float* f = samples_.fdiv.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    for (int d = 0; d < 2; ++d) x[2 * i + d] = static_cast<float>(pts_.xy[2 * i + d] * kScale2D);
    for (int64_t d = 0; d < kCondDim2D; ++d)
      c[i * kCondDim2D + d] = static_cast<float>(cond[i * kCondDim2D + d]);
    f[i] = static_cast<float>(groups_.fdiv[groups_.group_of[i]]);
  }
}

}  // namespace dg::data
