// base/: the one atomic writer (all or nothing: a failing writer, a full device or a missing folder
// leave the previous file and no temporary file, and the error names the target) and the error
// checks (user errors without the source location, internal assertions with it).
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "base/atomic_file.h"
#include "base/error.h"
#include "tests/test_support.h"

using namespace dg;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("write_file_atomic: all or nothing") {
  test::TempDir dir("atomic_file");
  const std::string path = dir.file("out.json");
  write_file_atomic(path, std::string("first"));
  CHECK(slurp(path) == "first");
  write_file_atomic(path, std::string("second, longer"));
  CHECK(slurp(path) == "second, longer");
  CHECK(dir.file_count() == 1);

  // A writer that fails half-way: the old content stays, no temporary file is left.
  CHECK_THROWS_WITH_AS(write_file_atomic(path,
                                         [&](std::FILE* f) {
                                           write_all(f, "partial", 7, path);
                                           throw Error("writer failed");
                                         }),
                       "writer failed", Error);
  CHECK(slurp(path) == "second, longer");
  CHECK(dir.file_count() == 1);

  // A folder that does not exist: the error names the target.
  const std::string missing = dir.file("no/such/folder/x.json");
  CHECK_THROWS_WITH_AS(write_file_atomic(missing, std::string("x")),
                       doctest::Contains(missing.c_str()), Error);

  // A name-based writer (as HDF5 uses) that creates nothing: refused, nothing left behind.
  CHECK_THROWS_AS(write_file_atomic_via(dir.file("never.h5"), [](const std::string&) {}), Error);
  CHECK(dir.file_count() == 1);
}

TEST_CASE("write_file_atomic: a full device is an error naming the file, and nothing is left") {
  // /dev/full accepts opens and fails every write with ENOSPC; write_all must report it.
  std::FILE* f = std::fopen("/dev/full", "wb");
  if (!f) {
    MESSAGE("no /dev/full here: the full-device case is not checked");
    return;
  }
  std::setvbuf(f, nullptr, _IONBF, 0);  // unbuffered: the write itself fails
  CHECK_THROWS_WITH_AS(write_all(f, "abc", 3, "target.bin"), doctest::Contains("target.bin"),
                       Error);
  std::fclose(f);
}

TEST_CASE("errors: user checks carry no source location, internal assertions do") {
  if (debug_mode()) {
    MESSAGE("DG_DEBUG is set: user errors carry file:line in this run; the check is skipped");
    return;
  }
  try {
    DG_CHECK(1 + 1 == 3, "expected 3");
    FAIL("DG_CHECK did not throw");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "expected 3");
  }
  try {
    DG_ASSERT(false, "broken invariant");
    FAIL("DG_ASSERT did not throw");
  } catch (const Error& e) {
    const std::string m = e.what();
    CHECK(m.find("internal error: broken invariant") == 0);
    CHECK(m.find("test_base.cpp:") != std::string::npos);
  }
}
