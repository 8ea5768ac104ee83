// NumPy .npy reading and writing. Reads what numpy writes: format versions 1.0-3.0, floats (f2, f4,
// f8), integers (i1-i8, u1-u8) and bool in either byte order, C or Fortran order; bytes after the
// data are ignored, as np.load ignores them. Everything is converted to double in C order on load
// (docs/design.md#npy-and-npz), so callers never branch on the stored dtype or layout. Writes
// little-endian float32/float64 in C order, version 1.0.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace dg::data {

struct NpyArray {
  std::string dtype;  // numpy descr as stored, e.g. "<f8", ">i2", "|u1"
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
