// libFuzzer target for the numpy readers (datasets/npy.cpp, datasets/npz.cpp). Each input is fed
// to parse_npy, to parse_npz_keys/parse_npz (every member), and, wrapped as the single stored
// member of a well-formed zip (zip64-style for odd sizes), to parse_npz again, so mutated npy
// bytes also reach the npy parser through the archive path past its CRC check. A dg::Error is the
// expected outcome for bad input; any other exception, a sanitizer report, a crash or a hang is a
// finding. Arrays that parse are checked for consistency and round-tripped through encode_npy.
// Build and run (clang, ASan+UBSan): tests/fuzz/run.sh [seconds]   (default 60; see that script)
// Reproduce a finding: build-fuzz/fuzz_npy_npz path/to/crash-file
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "datasets/npy.h"
#include "datasets/npz.h"
#include "tests/fuzz/fuzz_support.h"

namespace dg::fuzz {
const char* const kTarget = "fuzz_npy_npz";
}  // namespace dg::fuzz

namespace {

using dg::fuzz::expect_ok_or_error;
using dg::fuzz::finding;
using dg::fuzz::require;
using dg::fuzz::require_shape_matches;

using dg::data::NpyArray;

// What a successful parse must satisfy, plus an encode/parse round trip through the writer.
void check_array(const NpyArray& a) {
  // A plain number type: byte order, kind, size (e.g. "<f8", ">i2", "|u1").
  require(a.dtype.size() == 3 && std::strchr("<>|=", a.dtype[0]) &&
              std::strchr("fiub", a.dtype[1]) && a.dtype[2] >= '1' && a.dtype[2] <= '8',
          "dtype outside the accepted set");
  require_shape_matches(a);
  const std::string enc = dg::data::encode_npy(a.data, a.shape, "<f8");
  const NpyArray b = dg::data::parse_npy(enc, "roundtrip");
  require(b.dtype == "<f8" && b.shape == a.shape, "round trip changed dtype or shape");
  require(b.data.size() == a.data.size() &&
              (a.data.empty() ||
               std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(double)) == 0),
          "round trip changed the values");
}

void put(std::string& s, uint64_t v, int n) {
  for (int k = 0; k < n; ++k) s.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

// A minimal zip with one stored member `name` holding `body`, with a correct CRC-32. With zip64,
// the central directory entry and end record carry saturated 32-bit fields and the real values sit
// in a zip64 extra field and zip64 end record, as in archives over 4 GiB.
std::string stored_zip(const std::string& name, const std::string& body, bool zip64) {
  const uint32_t crc =
      static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(body.data()),
                                  static_cast<uInt>(body.size())));
  const uint64_t k32 = 0xFFFFFFFFu;
  std::string z;
  put(z, 0x04034b50, 4);  // local header
  put(z, 20, 2), put(z, 0, 2), put(z, 0, 2), put(z, 0, 2), put(z, 0x21, 2);
  put(z, crc, 4), put(z, body.size(), 4), put(z, body.size(), 4);
  put(z, name.size(), 2), put(z, 0, 2);
  z += name;
  z += body;
  const uint64_t cd_off = z.size();
  put(z, 0x02014b50, 4);  // central directory entry
  put(z, 45, 2), put(z, zip64 ? 45 : 20, 2), put(z, 0, 2), put(z, 0, 2), put(z, 0, 2),
      put(z, 0x21, 2);
  put(z, crc, 4), put(z, zip64 ? k32 : body.size(), 4), put(z, zip64 ? k32 : body.size(), 4);
  put(z, name.size(), 2), put(z, zip64 ? 4 + 24 : 0, 2), put(z, 0, 2), put(z, 0, 2), put(z, 0, 2),
      put(z, 0, 4);
  put(z, zip64 ? k32 : 0, 4);  // local header offset
  z += name;
  if (zip64)
    put(z, 0x0001, 2), put(z, 24, 2), put(z, body.size(), 8), put(z, body.size(), 8), put(z, 0, 8);
  const uint64_t cd_size = z.size() - cd_off;
  if (zip64) {
    const uint64_t rec_off = z.size();
    put(z, 0x06064b50, 4), put(z, 44, 8), put(z, 45, 2), put(z, 45, 2), put(z, 0, 4), put(z, 0, 4);
    put(z, 1, 8), put(z, 1, 8), put(z, cd_size, 8), put(z, cd_off, 8);
    put(z, 0x07064b50, 4), put(z, 0, 4), put(z, rec_off, 8), put(z, 1, 4);
  }
  put(z, 0x06054b50, 4);  // end of central directory
  put(z, 0, 2), put(z, 0, 2);
  put(z, zip64 ? 0xFFFF : 1, 2), put(z, zip64 ? 0xFFFF : 1, 2);
  put(z, zip64 ? k32 : cd_size, 4), put(z, zip64 ? k32 : cd_off, 4), put(z, 0, 2);
  return z;
}

}  // namespace

// With FUZZ_NPY_NPZ_ZIP64_SEEDS=<dir> (set by tests/fuzz/run.sh on its temporary corpus), every
// *.npy in <dir> is also written there as a zip64 .npz, so the zip64 records get mutated too; the
// committed fixtures have none. Runs before libFuzzer reads the corpus.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("FUZZ_NPY_NPZ_ZIP64_SEEDS");
  if (!dir) return 0;
  namespace fs = std::filesystem;
  for (const fs::directory_entry& f : fs::directory_iterator(dir)) {
    if (f.path().extension() != ".npy") continue;
    const std::string body = dg::data::read_file_bytes(f.path().string());
    const std::string zip = stored_zip("arr_0.npy", body, true);
    std::ofstream(f.path().string() + ".zip64.npz", std::ios::binary)
        .write(zip.data(), static_cast<std::streamsize>(zip.size()));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);

  expect_ok_or_error([&] { check_array(dg::data::parse_npy(bytes, "fuzz.npy")); });

  expect_ok_or_error([&] {
    const std::vector<std::string> keys = dg::data::parse_npz_keys(bytes, "fuzz.npz");
    size_t tried = 0;
    for (const std::string& key : keys) {
      if (++tried > 16) break;  // bounded work per input; real archives have a handful of members
      expect_ok_or_error([&] { check_array(dg::data::parse_npz(bytes, "fuzz.npz", key)); });
    }
    expect_ok_or_error([&] { dg::data::parse_npz(bytes, "fuzz.npz", "\x01no such key"); });
  });

  expect_ok_or_error([&] {
    check_array(
        dg::data::parse_npz(stored_zip("arr_0.npy", bytes, size % 2 == 1), "wrapped.npz", "arr_0"));
  });
  return 0;
}
