// The HDF5 entry points of a build without HDF5 (CMake found no libhdf5, or DG_HDF5=OFF): each
// says so, naming the file, so a .h5 path fails with a clear message instead of a link error.
#include "base/error.h"
#include "datasets/hdf5_io.h"

namespace dg::data {

namespace {
[[noreturn]] void no_hdf5(const std::string& path) {
  DG_FAIL(path << ": this divgan was built without HDF5 (install libhdf5-dev and reconfigure); "
                  "use .npz or .npy files instead");
}
}  // namespace

bool hdf5_available() { return false; }
NpyArray read_h5_dataset(const std::string& path, const std::string&) { no_hdf5(path); }
std::vector<std::string> list_h5_datasets(const std::string& path) { no_hdf5(path); }
void write_h5(const std::string& path, const std::vector<std::pair<std::string, NpyArray>>&) {
  no_hdf5(path);
}

}  // namespace dg::data
