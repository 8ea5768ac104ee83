// safetensors files: 8-byte little-endian header length N, N bytes of JSON header
// {"name": {"dtype": "F32"|"F64", "shape": [...], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {string: string}}, then the raw little-endian data. Loadable by the
// safetensors readers of PyTorch and numpy. Writes go to a temporary file in the same folder,
// are flushed, then renamed over the target: a crash never leaves a half-written checkpoint.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace dg {

struct SafetensorsFile {
  std::vector<std::pair<std::string, Tensor>> tensors;  // in file order, on the CPU
  std::map<std::string, std::string> metadata;
  const Tensor* find(const std::string& name) const;
};

// Throws dg::Error naming the file when it cannot be written (nothing is left behind then).
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});
// Throws dg::Error naming the file and what is wrong (bad header length, malformed JSON, offsets
// outside the file, wrong byte counts, unknown dtype, truncated data).
SafetensorsFile load_safetensors(const std::string& path);
// The same reader over the bytes of a whole file held in memory; `origin` names them in errors
// (the fuzz target tests/fuzz/fuzz_safetensors.cpp goes through here).
SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& origin);

// Copies the file's tensors into `dst` by name; every name in dst must be present with the same
// shape (else an Error naming the tensor), unless allow_missing.
void restore_tensors(const SafetensorsFile& file,
                     const std::vector<std::pair<std::string, Tensor>>& dst,
                     const std::string& prefix = "", bool allow_missing = false);

}  // namespace dg
