// libFuzzer target for the HDF5 reader (datasets/hdf5_io.cpp read_h5_dataset, list_h5_datasets).
// The reader takes a path, as the HDF5 library does, so each input becomes a temporary .h5 file,
// which is listed and read as the ZDC loaders read it: datasets "responses" and "particles" (and
// a nested path where the file names a group "zdc"). A dg::Error is the expected outcome for bad
// input; any other exception, a sanitizer report, a crash or a hang is a finding, and so is an
// HDF5 object the reader leaves open. A dataset that is read must have a numeric dtype, a
// consistent shape, and no more values than the file could hold (the reader's bound: kMaxInflation
// values per byte).
//
// Inputs are not whole files but edits of the shape and values of valid ones. libhdf5 1.10.8
// (Debian 12) is not robust against damaged files, and its findings would stop every run before
// it reached ours: on whole garbage files, a NULL memcpy in H5F__accum_read under H5Gget_info
// (H5G__node_sumup) within a few hundred inputs, and 424 bytes leaked by H5Fopen when the end of
// allocation lies past the end of the file; with edited layout and filter messages, a heap
// over-read in H5VM_memcpyvv under H5Dread (a decompressed chunk smaller than the chunk size) and
// leaks on H5Dopen's error paths. So the target writes a few valid files at startup (templates, as
// divgan and h5py lay them out: contiguous, chunked with shuffle and deflate, compact, big-endian
// float32, scalar and empty datasets, integer ones (int32, chunked uint8, big-endian int16), a
// nested group) and locates in each the fields that carry a dataset's shape and values: the body of
// its dataspace message (version, rank, flags, dimensions, maximum dimensions) and its raw data
// (contiguous, each chunk, or the compact data inside the layout message). An input is one byte
// choosing the template, then the bytes written over those fields in that order (a shorter input
// leaves the rest as it was). Everything else (superblock, datatype, layout, filters, B-trees,
// heaps, groups) stays valid. LeakSanitizer suppresses leaks allocated inside libhdf5
// (tests/fuzz/hdf5.lsan.supp), which run.sh reports when there are any.
//
// FUZZ_HDF5_RAW=1: an input is a whole file instead, to fuzz libhdf5 itself (expect the library's
// findings above). FUZZ_HDF5_EXPAND=<file>: also writes the file an input describes there (to
// inspect it with other tools, e.g. h5dump). FUZZ_HDF5_WRITE_SEEDS=<dir>: writes one input per
// template (and a few edited ones) to <dir> and exits; that is how tests/fuzz/corpus/hdf5/ was
// made (in raw mode: the template files themselves).
//
// Build and run (clang, ASan+UBSan, libhdf5): tests/fuzz/run.sh [seconds]   (see that script)
// Reproduce a finding: build-fuzz/fuzz_hdf5 path/to/crash-file
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/error.h"
#include "datasets/hdf5_io.h"
#include "tests/fuzz/fuzz_support.h"

namespace dg::fuzz {
const char* const kTarget = "fuzz_hdf5";
}  // namespace dg::fuzz

namespace {

using dg::fuzz::expect_ok_or_error;
using dg::fuzz::finding;
using dg::fuzz::require;
using dg::fuzz::require_shape_matches;

using dg::data::NpyArray;

// The reader's bound on values per byte of file (datasets/hdf5_io.cpp).
constexpr uint64_t kMaxInflation = 1100;

// Failures of the harness itself (template set-up), not of the code under test.
void setup_check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_hdf5: set-up failed: %s\n", what);
    std::exit(1);
  }
}

void check_array(const NpyArray& a, uint64_t file_size) {
  // Floats of 2/4/8 bytes, integers of 1/2/4/8 bytes, as numpy descrs ("<f4", ">i2", "|u1").
  const std::string& d = a.dtype;
  const bool one = d.size() == 3 && d[2] == '1';
  require(d.size() == 3 && (one ? d[0] == '|' : d[0] == '<' || d[0] == '>') &&
              (d[1] == 'f' ? d[2] == '2' || d[2] == '4' || d[2] == '8'
                           : (d[1] == 'i' || d[1] == 'u') &&
                                 (one || d[2] == '2' || d[2] == '4' || d[2] == '8')),
          "dtype other than a float or integer descr");
  const uint64_t n = require_shape_matches(a);
  require(n <= kMaxInflation * file_size, "more values than the file could hold");
}

// A tmpfs when there is one: every input is a file write and an HDF5 open.
std::string temp_path() {
  const char* dir = std::getenv("TMPDIR");
  std::string d = dir && *dir ? dir : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return d + "/fuzz_hdf5." + std::to_string(::getpid()) + ".h5";
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::FILE* fp = std::fopen(path.c_str(), "wb");
  if (!fp || std::fwrite(bytes.data(), 1, bytes.size(), fp) != bytes.size() || std::fclose(fp))
    finding("cannot write the temporary file", path.c_str());
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// ---- templates ----

struct DatasetSpec {
  const char* name;
  hid_t file_type;            // e.g. H5T_IEEE_F64LE
  std::vector<hsize_t> dims;  // empty: scalar
  enum Layout { Contiguous, Chunked, Compact } layout = Contiguous;
};

struct Region {
  uint64_t offset, size;
};

struct Template {
  std::string bytes;
  std::vector<Region> regions;  // the editable fields, in input order
};

// Writes a valid file (object headers of version 1, no timestamps, so the bytes are the same on
// every run) holding `sets`, values 0.5, 1.5, ...
void write_template_file(const std::string& path, const std::vector<DatasetSpec>& sets) {
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_obj_track_times(fcpl, 0);
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  setup_check(file >= 0, "H5Fcreate");
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  for (const DatasetSpec& d : sets) {
    hid_t space = d.dims.empty()
                      ? H5Screate(H5S_SCALAR)
                      : H5Screate_simple(static_cast<int>(d.dims.size()), d.dims.data(), nullptr);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    if (d.layout == DatasetSpec::Chunked) {
      std::vector<hsize_t> chunk(d.dims.size(), 2);
      setup_check(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()) >= 0, "chunk");
      H5Pset_shuffle(dcpl);
      H5Pset_deflate(dcpl, 6);
    } else if (d.layout == DatasetSpec::Compact) {
      H5Pset_layout(dcpl, H5D_COMPACT);
    }
    hid_t ds = H5Dcreate2(file, d.name, d.file_type, space, lcpl, dcpl, H5P_DEFAULT);
    setup_check(ds >= 0, "H5Dcreate2");
    hsize_t n = 1;
    for (hsize_t k : d.dims) n *= k;
    std::vector<double> v(n);
    for (hsize_t i = 0; i < n; ++i) v[i] = static_cast<double>(i) + 0.5;
    if (n > 0)
      setup_check(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0,
                  "H5Dwrite");
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
  }
  H5Pclose(lcpl);
  H5Pclose(fcpl);
  setup_check(H5Fclose(file) >= 0, "H5Fclose");
}

uint64_t le(const std::string& b, uint64_t at, int n) {
  uint64_t v = 0;
  for (int k = 0; k < n; ++k)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(b[at + k])) << (8 * k);
  return v;
}

// The fields of the version-1 object header at `addr` that carry the dataset's shape and values:
// the body of its dataspace message (type 1) and, for compact storage, the data inside its layout
// message (type 8: version 3, class 0, 2 bytes of size, the data). The header has 16 bytes of
// prefix, then messages of type (2 bytes), size (2), flags (1), 3 reserved bytes and the body.
void header_regions(const std::string& b, uint64_t addr, std::vector<Region>& out) {
  setup_check(addr + 16 <= b.size() && b[addr] == 1, "object header of version 1");
  const uint64_t count = le(b, addr + 2, 2), end = addr + 16 + le(b, addr + 8, 4);
  uint64_t at = addr + 16;
  for (uint64_t m = 0; m < count && at + 8 <= end; ++m) {
    const uint64_t type = le(b, at, 2), size = le(b, at + 2, 2), body = at + 8;
    if (type == 1) out.push_back({body, size});
    if (type == 8 && size >= 4 && b[body] == 3 && b[body + 1] == 0)
      out.push_back({body + 4, std::min(le(b, body + 2, 2), size - 4)});
    at = body + size;
  }
}

haddr_t header_address(hid_t file, const char* name) {
#if H5_VERSION_GE(1, 12, 0)
  H5O_info1_t info;
#else
  H5O_info_t info;
#endif
  setup_check(H5Oget_info_by_name2(file, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0,
              "H5Oget_info_by_name2");
  return info.addr;
}

Template make_template(const std::string& path, const std::vector<DatasetSpec>& sets) {
  write_template_file(path, sets);
  Template t;
  t.bytes = read_bytes(path);
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  setup_check(file >= 0, "H5Fopen");
  for (const DatasetSpec& d : sets) {
    header_regions(t.bytes, header_address(file, d.name), t.regions);
    hid_t ds = H5Dopen2(file, d.name, H5P_DEFAULT);
    setup_check(ds >= 0, "H5Dopen2");
    if (d.layout == DatasetSpec::Contiguous) {
      const haddr_t at = H5Dget_offset(ds);
      if (at != HADDR_UNDEF) t.regions.push_back({at, H5Dget_storage_size(ds)});
    } else if (d.layout == DatasetSpec::Chunked) {
      hid_t space = H5Dget_space(ds);
      hsize_t n = 0;
      setup_check(H5Dget_num_chunks(ds, space, &n) >= 0, "H5Dget_num_chunks");
      for (hsize_t i = 0; i < n; ++i) {
        std::vector<hsize_t> offset(d.dims.size());
        unsigned mask = 0;
        haddr_t at = 0;
        hsize_t size = 0;
        setup_check(H5Dget_chunk_info(ds, space, i, offset.data(), &mask, &at, &size) >= 0,
                    "H5Dget_chunk_info");
        t.regions.push_back({at, size});
      }
      H5Sclose(space);
    }  // compact: the values are in the layout message
    H5Dclose(ds);
  }
  H5Fclose(file);
  std::remove(path.c_str());
  for (const Region& r : t.regions)
    setup_check(r.offset + r.size <= t.bytes.size(), "field outside the template file");
  return t;
}

const std::vector<Template>& templates() {
  static const std::vector<Template> all = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const std::string path = temp_path() + ".template";
    const hid_t f8 = H5T_IEEE_F64LE, f4 = H5T_IEEE_F32LE;
    using L = DatasetSpec;
    return std::vector<Template>{
        make_template(path, {{"responses", f8, {2, 2, 2}}, {"particles", f8, {2, 9}}}),
        make_template(path, {{"responses", H5T_IEEE_F32BE, {4}}}),
        make_template(path, {{"responses", f4, {3, 3}, L::Chunked}}),
        make_template(path, {{"particles", f8, {1, 9}, L::Compact}}),
        make_template(path, {{"responses", f8, {}}, {"particles", f4, {0, 9}}}),
        make_template(path, {{"zdc/responses", f8, {2}}, {"particles", H5T_STD_I32LE, {3}}}),
        make_template(path, {{"responses", H5T_STD_U8LE, {2, 4}, L::Chunked},
                             {"particles", H5T_STD_I16BE, {2, 3}}}),
    };
  }();
  return all;
}

// The file an input describes: template data[0], its fields overwritten by data[1...].
std::string expand(const uint8_t* data, size_t size) {
  const std::vector<Template>& all = templates();
  if (size == 0) return all[0].bytes;
  const Template& t = all[data[0] % all.size()];
  std::string b = t.bytes;
  size_t next = 1;
  for (const Region& r : t.regions) {
    for (uint64_t k = 0; k < r.size && next < size; ++k)
      b[r.offset + k] = static_cast<char>(data[next++]);
    if (next >= size) break;
  }
  return b;
}

bool raw_mode() {
  static const bool raw = [] {
    const char* v = std::getenv("FUZZ_HDF5_RAW");
    return v && *v && std::string(v) != "0";
  }();
  return raw;
}

// One input per template (its fields unchanged) and a few edited ones, or in raw mode the
// template files.
void write_seeds(const std::string& dir) {
  const std::vector<Template>& all = templates();
  for (size_t i = 0; i < all.size(); ++i) {
    const Template& t = all[i];
    std::string in(1, static_cast<char>(i));
    for (const Region& r : t.regions) in += t.bytes.substr(r.offset, r.size);
    if (raw_mode()) {
      write_bytes(dir + "/template" + std::to_string(i) + ".h5", t.bytes);
      continue;
    }
    write_bytes(dir + "/template" + std::to_string(i), in);
    // Broken: the first field (the first dataset's dataspace) with huge dimensions, and all of the
    // fields zeroed.
    std::string huge = in;
    for (size_t k = 1 + 8; k < 1 + t.regions[0].size; ++k) huge[k] = '\x7f';
    write_bytes(dir + "/template" + std::to_string(i) + "_huge_dims", huge);
    write_bytes(dir + "/template" + std::to_string(i) + "_zeroed",
                std::string(1, static_cast<char>(i)) + std::string(in.size() - 1, '\0'));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("FUZZ_HDF5_WRITE_SEEDS")) {
    write_seeds(dir);
    std::exit(0);
  }
  if (!raw_mode()) templates();  // built before the first input, outside its time and leak checks
  return 0;
}

// Identifiers the reader may open besides file objects (H5Fget_obj_count covers those): dataspaces,
// transient datatypes, property lists. The library registers predefined datatypes and default
// property lists when it starts, so the count is compared with the one right after start.
hsize_t open_ids() {
  hsize_t total = 0;
  for (H5I_type_t t : {H5I_DATASPACE, H5I_DATATYPE, H5I_GENPROP_LST}) {
    hsize_t n = 0;
    H5Inmembers(t, &n);
    total += n;
  }
  return total;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = temp_path();
  static const char* keep = std::getenv("FUZZ_HDF5_EXPAND");
  // libhdf5 1.10.8 keeps memory from failed H5Dopen calls (copies of the creation property list)
  // until it shuts down, so it is restarted every 1024 inputs to bound that. Restarting it for
  // every input would keep each input's allocations balanced for libFuzzer's leak check, at 5x
  // the cost; run.sh runs this target with -detect_leaks=0 instead (LeakSanitizer still checks at
  // exit) and the open-object checks below catch what our reader could fail to close.
  static uint64_t inputs = 0;
  static hsize_t baseline = 0;
  if (inputs++ % 1024 == 0) {
    H5close();
    H5open();
    baseline = open_ids();
  }
  const std::string file =
      raw_mode() ? std::string(reinterpret_cast<const char*>(data), size) : expand(data, size);
  write_bytes(path, file);
  if (keep) write_bytes(keep, file);

  expect_ok_or_error([&] {
    const std::vector<std::string> names = dg::data::list_h5_datasets(path);
    require(names.size() <= file.size(), "more datasets than bytes");
  });
  // The names the ZDC loaders read (a missing one lists the datasets at the root for its error).
  for (const char* name : {"responses", "particles", "zdc/responses"}) {
    if (name[0] == 'z' && file.find("zdc") == std::string::npos) continue;  // 3 opens, not 4
    expect_ok_or_error([&] { check_array(dg::data::read_h5_dataset(path, name), file.size()); });
  }
  // Everything the reader opened is closed again.
  require(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0, "an HDF5 file or object left open");
  require(open_ids() == baseline, "an HDF5 dataspace, datatype or property list left open");
  std::remove(path.c_str());
  return 0;
}
