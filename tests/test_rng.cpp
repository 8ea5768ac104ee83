// Philox4x32-10: known-answer vectors, stream reproducibility and layout, moments, permutations.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

#include "engine/rng.h"
#include "kernels/common/philox.h"

using namespace dg;

namespace {
double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}
double var_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(v.size());
}
std::vector<double> draw_uniform(Philox& r, int64_t n) {
  std::vector<double> v(n);
  r.fill_uniform(v.data(), n);
  return v;
}
std::vector<double> draw_normal(Philox& r, int64_t n) {
  std::vector<double> v(n);
  r.fill_normal(v.data(), n);
  return v;
}
}  // namespace

TEST_CASE("philox: Random123 known-answer vectors for Philox4x32-10") {
  // The full 4-word round function: the engine's block() only exposes counter words 0-1.
  cpu::PhiloxWords zero = cpu::philox4x32_10(cpu::PhiloxWords{{0, 0, 0, 0}}, 0, 0);
  CHECK(zero.w[0] == 0x6627e8d5u);
  CHECK(zero.w[1] == 0xe169c58du);
  CHECK(zero.w[2] == 0xbc57ac4cu);
  CHECK(zero.w[3] == 0x9b00dbd8u);
  const uint32_t f = 0xffffffffu;
  cpu::PhiloxWords ones = cpu::philox4x32_10(cpu::PhiloxWords{{f, f, f, f}}, f, f);
  CHECK(ones.w[0] == 0x408f276du);
  CHECK(ones.w[1] == 0x41c83b0eu);
  CHECK(ones.w[2] == 0xa20bc7c6u);
  CHECK(ones.w[3] == 0x6d5451fdu);
  // block(seed, counter) is the same function with words 2-3 of the counter zero.
  auto b = Philox::block(0, 0);
  CHECK(b[0] == 0x6627e8d5u);
  CHECK(b[3] == 0x9b00dbd8u);
}

TEST_CASE("philox: streams follow the layout of engine/rng.h") {
  const uint64_t seed = 0x123456789abcdefULL, offset = 77;
  Philox r(seed, offset);
  auto u = draw_uniform(r, 10);
  CHECK(r.offset() == offset + 3);  // ceil(10 / 4) blocks
  for (uint64_t i = 0; i < 10; ++i) {
    CAPTURE(i);
    auto blk = Philox::block(seed, offset + i / 4);
    CHECK(u[i] == Philox::to_unit(blk[i % 4]));
    CHECK(u[i] == cpu::philox_uniform_at(seed, offset, i));
    CHECK(u[i] > 0.0);
    CHECK(u[i] < 1.0);
  }
  Philox q(seed, offset);
  auto z = draw_normal(q, 5);
  CHECK(q.offset() == offset + 3);  // ceil(5 / 2) blocks
  for (uint64_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    auto blk = Philox::block(seed, offset + i / 2);
    double u1 = Philox::to_unit(blk[2 * (i % 2)]), u2 = Philox::to_unit(blk[2 * (i % 2) + 1]);
    CHECK(z[i] == std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
    CHECK(z[i] == cpu::philox_normal_at(seed, offset, i));
  }
}

TEST_CASE("philox: same (seed, offset) reproduces, different seed or offset differs") {
  Philox a(42, 5), b(42, 5), c(43, 5), d(42, 6);
  auto va = draw_uniform(a, 64), vb = draw_uniform(b, 64), vc = draw_uniform(c, 64),
       vd = draw_uniform(d, 64);
  CHECK(va == vb);
  CHECK(va != vc);
  CHECK(va != vd);
  // Tensors too, in either dtype.
  Philox e(7), f(7), g(8);
  CHECK(e.normal({3, 5}).to_vector() == f.normal({3, 5}).to_vector());
  CHECK(e.uniform({4}, -1, 1, DType::F64).to_vector() ==
        f.uniform({4}, -1, 1, DType::F64).to_vector());
  CHECK(Philox(7).normal({8}).to_vector() != g.normal({8}).to_vector());
  // Seeds that differ only in the high 32 bits are different keys.
  Philox h(1ULL << 40), k(0);
  CHECK(draw_uniform(h, 8) != draw_uniform(k, 8));
}

TEST_CASE("philox: consecutive draws compose when counts fill whole blocks") {
  // Composition holds when every draw but the last uses a multiple of 4 uniforms (2 normals):
  // a partial block's unused words are skipped, never carried into the next call.
  Philox one(9, 3), two(9, 3);
  auto whole = draw_uniform(one, 16);
  auto first = draw_uniform(two, 8), second = draw_uniform(two, 8);
  first.insert(first.end(), second.begin(), second.end());
  CHECK(first == whole);
  CHECK(one.offset() == two.offset());

  Philox n1(9, 3), n2(9, 3);
  auto nwhole = draw_normal(n1, 16);
  auto nfirst = draw_normal(n2, 8), nsecond = draw_normal(n2, 8);
  nfirst.insert(nfirst.end(), nsecond.begin(), nsecond.end());
  CHECK(nfirst == nwhole);

  // 6 + 10 uniforms: the second call starts at a fresh block, so element 6 of the whole draw
  // differs.
  Philox p1(9, 3), p2(9, 3);
  auto w = draw_uniform(p1, 16);
  draw_uniform(p2, 6);
  CHECK(p2.offset() == 5);
  CHECK(draw_uniform(p2, 1)[0] == w[8]);

  // set_offset jumps straight to a later block.
  Philox j(9);
  j.set_offset(3 + 2);
  CHECK(draw_uniform(j, 8) == std::vector<double>(whole.begin() + 8, whole.end()));
}

TEST_CASE("philox: moments of 100k draws") {
  const int64_t n = 100000;
  Philox r(2024);
  auto z = r.normal({n}, 0.0, 1.0, DType::F64).to_vector();
  CHECK(std::abs(mean_of(z)) < 0.02);
  CHECK(std::abs(var_of(z) - 1.0) < 0.02);
  auto u = r.uniform({n}, 0.0, 1.0, DType::F64).to_vector();
  CHECK(std::abs(mean_of(u) - 0.5) < 0.01);
  CHECK(std::abs(var_of(u) - 1.0 / 12.0) < 0.005);
  CHECK(*std::min_element(u.begin(), u.end()) > 0.0);
  CHECK(*std::max_element(u.begin(), u.end()) < 1.0);
  auto bern = r.bernoulli({n}, 0.3).to_vector();
  CHECK(std::all_of(bern.begin(), bern.end(), [](double b) { return b == 0.0 || b == 1.0; }));
  CHECK(std::abs(mean_of(bern) - 0.3) < 0.01);
  // Affine parameters.
  auto s = r.normal({n}, 3.0, 2.0, DType::F64).to_vector();
  CHECK(std::abs(mean_of(s) - 3.0) < 0.04);
  CHECK(std::abs(std::sqrt(var_of(s)) - 2.0) < 0.04);
  auto v = r.uniform({n}, -2.0, 6.0).to_vector();
  CHECK(std::abs(mean_of(v) - 2.0) < 0.08);
  CHECK(*std::min_element(v.begin(), v.end()) >= -2.0);
  CHECK(*std::max_element(v.begin(), v.end()) <= 6.0);
}

TEST_CASE("philox: tensors have the requested shape, dtype and device") {
  Philox r(1);
  Tensor a = r.normal({2, 3, 4});
  CHECK(a.shape() == Shape{2, 3, 4});
  CHECK(a.dtype() == DType::F32);
  CHECK(a.device() == Device::CPU);
  CHECK(r.uniform({5}, 0, 1, DType::F64).dtype() == DType::F64);
  CHECK(r.bernoulli({0}, 0.5).numel() == 0);
  CHECK_THROWS_AS(r.bernoulli({2}, 1.5), dg::Error);
  // Float tensors are the double stream rounded once.
  Philox s(1), t(1);
  auto f = s.normal({9}).to_vector();
  auto d = t.normal({9}, 0, 1, DType::F64).to_vector();
  for (size_t i = 0; i < f.size(); ++i)
    CHECK(f[i] == static_cast<double>(static_cast<float>(d[i])));
}

TEST_CASE("philox: permutation is a seeded permutation") {
  const int64_t n = 1000;
  Philox a(5), b(5), c(6);
  auto pa = a.permutation(n), pb = b.permutation(n), pc = c.permutation(n);
  auto sorted = pa;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> iota(n);
  std::iota(iota.begin(), iota.end(), 0);
  CHECK(sorted == iota);
  CHECK(pa != iota);
  CHECK(pa == pb);
  CHECK(pa != pc);
  CHECK(a.offset() == (n - 1 + 3) / 4);  // one uniform per swap
  CHECK(a.permutation(n) != pa);         // the generator advanced
  CHECK(a.permutation(0).empty());
  CHECK(a.permutation(1) == std::vector<int64_t>{0});
  // Every element of a 3-permutation lands in every slot with roughly equal frequency.
  Philox r(11);
  int count[3][3] = {};
  for (int trial = 0; trial < 6000; ++trial) {
    auto p = r.permutation(3);
    for (int i = 0; i < 3; ++i) ++count[i][p[i]];
  }
  for (auto& row : count)
    for (int k : row) CHECK(std::abs(k - 2000) < 150);
}
