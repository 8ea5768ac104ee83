// Helpers shared by several test files: a private scratch folder, the exact state of a pair of GAN
// models (for bit-exact resume checks), and a small simulated ZDC training set.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "datasets/hdf5_io.h"
#include "datasets/zdc_dataset.h"
#include "datasets/zdc_simulator.h"
#include "gan/trainer.h"

// HDF5 tests return early, with a visible message, in a build without HDF5.
#define DG_REQUIRE_HDF5()                                     \
  if (!dg::data::hdf5_available()) {                          \
    MESSAGE("built without HDF5: this HDF5 test is skipped"); \
    return;                                                   \
  }

namespace dg::test {

// A folder under the system temp directory, unique per test binary run and tag, created empty and
// removed with everything in it.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag) {
    path = std::filesystem::temp_directory_path() /
           ("dg_test_" + tag + "_" + std::to_string(::getpid()));
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
  for (const auto& ts : {m.g->named_parameters(), m.g->named_buffers(), m.d->named_parameters(),
                         m.d->named_buffers()})
    for (const auto& [name, t] : ts) {
      auto v = t.to_vector();
      all.insert(all.end(), v.begin(), v.end());
    }
  return all;
}

// The training split (80/20 split seed 1) of `particles` simulated particles (simulator seed 3),
// conditions standardized on it: a small ZDC set for training tests.
inline std::shared_ptr<data::ZdcDataset> simulated_zdc_train(int64_t particles) {
  data::ZdcSimConfig sc;
  sc.seed = 3;
  sc.particles = particles;
  data::ZdcSample s = data::simulate_zdc(sc);
  data::ZdcRaw raw{s.n, s.responses, s.particles};
  data::ZdcSplit split = data::split_80_20(raw.n, 1);
  data::Standardizer st;
  st.fit(raw.particles, split.train);
  return std::make_shared<data::ZdcDataset>(raw, split.train, st);
}

}  // namespace dg::test
