// ZDC data loading and validation, the seeded split, condition standardization, groups with f_div
// worked by hand, real pairs and batches (datasets/zdc_dataset.h).
// Run: build/dg_tests -tc="zdc dataset*"
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "datasets/hdf5_io.h"
#include "datasets/npy.h"
#include "datasets/npz.h"
#include "datasets/zdc_dataset.h"
#include "datasets/zdc_simulator.h"
#include "tests/test_support.h"

using namespace dg;
using namespace dg::data;
namespace fs = std::filesystem;

namespace {

// Values that float32 stores exactly, so both dtypes compare equal after loading.
std::vector<double> make_responses(int64_t n) {
  std::vector<double> r(n * kZdcPixels, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < kZdcPixels; p += 37)
      r[i * kZdcPixels + p] = static_cast<double>((i * 7 + p) % 50);
  return r;
}
std::vector<double> make_particles(int64_t n, int64_t cols) {
  std::vector<double> p(n * cols);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < cols; ++j)
      p[i * cols + j] = (j == 9) ? 2212.0 : 0.5 * static_cast<double>(i + j);
  return p;
}

void save(const std::string& path, const std::vector<double>& data, const Shape& shape,
          const std::string& dtype = "<f8") {
  if (fs::path(path).extension() == ".npz")
    write_npz(path, {NpzMember{"arr_0", shape, data, dtype}});
  else
    write_npy(path, data, shape, dtype);
}

// The message of the dg::Error thrown by `f`, or "" when nothing was thrown.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& msg, const std::string& part) {
  return msg.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("zdc dataset: loads npz and npy, float64 and float32, (N, 9) and (N, 10) particles") {
  test::TempDir tmp("zdcds_load");
  const int64_t n = 6;
  const auto resp = make_responses(n);
  const auto part9 = make_particles(n, 9);
  const auto part10 = make_particles(n, 10);

  save(tmp / "r.npz", resp, {n, 44, 44});
  save(tmp / "p.npz", part9, {n, 9});
  ZdcRaw a = load_zdc(tmp / "r.npz", tmp / "p.npz");
  CHECK(a.n == n);
  CHECK(a.responses == resp);
  CHECK(a.particles == part9);

  save(tmp / "r.npy", resp, {n, 44, 44}, "<f4");
  save(tmp / "p.npy", part10, {n, 10}, "<f4");
  ZdcRaw b = load_zdc(tmp / "r.npy", tmp / "p.npy");
  CHECK(b.n == n);
  CHECK(b.responses == resp);
  CHECK(b.particles == part9);  // the PDG id column is dropped

  // Compressed archives too.
  write_npz(tmp / "pc.npz", {NpzMember{"arr_0", {n, 10}, part10, "<f8"}}, true);
  CHECK(load_zdc(tmp / "r.npz", tmp / "pc.npz").particles == part9);
}

TEST_CASE("zdc dataset: malformed inputs name the file and the field") {
  test::TempDir tmp("zdcds_bad");
  const int64_t n = 5;
  save(tmp / "r.npz", make_responses(n), {n, 44, 44});
  save(tmp / "p.npz", make_particles(n, 9), {n, 9});
  REQUIRE(error_of([&] { load_zdc(tmp / "r.npz", tmp / "p.npz"); }).empty());

  SUBCASE("8 particle columns") {
    save(tmp / "p8.npz", make_particles(n, 8), {n, 8});
    const std::string m = error_of([&] { load_zdc(tmp / "r.npz", tmp / "p8.npz"); });
    CHECK(has(m, "p8.npz: 'arr_0' has shape (5, 8); expected (N, 9) or (N, 10)"));
  }
  SUBCASE("wrong image shape") {
    save(tmp / "r40.npy", std::vector<double>(n * 44 * 40, 0.0), {n, 44, 40});
    const std::string m = error_of([&] { load_zdc(tmp / "r40.npy", tmp / "p.npz"); });
    CHECK(has(m, "r40.npy: array has shape (5, 44, 40); expected (N, 44, 44)"));
  }
  SUBCASE("N mismatch") {
    save(tmp / "p4.npz", make_particles(4, 9), {4, 9});
    const std::string m = error_of([&] { load_zdc(tmp / "r.npz", tmp / "p4.npz"); });
    CHECK(has(m, "p4.npz: 'arr_0' has 4 rows"));
    CHECK(has(m, "r.npz has 5 responses"));
  }
  SUBCASE("NaN in particles") {
    auto p = make_particles(n, 9);
    p[3 * 9 + 2] = std::numeric_limits<double>::quiet_NaN();
    p[4 * 9 + 0] = std::numeric_limits<double>::infinity();
    save(tmp / "pnan.npz", p, {n, 9});
    const std::string m = error_of([&] { load_zdc(tmp / "r.npz", tmp / "pnan.npz"); });
    CHECK(has(m, "pnan.npz: 'arr_0' has a non-finite value"));
    CHECK(has(m, "at index (3, 2)"));  // the first bad one
  }
  SUBCASE("negative counts") {
    auto r = make_responses(n);
    r[2 * kZdcPixels + 44 * 10 + 7] = -1.0;
    save(tmp / "rneg.npz", r, {n, 44, 44});
    const std::string m = error_of([&] { load_zdc(tmp / "rneg.npz", tmp / "p.npz"); });
    CHECK(has(m, "rneg.npz: 'arr_0' has a negative count (-1) at index (2, 10, 7)"));
  }
  SUBCASE("missing file") {
    const std::string m = error_of([&] { load_zdc(tmp / "r.npz", tmp / "nope.npz"); });
    CHECK(has(m, "nope.npz: file not found"));
  }
  SUBCASE("empty arrays and unknown extensions") {
    save(tmp / "r0.npy", {}, {0, 44, 44});
    save(tmp / "p0.npy", {}, {0, 9});
    CHECK(has(error_of([&] { load_zdc(tmp / "r0.npy", tmp / "p0.npy"); }),
              "r0.npy: array has no samples"));
    save(tmp / "p.txt", make_particles(n, 9), {n, 9});
    CHECK(has(error_of([&] { load_zdc(tmp / "r.npz", tmp / "p.txt"); }),
              "p.txt: unsupported extension"));
  }
}

TEST_CASE("zdc dataset: files as numpy users save them (uint8 counts, big-endian particles)") {
  // tests/fixtures/make_numpy_compat_fixtures.py: one .npz holding both, as np.savez(responses,
  // particles=particles) writes it.
  const std::string f = DG_SOURCE_DIR "/tests/fixtures/compat_zdc.npz";
  const ZdcRaw raw = load_zdc(f, f);
  CHECK(raw.n == 4);
  CHECK(raw.particles.size() == 4 * 9);
  CHECK(raw.particles[7] == 939.57);  // mass of row 0, read from the big-endian member
  CHECK(raw.particles[9 + 8] == 1);   // charge of row 1
  const ZdcRaw fortran =
      load_zdc(f, DG_SOURCE_DIR "/tests/fixtures/compat_zdc_particles_fortran.npy");
  CHECK(fortran.particles == raw.particles);
}

TEST_CASE("zdc dataset: split_80_20 is seeded, disjoint and covers every row") {
  for (int64_t n : {1, 7, 10, 1001}) {
    ZdcSplit s = split_80_20(n, 42);
    CHECK(static_cast<int64_t>(s.test.size()) == n / 5);
    CHECK(static_cast<int64_t>(s.train.size()) == n - n / 5);
    std::set<int64_t> all(s.train.begin(), s.train.end());
    for (int64_t i : s.test) CHECK(all.insert(i).second);  // disjoint
    CHECK(static_cast<int64_t>(all.size()) == n);
    CHECK(*all.begin() == 0);
    CHECK(*all.rbegin() == n - 1);
    ZdcSplit again = split_80_20(n, 42);
    CHECK(again.train == s.train);
    CHECK(again.test == s.test);
  }
  CHECK(split_80_20(1001, 42).test != split_80_20(1001, 43).test);
  CHECK_THROWS_AS(split_80_20(0, 1), Error);
}

namespace {
// Particles (n, 9): row i is particle i / repeats (identical rows within a particle).
std::vector<double> repeated_particles(int64_t particles, int64_t repeats) {
  std::vector<double> p;
  for (int64_t k = 0; k < particles; ++k)
    for (int64_t r = 0; r < repeats; ++r)
      for (int64_t j = 0; j < kZdcCondDim; ++j) p.push_back(static_cast<double>(k * 10 + j));
  return p;
}
}  // namespace

TEST_CASE("zdc dataset: split_by_particle keeps every particle's repeats on one side") {
  for (int64_t particles : {2, 7, 100}) {
    const int64_t repeats = 3, n = particles * repeats;
    const std::vector<double> p = repeated_particles(particles, repeats);
    const ZdcSplit s = split_by_particle(p, n, 42);
    // Whole groups: a particle's rows are all in the test split or none is.
    std::set<int64_t> test_particles, train_particles;
    for (int64_t i : s.test) test_particles.insert(i / repeats);
    for (int64_t i : s.train) train_particles.insert(i / repeats);
    for (int64_t k : test_particles) CHECK(train_particles.count(k) == 0);
    CHECK(static_cast<int64_t>(s.test.size()) ==
          repeats * static_cast<int64_t>(test_particles.size()));
    // At least floor(n/5) test rows, less than one group more; both sides cover every row.
    CHECK(static_cast<int64_t>(s.test.size()) >= std::max<int64_t>(n / 5, 1));
    CHECK(static_cast<int64_t>(s.test.size()) < std::max<int64_t>(n / 5, 1) + repeats);
    CHECK(s.test.size() + s.train.size() == static_cast<size_t>(n));
    CHECK(std::is_sorted(s.test.begin(), s.test.end()));
    const ZdcSplit again = split_by_particle(p, n, 42);
    CHECK(again.test == s.test);
  }
  const std::vector<double> p = repeated_particles(100, 3);
  CHECK(split_by_particle(p, 300, 42).test != split_by_particle(p, 300, 43).test);
  // Halving a split by particle keeps groups whole too; by row it is the row split's halving.
  const ZdcSplit s = split_by_particle(p, 300, 1);
  const auto [val, test] = halve_rows(p, s.test, 7, true);
  std::set<int64_t> in_val;
  for (int64_t i : val) in_val.insert(i / 3);
  for (int64_t i : test) CHECK(in_val.count(i / 3) == 0);
  CHECK(val.size() + test.size() == s.test.size());
  CHECK(val.size() >= s.test.size() / 2);
  const auto [rval, rtest] = halve_rows(p, s.test, 7, false);
  CHECK(rval.size() == s.test.size() / 2);
  CHECK(rtest.size() == s.test.size() - s.test.size() / 2);
}

TEST_CASE("zdc dataset: standardizer fits the training rows only and round-trips through JSON") {
  // 4 rows; training rows 0..2. Column 0: 1, 2, 3 (row 3 is 100 and must not matter);
  // column 1 is constant on the training rows; column j>=2: j * row.
  std::vector<double> p(4 * 9, 0.0);
  const double c0[4] = {1, 2, 3, 100};
  for (int i = 0; i < 4; ++i) {
    p[i * 9 + 0] = c0[i];
    p[i * 9 + 1] = (i < 3) ? 5.0 : -7.0;
    for (int j = 2; j < 9; ++j) p[i * 9 + j] = j * i;
  }
  Standardizer st;
  st.fit(p, {0, 1, 2});
  CHECK(st.mean[0] == doctest::Approx(2.0));
  CHECK(st.scale[0] == doctest::Approx(std::sqrt(2.0 / 3.0)));  // population std of 1, 2, 3
  CHECK(st.mean[1] == doctest::Approx(5.0));
  CHECK(st.scale[1] == 1.0);
  for (int j = 2; j < 9; ++j) {
    CHECK(st.mean[j] == doctest::Approx(j * 1.0));
    CHECK(st.scale[j] == doctest::Approx(j * std::sqrt(2.0 / 3.0)));
  }
  const auto z = st.apply(p);
  CHECK(z[0] == doctest::Approx(-1.0 / std::sqrt(2.0 / 3.0)));
  CHECK(z[3 * 9 + 0] == doctest::Approx(98.0 / std::sqrt(2.0 / 3.0)));
  CHECK(z[3 * 9 + 1] == doctest::Approx(-12.0));

  const Standardizer back = Standardizer::from_json(nlohmann::json::parse(st.to_json().dump()));
  CHECK(back.mean == st.mean);
  CHECK(back.scale == st.scale);

  nlohmann::json bad = st.to_json();
  bad["scale"][4] = 0.0;
  CHECK(has(error_of([&] { Standardizer::from_json(bad); }), "'scale'[4]"));
  bad = st.to_json();
  bad["mean"].erase(0);
  CHECK(has(error_of([&] { Standardizer::from_json(bad); }), "'mean'"));
}

TEST_CASE("zdc dataset: groups, f_div by hand, real pairs and batches") {
  // Rows: 0, 1 share particle A; 2, 3, 4 share particle B; 5 is a singleton; 6 repeats A but is
  // outside the split, so it must not enter A's statistics.
  ZdcRaw raw;
  raw.n = 7;
  raw.responses.assign(raw.n * kZdcPixels, 0.0);
  raw.particles.assign(raw.n * 9, 0.0);
  auto set_particle = [&](int64_t i, double e, double charge) {
    for (int j = 0; j < 9; ++j) raw.particles[i * 9 + j] = 0.25 * j;
    raw.particles[i * 9 + 0] = e;
    raw.particles[i * 9 + 8] = charge;
  };
  for (int64_t i : {0, 1, 6}) set_particle(i, 100.0, 0.0);
  for (int64_t i : {2, 3, 4}) set_particle(i, 200.0, 1.0);
  set_particle(5, 300.0, -1.0);
  const double e1 = std::exp(1.0) - 1.0, e3 = std::exp(3.0) - 1.0;
  // A: pixel 0 has log1p values {0, 1} -> std 0.5; diversity 0.5.
  raw.responses[1 * kZdcPixels + 0] = e1;
  // B: pixels 10 and 20 have log1p values {0, 0, 3} -> std sqrt(2) each; diversity 2 sqrt(2).
  raw.responses[4 * kZdcPixels + 10] = e3;
  raw.responses[4 * kZdcPixels + 20] = e3;
  raw.responses[5 * kZdcPixels + 30] = 500.0;
  raw.responses[6 * kZdcPixels + 0] = 1e4;
  validate_zdc(raw, "crafted");

  const std::vector<int64_t> rows = {0, 1, 2, 3, 4, 5};
  Standardizer st;
  st.fit(raw.particles, rows);
  ZdcDataset ds(raw, rows, st);
  REQUIRE(ds.size() == 6);
  CHECK(ds.sample_shape() == Shape{1, 44, 44});
  CHECK(ds.condition_dim() == 9);

  const Groups& g = ds.groups();
  REQUIRE(g.members.size() == 3);
  const int64_t ga = g.group_of[0], gb = g.group_of[2], gc = g.group_of[5];
  CHECK(g.group_of[1] == ga);
  CHECK(g.group_of[3] == gb);
  CHECK(g.group_of[4] == gb);
  CHECK(g.members[ga].size() == 2);
  CHECK(g.members[gb].size() == 3);
  CHECK(g.members[gc].size() == 1);
  const double div_b = 2.0 * std::sqrt(2.0);
  CHECK(g.fdiv[gb] == doctest::Approx(1.0));
  CHECK(g.fdiv[ga] == doctest::Approx(0.5 / div_b));
  CHECK(g.fdiv[gc] == 0.0);

  // Raw accessors return the split's own rows.
  CHECK(ds.rows() == rows);
  const auto counts = ds.raw_responses({5, 1});
  CHECK(counts[30] == 500.0);
  CHECK(counts[kZdcPixels + 0] == doctest::Approx(e1));
  CHECK(ds.raw_conditions({2})[8] == 1.0);

  Philox rng(3);
  std::vector<int64_t> idx;
  for (int rep = 0; rep < 50; ++rep)
    for (int64_t i = 0; i < 6; ++i) idx.push_back(i);
  Batch b = ds.batch(idx, rng);
  const int64_t nb = static_cast<int64_t>(idx.size());
  CHECK(b.x.shape() == Shape{nb, 1, 44, 44});
  CHECK(b.x_pair.shape() == Shape{nb, 1, 44, 44});
  CHECK(b.c.shape() == Shape{nb, 9});
  CHECK(b.fdiv.shape() == Shape{nb});
  for (const Tensor* t : {&b.x, &b.x_pair, &b.c, &b.fdiv}) CHECK(t->dtype() == DType::F32);

  const float* x = b.x.data<float>();
  const float* xp = b.x_pair.data<float>();
  const float* c = b.c.data<float>();
  const float* f = b.fdiv.data<float>();
  std::set<bool> pair_is_row4;  // for rows 2 and 3: drawn pair was row 4 or the empty sibling
  for (int64_t r = 0; r < nb; ++r) {
    const int64_t i = idx[r];
    CHECK(f[r] == doctest::Approx(g.fdiv[g.group_of[i]]));
    // Standardized conditions as the standardizer gives them.
    double z[9];
    st.apply_row(&raw.particles[rows[i] * 9], z);
    for (int j = 0; j < 9; ++j) CHECK(c[r * 9 + j] == doctest::Approx(z[j]).epsilon(1e-6));
    // x is log1p of the counts.
    for (int64_t p : {0, 10, 20, 30})
      CHECK(x[r * kZdcPixels + p] ==
            doctest::Approx(std::log1p(raw.responses[rows[i] * kZdcPixels + p])).epsilon(1e-6));
    // The pair is a member of the group, and another one whenever the group has one.
    const float* pair = xp + r * kZdcPixels;
    int64_t match = -1, matches = 0;
    for (int64_t k : g.members[g.group_of[i]]) {
      bool same = true;
      for (int64_t p = 0; p < kZdcPixels && same; ++p)
        same = pair[p] == static_cast<float>(std::log1p(raw.responses[rows[k] * kZdcPixels + p]));
      if (same) match = k, ++matches;
    }
    REQUIRE(matches >= 1);
    if (g.members[g.group_of[i]].size() > 1) {
      if (i == 0 || i == 1) CHECK(match == 1 - i);
      if (i == 4) CHECK((match == 2 || match == 3));
      // Rows 2 and 3 are both empty, so self and sibling look alike here; the next test case
      // checks "never self" with distinct images.
      if (i == 2 || i == 3) pair_is_row4.insert(pair[10] > 0);
    } else {
      CHECK(match == i);
    }
  }
  CHECK(pair_is_row4.size() == 2);  // both kinds of pair get drawn
  CHECK_THROWS_AS(ds.batch({6}, rng), Error);
}

TEST_CASE("zdc dataset: real pairs are never the sample itself in groups of two or more") {
  // Distinct images in every member make "self" detectable by value.
  ZdcRaw raw;
  raw.n = 12;
  raw.responses.assign(raw.n * kZdcPixels, 0.0);
  raw.particles.assign(raw.n * 9, 1.0);
  for (int64_t i = 0; i < raw.n; ++i) {
    raw.particles[i * 9] = static_cast<double>(i % 4);  // groups of 3
    raw.responses[i * kZdcPixels + i] = 1.0 + i;        // row i marked at pixel i
  }
  std::vector<int64_t> rows(raw.n);
  for (int64_t i = 0; i < raw.n; ++i) rows[i] = i;
  Standardizer st;
  st.fit(raw.particles, rows);
  ZdcDataset ds(raw, rows, st);
  Philox rng(11);
  std::vector<int64_t> idx;
  for (int rep = 0; rep < 40; ++rep)
    for (int64_t i = 0; i < raw.n; ++i) idx.push_back(i);
  Batch b = ds.batch(idx, rng);
  const float* xp = b.x_pair.data<float>();
  std::set<std::pair<int64_t, int64_t>> drawn;
  for (size_t r = 0; r < idx.size(); ++r) {
    int64_t marked = -1;
    for (int64_t p = 0; p < raw.n; ++p)
      if (xp[r * kZdcPixels + p] > 0) marked = p;
    CHECK(marked != idx[r]);
    CHECK(marked % 4 == idx[r] % 4);
    drawn.insert({idx[r], marked});
  }
  CHECK(drawn.size() == static_cast<size_t>(raw.n * 2));  // both other members are reachable
}

TEST_CASE("zdc dataset: simulator output builds train and test data sets") {
  ZdcSimConfig cfg;
  cfg.seed = 5;
  cfg.particles = 200;
  ZdcSample sim = simulate_zdc(cfg);
  ZdcRaw raw{sim.n, sim.responses, sim.particles};
  validate_zdc(raw, "simulator");

  // Through the files as well, the way a run reads them.
  test::TempDir tmp("zdcds_sim");
  write_npz(tmp / "data_nonrandom_responses.npz",
            {NpzMember{"arr_0", {raw.n, 44, 44}, raw.responses, "<f8"}});
  write_npz(tmp / "data_nonrandom_particles.npz",
            {NpzMember{"arr_0", {raw.n, 9}, raw.particles, "<f8"}}, true);
  ZdcRaw loaded =
      load_zdc(tmp / "data_nonrandom_responses.npz", tmp / "data_nonrandom_particles.npz");
  CHECK(loaded.responses == raw.responses);
  CHECK(loaded.particles == raw.particles);

  ZdcSplit split = split_80_20(raw.n, 0);
  Standardizer st;
  st.fit(raw.particles, split.train);
  ZdcDataset train(raw, split.train, st), test(raw, split.test, st);
  CHECK(train.size() + test.size() == raw.n);
  // Repeats of one particle share the raw attributes, so groups do not exceed the particle count.
  CHECK(train.groups().members.size() <= 200);
  CHECK(train.groups().members.size() < static_cast<size_t>(train.size()));
  double fmax = 0;
  for (double v : train.groups().fdiv) {
    CHECK(v >= 0.0);
    CHECK(v <= 1.0);
    fmax = std::max(fmax, v);
  }
  CHECK(fmax == doctest::Approx(1.0));

  // Standardized training conditions have mean 0 over the training rows.
  Tensor c = train.conditions([&] {
    std::vector<int64_t> all(train.size());
    for (int64_t i = 0; i < train.size(); ++i) all[i] = i;
    return all;
  }());
  for (int j = 0; j < 9; ++j) {
    double m = 0;
    for (int64_t i = 0; i < train.size(); ++i) m += c.data<float>()[i * 9 + j];
    CHECK(m / train.size() == doctest::Approx(0.0).epsilon(1e-4).scale(1.0));
  }
  Philox rng(1);
  Batch b = test.batch({0, 1, 2, 3}, rng);
  CHECK(b.x.shape() == Shape{4, 1, 44, 44});
  for (int64_t k = 0; k < 4 * kZdcPixels; ++k) CHECK_FALSE(std::isnan(b.x.data<float>()[k]));
}

TEST_CASE("zdc dataset: HDF5 files, one file or two, and write_zdc_array in every format") {
  DG_REQUIRE_HDF5();
  test::TempDir tmp("zdcds_h5");
  const int64_t n = 4;
  const auto resp = make_responses(n);
  const auto part10 = make_particles(n, 10);
  const auto part9 = make_particles(n, 9);
  // One file holding both datasets, as docs/design.md#zdc-data-files names them.
  write_h5(tmp / "zdc.h5", {{"responses", NpyArray{"<f8", {n, 44, 44}, resp}},
                            {"particles", NpyArray{"<f4", {n, 10}, part10}}});
  ZdcRaw a = load_zdc(tmp / "zdc.h5", tmp / "zdc.h5");
  CHECK(a.n == n);
  CHECK(a.responses == resp);
  CHECK(a.particles == part9);
  CHECK(load_zdc_particles(tmp / "zdc.h5") == part9);

  // A file without the particles dataset: the error names the file and the dataset.
  write_h5(tmp / "r_only.h5", {{"responses", NpyArray{"<f8", {n, 44, 44}, resp}}});
  const std::string m = error_of([&] { load_zdc(tmp / "r_only.h5", tmp / "r_only.h5"); });
  CHECK(has(m, "r_only.h5"));
  CHECK(has(m, "particles"));

  // Generated showers go out in the format the extension names and come back equal.
  for (const char* ext : {".npz", ".npy", ".h5", ".hdf5"}) {
    CAPTURE(ext);
    const std::string p = tmp / (std::string("gen") + ext);
    write_zdc_array(p, resp, {n, 44, 44}, "<f4", "responses");
    NpyArray back = read_zdc_array_unchecked(p, "responses");
    CHECK(back.shape == Shape{n, 44, 44});
    CHECK(back.dtype == "<f4");
    CHECK(back.data == resp);  // make_responses holds values float32 stores exactly
  }
  CHECK(has(error_of([&] {
              write_zdc_array(tmp / "x.csv", resp, {n, 44, 44}, "<f4", "responses");
            }),
            "unsupported extension '.csv'"));
  CHECK(has(error_of([&] {
              write_zdc_array(tmp / "x.npz", resp, {n, 44, 44}, "<i4", "responses");
            }),
            "dtype '<i4'"));
  CHECK(tmp.file_count() ==
        6);  // zdc.h5, r_only.h5 and the four gen files: failed writes leave nothing
}
