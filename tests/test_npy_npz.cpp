// numpy .npy/.npz I/O against files written by numpy itself (tests/fixtures/make_npz_fixtures.py),
// round trips, and malformed inputs, which must all end in dg::Error naming the problem.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "datasets/npy.h"
#include "datasets/npz.h"

#ifndef DG_SOURCE_DIR
#error "DG_SOURCE_DIR must point at the repository root (set by CMakeLists.txt)"
#endif

using namespace dg;
using namespace dg::data;
namespace fs = std::filesystem;

namespace {

const std::string kFixtures = DG_SOURCE_DIR "/tests/fixtures/";

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    path = fs::temp_directory_path() / ("dg_test_npz_" + tag + "_" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::string p = (path / name).string();
    std::ofstream(p, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }
};

std::string slurp(const std::string& path) { return read_file_bytes(path); }

void put_u16(std::string& s, size_t off, uint16_t v) {
  s[off] = static_cast<char>(v & 0xFF);
  s[off + 1] = static_cast<char>(v >> 8);
}
void put_u32(std::string& s, size_t off, uint32_t v) {
  for (int k = 0; k < 4; ++k) s[off + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
}
size_t find_sig(const std::string& s, const char* sig, size_t from = 0) {
  size_t p = s.find(std::string(sig, 4), from);
  REQUIRE(p != std::string::npos);
  return p;
}

// A v1.0 npy with a caller-chosen header dict and payload.
std::string npy_with_header(const std::string& dict, const std::string& payload) {
  std::string h = dict + "\n";
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(h.size() & 0xFF));
  out.push_back(static_cast<char>(h.size() >> 8));
  return out + h + payload;
}

std::string f8_bytes(std::initializer_list<double> v) {
  std::string s;
  for (double x : v) s.append(reinterpret_cast<const char*>(&x), 8);
  return s;
}

}  // namespace

TEST_CASE("npy/npz fixtures written by numpy load with the expected shapes and values") {
  std::ifstream in(kFixtures + "npz_expected.json");
  REQUIRE(in);
  nlohmann::json expected = nlohmann::json::parse(in);
  REQUIRE(expected.size() >= 9);
  for (auto& [file, keys] : expected.items()) {
    for (auto& [key, want] : keys.items()) {
      CAPTURE(file);
      CAPTURE(key);
      const std::string path = kFixtures + file;
      NpyArray a = file.ends_with(".npz") ? read_npz(path, key) : read_npy(path);
      CHECK(a.dtype == want["dtype"].get<std::string>());
      CHECK(a.shape == want["shape"].get<Shape>());
      REQUIRE(static_cast<int64_t>(a.data.size()) == shape_numel(a.shape));
      double sum = 0;
      for (double v : a.data) sum += v;
      const double ref = want["sum"].get<double>();
      CHECK(sum == doctest::Approx(ref).epsilon(1e-12));
      for (auto& el : want["elements"]) {
        const size_t i = el[0].get<size_t>();
        REQUIRE(i < a.data.size());
        CHECK(a.data[i] == el[1].get<double>());  // exact: float32 widens losslessly
      }
    }
  }
  // Keyword members and positional ones side by side, in archive order.
  CHECK(npz_keys(kFixtures + "zdc_stored.npz") == std::vector<std::string>{"particles10", "arr_0"});
  CHECK(npz_keys(kFixtures + "zdc_deflated.npz") ==
        std::vector<std::string>{"particles10", "arr_0"});
  // Both flavours hold identical arrays.
  CHECK(read_npz(kFixtures + "zdc_stored.npz", "arr_0").data ==
        read_npz(kFixtures + "zdc_deflated.npz", "arr_0").data);
  CHECK(read_npz(kFixtures + "zdc_stored.npz", "arr_0").data ==
        read_npy(kFixtures + "responses_f8.npy").data);
  // Fortran order is read into C order (numpy wrote arange(6).reshape(2, 3) column by column).
  const NpyArray f = read_npy(kFixtures + "fortran_f8.npy");
  CHECK(f.shape == Shape{2, 3});
  CHECK(f.data == std::vector<double>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("npy/npz: every layout numpy writes loads as numpy reads it") {
  // tests/fixtures/make_numpy_compat_fixtures.py: byte orders, integer / unsigned / bool / half
  // dtypes, Fortran order, format versions 2.0 and 3.0, bytes after the data.
  std::ifstream in(kFixtures + "compat_expected.json");
  REQUIRE(in);
  const nlohmann::json expected = nlohmann::json::parse(in);
  int files = 0;
  for (const auto& [name, e] : expected.items()) {
    if (name.size() < 4 || name.substr(name.size() - 4) != ".npy") continue;
    CAPTURE(name);
    const NpyArray a = read_npy(kFixtures + name);
    CHECK(a.shape == e.at("shape").get<Shape>());
    CHECK(a.data ==
          e.at("data").get<std::vector<double>>());  // exact: every value is representable
    ++files;
  }
  CHECK(files == 16);
  // An .npz of mixed members: uint8 counts, big-endian float64 particles.
  const auto& z = expected.at("compat_zdc.npz");
  const NpyArray r = read_npz(kFixtures + "compat_zdc.npz", "arr_0");
  CHECK(r.dtype == "|u1");
  CHECK(r.shape == Shape{4, 44, 44});
  double sum = 0;
  for (double v : r.data) sum += v;
  CHECK(sum == z.at("responses_sum").get<double>());
  const NpyArray p = read_npz(kFixtures + "compat_zdc.npz", "particles");
  CHECK(p.dtype == ">f8");
  CHECK(p.shape == Shape{4, 10});
  const std::vector<double> want = z.at("particles").get<std::vector<double>>();
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 9; ++j) CHECK(p.data[i * 10 + j] == want[i * 9 + j]);
  // The same particles stored in Fortran order read identically.
  CHECK(read_npy(kFixtures + "compat_zdc_particles_fortran.npy").data == p.data);
}

TEST_CASE("npy write/read round trip") {
  TempDir tmp("npy_rt");
  const std::vector<double> v = {1.0, -2.5, 1e-300, 3.141592653589793, 0.1, 7e22};
  for (const Shape& shape : {Shape{6}, Shape{2, 3}, Shape{1, 2, 3}}) {
    CAPTURE(shape_str(shape));
    const std::string p = (tmp.path / "a.npy").string();
    write_npy(p, v, shape);
    NpyArray a = read_npy(p);
    CHECK(a.dtype == "<f8");
    CHECK(a.shape == shape);
    CHECK(a.data == v);
    // Data starts 64-byte aligned, as numpy writes it.
    CHECK(slurp(p).size() % 64 == (v.size() * 8) % 64);
  }
  const std::string p4 = (tmp.path / "f.npy").string();
  write_npy(p4, v, {3, 2}, "<f4");
  NpyArray a4 = read_npy(p4);
  CHECK(a4.dtype == "<f4");
  for (size_t i = 0; i < v.size(); ++i)
    CHECK(a4.data[i] == static_cast<double>(static_cast<float>(v[i])));
  write_npy(p4, {42.0}, {});
  CHECK(read_npy(p4).shape.empty());
  CHECK(read_npy(p4).data == std::vector<double>{42.0});
  write_npy(p4, {}, {0, 44, 44});
  CHECK(read_npy(p4).shape == Shape{0, 44, 44});
  CHECK(read_npy(p4).data.empty());
  CHECK_THROWS_WITH_AS(write_npy(p4, v, {2, 2}), doctest::Contains("do not fill shape"), dg::Error);
  CHECK_THROWS_WITH_AS(write_npy(p4, v, {6}, "<i2"), doctest::Contains("unsupported dtype"),
                       dg::Error);
  // No temporary files left behind by the atomic writes.
  int files = 0;
  for (auto& e : fs::directory_iterator(tmp.path)) files += e.is_regular_file();
  CHECK(files == 2);
}

TEST_CASE("npz write/read round trip, stored and deflated") {
  TempDir tmp("npz_rt");
  std::vector<double> img(2 * 44 * 44);
  for (size_t i = 0; i < img.size(); ++i)
    img[i] = (i % 7 == 0) ? static_cast<double>(i) * 0.25 : 0.0;
  const std::vector<NpzMember> members = {
      {"arr_0", {2, 44, 44}, img, "<f8"},
      {"particles", {2, 3}, {1.5, 2.5, -3.0, 1e10, 0.125, 6.0}, "<f4"},
      {"empty", {0}, {}, "<f8"}};
  for (bool compress : {false, true}) {
    CAPTURE(compress);
    const std::string p = (tmp.path / (compress ? "c.npz" : "s.npz")).string();
    write_npz(p, members, compress);
    CHECK(npz_keys(p) == std::vector<std::string>{"arr_0", "particles", "empty"});
    for (const NpzMember& m : members) {
      NpyArray a = read_npz(p, m.key);
      CHECK(a.dtype == m.dtype);
      CHECK(a.shape == m.shape);
      CHECK(a.data == m.data);
    }
    if (compress) CHECK(slurp(p).size() < img.size() * 8 / 2);
  }
}

TEST_CASE("npy malformed inputs throw dg::Error naming the problem") {
  TempDir tmp("npy_bad");
  const std::string good = slurp(kFixtures + "particles9_f8.npy");
  auto check = [&](const std::string& bytes, const char* phrase) {
    CAPTURE(phrase);
    const std::string p = tmp.write("bad.npy", bytes);
    CHECK_THROWS_WITH_AS(read_npy(p), doctest::Contains(phrase), dg::Error);
    CHECK_THROWS_WITH_AS(read_npy(p), doctest::Contains("bad.npy"), dg::Error);
  };
  check("", "empty file");
  check("PK\x03\x04garbage-not-npy", "bad magic");
  check(std::string("\x93NUMPY\x01", 7), "truncated file");
  check(good.substr(0, 40), "truncated file");
  check(std::string("\x93NUMPY\x07\x00\x10\x00", 10) + std::string(16, ' '),
        "unsupported npy format version");
  check(npy_with_header("not a dict", ""), "header not parseable");
  check(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,3 }", ""),
        "header not parseable");
  check(npy_with_header("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,), }", f8_bytes({1})),
        "expected True or False");
  check(npy_with_header("{'descr': '<f8', 'fortran_order': False, }", ""), "missing key 'shape'");
  check(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                        f8_bytes({1})),
        "unknown key 'x'");
  check(npy_with_header("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
                        std::string(16, '\0')),
        "unsupported dtype '<c16'");
  check(npy_with_header("{'descr': '>c8', 'fortran_order': False, 'shape': (1,), }", f8_bytes({1})),
        "unsupported dtype '>c8'");
  check(npy_with_header("{'descr': '|f8', 'fortran_order': False, 'shape': (1,), }", f8_bytes({1})),
        "unsupported dtype '|f8'");
  check(npy_with_header("{'descr': '<f3', 'fortran_order': False, 'shape': (1,), }", f8_bytes({1})),
        "unsupported dtype '<f3'");
  check(npy_with_header("{'descr': '<U8', 'fortran_order': False, 'shape': (1,), }", f8_bytes({1})),
        "unsupported dtype '<U8'");
  check(npy_with_header("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }",
                        f8_bytes({1})),
        "structured dtypes");
  check(npy_with_header("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }",
                        f8_bytes({1, 2, 3})),
        "data shorter than shape implies");
  check(good.substr(0, good.size() - 8), "data shorter than shape implies");
  check(
      npy_with_header("{'shape': (3,), 'fortran_order': False, 'descr': '<f8'}", f8_bytes({1, 2})),
      "data shorter than shape implies");
  // Bytes after the data are ignored, as np.load ignores them.
  CHECK(parse_npy(good + "xx", "trailing.npy").data == parse_npy(good, "good.npy").data);
  // Key order does not matter, and (n,) / () / spaces parse.
  const std::string p = tmp.write(
      "ok.npy", npy_with_header(" { \"shape\" : ( 2 , ) , 'descr':'<f8','fortran_order':False}",
                                f8_bytes({1, 2})));
  CHECK(read_npy(p).data == std::vector<double>{1, 2});
}

TEST_CASE("npz malformed inputs throw dg::Error naming the problem") {
  TempDir tmp("npz_bad");
  const std::string stored = slurp(kFixtures + "particles_stored.npz");
  const std::string deflated = slurp(kFixtures + "particles_deflated.npz");
  auto check = [&](const std::string& bytes, const char* phrase, const std::string& key = "arr_0") {
    CAPTURE(phrase);
    const std::string p = tmp.write("bad.npz", bytes);
    CHECK_THROWS_WITH_AS(read_npz(p, key), doctest::Contains(phrase), dg::Error);
    CHECK_THROWS_WITH_AS(read_npz(p, key), doctest::Contains("bad.npz"), dg::Error);
  };
  check("", "empty file");
  check("this is not a zip archive at all, just some text", "bad magic");
  check(stored.substr(0, stored.size() / 2), "truncated");
  check(stored.substr(0, 3), "bad magic");
  check(stored, "'nope' not found in", "nope");
  check(stored, "members: arr_0", "nope");
  check(slurp(kFixtures + "zdc_stored.npz"), "members: particles10, arr_0", "arr_1");
  check(slurp(kFixtures + "responses_f8.npy"), "not a zip archive");

  // Flip one payload byte (the last data byte is well past the local header and npy header).
  const size_t cd = find_sig(stored, "PK\x01\x02");
  std::string bad_crc = stored;
  bad_crc[cd - 1] ^= 0x40;
  check(bad_crc, "bad CRC-32");

  std::string bad_method = stored;
  put_u16(bad_method, cd + 10, 12);
  check(bad_method, "unsupported compression method 12");

  std::string bad_zip64 = stored;
  put_u32(bad_zip64, cd + 20, 0xFFFFFFFFu);
  put_u32(bad_zip64, cd + 24, 0xFFFFFFFFu);
  put_u16(bad_zip64, cd + 30, 0);
  check(bad_zip64, "no zip64 extra field");

  std::string bad_local = stored;
  bad_local[0] = 'X';
  check(bad_local, "local header");

  std::string bad_size = stored;
  put_u32(bad_size, cd + 20, 1000000);
  put_u32(bad_size, cd + 24, 1000000);
  check(bad_size, "truncated file");

  std::string bad_cd = stored;
  const size_t eocd = find_sig(stored, "PK\x05\x06");
  put_u32(bad_cd, eocd + 16, static_cast<uint32_t>(cd + 3));
  check(bad_cd, "central directory");

  // Corrupt the middle of the deflate stream: either zlib or the CRC notices.
  const size_t dcd = find_sig(deflated, "PK\x01\x02");
  std::string bad_deflate = deflated;
  for (size_t k = 60; k < 80 && k < dcd; ++k) bad_deflate[k] = static_cast<char>(0xFF);
  CHECK_THROWS_AS(read_npz(tmp.write("d.npz", bad_deflate), "arr_0"), dg::Error);
  std::string short_deflate = deflated;
  put_u32(short_deflate, dcd + 20, 20);
  check(short_deflate, "deflate stream");
}

TEST_CASE("npy/npz: sizes a file claims are checked against its size before allocating") {
  // A 100-byte npy whose shape overflows, and one claiming 80 GB: refused from the header, with no
  // allocation (under AddressSanitizer a multi-GB allocation would fail the test).
  CHECK_THROWS_WITH_AS(
      parse_npy(
          npy_with_header(
              "{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000, 10000000000), }",
              f8_bytes({1})),
          "huge.npy"),
      doctest::Contains("too large"), dg::Error);
  CHECK_THROWS_WITH_AS(
      parse_npy(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, "
                                "100000), }",
                                f8_bytes({1})),
                "huge.npy"),
      doctest::Contains("data shorter than shape implies"), dg::Error);
  // A deflated npz member claiming 4 GB uncompressed from a few hundred bytes: refused by the
  // deflate ratio bound before inflating.
  TempDir tmp("npz_bound");
  std::string deflated = slurp(kFixtures + "particles_deflated.npz");
  const size_t cd = find_sig(deflated, "PK\x01\x02");
  put_u32(deflated, cd + 24, 0xFFFFFFF0u);
  CHECK_THROWS_AS(read_npz(tmp.write("bomb.npz", deflated), "arr_0"), dg::Error);
}

TEST_CASE("npy/npz readers never crash on mutated or truncated files") {
  TempDir tmp("npz_fuzz");
  std::mt19937 gen(12345);
  int threw = 0, ok = 0;
  for (const char* name : {"particles_stored.npz", "particles_deflated.npz", "particles9_f8.npy"}) {
    const std::string good = slurp(kFixtures + name);
    const bool npz = std::string(name).ends_with(".npz");
    for (int trial = 0; trial < 600; ++trial) {
      std::string b = good;
      if (trial < static_cast<int>(good.size()) && trial % 2 == 0) {
        b.resize(static_cast<size_t>(trial));
      } else {
        const int flips = 1 + static_cast<int>(gen() % 4);
        for (int f = 0; f < flips; ++f) b[gen() % b.size()] = static_cast<char>(gen() & 0xFF);
      }
      const std::string p = tmp.write(npz ? "f.npz" : "f.npy", b);
      try {
        NpyArray a = npz ? read_npz(p, "arr_0") : read_npy(p);
        CHECK(static_cast<int64_t>(a.data.size()) == shape_numel(a.shape));
        ++ok;
      } catch (const dg::Error&) {
        ++threw;
      }
    }
  }
  CHECK(threw > 0);
  CHECK(ok > 0);
}

TEST_CASE("npz zip64 central directory and end records are followed") {
  // Rebuilds the single-member stored fixture with every 32-bit field saturated, as a >4 GiB
  // archive would carry them, so the zip64 paths run without writing gigabytes.
  TempDir tmp("npz_zip64");
  const std::string stored = slurp(kFixtures + "particles_stored.npz");
  const size_t cd = find_sig(stored, "PK\x01\x02");
  const size_t eocd = find_sig(stored, "PK\x05\x06");
  auto u32_at = [&](size_t off) {
    uint32_t v = 0;
    for (int k = 3; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(stored[off + k]);
    return v;
  };
  auto le = [](uint64_t v, int n) {
    std::string s;
    for (int k = 0; k < n; ++k) s.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
    return s;
  };
  const uint32_t csize = u32_at(cd + 20), usize = u32_at(cd + 24);
  const uint16_t name_len = static_cast<uint16_t>(u32_at(cd + 28) & 0xFFFF);
  REQUIRE(u32_at(cd + 30) == 0);  // no extra and no comment in numpy's central directory entry
  std::string entry = stored.substr(cd, 46 + name_len);
  put_u32(entry, 20, 0xFFFFFFFFu);
  put_u32(entry, 24, 0xFFFFFFFFu);
  put_u32(entry, 42, 0xFFFFFFFFu);
  put_u16(entry, 30, 4 + 24);
  entry += le(0x0001, 2) + le(24, 2) + le(usize, 8) + le(csize, 8) + le(0, 8);

  std::string zip = stored.substr(0, cd);
  const uint64_t cd_off = zip.size();
  zip += entry;
  const uint64_t rec_off = zip.size();
  zip += le(0x06064b50, 4) + le(44, 8) + le(45, 2) + le(45, 2) + le(0, 4) + le(0, 4) + le(1, 8) +
         le(1, 8) + le(entry.size(), 8) + le(cd_off, 8);
  zip += le(0x07064b50, 4) + le(0, 4) + le(rec_off, 8) + le(1, 4);
  zip += le(0x06054b50, 4) + le(0, 4) + le(0xFFFF, 2) + le(0xFFFF, 2) + le(0xFFFFFFFFu, 4) +
         le(0xFFFFFFFFu, 4) + le(0, 2);
  CHECK(eocd > cd);
  const std::string p = tmp.write("z64.npz", zip);
  CHECK(read_npz(p, "arr_0").data == read_npz(kFixtures + "particles_stored.npz", "arr_0").data);

  // A zip64 end record that points nowhere is reported, not followed blindly.
  std::string broken = zip;
  broken[rec_off] = 'X';
  CHECK_THROWS_WITH_AS(read_npz(tmp.write("z64b.npz", broken), "arr_0"),
                       doctest::Contains("PK\\6\\6"), dg::Error);
  // A zip64 extra too short for the saturated fields.
  std::string short_extra = zip;
  put_u16(short_extra, cd_off + 46 + name_len + 2, 8);
  CHECK_THROWS_AS(read_npz(tmp.write("z64c.npz", short_extra), "arr_0"), dg::Error);
}

TEST_CASE("npz in-memory readers match the path readers; encode_npy rejects impossible shapes") {
  // parse_npz/parse_npz_keys are what tests/fuzz/fuzz_npy_npz.cpp drives; read_npz/npz_keys share
  // their code, so both must agree on the fixtures and name the given origin in errors.
  for (const char* name :
       {"particles_stored.npz", "particles_deflated.npz", "zdc_stored.npz", "zdc_deflated.npz"}) {
    CAPTURE(name);
    const std::string path = kFixtures + name;
    const std::string bytes = slurp(path);
    const std::vector<std::string> keys = parse_npz_keys(bytes, "mem.npz");
    CHECK(keys == npz_keys(path));
    for (const std::string& key : keys) {
      const NpyArray a = parse_npz(bytes, "mem.npz", key), b = read_npz(path, key);
      CHECK(a.shape == b.shape);
      CHECK(a.dtype == b.dtype);
      CHECK(a.data == b.data);
    }
    CHECK_THROWS_WITH_AS(parse_npz(bytes, "mem.npz", "nope"),
                         doctest::Contains("not found in mem.npz"), dg::Error);
    CHECK_THROWS_WITH_AS(parse_npz(bytes.substr(0, bytes.size() / 2), "mem.npz", "arr_0"),
                         doctest::Contains("mem.npz"), dg::Error);
  }
  CHECK_THROWS_WITH_AS(parse_npz_keys("", "mem.npz"), doctest::Contains("empty file"), dg::Error);
  // The element count is overflow-checked (it used to go through a signed product that could
  // overflow).
  const int64_t big = int64_t{1} << 40;
  CHECK_THROWS_WITH_AS(encode_npy({}, {big, big}), doctest::Contains("too large"), dg::Error);
  CHECK_THROWS_WITH_AS(encode_npy({}, {2, -1}), doctest::Contains("negative dimension"), dg::Error);
  CHECK(parse_npy(encode_npy({}, {0, big, big}), "zero.npy").shape == Shape{0, big, big});
}
