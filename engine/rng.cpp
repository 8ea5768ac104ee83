// Philox streams on the CPU (layout contract in engine/rng.h; per-element math in
// kernels/common/philox.h, shared with the CUDA side).
#include "engine/rng.h"

#include <algorithm>

#include "kernels/common/philox.h"

namespace dg {

std::array<uint32_t, 4> Philox::block(uint64_t seed, uint64_t counter) {
  const cpu::PhiloxWords b = cpu::philox_block(seed, counter);
  return {b.w[0], b.w[1], b.w[2], b.w[3]};
}

// One block feeds four consecutive elements, so it is computed once per group rather than per
// element; the values are exactly those of cpu::philox_uniform_at.
void Philox::fill_uniform(double* out, int64_t n) {
  DG_CHECK(n >= 0, "fill_uniform: negative count " << n);
  for (int64_t b = 0; b * 4 < n; ++b) {
    const cpu::PhiloxWords w = cpu::philox_block(seed_, offset_ + static_cast<uint64_t>(b));
    const int64_t end = std::min<int64_t>(4, n - b * 4);
    for (int64_t k = 0; k < end; ++k) out[b * 4 + k] = cpu::philox_word_to_unit(w.w[k]);
  }
  offset_ += cpu::philox_uniform_blocks(static_cast<uint64_t>(n));
}

void Philox::fill_normal(double* out, int64_t n) {
  DG_CHECK(n >= 0, "fill_normal: negative count " << n);
  for (int64_t b = 0; b * 2 < n; ++b) {
    const cpu::PhiloxWords w = cpu::philox_block(seed_, offset_ + static_cast<uint64_t>(b));
    out[b * 2] = cpu::philox_words_to_normal(w.w[0], w.w[1]);
    if (b * 2 + 1 < n) out[b * 2 + 1] = cpu::philox_words_to_normal(w.w[2], w.w[3]);
  }
  offset_ += cpu::philox_normal_blocks(static_cast<uint64_t>(n));
}

namespace {
// Writes v[i] * scale + shift into a fresh CPU tensor of the requested dtype.
Tensor to_tensor(const std::vector<double>& v, const Shape& shape, double scale, double shift,
                 DType dtype) {
  Tensor t = Tensor::empty(shape, dtype, Device::CPU);
  DG_DISPATCH_FLOAT(dtype, "Philox", [&] {
    T* p = t.data<T>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<T>(v[i] * scale + shift);
  });
  return t;
}
}  // namespace

Tensor Philox::normal(const Shape& shape, double mean, double stddev, DType dtype) {
  std::vector<double> v(shape_numel(shape));
  fill_normal(v.data(), static_cast<int64_t>(v.size()));
  return to_tensor(v, shape, stddev, mean, dtype);
}

Tensor Philox::uniform(const Shape& shape, double lo, double hi, DType dtype) {
  DG_CHECK(lo <= hi, "Philox::uniform: lo " << lo << " > hi " << hi);
  std::vector<double> v(shape_numel(shape));
  fill_uniform(v.data(), static_cast<int64_t>(v.size()));
  return to_tensor(v, shape, hi - lo, lo, dtype);
}

Tensor Philox::bernoulli(const Shape& shape, double p, DType dtype) {
  DG_CHECK(p >= 0.0 && p <= 1.0, "Philox::bernoulli: probability " << p << " outside [0, 1]");
  std::vector<double> v(shape_numel(shape));
  fill_uniform(v.data(), static_cast<int64_t>(v.size()));
  for (auto& u : v) u = u < p ? 1.0 : 0.0;
  return to_tensor(v, shape, 1.0, 0.0, dtype);
}

// Fisher-Yates from the back: step k (k = 0..n-2) swaps position i = n-1-k with
// j = floor(u_k (i+1)), u_k being element k of one uniform draw of n-1 values.
std::vector<int64_t> Philox::permutation(int64_t n) {
  DG_CHECK(n >= 0, "Philox::permutation: negative size " << n);
  std::vector<int64_t> p(n);
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  if (n < 2) return p;
  std::vector<double> u(n - 1);
  fill_uniform(u.data(), n - 1);
  for (int64_t k = 0; k < n - 1; ++k) {
    const int64_t i = n - 1 - k;
    // u < 1 keeps j <= i mathematically; the clamp only guards against rounding.
    const int64_t j = std::min<int64_t>(i, static_cast<int64_t>(u[k] * static_cast<double>(i + 1)));
    std::swap(p[i], p[j]);
  }
  return p;
}

}  // namespace dg
