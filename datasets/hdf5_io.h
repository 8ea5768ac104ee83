// HDF5 reading and writing of ZDC arrays (docs/design.md#hdf5: datasets `responses` and
// `particles`). Arrays travel as NpyArray so the HDF5 path and the numpy path hand callers the same
// thing: values as double, the stored precision kept in `dtype` ("<f4" or "<f8").
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "datasets/npy.h"

namespace dg::data {

// False in a build without HDF5 (CMake DG_HDF5=OFF or libhdf5 not found): every function below
// then throws "built without HDF5" naming the file.
bool hdf5_available();

// Reads a float32 or float64 dataset of any rank (a scalar dataset has shape {}). `name` is a path
// inside the file ("responses", or "group/responses"). Every failure is a dg::Error naming the file
// and the dataset; a missing dataset lists the datasets at the root.
NpyArray read_h5_dataset(const std::string& path, const std::string& name);

// Names of the datasets directly under the root group, in HDF5's name order.
std::vector<std::string> list_h5_datasets(const std::string& path);

// Writes each array as a little-endian float32 or float64 dataset according to its dtype ("<f4",
// "<f8"). The file is built under a temporary name in the target directory and renamed into place,
// so readers never see a partial file and a failure leaves nothing behind.
void write_h5(const std::string& path,
              const std::vector<std::pair<std::string, NpyArray>>& datasets);

}  // namespace dg::data
