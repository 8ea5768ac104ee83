// libFuzzer target for the safetensors reader (engine/checkpoint.cpp: header length, header JSON,
// dtypes, shapes, data offsets). Each input is fed to parse_safetensors and, written to a
// temporary file, to load_safetensors: both must agree (the same tensors, or a dg::Error with the
// same message after the function name). A dg::Error is the expected outcome for bad input; any
// other exception, a sanitizer report, a crash or a hang is a finding. A file that parses must
// hold F32/F64 CPU tensors whose bytes, in file order, are exactly the data section.
// Build and run (clang, ASan+UBSan): tests/fuzz/run.sh [seconds]   (default 60; see that script)
// Reproduce a finding: build-fuzz/fuzz_safetensors path/to/crash-file
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>

#include "base/error.h"
#include "engine/checkpoint.h"
#include "tests/fuzz/fuzz_support.h"

namespace dg::fuzz {
const char* const kTarget = "fuzz_safetensors";
}  // namespace dg::fuzz

namespace {

using dg::fuzz::expect_ok_or_error;
using dg::fuzz::finding;
using dg::fuzz::require;

// What a successful parse of `bytes` must satisfy.
void check_file(const dg::SafetensorsFile& f, const std::string& bytes) {
  require(bytes.size() >= 8, "parsed a file shorter than the length prefix");
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i)
    header_len |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  require(header_len <= bytes.size() - 8, "header runs past the end");
  std::string data;
  for (const auto& [name, t] : f.tensors) {
    require(t.defined() && t.device() == dg::Device::CPU, "tensor undefined or not on the CPU");
    require(t.dtype() == dg::DType::F32 || t.dtype() == dg::DType::F64, "dtype not F32/F64");
    int64_t n = 1;
    for (int64_t d : t.shape()) {
      require(d >= 0, "negative dimension");
      require(!__builtin_mul_overflow(n, d, &n), "shape product overflows");
    }
    require(n == t.numel(), "numel does not match the shape");
    require(f.find(name) != nullptr, "find() misses a tensor");
    if (t.nbytes() > 0) data.append(static_cast<const char*>(t.raw()), t.nbytes());
  }
  // Tensors come in file order and must cover the data section exactly.
  require(data == bytes.substr(8 + header_len), "tensor bytes differ from the data section");
}

// The message without its "load_safetensors('...')" / "parse_safetensors('...')" prefix.
std::string after_origin(const std::string& msg) {
  const size_t p = msg.find("'): ");
  return p == std::string::npos ? msg : msg.substr(p + 4);
}

struct Outcome {
  bool ok = false;
  std::string error;  // without the origin prefix
  dg::SafetensorsFile file;
};

template <class F>
Outcome run(F&& f) {
  Outcome o;
  try {
    o.file = f();
    o.ok = true;
  } catch (const dg::Error& e) {
    o.error = after_origin(e.what());  // expected for malformed input
  } catch (const std::exception& e) {
    finding("exception other than dg::Error:", e.what());
  } catch (...) {
    finding("non-std exception");
  }
  return o;
}

std::string temp_path() {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/fuzz_safetensors." +
         std::to_string(::getpid()) + ".safetensors";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);

  const Outcome mem = run([&] { return dg::parse_safetensors(bytes, "fuzz.safetensors"); });
  if (mem.ok) check_file(mem.file, bytes);

  static const std::string path = temp_path();
  std::FILE* fp = std::fopen(path.c_str(), "wb");
  if (!fp || std::fwrite(bytes.data(), 1, bytes.size(), fp) != bytes.size() || std::fclose(fp))
    finding("cannot write the temporary file", path.c_str());
  const Outcome disk = run([&] { return dg::load_safetensors(path); });
  std::remove(path.c_str());

  require(mem.ok == disk.ok, "parse_safetensors and load_safetensors disagree on success");
  if (!mem.ok) {
    if (mem.error != disk.error) finding("the readers' errors differ:", disk.error.c_str());
    return 0;
  }
  require(mem.file.metadata == disk.file.metadata, "the readers' metadata differ");
  require(mem.file.tensors.size() == disk.file.tensors.size(), "the readers' tensor counts differ");
  for (size_t i = 0; i < mem.file.tensors.size(); ++i) {
    const auto& [na, a] = mem.file.tensors[i];
    const auto& [nb, b] = disk.file.tensors[i];
    require(na == nb && a.shape() == b.shape() && a.dtype() == b.dtype() &&
                (a.nbytes() == 0 || std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0),
            "the readers' tensors differ");
  }
  return 0;
}
