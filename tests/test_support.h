// Helpers shared by several test files: a private scratch folder, and the exact state of a pair of
// GAN models (for bit-exact resume checks).
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gan/trainer.h"

namespace dg::test {

// A folder under the system temp directory, unique per test binary run and tag, created empty and
// removed with everything in it.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag) {
    path = std::filesystem::temp_directory_path() / ("dg_test_" + tag + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
  std::string operator/(const std::string& name) const { return file(name); }
  size_t file_count() const {
    size_t n = 0;
    for (auto& e : std::filesystem::directory_iterator(path)) n += e.is_regular_file();
    return n;
  }
};

// Every parameter and BN buffer of both networks, in a fixed order, as exact values.
inline std::vector<double> model_state(const gan::Models& m) {
  std::vector<double> all;
  for (const auto& ts : {m.g->named_parameters(), m.g->named_buffers(), m.d->named_parameters(), m.d->named_buffers()})
    for (const auto& [name, t] : ts) {
      auto v = t.to_vector();
      all.insert(all.end(), v.begin(), v.end());
    }
  return all;
}

}  // namespace dg::test
