// safetensors checkpoints: bit-exact round trips, the on-disk layout read back by hand, rejection
// of damaged files, and atomic writes.
// Run: build/dg_tests -tc="checkpoint*"
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "engine/checkpoint.h"

using namespace dg;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test case, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("dg_ckpt_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

// A file built by hand: length, header text, data bytes.
std::string raw_file(const std::string& header, const std::string& data) {
  return le64(header.size()) + header + data;
}

Tensor random_tensor(const Shape& shape, DType dtype, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> d;
  std::vector<double> v(shape_numel(shape));
  for (auto& x : v) x = d(gen);
  return Tensor::from_vector(v, shape, dtype);
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

std::vector<std::string> tmp_leftovers(const fs::path& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos)
      out.push_back(e.path().filename().string());
  return out;
}

std::vector<std::pair<std::string, Tensor>> sample_tensors() {
  Tensor f32 = random_tensor({2, 3}, DType::F32, 1);
  Tensor f64 = random_tensor({5}, DType::F64, 2);
  // Values whose bits a text round trip or a conversion would disturb.
  f64.data<double>()[0] = -0.0;
  f64.data<double>()[1] = std::numeric_limits<double>::denorm_min();
  f64.data<double>()[2] = std::numeric_limits<double>::infinity();
  f64.data<double>()[3] = std::numeric_limits<double>::quiet_NaN();
  f32.data<float>()[0] = std::nextafter(1.0f, 2.0f);
  return {{"gen.0.weight", f32},
          {"gen.0.bias", f64},
          {"step_scalar", Tensor::scalar(42.5, DType::F32)},
          {"empty", Tensor::zeros({3, 0, 2}, DType::F64)},
          {"conv", random_tensor({2, 1, 3, 3}, DType::F32, 3)}};
}

}  // namespace

TEST_CASE("checkpoint: round trip is bit-exact and keeps order and metadata") {
  TempDir dir;
  auto tensors = sample_tensors();
  std::map<std::string, std::string> meta = {{"step", "1200"},
                                             {"config", R"({"lr": 0.0002, "name": "sdi \"gan\""})"},
                                             {"unicode", "Zürich µ"}};
  save_safetensors(dir.file("a.safetensors"), tensors, meta);
  SafetensorsFile f = load_safetensors(dir.file("a.safetensors"));
  REQUIRE(f.tensors.size() == tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    CAPTURE(tensors[i].first);
    CHECK(f.tensors[i].first == tensors[i].first);
    CHECK(f.tensors[i].second.device() == Device::CPU);
    CHECK(same_bytes(f.tensors[i].second, tensors[i].second));
  }
  CHECK(f.metadata == meta);
  REQUIRE(f.find("step_scalar") != nullptr);
  CHECK(f.find("step_scalar")->dim() == 0);
  CHECK(f.find("step_scalar")->item() == 42.5);
  CHECK(f.find("empty")->shape() == Shape{3, 0, 2});
  CHECK(f.find("missing") == nullptr);

  // No metadata and no tensors are both legal.
  save_safetensors(dir.file("empty.safetensors"), {});
  SafetensorsFile e = load_safetensors(dir.file("empty.safetensors"));
  CHECK(e.tensors.empty());
  CHECK(e.metadata.empty());
}

TEST_CASE("checkpoint: the file is valid safetensors when read by hand") {
  TempDir dir;
  auto tensors = sample_tensors();
  save_safetensors(dir.file("a.safetensors"), tensors, {{"step", "7"}});
  std::string bytes = read_bytes(dir.file("a.safetensors"));
  REQUIRE(bytes.size() >= 8);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  CHECK(n % 8 == 0);
  REQUIRE(8 + n <= bytes.size());
  std::string header = bytes.substr(8, n);
  CHECK(header.front() == '{');
  CHECK(header.find_last_not_of(' ') == header.rfind('}'));  // padded with spaces only
  auto j = nlohmann::json::parse(header);
  CHECK(j["__metadata__"] == nlohmann::json({{"step", "7"}}));
  CHECK(j.size() == tensors.size() + 1);
  uint64_t data_len = bytes.size() - 8 - n, expect_begin = 0;
  for (const auto& entry : tensors) {
    const std::string& name = entry.first;  // CAPTURE's lambda cannot take a structured binding
    const Tensor& t = entry.second;         // in clang before 16
    CAPTURE(name);
    REQUIRE(j.contains(name));
    const auto& e = j[name];
    CHECK(e["dtype"] == (t.dtype() == DType::F32 ? "F32" : "F64"));
    CHECK(e["shape"].get<Shape>() == t.shape());
    auto off = e["data_offsets"].get<std::vector<uint64_t>>();
    REQUIRE(off.size() == 2);
    CHECK(off[0] == expect_begin);  // data laid out in the given order, back to back
    CHECK(off[1] - off[0] == t.nbytes());
    REQUIRE(off[1] <= data_len);
    CHECK(std::memcmp(bytes.data() + 8 + n + off[0], t.raw(), t.nbytes()) == 0);
    expect_begin = off[1];
  }
  CHECK(expect_begin == data_len);
}

TEST_CASE("checkpoint: damaged files are rejected with a clear error") {
  TempDir dir;
  const std::string good = dir.file("good.safetensors"), bad = dir.file("bad.safetensors");
  save_safetensors(good, sample_tensors(), {{"k", "v"}});
  const std::string bytes = read_bytes(good);

  SUBCASE("shorter than the length prefix") {
    write_bytes(bad, bytes.substr(0, 5));
    CHECK_THROWS_WITH_AS(load_safetensors(bad),
                         doctest::Contains("shorter than the 8-byte header length"), dg::Error);
  }
  SUBCASE("truncated data") {
    write_bytes(bad, bytes.substr(0, bytes.size() - 3));
    CHECK_THROWS_WITH_AS(load_safetensors(bad),
                         doctest::Contains("run past the end of the data section"), dg::Error);
  }
  SUBCASE("truncated header") {
    write_bytes(bad, bytes.substr(0, 20));
    CHECK_THROWS_WITH_AS(load_safetensors(bad),
                         doctest::Contains("larger than the rest of the file"), dg::Error);
  }
  SUBCASE("header length corrupted to huge") {
    write_bytes(bad, le64(0x7fffffffffffull) + bytes.substr(8));
    CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains("exceeds the 100 MB limit"),
                         dg::Error);
  }
  SUBCASE("garbage JSON") {
    write_bytes(bad, raw_file("{\"a\": [1, 2,,}   ", ""));
    CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains("header is not valid JSON"),
                         dg::Error);
  }
  SUBCASE("header is JSON but not an object") {
    write_bytes(bad, raw_file("[1, 2, 3]", ""));
    CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains("must be an object"), dg::Error);
  }
  SUBCASE("offsets beyond the data") {
    write_bytes(bad, raw_file(R"({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})",
                              std::string(8, '\0')));
    CHECK_THROWS_WITH_AS(load_safetensors(bad),
                         doctest::Contains("'x': data_offsets [0, 16] run past the end"),
                         dg::Error);
  }
  SUBCASE("unknown dtype") {
    write_bytes(bad, raw_file(R"({"x": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}})",
                              std::string(4, '\0')));
    CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains("unknown dtype 'BF16'"),
                         dg::Error);
  }
  SUBCASE("byte count does not match the shape") {
    write_bytes(bad, raw_file(R"({"x": {"dtype": "F64", "shape": [3], "data_offsets": [0, 16]}})",
                              std::string(16, '\0')));
    CHECK_THROWS_WITH_AS(load_safetensors(bad),
                         doctest::Contains("span 16 bytes but shape (3,) of F64 needs 24"),
                         dg::Error);
  }
  SUBCASE("overlapping tensors") {
    write_bytes(bad, raw_file(R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                              R"( "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                              std::string(12, '\0')));
    CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains("overlap tensor 'x'"), dg::Error);
  }
  SUBCASE("data section longer than the tensors") {
    write_bytes(bad, raw_file(R"({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
                              std::string(12, '\0')));
    CHECK_THROWS_WITH_AS(
        load_safetensors(bad),
        doctest::Contains("data section is 12 bytes but the tensors end at offset 4"), dg::Error);
  }
  SUBCASE("missing or ill-typed fields") {
    write_bytes(
        bad, raw_file(R"({"x": {"dtype": "F32", "data_offsets": [0, 4]}})", std::string(4, '\0')));
    CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains("missing or non-array 'shape'"),
                         dg::Error);
    write_bytes(bad, raw_file(R"({"x": {"dtype": 3, "shape": [1], "data_offsets": [0, 4]}})",
                              std::string(4, '\0')));
    CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains("non-string 'dtype'"), dg::Error);
    write_bytes(bad, raw_file(R"({"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})",
                              std::string(4, '\0')));
    CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains("non-negative integers"),
                         dg::Error);
    write_bytes(bad, raw_file(R"({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})",
                              std::string(4, '\0')));
    CHECK_THROWS_WITH_AS(load_safetensors(bad),
                         doctest::Contains("'data_offsets' must be an array [begin, end]"),
                         dg::Error);
    write_bytes(bad, raw_file(R"({"__metadata__": {"step": 5}})", ""));
    CHECK_THROWS_WITH_AS(load_safetensors(bad),
                         doctest::Contains("metadata 'step' must be a string"), dg::Error);
  }
  SUBCASE("every message names the file") {
    write_bytes(bad, "xx");
    CHECK_THROWS_WITH_AS(load_safetensors(bad), doctest::Contains(bad.c_str()), dg::Error);
    CHECK_THROWS_WITH_AS(load_safetensors(dir.file("nope.safetensors")),
                         doctest::Contains("No such file or directory"), dg::Error);
  }
}

TEST_CASE("checkpoint: an unwritable target throws and leaves nothing behind") {
  TempDir dir;
  const std::string target = dir.file("no_such_dir/model.safetensors");
  CHECK_THROWS_WITH_AS(save_safetensors(target, sample_tensors()),
                       doctest::Contains(target.c_str()), dg::Error);
  CHECK_THROWS_WITH_AS(save_safetensors(target, sample_tensors()),
                       doctest::Contains("No such file or directory"), dg::Error);
  CHECK(tmp_leftovers(dir.path).empty());
  CHECK_FALSE(fs::exists(dir.path / "no_such_dir"));
  CHECK_THROWS_WITH_AS(save_safetensors(dir.file("x"), {{"a", Tensor()}}),
                       doctest::Contains("'a' is undefined"), dg::Error);
  CHECK_THROWS_WITH_AS(
      save_safetensors(dir.file("x"), {{"a", Tensor::zeros({1})}, {"a", Tensor::zeros({1})}}),
      doctest::Contains("duplicate tensor name 'a'"), dg::Error);
  CHECK(fs::is_empty(dir.path));
}

TEST_CASE("checkpoint: overwriting is atomic") {
  TempDir dir;
  const std::string target = dir.file("ckpt.safetensors");
  auto old_tensors = sample_tensors();
  save_safetensors(target, old_tensors, {{"step", "1"}});
  const std::string old_bytes = read_bytes(target);
  // Large enough that the write cannot finish inside the file size limit below.
  std::vector<std::pair<std::string, Tensor>> big = {{"w", Tensor::full({1 << 16}, 3.0)}};

  SUBCASE("a write that fails midway leaves the old file intact") {
    // RLIMIT_FSIZE makes write() fail with EFBIG even for root, where a read-only directory would
    // not stop anything; SIGXFSZ is ignored so the failure is an error code, not a signal.
    struct rlimit old_lim;
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_lim) == 0);
    struct sigaction ign {
    }, old_act{};
    ign.sa_handler = SIG_IGN;
    REQUIRE(::sigaction(SIGXFSZ, &ign, &old_act) == 0);
    struct rlimit lim = old_lim;
    lim.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lim) == 0);
    bool threw = false;
    std::string what;
    try {
      save_safetensors(target, big, {{"step", "2"}});
    } catch (const dg::Error& e) {
      threw = true;
      what = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old_lim);
    ::sigaction(SIGXFSZ, &old_act, nullptr);
    CHECK(threw);
    CHECK(what.find(target) != std::string::npos);
    CHECK(what.find("File too large") != std::string::npos);
    CHECK(read_bytes(target) == old_bytes);
    CHECK(tmp_leftovers(dir.path).empty());
  }
  SUBCASE("a temporary file that cannot be created leaves the old file intact") {
    fs::create_directory(target + ".tmp." + std::to_string(::getpid()));  // blocks the temp name
    CHECK_THROWS_WITH_AS(save_safetensors(target, big), doctest::Contains("cannot create"),
                         dg::Error);
    CHECK(read_bytes(target) == old_bytes);
    fs::remove(target + ".tmp." + std::to_string(::getpid()));
  }
  SUBCASE("a read-only directory (when permissions apply to this user)") {
    fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec,
                    fs::perm_options::replace);
    bool enforced = ::access(dir.path.c_str(), W_OK) != 0;
    if (enforced) {
      CHECK_THROWS_AS(save_safetensors(target, big), dg::Error);
      CHECK(read_bytes(target) == old_bytes);
    } else {
      MESSAGE("running with permission override (root): read-only directory case skipped");
    }
    fs::permissions(dir.path, fs::perms::owner_all, fs::perm_options::replace);
    CHECK(tmp_leftovers(dir.path).empty());
  }
  SUBCASE("a successful overwrite replaces the file and leaves no temporary") {
    save_safetensors(target, big, {{"step", "2"}});
    SafetensorsFile f = load_safetensors(target);
    REQUIRE(f.tensors.size() == 1);
    CHECK(same_bytes(f.tensors[0].second, big[0].second));
    CHECK(f.metadata.at("step") == "2");
    CHECK(tmp_leftovers(dir.path).empty());
  }
}

TEST_CASE("checkpoint: restore_tensors copies by name and checks shapes") {
  TempDir dir;
  Tensor w = random_tensor({2, 3}, DType::F32, 11), b = random_tensor({3}, DType::F32, 12);
  save_safetensors(dir.file("m.safetensors"),
                   {{"gen.w", w}, {"gen.b", b}, {"other", Tensor::zeros({1})}});
  SafetensorsFile f = load_safetensors(dir.file("m.safetensors"));

  Tensor w2 = Tensor::zeros({2, 3}), b2 = Tensor::zeros({3});
  restore_tensors(f, {{"w", w2}, {"b", b2}}, "gen.");
  CHECK(same_bytes(w2, w));
  CHECK(same_bytes(b2, b));

  Tensor w64 = Tensor::zeros({2, 3}, DType::F64);  // converted on the way in
  restore_tensors(f, {{"gen.w", w64}});
  CHECK(w64.to_vector() == w.to_vector());

  // A mismatch anywhere leaves every destination untouched.
  Tensor a = Tensor::zeros({2, 3}), bad = Tensor::zeros({4});
  CHECK_THROWS_WITH_AS(
      restore_tensors(f, {{"w", a}, {"b", bad}}, "gen."),
      doctest::Contains("'gen.b' has shape (3,) in the checkpoint, (4,) in the model"), dg::Error);
  CHECK(a.to_vector() == std::vector<double>(6, 0.0));
  CHECK_THROWS_WITH_AS(restore_tensors(f, {{"w", a}, {"missing", bad}}, "gen."),
                       doctest::Contains("'gen.missing' is missing"), dg::Error);
  restore_tensors(f, {{"w", a}, {"missing", bad}}, "gen.", /*allow_missing=*/true);
  CHECK(same_bytes(a, w));
  CHECK(bad.to_vector() == std::vector<double>(4, 0.0));
}
