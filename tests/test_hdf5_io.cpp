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

namespace {

// Writes one dataset of file type `file_type` from `mem_type` values with the C API directly,
// since write_h5 deliberately writes only float32/float64. `chunk` (optional) makes it chunked;
// `rows` > 0 writes only the first `rows` rows of a chunked dataset; null `values` writes nothing.
void write_raw(const std::string& path, const char* name, hid_t file_type, hid_t mem_type,
               std::vector<hsize_t> dims, const void* values,
               const std::vector<hsize_t>& chunk = {}, hsize_t rows = 0) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(f >= 0);
  const hid_t sp = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (!chunk.empty())
    REQUIRE(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()) >= 0);
  const hid_t ds = H5Dcreate2(f, name, file_type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  REQUIRE(ds >= 0);
  if (values == nullptr) {
    // created, never written
  } else if (rows == 0) {
    REQUIRE(H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0);
  } else {
    std::vector<hsize_t> count = dims, start(dims.size(), 0);
    count[0] = rows;
    const hid_t mem = H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr);
    REQUIRE(H5Sselect_hyperslab(sp, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) >=
            0);
    REQUIRE(H5Dwrite(ds, mem_type, mem, sp, H5P_DEFAULT, values) >= 0);
    H5Sclose(mem);
  }
  H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(sp);
  H5Fclose(f);
}

}  // namespace

TEST_CASE("hdf5: integer and float16 datasets, as h5py writes them, convert exactly") {
  test::TempDir tmp("h5_int");
  const std::string p = (tmp.path / "ints.h5").string();

  const int32_t pdg[4] = {22, 211, -211, 2112};
  write_raw(p, "pdg", H5T_STD_I32LE, H5T_NATIVE_INT32, {4}, pdg);
  NpyArray a = read_h5_dataset(p, "pdg");
  CHECK(a.dtype == "<i4");
  CHECK(a.shape == Shape{4});
  CHECK(a.data == std::vector<double>{22, 211, -211, 2112});
  CHECK(list_h5_datasets(p) == std::vector<std::string>{"pdg"});

  const uint8_t counts[2][3] = {{0, 1, 255}, {7, 0, 128}};
  write_raw(p, "responses", H5T_STD_U8LE, H5T_NATIVE_UINT8, {2, 3}, counts);
  a = read_h5_dataset(p, "responses");
  CHECK(a.dtype == "|u1");
  CHECK(a.shape == Shape{2, 3});
  CHECK(a.data == std::vector<double>{0, 1, 255, 7, 0, 128});

  const int16_t big[3] = {-32768, 300, 32767};  // stored big-endian, converted by the library
  write_raw(p, "x", H5T_STD_I16BE, H5T_NATIVE_INT16, {3}, big);
  a = read_h5_dataset(p, "x");
  CHECK(a.dtype == ">i2");
  CHECK(a.data == std::vector<double>{-32768, 300, 32767});

  const uint64_t wide[2] = {0, uint64_t{1} << 53};  // exactly representable in double
  write_raw(p, "x", H5T_STD_U64LE, H5T_NATIVE_UINT64, {2}, wide);
  a = read_h5_dataset(p, "x");
  CHECK(a.dtype == "<u8");
  CHECK(a.data == std::vector<double>{0, 9007199254740992.0});

  // float16 as h5py stores numpy's float16: a 2-byte IEEE float built from float32's type.
  const hid_t half = H5Tcopy(H5T_IEEE_F32LE);
  REQUIRE(H5Tset_fields(half, 15, 10, 5, 0, 10) >= 0);
  REQUIRE(H5Tset_size(half, 2) >= 0);
  REQUIRE(H5Tset_ebias(half, 15) >= 0);
  const float vals[3] = {0.5f, -2.0f, 1024.0f};  // exact in float16
  write_raw(p, "x", half, H5T_NATIVE_FLOAT, {3}, vals);
  H5Tclose(half);
  a = read_h5_dataset(p, "x");
  CHECK(a.dtype == "<f2");
  CHECK(a.data == std::vector<double>{0.5, -2.0, 1024.0});
}

TEST_CASE("hdf5: a string dataset is an unsupported type, named with what is expected") {
  test::TempDir tmp("h5_str");
  const std::string p = (tmp.path / "s.h5").string();
  const hid_t str = H5Tcopy(H5T_C_S1);
  REQUIRE(H5Tset_size(str, 4) >= 0);
  const char text[2][4] = {{'a', 'b', 'c', 'd'}, {'e', 'f', 'g', 'h'}};
  write_raw(p, "names", str, str, {2}, text);
  H5Tclose(str);
  const std::string msg = error_of([&] { read_h5_dataset(p, "names"); });
  CHECK(msg.find(p) != std::string::npos);
  CHECK(msg.find("'names'") != std::string::npos);
  CHECK(msg.find("unsupported type string") != std::string::npos);
  CHECK(msg.find("expected a float") != std::string::npos);
}

TEST_CASE("hdf5: sizes are checked against the stored bytes before allocating") {
  test::TempDir tmp("h5_bounds");
  const std::string p = (tmp.path / "huge.h5").string();
  // A chunked (1e9, 44, 44) float64 dataset of which one chunk is written: a file of a few KB
  // declaring 15 TB. Without the check the reader would try to allocate it.
  std::vector<double> one(44 * 44, 3.0);
  write_raw(p, "responses", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {1000000000, 44, 44}, one.data(),
            {1, 44, 44}, 1);
  CHECK(fs::file_size(p) < 100000);
  std::string msg = error_of([&] { read_h5_dataset(p, "responses"); });
  CHECK(msg.find(p) != std::string::npos);
  CHECK(msg.find("'responses'") != std::string::npos);
  CHECK(msg.find("declares 1936000000000 values of 8 bytes") != std::string::npos);

  // A dataset created but never written has no storage: refused the same way.
  const std::string q = (tmp.path / "unwritten.h5").string();
  write_raw(q, "responses", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {100, 44, 44}, nullptr, {1, 44, 44});
  msg = error_of([&] { read_h5_dataset(q, "responses"); });
  CHECK(msg.find(q) != std::string::npos);
  CHECK(msg.find("never written") != std::string::npos);

  // The same shape written in full loads.
  std::vector<double> all(100 * 44 * 44, 1.5);
  write_raw(q, "responses", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {100, 44, 44}, all.data(),
            {1, 44, 44});
  CHECK(read_h5_dataset(q, "responses").data == all);
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
