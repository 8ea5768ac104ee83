// HDF5 I/O of ZDC arrays: exact round trips at both precisions, atomic writes, and every way a file
// can be wrong ending in a dg::Error that names the file, the dataset and what was expected.
#include <doctest/doctest.h>
#ifdef DG_WITH_HDF5
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "datasets/hdf5_io.h"
#include "tests/test_support.h"

using namespace dg;
using namespace dg::data;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const dg::Error& e) {
    return e.what();
  }
  return "<no dg::Error thrown>";
}

// Shapes and magnitudes like the real data: sparse photon counts, and attributes spanning TeV
// energies down to sub-millimetre vertex offsets, so rounding anywhere would show.
NpyArray make_responses(int64_t n, std::mt19937_64& rng) {
  NpyArray a{"<f8", {n, 44, 44}, {}};
  std::uniform_real_distribution<double> u(0.0, 1.0);
  a.data.resize(static_cast<size_t>(n * 44 * 44));
  for (auto& v : a.data) v = u(rng) < 0.8 ? 0.0 : u(rng) * 900.0 + u(rng) * 1e-9;
  return a;
}
NpyArray make_particles(int64_t n, std::mt19937_64& rng) {
  NpyArray a{"<f4", {n, 9}, {}};
  std::normal_distribution<double> g(0.0, 1.0);
  a.data.resize(static_cast<size_t>(n * 9));
  for (size_t i = 0; i < a.data.size(); ++i)
    a.data[i] = g(rng) * std::pow(10.0, static_cast<double>(i % 9) - 4.0);
  return a;
}

}  // namespace

TEST_CASE("hdf5: round trip of float64 responses and float32 particles is bit-exact") {
  test::TempDir tmp("h5_rt");
  std::mt19937_64 rng(7);
  const NpyArray resp = make_responses(5, rng);
  const NpyArray part = make_particles(5, rng);
  const std::string p = (tmp.path / "zdc.h5").string();
  write_h5(p, {{"responses", resp}, {"particles", part}});

  const NpyArray r = read_h5_dataset(p, "responses");
  CHECK(r.dtype == "<f8");
  CHECK(r.shape == Shape{5, 44, 44});
  REQUIRE(r.data.size() == resp.data.size());
  CHECK(std::memcmp(r.data.data(), resp.data.data(), r.data.size() * sizeof(double)) == 0);

  const NpyArray q = read_h5_dataset(p, "particles");
  CHECK(q.dtype == "<f4");
  CHECK(q.shape == Shape{5, 9});
  REQUIRE(q.data.size() == part.data.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < q.data.size(); ++i) {
    const float want = static_cast<float>(part.data[i]);
    const float got = static_cast<float>(q.data[i]);
    // The read value must be exactly the stored float widened, not merely close to it.
    mismatches +=
        std::memcmp(&want, &got, sizeof(float)) != 0 || q.data[i] != static_cast<double>(want);
  }
  CHECK(mismatches == 0);

  CHECK(list_h5_datasets(p) == std::vector<std::string>{"particles", "responses"});
  // Only the final file: the temporary one was renamed away.
  CHECK(tmp.file_count() == 1);
}

TEST_CASE("hdf5: scalar, empty and nested datasets") {
  test::TempDir tmp("h5_shapes");
  const std::string p = (tmp.path / "s.h5").string();
  write_h5(p, {{"scalar", NpyArray{"<f8", {}, {3.5}}},
               {"empty", NpyArray{"<f4", {0, 9}, {}}},
               {"zdc/responses", NpyArray{"<f8", {1, 2}, {1.0, 2.0}}}});
  const NpyArray s = read_h5_dataset(p, "scalar");
  CHECK(s.shape.empty());
  CHECK(s.data == std::vector<double>{3.5});
  const NpyArray e = read_h5_dataset(p, "empty");
  CHECK(e.shape == Shape{0, 9});
  CHECK(e.data.empty());
  CHECK(read_h5_dataset(p, "zdc/responses").data == std::vector<double>{1.0, 2.0});
}

TEST_CASE("hdf5: a missing dataset lists the datasets present") {
  test::TempDir tmp("h5_missing_ds");
  const std::string p = (tmp.path / "z.h5").string();
  write_h5(p, {{"responses", NpyArray{"<f8", {1, 44, 44}, std::vector<double>(44 * 44, 1.0)}},
               {"conditions", NpyArray{"<f4", {1, 9}, std::vector<double>(9, 0.5)}}});
  const std::string msg = error_of([&] { read_h5_dataset(p, "particles"); });
  CHECK(msg.find(p) != std::string::npos);
  CHECK(msg.find("'particles' not found") != std::string::npos);
  CHECK(msg.find("'conditions', 'responses'") != std::string::npos);
  // A missing intermediate group is the same condition, not a different failure.
  CHECK(error_of([&] { read_h5_dataset(p, "g/particles"); }).find("not found") !=
        std::string::npos);
}

TEST_CASE("hdf5: a file that is not HDF5, and a missing file") {
  test::TempDir tmp("h5_bad");
  const std::string p = (tmp.path / "garbage.h5").string();
  {
    std::ofstream out(p, std::ios::binary);
    std::string junk(4096, '\0');
    for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 131 + 7) & 0xff);
    out << junk;
  }
  std::string msg = error_of([&] { read_h5_dataset(p, "responses"); });
  CHECK(msg.find(p) != std::string::npos);
  CHECK(msg.find("not an HDF5 file") != std::string::npos);

  const std::string gone = (tmp.path / "nope.h5").string();
  msg = error_of([&] { read_h5_dataset(gone, "responses"); });
  CHECK(msg.find(gone) != std::string::npos);
  CHECK(msg.find("not found") != std::string::npos);
}

TEST_CASE("hdf5: an integer dataset is an unsupported type") {
  test::TempDir tmp("h5_int");
  const std::string p = (tmp.path / "ints.h5").string();
  {
    // Built with the C API directly, since write_h5 deliberately only writes floats.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const hid_t f = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hsize_t dims[1] = {4};
    const hid_t sp = H5Screate_simple(1, dims, nullptr);
    const hid_t ds = H5Dcreate2(f, "pdg", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const int vals[4] = {22, 211, -211, 2112};
    CHECK(H5Dwrite(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals) >= 0);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(f);
  }
  const std::string msg = error_of([&] { read_h5_dataset(p, "pdg"); });
  CHECK(msg.find(p) != std::string::npos);
  CHECK(msg.find("'pdg'") != std::string::npos);
  CHECK(msg.find("unsupported type integer") != std::string::npos);
  CHECK(msg.find("float32 or float64") != std::string::npos);
  // The integer dataset is still a dataset, so it shows up in listings.
  CHECK(list_h5_datasets(p) == std::vector<std::string>{"pdg"});
}

TEST_CASE("hdf5: failed writes leave nothing behind") {
  test::TempDir tmp("h5_fail");
  const fs::path dir = tmp.path / "no" / "such" / "dir";
  const std::string p = (dir / "z.h5").string();
  const std::string msg = error_of([&] {
    write_h5(p, {{"responses", NpyArray{"<f8", {1}, {1.0}}}});
  });
  CHECK(msg.find(p) != std::string::npos);
  CHECK(!fs::exists(dir));
  CHECK(tmp.file_count() == 0);

  // Invalid input is rejected before any file is created.
  const std::string q = (tmp.path / "q.h5").string();
  CHECK(error_of([&] {
          write_h5(q, {{"x", NpyArray{"<i4", {1}, {1.0}}}});
        }).find("'<i4'") != std::string::npos);
  CHECK(error_of([&] {
          write_h5(q, {{"x", NpyArray{"<f8", {2, 2}, {1.0}}}});
        }).find("values for shape") != std::string::npos);
  CHECK(tmp.file_count() == 0);

  // A failure after the temporary file exists (a name clash inside the file) removes it too.
  CHECK(error_of([&] {
          write_h5(q, {{"a", NpyArray{"<f8", {1}, {1.0}}}, {"a/b", NpyArray{"<f8", {1}, {2.0}}}});
        }).find("'a/b'") != std::string::npos);
  CHECK(tmp.file_count() == 0);
}

#else
TEST_CASE("hdf5: reading and writing") {
  MESSAGE("built without HDF5: the HDF5 tests are skipped");
}
#endif
