// safetensors writer and validating reader (format in checkpoint.h).
#include "engine/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <system_error>

#include "base/atomic_file.h"

namespace dg {

// The format stores raw little-endian bytes; on a big-endian host every copy would need a swap.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian host");

namespace {

using ordered_json = nlohmann::ordered_json;
using json = nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the reference implementation's limit
constexpr const char* kMetadataKey = "__metadata__";

const char* st_dtype(DType t) { return t == DType::F32 ? "F32" : t == DType::F64 ? "F64" : "I32"; }

std::string errno_text() { return std::strerror(errno); }

// A JSON value for an error message: a number or string as written, an array or object by its
// type only (dumping a deeply nested one would recurse once per level and can overflow the stack).
std::string describe(const json& v) {
  return v.is_array() || v.is_object() ? std::string("an ") + v.type_name() : v.dump();
}

// Owns a file descriptor; closing in the destructor covers every early throw.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

std::string build_header(const std::vector<std::pair<std::string, Tensor>>& tensors,
                         const std::map<std::string, std::string>& metadata,
                         const std::string& path) {
  ordered_json h = ordered_json::object();
  if (!metadata.empty()) {
    ordered_json m = ordered_json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    h[kMetadataKey] = std::move(m);
  }
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    DG_CHECK(!name.empty() && name != kMetadataKey,
             "save_safetensors('" << path << "'): invalid tensor name '" << name << "'");
    DG_CHECK(!h.contains(name),
             "save_safetensors('" << path << "'): duplicate tensor name '" << name << "'");
    DG_CHECK(t.defined(),
             "save_safetensors('" << path << "'): tensor '" << name << "' is undefined");
    uint64_t n = t.nbytes();
    h[name] = {{"dtype", st_dtype(t.dtype())},
               {"shape", t.shape()},
               {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string s;
  try {
    s = h.dump();
  } catch (const json::exception& e) {  // names or metadata that are not valid UTF-8
    DG_FAIL("save_safetensors('" << path << "'): cannot encode the header: " << e.what());
  }
  // Padding keeps the data section 8-byte aligned for readers that map the file.
  s.append((8 - s.size() % 8) % 8, ' ');
  return s;
}

}  // namespace

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const std::string header = build_header(tensors, metadata, path);
  write_file_atomic(path, [&](std::FILE* f) {
    uint64_t n = header.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    write_all(f, len, 8, path);
    write_all(f, header.data(), header.size(), path);
    for (const auto& [name, t] : tensors) {
      Tensor c = t.to(Device::CPU);
      write_all(f, c.raw(), c.nbytes(), path);
    }
  });
}

namespace {

// The validating reader behind load_safetensors and parse_safetensors: `file_size` bytes, of which
// read_at(dst, n, off) copies n from offset off (throwing on a short read). Every size and offset
// the header names is checked against file_size before anything is allocated for it.
template <class ReadAt>
SafetensorsFile parse_source(const std::string& where, uint64_t file_size, const ReadAt& read_at) {
  DG_CHECK(file_size >= 8,
           where << ": file is " << file_size
                 << " bytes, shorter than the 8-byte header length (truncated or not "
                    "a safetensors file)");
  unsigned char len[8];
  read_at(len, 8, 0);
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(len[i]) << (8 * i);
  DG_CHECK(header_len <= kMaxHeaderBytes, where << ": header length " << header_len
                                                << " exceeds the 100 MB limit (corrupt file?)");
  DG_CHECK(header_len <= file_size - 8, where << ": header length " << header_len
                                              << " is larger than the rest of the file ("
                                              << file_size - 8 << " bytes; truncated?)");
  std::string text(header_len, '\0');
  read_at(text.data(), header_len, 8);
  const uint64_t data_start = 8 + header_len, data_len = file_size - data_start;

  json h;
  try {
    h = json::parse(text);
  } catch (const json::exception& e) {  // syntax, or a number out of range (out_of_range.406)
    DG_FAIL(where << ": header is not valid JSON: " << e.what());
  }
  DG_CHECK(h.is_object(), where << ": header JSON must be an object, got " << h.type_name());

  SafetensorsFile out;
  struct Entry {
    std::string name;
    DType dtype;
    Shape shape;
    uint64_t begin, end;
  };
  std::vector<Entry> entries;
  for (auto it = h.begin(); it != h.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == kMetadataKey) {
      DG_CHECK(v.is_object(), where << ": '__metadata__' must be an object of strings");
      for (auto m = v.begin(); m != v.end(); ++m) {
        DG_CHECK(m.value().is_string(), where << ": metadata '" << m.key()
                                              << "' must be a string, got "
                                              << m.value().type_name());
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string what = where + ": tensor '" + name + "'";
    DG_CHECK(v.is_object(), what << " must be an object with dtype, shape and data_offsets");
    DG_CHECK(v.contains("dtype") && v["dtype"].is_string(),
             what << ": missing or non-string 'dtype'");
    DG_CHECK(v.contains("shape") && v["shape"].is_array(),
             what << ": missing or non-array 'shape'");
    DG_CHECK(
        v.contains("data_offsets") && v["data_offsets"].is_array() && v["data_offsets"].size() == 2,
        what << ": 'data_offsets' must be an array [begin, end]");
    Entry e;
    e.name = name;
    const std::string dt = v["dtype"].get<std::string>();
    if (dt == "F32")
      e.dtype = DType::F32;
    else if (dt == "F64")
      e.dtype = DType::F64;
    else
      DG_FAIL(what << ": unknown dtype '" << dt << "' (supported: F32, F64)");
    uint64_t numel = 1;
    bool overflow = false;
    for (const json& d : v["shape"]) {
      DG_CHECK(d.is_number_unsigned(),
               what << ": shape entries must be non-negative integers, got " << describe(d));
      uint64_t n = d.get<uint64_t>();
      DG_CHECK(n <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
               what << ": dimension " << n << " too large");
      e.shape.push_back(static_cast<int64_t>(n));
      // Every prefix product must fit int64_t too: shape_numel multiplies in this order, so
      // (2^32, 2^31, 0), zero elements, would overflow there.
      overflow |= __builtin_mul_overflow(numel, n, &numel) ||
                  numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    }
    for (const json& o : v["data_offsets"])
      DG_CHECK(o.is_number_unsigned(),
               what << ": data_offsets must be non-negative integers, got " << describe(o));
    e.begin = v["data_offsets"][0].get<uint64_t>();
    e.end = v["data_offsets"][1].get<uint64_t>();
    DG_CHECK(e.begin <= e.end,
             what << ": data_offsets [" << e.begin << ", " << e.end << "] are reversed");
    DG_CHECK(e.end <= data_len, what << ": data_offsets [" << e.begin << ", " << e.end
                                     << "] run past the end of the data section (" << data_len
                                     << " bytes; truncated?)");
    uint64_t want = 0;
    overflow |= __builtin_mul_overflow(numel, static_cast<uint64_t>(dtype_size(e.dtype)), &want);
    DG_CHECK(!overflow, what << ": shape " << shape_str(e.shape)
                             << " is too large (a partial product of its dimensions exceeds 2^63)");
    DG_CHECK(want == e.end - e.begin, what << ": data_offsets span " << e.end - e.begin
                                           << " bytes but shape " << shape_str(e.shape) << " of "
                                           << dt << " needs " << want);
    entries.push_back(std::move(e));
  }

  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t last_end = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : entries) {
    DG_CHECK(e.begin >= last_end, where << ": tensor '" << e.name << "' data_offsets [" << e.begin
                                        << ", " << e.end << "] overlap tensor '" << prev->name
                                        << "'");
    // As the format and its reference reader require: no holes, so every byte of the data section
    // belongs to a tensor (no room to hide other content in a checkpoint).
    DG_CHECK(e.begin == last_end, where << ": bytes [" << last_end << ", " << e.begin
                                        << ") of the data section belong to no tensor (before "
                                        << "tensor '" << e.name << "'; holes are not allowed)");
    last_end = e.end;
    prev = &e;
  }
  DG_CHECK(last_end == data_len, where << ": data section is " << data_len
                                       << " bytes but the tensors end at offset " << last_end);

  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    read_at(t.raw(), e.end - e.begin, data_start + e.begin);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& origin) {
  const std::string where = "parse_safetensors('" + origin + "')";
  return parse_source(where, bytes.size(), [&](void* dst, uint64_t n, uint64_t off) {
    // parse_source reads only inside the size it was given; checked anyway.
    DG_CHECK(off <= bytes.size() && n <= bytes.size() - off,
             where << ": unexpected end of data at byte " << bytes.size());
    if (n > 0) std::memcpy(dst, bytes.data() + off, n);
  });
}

SafetensorsFile load_safetensors(const std::string& path) {
  const std::string where = "load_safetensors('" + path + "')";
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) DG_FAIL(where << ": cannot open: " << errno_text());
  struct stat st;
  if (::fstat(fd.fd, &st) != 0) DG_FAIL(where << ": cannot stat: " << errno_text());
  return parse_source(where, static_cast<uint64_t>(st.st_size),
                      [&](void* dst, uint64_t n, uint64_t off) {
                        auto* p = static_cast<char*>(dst);
                        while (n > 0) {
                          ssize_t r = ::pread(fd.fd, p, n, static_cast<off_t>(off));
                          if (r < 0 && errno == EINTR) continue;
                          if (r < 0) DG_FAIL(where << ": read failed: " << errno_text());
                          if (r == 0) DG_FAIL(where << ": unexpected end of file at byte " << off);
                          p += r;
                          n -= static_cast<uint64_t>(r);
                          off += static_cast<uint64_t>(r);
                        }
                      });
}

void restore_tensors(const SafetensorsFile& file,
                     const std::vector<std::pair<std::string, Tensor>>& dst,
                     const std::string& prefix, bool allow_missing) {
  // Everything is checked before anything is copied, so a mismatch leaves the model untouched.
  std::vector<std::pair<const Tensor*, Tensor>> plan;
  for (const auto& [name, d] : dst) {
    const std::string key = prefix + name;
    DG_CHECK(d.defined(), "restore_tensors: destination '" << key << "' is undefined");
    const Tensor* src = file.find(key);
    if (!src) {
      DG_CHECK(allow_missing,
               "restore_tensors: tensor '" << key << "' is missing from the checkpoint");
      continue;
    }
    DG_CHECK(src->shape() == d.shape(), "restore_tensors: tensor '"
                                            << key << "' has shape " << shape_str(src->shape())
                                            << " in the checkpoint, " << shape_str(d.shape())
                                            << " in the model");
    plan.emplace_back(src, d);
  }
  for (auto& [src, d] : plan) d.copy_(src->to(d.dtype()));
}

}  // namespace dg
