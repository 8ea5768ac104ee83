// NumPy .npy reading and writing (format versions 1.0-3.0, little-endian, C order). The ZDC data
// ships as numpy arrays (docs/design.md#zdc-data-files); everything is converted to double on load
// so callers never branch on the stored dtype.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace dg::data {

struct NpyArray {
  std::string dtype;  // numpy descr as stored, e.g. "<f8"
  Shape shape;
  std::vector<double> data;  // C order, converted to double
};

// Parses .npy bytes; `origin` names the source (file or archive member) in error messages.
NpyArray parse_npy(const std::string& bytes, const std::string& origin);
NpyArray read_npy(const std::string& path);

// dtype is "<f8" or "<f4"; the values are narrowed for "<f4".
std::string encode_npy(const std::vector<double>& data, const Shape& shape,
                       const std::string& dtype = "<f8");
// Written to a temporary file next to `path` and renamed, so readers never see a partial file.
void write_npy(const std::string& path, const std::vector<double>& data, const Shape& shape,
               const std::string& dtype = "<f8");

// Whole-file read with the file name in every error.
std::string read_file_bytes(const std::string& path);

}  // namespace dg::data
