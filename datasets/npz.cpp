// Zip handling for .npz: entries are located through the central directory (local headers written
// by numpy carry zip64 placeholders and optional data descriptors, so their size fields are not
// trusted), members are stored or raw-deflated, and every CRC-32 is verified.
#include "datasets/npz.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "base/atomic_file.h"
#include "base/error.h"

namespace dg::data {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr uint32_t k32 = 0xFFFFFFFFu;
constexpr uint16_t kZip64ExtraId = 0x0001;
// zlib takes uInt lengths; feed it in slices well below 4 GiB.
constexpr uint64_t kZlibSlice = 1u << 30;

// Bounds-checked little-endian field reads; `what` names the zip structure for the error.
struct View {
  const std::string& b;
  const std::string& origin;
  const char* what;
  uint64_t get(uint64_t off, int n, const char* field) const {
    DG_CHECK(off <= b.size() && static_cast<uint64_t>(n) <= b.size() - off,
             origin << ": truncated " << what << ": field '" << field << "' at offset " << off
                    << " runs past the " << b.size() << " bytes available");
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(b[off + k]);
    return v;
  }
  uint16_t u16(uint64_t off, const char* field) const {
    return static_cast<uint16_t>(get(off, 2, field));
  }
  uint32_t u32(uint64_t off, const char* field) const {
    return static_cast<uint32_t>(get(off, 4, field));
  }
  uint64_t u64(uint64_t off, const char* field) const { return get(off, 8, field); }
};

// The archive bytes, read on demand from a file (so multi-GB archives are never loaded whole) or
// taken from memory; both paths share every parsing step below. `path()` is the origin in errors.
class ZipFile {
 public:
  explicit ZipFile(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    DG_CHECK(in_, path << ": cannot open for reading");
    in_.seekg(0, std::ios::end);
    std::streamoff s = in_.tellg();
    DG_CHECK(s >= 0, path << ": cannot determine the file size");
    size_ = static_cast<uint64_t>(s);
    DG_CHECK(size_ > 0, path << ": empty file (0 bytes), expected an npz (zip) archive");
  }
  // `bytes` must outlive the ZipFile.
  ZipFile(const std::string& bytes, const std::string& origin)
      : path_(origin), mem_(&bytes), size_(bytes.size()) {
    DG_CHECK(size_ > 0, origin << ": empty file (0 bytes), expected an npz (zip) archive");
  }

  std::string read(uint64_t off, uint64_t len, const std::string& what) {
    DG_CHECK(off <= size_ && len <= size_ - off,
             path_ << ": truncated file: " << what << " needs bytes [" << off << ", " << off + len
                   << ") but the file has " << size_);
    if (mem_) return mem_->substr(off, len);
    std::string out(len, '\0');
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(off));
    in_.read(out.data(), static_cast<std::streamsize>(len));
    DG_CHECK(static_cast<uint64_t>(in_.gcount()) == len, path_ << ": read error in " << what);
    return out;
  }

  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ifstream in_;
  const std::string* mem_ = nullptr;
  uint64_t size_ = 0;
};

struct Entry {
  std::string name;
  uint16_t flags = 0, method = 0;
  uint32_t crc = 0;
  uint64_t csize = 0, usize = 0, offset = 0;
};

std::vector<Entry> central_directory(ZipFile& zf) {
  const std::string& path = zf.path();
  // The end record is 22 bytes plus a comment of at most 65535 bytes.
  const uint64_t tail_len = std::min<uint64_t>(zf.size(), 22 + 65535);
  const uint64_t tail_off = zf.size() - tail_len;
  const std::string tail = zf.read(tail_off, tail_len, "end of central directory search");
  int64_t pos = -1;
  for (int64_t i = static_cast<int64_t>(tail_len) - 22; i >= 0; --i) {
    if (std::memcmp(tail.data() + i, "PK\x05\x06", 4) == 0) {
      pos = i;
      break;
    }
  }
  if (pos < 0) {
    std::string head = zf.read(0, std::min<uint64_t>(4, zf.size()), "zip signature");
    DG_CHECK(head == "PK\x03\x04",
             path << ": bad magic: not a zip archive (expected signature PK\\3\\4 at"
                  << " offset 0; an npz file is a zip of .npy members)");
    DG_FAIL(path << ": truncated file: no end-of-central-directory record found (expected signature"
                 << " PK\\5\\6 near the end of the archive)");
  }
  View t{tail, path, "end of central directory"};
  DG_CHECK(t.u16(pos + 4, "disk number") == 0 && t.u16(pos + 6, "central directory disk") == 0,
           path << ": multi-disk zip archives are not supported");
  uint64_t entries = t.u16(pos + 10, "total entries");
  uint64_t cd_size = t.u32(pos + 12, "central directory size");
  uint64_t cd_off = t.u32(pos + 16, "central directory offset");
  const uint64_t eocd_abs = tail_off + static_cast<uint64_t>(pos);
  if (entries == 0xFFFF || cd_size == k32 || cd_off == k32) {
    DG_CHECK(eocd_abs >= 20,
             path << ": zip64 archive without a zip64 end-of-central-directory locator");
    std::string loc = zf.read(eocd_abs - 20, 20, "zip64 locator");
    View l{loc, path, "zip64 locator"};
    DG_CHECK(l.u32(0, "signature") == kZip64LocatorSig,
             path << ": zip64 locator: expected signature PK\\6\\7 before the end record");
    uint64_t z_off = l.u64(8, "zip64 end record offset");
    std::string rec = zf.read(z_off, 56, "zip64 end of central directory");
    View r{rec, path, "zip64 end of central directory"};
    DG_CHECK(r.u32(0, "signature") == kZip64EocdSig,
             path << ": zip64 end of central directory: expected signature PK\\6\\6 at offset "
                  << z_off);
    entries = r.u64(32, "total entries");
    cd_size = r.u64(40, "central directory size");
    cd_off = r.u64(48, "central directory offset");
  }
  DG_CHECK(entries <= cd_size / 46 + 1, path << ": central directory claims " << entries
                                             << " entries in " << cd_size << " bytes");
  const std::string cd = zf.read(cd_off, cd_size, "central directory");
  View c{cd, path, "central directory"};
  std::vector<Entry> out;
  uint64_t p = 0;
  for (uint64_t k = 0; k < entries; ++k) {
    DG_CHECK(c.u32(p, "entry signature") == kCentralSig,
             path << ": central directory entry " << k << ": expected signature PK\\1\\2 at offset "
                  << cd_off + p);
    Entry e;
    e.flags = c.u16(p + 8, "flags");
    e.method = c.u16(p + 10, "compression method");
    e.crc = c.u32(p + 16, "crc-32");
    e.csize = c.u32(p + 20, "compressed size");
    e.usize = c.u32(p + 24, "uncompressed size");
    const uint16_t name_len = c.u16(p + 28, "name length"),
                   extra_len = c.u16(p + 30, "extra length"),
                   comment_len = c.u16(p + 32, "comment length");
    e.offset = c.u32(p + 42, "local header offset");
    DG_CHECK(p + 46 + name_len + extra_len + comment_len <= cd.size(),
             path << ": truncated central directory: entry " << k << " runs past its end");
    e.name = cd.substr(p + 46, name_len);
    // The zip64 extra holds, in this order, only the fields whose 32-bit slot is saturated.
    const bool need_u = e.usize == k32, need_c = e.csize == k32, need_o = e.offset == k32;
    bool found64 = false;
    for (uint64_t x = p + 46 + name_len, end = x + extra_len; x + 4 <= end;) {
      uint16_t id = c.u16(x, "extra field id"), len = c.u16(x + 2, "extra field length");
      DG_CHECK(x + 4 + len <= end,
               path << ": member '" << e.name << "': extra field runs past its entry");
      if (id == kZip64ExtraId) {
        found64 = true;
        uint64_t q = x + 4;
        auto take = [&](uint64_t& field, const char* what) {
          DG_CHECK(q + 8 <= x + 4 + len,
                   path << ": member '" << e.name << "': zip64 extra field lacks the " << what);
          field = c.u64(q, what);
          q += 8;
        };
        if (need_u) take(e.usize, "uncompressed size");
        if (need_c) take(e.csize, "compressed size");
        if (need_o) take(e.offset, "local header offset");
      }
      x += 4 + len;
    }
    DG_CHECK(found64 || !(need_u || need_c || need_o),
             path << ": member '" << e.name
                  << "': sizes are 0xFFFFFFFF but no zip64 extra field is present");
    out.push_back(std::move(e));
    p += 46 + name_len + extra_len + comment_len;
  }
  return out;
}

std::string inflate_raw(const std::string& comp, uint64_t usize, const std::string& origin) {
  std::string out(usize, '\0');
  z_stream zs{};
  DG_CHECK(inflateInit2(&zs, -15) == Z_OK, origin << ": zlib inflateInit2 failed");
  uint64_t in_pos = 0, out_pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0 && in_pos < comp.size()) {
      uint64_t n = std::min<uint64_t>(kZlibSlice, comp.size() - in_pos);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(comp.data() + in_pos));
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (zs.avail_out == 0 && out_pos < usize) {
      uint64_t n = std::min<uint64_t>(kZlibSlice, usize - out_pos);
      zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
      zs.avail_out = static_cast<uInt>(n);
      out_pos += n;
    }
    uInt before_in = zs.avail_in, before_out = zs.avail_out;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR ||
        (rc == Z_OK && before_in == zs.avail_in && before_out == zs.avail_out)) {
      // No progress: either the input ended early or the stream inflates beyond the stated size.
      bool out_full = zs.avail_out == 0 && out_pos == usize;
      inflateEnd(&zs);
      DG_FAIL(origin << ": deflate stream "
                     << (out_full ? "longer than the uncompressed size " : "truncated; ")
                     << (out_full ? std::to_string(usize) + " in the central directory"
                                  : "expected " + std::to_string(usize) + " uncompressed bytes"));
    }
    if (rc != Z_OK) {
      std::string msg = zs.msg ? zs.msg : "error " + std::to_string(rc);
      inflateEnd(&zs);
      DG_FAIL(origin << ": corrupt deflate stream: " << msg);
    }
  }
  uint64_t produced = zs.total_out;
  inflateEnd(&zs);
  // total_out is a uLong; on LP64 it covers the full size.
  DG_CHECK(produced == usize, origin << ": deflate stream gave " << produced
                                     << " bytes, central directory says " << usize);
  return out;
}

uint32_t crc32_of(const std::string& s) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (uint64_t p = 0; p < s.size(); p += kZlibSlice) {
    uint64_t n = std::min<uint64_t>(kZlibSlice, s.size() - p);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(s.data() + p), static_cast<uInt>(n));
  }
  return static_cast<uint32_t>(crc);
}

std::string key_of(const std::string& name) {
  const std::string ext = ".npy";
  if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0)
    return name.substr(0, name.size() - ext.size());
  return name;
}

std::string deflate_raw(const std::string& in, const std::string& origin) {
  z_stream zs{};
  DG_CHECK(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK,
           origin << ": zlib deflateInit2 failed");
  std::string out;
  std::string buf(1 << 16, '\0');
  uint64_t in_pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0 && in_pos < in.size()) {
      uint64_t n = std::min<uint64_t>(kZlibSlice, in.size() - in_pos);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_pos));
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    zs.next_out = reinterpret_cast<Bytef*>(buf.data());
    zs.avail_out = static_cast<uInt>(buf.size());
    rc = deflate(&zs, in_pos == in.size() && zs.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      deflateEnd(&zs);
      DG_FAIL(origin << ": zlib deflate failed (" << rc << ")");
    }
    out.append(buf.data(), buf.size() - zs.avail_out);
  }
  deflateEnd(&zs);
  return out;
}

void put(std::string& s, uint64_t v, int n) {
  for (int k = 0; k < n; ++k) s.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

}  // namespace

namespace {

std::vector<std::string> keys_of(ZipFile& zf) {
  std::vector<std::string> keys;
  for (const Entry& e : central_directory(zf)) keys.push_back(key_of(e.name));
  return keys;
}

NpyArray read_member(ZipFile& zf, const std::string& key) {
  const std::string& path = zf.path();
  const std::vector<Entry> entries = central_directory(zf);
  const Entry* hit = nullptr;
  for (const Entry& e : entries)
    if (e.name == key + ".npy") hit = &e;
  if (!hit)
    for (const Entry& e : entries)
      if (e.name == key) hit = &e;
  if (!hit) {
    std::ostringstream names;
    for (size_t k = 0; k < entries.size(); ++k) names << (k ? ", " : "") << key_of(entries[k].name);
    DG_FAIL("'" << key << "' not found in " << path
                << "; members: " << (entries.empty() ? std::string("(none)") : names.str()));
  }
  const Entry& e = *hit;
  const std::string origin = path + ":" + e.name;
  DG_CHECK(!(e.flags & 1), origin << ": encrypted members are not supported");
  DG_CHECK(e.method == 0 || e.method == 8, origin << ": unsupported compression method " << e.method
                                                  << " (expected 0 stored or 8 deflated)");
  const std::string local = zf.read(e.offset, 30, "local header of '" + e.name + "'");
  View l{local, path, "local header"};
  DG_CHECK(l.u32(0, "signature") == kLocalSig,
           origin << ": local header: expected signature PK\\3\\4 at offset " << e.offset);
  const uint64_t data_off = e.offset + 30 + l.u16(26, "name length") + l.u16(28, "extra length");
  DG_CHECK(data_off <= zf.size() && e.csize <= zf.size() - data_off,
           origin << ": truncated file: member data needs " << e.csize << " bytes at offset "
                  << data_off << " but the file has " << zf.size());
  std::string comp = zf.read(data_off, e.csize, "data of '" + e.name + "'");
  std::string raw;
  if (e.method == 0) {
    DG_CHECK(e.csize == e.usize, origin << ": stored member has compressed size " << e.csize
                                        << " but uncompressed size " << e.usize);
    raw = std::move(comp);
  } else {
    // Deflate cannot expand data by more than about 1032x; a larger claim is a corrupt header and
    // would otherwise trigger an absurd allocation.
    DG_CHECK(e.usize <= e.csize * 1100 + 1024, origin << ": uncompressed size " << e.usize
                                                      << " is implausible for " << e.csize
                                                      << " compressed bytes");
    raw = inflate_raw(comp, e.usize, origin);
  }
  const uint32_t crc = crc32_of(raw);
  if (crc != e.crc) {
    std::ostringstream os;
    os << std::hex << "0x" << e.crc << ", computed 0x" << crc;
    DG_FAIL(origin << ": bad CRC-32: central directory says " << os.str() << " (corrupt archive)");
  }
  return parse_npy(raw, origin);
}

}  // namespace

std::vector<std::string> npz_keys(const std::string& path) {
  ZipFile zf(path);
  return keys_of(zf);
}

NpyArray read_npz(const std::string& path, const std::string& key) {
  ZipFile zf(path);
  return read_member(zf, key);
}

std::vector<std::string> parse_npz_keys(const std::string& bytes, const std::string& origin) {
  ZipFile zf(bytes, origin);
  return keys_of(zf);
}

NpyArray parse_npz(const std::string& bytes, const std::string& origin, const std::string& key) {
  ZipFile zf(bytes, origin);
  return read_member(zf, key);
}

void write_npz(const std::string& path, const std::vector<NpzMember>& members, bool compress) {
  std::string zip, cd;
  for (const NpzMember& m : members) {
    const std::string name = m.key + ".npy";
    DG_CHECK(name.size() <= 0xFFFF, path << ": member name too long");
    const std::string raw = encode_npy(m.data, m.shape, m.dtype);
    const std::string body = compress ? deflate_raw(raw, path + ":" + name) : raw;
    const uint32_t crc = crc32_of(raw);
    const uint64_t offset = zip.size();
    const uint16_t method = compress ? 8 : 0;
    const bool big = raw.size() >= k32 || body.size() >= k32;
    const bool big_off = offset >= k32;
    // Local header; fixed 1980-01-01 timestamp keeps the output byte-reproducible.
    put(zip, kLocalSig, 4);
    put(zip, big ? 45 : 20, 2);
    put(zip, 0, 2);
    put(zip, method, 2);
    put(zip, 0, 2);
    put(zip, 0x21, 2);
    put(zip, crc, 4);
    put(zip, big ? k32 : body.size(), 4);
    put(zip, big ? k32 : raw.size(), 4);
    put(zip, name.size(), 2);
    put(zip, big ? 20 : 0, 2);
    zip += name;
    if (big) {
      put(zip, kZip64ExtraId, 2);
      put(zip, 16, 2);
      put(zip, raw.size(), 8);
      put(zip, body.size(), 8);
    }
    zip += body;

    std::string extra;
    if (big) put(extra, raw.size(), 8), put(extra, body.size(), 8);
    if (big_off) put(extra, offset, 8);
    put(cd, kCentralSig, 4);
    put(cd, 45, 2);
    put(cd, big || big_off ? 45 : 20, 2);
    put(cd, 0, 2);
    put(cd, method, 2);
    put(cd, 0, 2);
    put(cd, 0x21, 2);
    put(cd, crc, 4);
    put(cd, big ? k32 : body.size(), 4);
    put(cd, big ? k32 : raw.size(), 4);
    put(cd, name.size(), 2);
    put(cd, extra.empty() ? 0 : extra.size() + 4, 2);
    put(cd, 0, 2);
    put(cd, 0, 2);
    put(cd, 0, 2);
    put(cd, 0, 4);
    put(cd, big_off ? k32 : offset, 4);
    cd += name;
    if (!extra.empty()) {
      put(cd, kZip64ExtraId, 2);
      put(cd, extra.size(), 2);
      cd += extra;
    }
  }
  const uint64_t cd_off = zip.size(), n = members.size();
  zip += cd;
  const bool z64 = cd_off >= k32 || cd.size() >= k32 || n >= 0xFFFF;
  if (z64) {
    const uint64_t rec_off = zip.size();
    put(zip, kZip64EocdSig, 4);
    put(zip, 44, 8);
    put(zip, 45, 2);
    put(zip, 45, 2);
    put(zip, 0, 4);
    put(zip, 0, 4);
    put(zip, n, 8);
    put(zip, n, 8);
    put(zip, cd.size(), 8);
    put(zip, cd_off, 8);
    put(zip, kZip64LocatorSig, 4);
    put(zip, 0, 4);
    put(zip, rec_off, 8);
    put(zip, 1, 4);
  }
  put(zip, kEocdSig, 4);
  put(zip, 0, 2);
  put(zip, 0, 2);
  put(zip, z64 ? 0xFFFF : n, 2);
  put(zip, z64 ? 0xFFFF : n, 2);
  put(zip, z64 ? k32 : cd.size(), 4);
  put(zip, z64 ? k32 : cd_off, 4);
  put(zip, 0, 2);
  write_file_atomic(path, zip);
}

}  // namespace dg::data
