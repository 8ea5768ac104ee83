#include "datasets/hdf5_io.h"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>

#include "base/atomic_file.h"
#include "base/error.h"

namespace dg::data {
namespace {

// Owns one hid_t and releases it with the matching H5*close. Closing errors are swallowed: they can
// only surface during unwinding or after the result is already decided, and a destructor must not
// throw. Write paths that need to know whether the close succeeded call release() explicitly.
class H5Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Handle() = default;
  H5Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  H5Handle(H5Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = H5I_INVALID_HID; }
  H5Handle& operator=(H5Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      closer_ = o.closer_;
      o.id_ = H5I_INVALID_HID;
    }
    return *this;
  }
  ~H5Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now and reports whether the library accepted it (for a file, whether the flush worked).
  bool release() {
    if (!valid()) return true;
    const herr_t rc = closer_(id_);
    id_ = H5I_INVALID_HID;
    return rc >= 0;
  }

 private:
  void reset() noexcept {
    if (valid() && closer_ != nullptr) closer_(id_);
    id_ = H5I_INVALID_HID;
  }
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// The library prints its error stack to stderr on every failed call by default; all failures here
// become exceptions with their own message, so the printing would be noise (and duplicates). The
// setting is per thread in thread-safe builds, hence done on every entry rather than once.
void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

herr_t innermost_error(unsigned n, const H5E_error2_t* err, void* out) {
  if (n == 0 && err != nullptr && err->desc != nullptr) *static_cast<std::string*>(out) = err->desc;
  return 0;
}

// The most specific description on the current error stack (e.g. "unable to open file"), walked
// before any further API call clears it; empty when the library recorded nothing.
std::string h5_reason() {
  std::string reason;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, &reason);
  return reason.empty() ? std::string() : " (HDF5: " + reason + ")";
}

H5Handle open_for_reading(const std::string& path) {
  silence_hdf5();
  std::error_code ec;
  DG_CHECK(std::filesystem::exists(path, ec), path << ": HDF5 file not found");
  DG_CHECK(!std::filesystem::is_directory(path, ec),
           path << ": is a directory, expected an HDF5 file");
  const htri_t is_h5 = H5Fis_hdf5(path.c_str());
  DG_CHECK(is_h5 > 0,
           path << ": not an HDF5 file (no HDF5 signature; expected a file with datasets "
                   "'responses' and 'particles')"
                << (is_h5 < 0 ? h5_reason() : ""));
  H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  DG_CHECK(file.valid(), path << ": cannot open HDF5 file for reading" << h5_reason());
  return file;
}

std::vector<std::string> datasets_at_root(hid_t file, const std::string& path) {
  H5G_info_t info{};
  DG_CHECK(H5Gget_info(file, &info) >= 0, path << ": cannot read the root group" << h5_reason());
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len =
        H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) continue;
    std::string name(static_cast<size_t>(len) + 1, '\0');
    H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<size_t>(len));
    // Dangling soft/external links fail to open; they are not readable datasets, so skip them.
    H5Handle obj(H5Oopen(file, name.c_str(), H5P_DEFAULT), H5Oclose);
    if (obj.valid() && H5Iget_type(obj.get()) == H5I_DATASET) names.push_back(name);
  }
  return names;
}

std::string join_names(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::ostringstream os;
  for (size_t i = 0; i < names.size(); ++i) os << (i ? ", " : "") << "'" << names[i] << "'";
  return os.str();
}

// The numpy descr of a float or integer HDF5 type, e.g. "<f4", ">i2", "|u1".
std::string numpy_descr(hid_t type, bool is_float, size_t size) {
  const char order = size == 1 ? '|' : H5Tget_order(type) == H5T_ORDER_BE ? '>' : '<';
  const char kind = is_float ? 'f' : H5Tget_sign(type) == H5T_SGN_NONE ? 'u' : 'i';
  return std::string{order, kind} + std::to_string(size);
}

std::string class_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER:
      return "integer";
    case H5T_FLOAT:
      return "float";
    case H5T_STRING:
      return "string";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_COMPOUND:
      return "compound";
    case H5T_REFERENCE:
      return "reference";
    case H5T_ENUM:
      return "enum";
    case H5T_VLEN:
      return "variable-length";
    case H5T_ARRAY:
      return "array";
    default:
      return "unknown";
  }
}

void write_contents(const std::string& tmp, const std::string& path,
                    const std::vector<std::pair<std::string, NpyArray>>& datasets) {
  H5Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  DG_CHECK(file.valid(), path << ": cannot create HDF5 file " << tmp
                              << " (does the directory exist and is it writable?)" << h5_reason());
  // Names such as "zdc/responses" get their groups created on the way.
  H5Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  DG_CHECK(lcpl.valid() && H5Pset_create_intermediate_group(lcpl.get(), 1) >= 0,
           path << ": cannot set up link creation properties" << h5_reason());
  for (const auto& [name, arr] : datasets) {
    const bool f32 = arr.dtype == "<f4";
    std::vector<hsize_t> dims(arr.shape.begin(), arr.shape.end());
    H5Handle space(dims.empty()
                       ? H5Screate(H5S_SCALAR)
                       : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                   H5Sclose);
    DG_CHECK(space.valid(), path << ": cannot create the dataspace of dataset '" << name
                                 << "' with shape " << shape_str(arr.shape) << h5_reason());
    H5Handle ds(H5Dcreate2(file.get(), name.c_str(), f32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE,
                           space.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                H5Dclose);
    DG_CHECK(ds.valid(), path << ": cannot create dataset '" << name << "'" << h5_reason());
    if (arr.data.empty()) continue;
    herr_t rc;
    if (f32) {
      // Narrowed here, as encode_npy does, so .npy and .h5 files of the same array hold the same
      // bits.
      std::vector<float> narrow(arr.data.begin(), arr.data.end());
      rc = H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, narrow.data());
    } else {
      rc = H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, arr.data.data());
    }
    DG_CHECK(rc >= 0,
             path << ": cannot write dataset '" << name << "' (disk full?)" << h5_reason());
    DG_CHECK(ds.release(), path << ": cannot close dataset '" << name << "'" << h5_reason());
  }
  DG_CHECK(file.release(),
           path << ": cannot flush and close " << tmp << " (disk full?)" << h5_reason());
}

// Checks a dataset of shape `dims` (`numel` > 0 values of `type_size` bytes) against what the file
// stores for it before anything is allocated or read: contiguous and compact storage must hold
// every value, chunked storage (possibly compressed) at least one byte per kMaxInflation bytes of
// values, deflate's own limit being about 1032:1, and the storage must lie in the file; chunks
// must have the dataset's rank and no zero extent (libhdf5 1.10 does not check this, and iterates
// over millions of chunks for a rank-1 dataspace with rank-2 chunks). So a corrupt header cannot
// make the reader, or the library, allocate more than a bounded multiple of the file's size. A
// dataset never written (no storage, only its fill value) is refused too: ZDC files hold data.
constexpr uint64_t kMaxInflation = 1100;

void check_storage(hid_t ds, const std::string& path, const std::string& where,
                   const std::vector<hsize_t>& dims, uint64_t numel, size_t type_size) {
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  DG_CHECK(!ec, where << ": cannot read the file's size: " << ec.message());
  H5Handle dcpl(H5Dget_create_plist(ds), H5Pclose);
  DG_CHECK(dcpl.valid(), where << ": cannot read its creation properties" << h5_reason());
  const H5D_layout_t layout = H5Pget_layout(dcpl.get());
  DG_CHECK(layout == H5D_CONTIGUOUS || layout == H5D_CHUNKED || layout == H5D_COMPACT,
           where << ": unsupported storage layout " << static_cast<int>(layout)
                 << " (expected contiguous, chunked or compact)" << h5_reason());
  if (layout == H5D_CHUNKED) {
    hsize_t chunk[H5S_MAX_RANK] = {};
    const int rank = H5Pget_chunk(dcpl.get(), H5S_MAX_RANK, chunk);
    bool ok = rank == static_cast<int>(dims.size());
    for (int k = 0; ok && k < rank; ++k) ok = chunk[k] > 0;
    DG_CHECK(ok, where << ": chunks of rank " << rank << " for a dataset of rank " << dims.size()
                       << ", or a chunk extent of 0 (corrupt file?)" << h5_reason());
  }
  const uint64_t stored = H5Dget_storage_size(ds);
  const unsigned __int128 bytes = static_cast<unsigned __int128>(numel) * type_size;
  const uint64_t ratio = layout == H5D_CHUNKED ? kMaxInflation : 1;
  DG_CHECK(
      stored > 0 && stored <= file_size && bytes <= static_cast<unsigned __int128>(stored) * ratio,
      where << ": declares " << numel << " values of " << type_size << " bytes but " << stored
            << " bytes are stored for it in a file of " << file_size
            << " bytes (corrupt or truncated file, or a dataset never written)");
}

}  // namespace

bool hdf5_available() { return true; }

std::vector<std::string> list_h5_datasets(const std::string& path) {
  H5Handle file = open_for_reading(path);
  return datasets_at_root(file.get(), path);
}

NpyArray read_h5_dataset(const std::string& path, const std::string& name) {
  H5Handle file = open_for_reading(path);
  const std::string where = path + ": dataset '" + name + "'";
  // H5Lexists fails (rather than returning 0) when an intermediate group is missing; both mean
  // absent.
  const htri_t exists = name.empty() ? 0 : H5Lexists(file.get(), name.c_str(), H5P_DEFAULT);
  if (exists <= 0) {
    DG_FAIL(where << " not found; datasets at the root: "
                  << join_names(datasets_at_root(file.get(), path))
                  << " (expected 'responses' and 'particles')");
  }
  H5Handle ds(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  DG_CHECK(ds.valid(), where << ": cannot open as a dataset (is it a group or a dangling link?)"
                             << h5_reason());

  H5Handle type(H5Dget_type(ds.get()), H5Tclose);
  DG_CHECK(type.valid(), where << ": cannot read its datatype" << h5_reason());
  const H5T_class_t cls = H5Tget_class(type.get());
  const size_t size = H5Tget_size(type.get());
  // What numpy and h5py write for numbers: floats of 2, 4 or 8 bytes, integers of 1 to 8 bytes,
  // either sign and byte order (photon counts are often stored as uint8/int16/int32). The library
  // converts each to double on reading, as the npy reader does.
  const bool is_float = cls == H5T_FLOAT && (size == 2 || size == 4 || size == 8);
  const bool is_int = cls == H5T_INTEGER && (size == 1 || size == 2 || size == 4 || size == 8);
  DG_CHECK(is_float || is_int, where << ": unsupported type " << class_name(cls) << " of " << size
                                     << " bytes; expected a float (2, 4 or 8 bytes) or an "
                                        "integer (1, 2, 4 or 8 bytes)");

  NpyArray out;
  out.dtype = numpy_descr(type.get(), is_float, size);
  H5Handle space(H5Dget_space(ds.get()), H5Sclose);
  DG_CHECK(space.valid(), where << ": cannot read its dataspace" << h5_reason());
  const H5S_class_t sclass = H5Sget_simple_extent_type(space.get());
  DG_CHECK(sclass == H5S_SCALAR || sclass == H5S_SIMPLE,
           where << ": has a null dataspace (no values); expected an array");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  DG_CHECK(rank >= 0, where << ": cannot read its rank" << h5_reason());
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  DG_CHECK(rank == 0 || H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) == rank,
           where << ": cannot read its dimensions" << h5_reason());
  // The dimensions come from the file: before anything is allocated for them, their product (and
  // every partial product, as shape_numel forms them) must fit, and the values must fit in what
  // the file stores for the dataset.
  uint64_t numel = 1;
  bool overflow = false;
  for (hsize_t d : dims) {
    overflow |= d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
                __builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel) ||
                numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    out.shape.push_back(static_cast<int64_t>(
        std::min<uint64_t>(d, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))));
  }
  DG_CHECK(!overflow, where << ": shape " << shape_str(out.shape) << " is too large");
  if (numel > 0) check_storage(ds.get(), path, where, dims, numel, size);
  out.data.resize(static_cast<size_t>(numel));
  if (!out.data.empty()) {
    // The library converts float32 and big-endian data to native double exactly.
    DG_CHECK(
        H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data.data()) >= 0,
        where << ": read failed (truncated file, or compressed with a filter this HDF5 lacks?)"
              << h5_reason());
  }
  return out;
}

void write_h5(const std::string& path,
              const std::vector<std::pair<std::string, NpyArray>>& datasets) {
  silence_hdf5();
  std::set<std::string> seen;
  for (const auto& [name, arr] : datasets) {
    DG_CHECK(!name.empty(), path << ": dataset names must not be empty");
    DG_CHECK(seen.insert(name).second, path << ": dataset '" << name << "' given twice");
    DG_CHECK(arr.dtype == "<f4" || arr.dtype == "<f8", path << ": dataset '" << name
                                                            << "' has dtype '" << arr.dtype
                                                            << "'; expected '<f4' or '<f8'");
    for (int64_t d : arr.shape)
      DG_CHECK(d >= 0, path << ": dataset '" << name << "' has a negative dimension");
    DG_CHECK(static_cast<int64_t>(arr.data.size()) == shape_numel(arr.shape),
             path << ": dataset '" << name << "' has " << arr.data.size() << " values for shape "
                  << shape_str(arr.shape));
  }
  write_file_atomic_via(path, [&](const std::string& tmp) { write_contents(tmp, path, datasets); });
}

}  // namespace dg::data
