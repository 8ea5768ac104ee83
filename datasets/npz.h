// NumPy .npz (zip archive of .npy members) reading and writing. Members are addressed by the
// numpy key, i.e. without the ".npy" suffix ("arr_0" is the file "arr_0.npy" in the archive).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "datasets/npy.h"

namespace dg::data {

// Keys of all .npy members, in central-directory order.
std::vector<std::string> npz_keys(const std::string& path);
NpyArray read_npz(const std::string& path, const std::string& key);
// The same readers over an archive already in memory (`bytes` is the whole .npz); `origin` names
// it in error messages. The path-based readers share all parsing with these.
std::vector<std::string> parse_npz_keys(const std::string& bytes, const std::string& origin);
NpyArray parse_npz(const std::string& bytes, const std::string& origin, const std::string& key);

struct NpzMember {
  std::string key;
  Shape shape;
  std::vector<double> data;
  std::string dtype = "<f8";  // "<f8" or "<f4"
};
// compress=false stores members like np.savez; true deflates them like np.savez_compressed.
// Written to a temporary file and renamed into place.
void write_npz(const std::string& path, const std::vector<NpzMember>& members,
               bool compress = false);

}  // namespace dg::data
