// libFuzzer target for what the loaders read from a checkpoint's metadata: the training config
// (gan/trainer.cpp checkpoint_config, gan/config.cpp TrainConfig::from_json), the integer entries
// (checkpoint_metadata_u64: step, Adam steps, Philox offsets) and the ZDC condition standardizer
// (datasets/zdc_dataset.cpp Standardizer::from_json). Each input is used three ways: as a
// safetensors file, parsed and then read as the loaders read it; as the value of every metadata
// entry of a file holding valid tensors; and as JSON text given to both from_json. A dg::Error is
// the expected outcome for bad input; any other exception, a sanitizer report, a crash or a hang is
// a finding. What is accepted must round-trip: a config or standardizer through to_json/from_json,
// an integer entry only as plain decimal digits.
// Build and run (clang, ASan+UBSan): tests/fuzz/run.sh [seconds]   (default 60; see that script)
// Reproduce a finding: build-fuzz/fuzz_checkpoint_config path/to/crash-file
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "datasets/zdc_dataset.h"
#include "engine/checkpoint.h"
#include "gan/config.h"
#include "gan/trainer.h"
#include "tests/fuzz/fuzz_support.h"

namespace dg::fuzz {
const char* const kTarget = "fuzz_checkpoint_config";
}  // namespace dg::fuzz

namespace {

using dg::fuzz::expect_ok_or_error;
using dg::fuzz::finding;
using dg::fuzz::require;

using nlohmann::json;

// An accepted config survives to_json/from_json unchanged, and validate() only throws dg::Error.
void check_config(const dg::gan::TrainConfig& c) {
  const json j = c.to_json();
  require(dg::gan::TrainConfig::from_json(j).to_json() == j, "config changes in a JSON round trip");
  expect_ok_or_error([&] { c.validate(); });
}

void check_standardizer(const dg::data::Standardizer& s) {
  for (int64_t k = 0; k < dg::data::kZdcCondDim; ++k) {
    require(std::isfinite(s.mean[k]) && std::isfinite(s.scale[k]) && s.scale[k] > 0,
            "standardizer mean/scale not finite or scale not > 0");
    require(!s.has_range || (std::isfinite(s.lo[k]) && std::isfinite(s.hi[k])),
            "standardizer range not finite");
  }
  const dg::data::Standardizer b = dg::data::Standardizer::from_json(s.to_json());
  require(b.mean == s.mean && b.scale == s.scale && b.has_range == s.has_range &&
              (!s.has_range || (b.lo == s.lo && b.hi == s.hi)),
          "standardizer changes in a JSON round trip");
}

// Every metadata read of the loaders (gan/trainer.cpp Trainer::load, tools/run_zdc.cpp
// load_zdc_model, tools/train_loop.cpp read_best), each on its own.
void check_metadata(const dg::SafetensorsFile& f) {
  expect_ok_or_error([&] { check_config(dg::gan::checkpoint_config(f, "fuzz.safetensors")); });
  for (const char* key :
       {"step", "optG.steps", "optD.steps", "rng.z", "rng.data", "rng.dropout", "best.step"}) {
    expect_ok_or_error([&] {
      const uint64_t v = dg::gan::checkpoint_metadata_u64(f, "fuzz.safetensors", key);
      const std::string& s = f.metadata.at(key);
      require(!s.empty() && s.find_first_not_of("0123456789") == std::string::npos,
              "an integer entry other than plain decimal digits was accepted");
      const size_t nz = s.find_first_not_of('0');
      require(std::to_string(v) == (nz == std::string::npos ? "0" : s.substr(nz)),
              "an integer entry was read as another value");
    });
  }
  auto it = f.metadata.find("zdc.standardizer");
  if (it != f.metadata.end()) {
    // As load_zdc_model reads it: JSON syntax errors are its own to report.
    const json j = json::parse(it->second, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded())
      expect_ok_or_error([&] { check_standardizer(dg::data::Standardizer::from_json(j)); });
  }
}

// A file with valid tensors, enough for any plausible 2D config's networks (checkpoint_config
// bounds the network sizes a config names by the tensors the file holds), allocated once.
dg::SafetensorsFile& file_with_tensors() {
  static dg::SafetensorsFile f = [] {
    dg::SafetensorsFile g;
    g.tensors.emplace_back("G.net.0.weight", dg::Tensor::zeros({1 << 20}));
    return g;
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);

  expect_ok_or_error([&] { check_metadata(dg::parse_safetensors(bytes, "fuzz.safetensors")); });

  dg::SafetensorsFile& f = file_with_tensors();
  f.metadata.clear();
  for (const char* key : {"config", "step", "rng.z", "zdc.standardizer"}) f.metadata[key] = bytes;
  check_metadata(f);

  const json j = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded()) {
    expect_ok_or_error([&] { check_config(dg::gan::TrainConfig::from_json(j)); });
    expect_ok_or_error([&] { check_standardizer(dg::data::Standardizer::from_json(j)); });
  }
  return 0;
}
