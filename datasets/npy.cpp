// .npy parsing by hand: the header is a Python dict literal, and only the subset numpy itself
// writes is accepted, with every read bounds-checked so garbage input ends in dg::Error.
#include "datasets/npy.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "base/atomic_file.h"
#include "base/error.h"

namespace dg::data {

static_assert(std::endian::native == std::endian::little,
              "npy/npz I/O copies little-endian payloads directly into host memory");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

// Minimal recursive-descent reader for the header dict; errors quote the header text.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& origin) : s_(text), origin_(origin) {}

  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool peek(char c) {
    skip_ws();
    return i_ < s_.size() && s_[i_] == c;
  }
  void expect(char c, const char* where) {
    skip_ws();
    if (i_ >= s_.size() || s_[i_] != c) fail(std::string("expected '") + c + "' " + where);
    ++i_;
  }
  std::string string_lit(const char* where) {
    skip_ws();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"'))
      fail(std::string("expected a quoted string ") + where);
    char q = s_[i_++];
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] != q) ++i_;
    if (i_ >= s_.size()) fail(std::string("unterminated string ") + where);
    return s_.substr(start, i_++ - start);
  }
  bool bool_lit() {
    skip_ws();
    if (s_.compare(i_, 4, "True") == 0) {
      i_ += 4;
      return true;
    }
    if (s_.compare(i_, 5, "False") == 0) {
      i_ += 5;
      return false;
    }
    fail("'fortran_order': expected True or False");
  }
  Shape tuple_lit() {
    expect('(', "to open 'shape' (a tuple of integers)");
    Shape shape;
    while (!peek(')')) {
      skip_ws();
      size_t start = i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      // Python 2 era files may carry an 'L' suffix on dimensions.
      std::string digits = s_.substr(start, i_ - start);
      if (i_ < s_.size() && s_[i_] == 'L') ++i_;
      if (digits.empty() || digits.size() > 18) fail("'shape': expected non-negative integers");
      shape.push_back(std::stoll(digits));
      if (peek(','))
        ++i_;
      else if (!peek(')'))
        fail("'shape': expected ',' or ')' after a dimension");
    }
    ++i_;
    return shape;
  }
  [[noreturn]] void fail(const std::string& what) const {
    DG_FAIL(origin_ << ": npy header not parseable: " << what << " at offset " << i_
                    << " in header " << s_);
  }

 private:
  const std::string& s_;
  const std::string& origin_;
  size_t i_ = 0;
};

// A numpy descr of a plain number: byte order ('<' little, '>' big, '|' not applicable, '='
// native, little on every machine this runs on), kind and size in bytes.
struct DtypeInfo {
  size_t size;
  char kind;  // 'f' float, 'i' signed int, 'u' unsigned int, 'b' bool
  bool big_endian;
};

DtypeInfo dtype_info(const std::string& descr, const std::string& origin) {
  auto fail = [&]() -> DtypeInfo {
    DG_FAIL(origin << ": unsupported dtype '" << descr
                   << "' in npy header 'descr' (expected a float (f2, f4, f8), signed or unsigned "
                      "integer (i1-i8, u1-u8) or bool (b1), either byte order)");
  };
  if (descr.size() != 3) return fail();
  const char order = descr[0], kind = descr[1];
  if (std::string("<>|=").find(order) == std::string::npos || descr[2] < '1' || descr[2] > '8')
    return fail();
  const size_t size = static_cast<size_t>(descr[2] - '0');
  const bool ok =
      (kind == 'f' && (size == 2 || size == 4 || size == 8)) ||
      ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
      (kind == 'b' && size == 1);
  if (!ok || (order == '|' && size != 1)) return fail();
  return {size, kind, order == '>'};
}

// IEEE 754 binary16 to double, exactly (every half is a double).
double half_to_double(uint16_t h) {
  const int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  double v;
  if (exponent == 0)
    v = std::ldexp(static_cast<double>(mantissa), -24);  // zero and subnormals
  else if (exponent == 31)
    v = mantissa ? std::numeric_limits<double>::quiet_NaN()
                 : std::numeric_limits<double>::infinity();
  else
    v = std::ldexp(static_cast<double>(mantissa | 0x400), exponent - 25);
  return sign ? -v : v;
}

// One element at `src` (info.size bytes, in the file's byte order) as a double.
double element(const char* src, const DtypeInfo& info) {
  unsigned char b[8];
  std::memcpy(b, src, info.size);
  if (info.big_endian) std::reverse(b, b + info.size);
  auto as = [&](auto v) {
    std::memcpy(&v, b, sizeof v);
    return static_cast<double>(v);
  };
  switch (info.kind) {
    case 'f':
      if (info.size == 2) {
        uint16_t h;
        std::memcpy(&h, b, 2);
        return half_to_double(h);
      }
      return info.size == 4 ? as(float{}) : as(double{});
    case 'i':
      return info.size == 1   ? as(int8_t{})
             : info.size == 2 ? as(int16_t{})
             : info.size == 4 ? as(int32_t{})
                              : as(int64_t{});
    case 'u':
      return info.size == 1   ? as(uint8_t{})
             : info.size == 2 ? as(uint16_t{})
             : info.size == 4 ? as(uint32_t{})
                              : as(uint64_t{});
    default:
      return b[0] != 0 ? 1.0 : 0.0;  // bool
  }
}

std::string shape_tuple(const Shape& shape) {
  std::ostringstream os;
  os << "(";
  for (size_t k = 0; k < shape.size(); ++k) os << (k ? ", " : "") << shape[k];
  if (shape.size() == 1) os << ",";
  os << ")";
  return os.str();
}

}  // namespace

NpyArray parse_npy(const std::string& bytes, const std::string& origin) {
  DG_CHECK(!bytes.empty(), origin << ": empty file (0 bytes), expected an npy array");
  DG_CHECK(bytes.size() >= kMagicLen && std::memcmp(bytes.data(), kMagic, kMagicLen) == 0,
           origin << ": bad magic, expected the npy signature \\x93NUMPY at offset 0");
  DG_CHECK(bytes.size() >= 10, origin << ": truncated file (" << bytes.size()
                                      << " bytes), expected at least 10 for the npy preamble");
  auto major = static_cast<unsigned char>(bytes[6]);
  auto minor = static_cast<unsigned char>(bytes[7]);
  DG_CHECK(major >= 1 && major <= 3, origin << ": unsupported npy format version " << int(major)
                                            << "." << int(minor) << " (expected 1.0, 2.0 or 3.0)");
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    uint16_t n;
    std::memcpy(&n, bytes.data() + 8, 2);
    header_len = n;
    header_start = 10;
  } else {
    DG_CHECK(bytes.size() >= 12, origin
                                     << ": truncated file (" << bytes.size()
                                     << " bytes), expected at least 12 for the npy v2/v3 preamble");
    uint32_t n;
    std::memcpy(&n, bytes.data() + 8, 4);
    header_len = n;
    header_start = 12;
  }
  DG_CHECK(header_len <= bytes.size() - header_start,
           origin << ": truncated file: npy header length field says " << header_len
                  << " bytes but only " << bytes.size() - header_start << " follow");
  const std::string header = bytes.substr(header_start, header_len);

  HeaderParser p(header, origin);
  bool have_descr = false, have_order = false, have_shape = false, fortran = false;
  NpyArray out;
  p.expect('{', "at the start of the header dict");
  while (!p.peek('}')) {
    std::string key = p.string_lit("as a header dict key");
    p.expect(':', "after a header dict key");
    if (key == "descr") {
      if (!p.peek('\'') && !p.peek('"'))
        DG_FAIL(origin
                << ": unsupported dtype in npy header 'descr' (structured dtypes are not supported;"
                   " expected a plain number type such as '<f8', '>f4', '|u1' or '<i2')");
      out.dtype = p.string_lit("for 'descr'");
      have_descr = true;
    } else if (key == "fortran_order") {
      fortran = p.bool_lit();
      have_order = true;
    } else if (key == "shape") {
      out.shape = p.tuple_lit();
      have_shape = true;
    } else {
      p.fail("unknown key '" + key + "' (expected 'descr', 'fortran_order', 'shape')");
    }
    if (p.peek(','))
      p.expect(',', "");
    else if (!p.peek('}'))
      p.fail("expected ',' or '}' after a header value");
  }
  if (!have_descr || !have_order || !have_shape)
    p.fail(std::string("missing key '") +
           (!have_descr   ? "descr"
            : !have_order ? "fortran_order"
                          : "shape") +
           "'");
  DtypeInfo info = dtype_info(out.dtype, origin);

  uint64_t count = 1;
  for (int64_t d : out.shape) {
    DG_CHECK(
        d == 0 || count <= std::numeric_limits<uint64_t>::max() / 16 / static_cast<uint64_t>(d),
        origin << ": 'shape' " << shape_tuple(out.shape) << " is too large");
    count *= static_cast<uint64_t>(d);
  }
  const size_t data_start = header_start + header_len;
  const uint64_t have = bytes.size() - data_start, need = count * info.size;
  DG_CHECK(have >= need, origin << ": data shorter than shape implies: shape "
                                << shape_tuple(out.shape) << " of " << out.dtype << " needs "
                                << need << " bytes, file has " << have);
  // Bytes after the data are ignored, as numpy's np.load ignores them.

  // Elements in file order, then, for a Fortran-order array, moved to their C-order places.
  std::vector<double> flat(count);
  const char* src = bytes.data() + data_start;
  for (uint64_t k = 0; k < count; ++k, src += info.size) flat[k] = element(src, info);
  if (!fortran || out.shape.size() < 2 || count == 0) {
    out.data = std::move(flat);
    return out;
  }
  const size_t nd = out.shape.size();
  std::vector<uint64_t> fstride(nd, 1);  // Fortran strides: the first index varies fastest
  for (size_t d = 1; d < nd; ++d)
    fstride[d] = fstride[d - 1] * static_cast<uint64_t>(out.shape[d - 1]);
  out.data.resize(count);
  std::vector<int64_t> idx(nd, 0);  // C-order multi-index of element k
  uint64_t f = 0;                   // its position in file order
  for (uint64_t k = 0; k < count; ++k) {
    out.data[k] = flat[f];
    for (size_t d = nd; d-- > 0;) {  // next C-order index: the last dimension fastest
      if (++idx[d] < out.shape[d]) {
        f += fstride[d];
        break;
      }
      f -= fstride[d] * static_cast<uint64_t>(idx[d] - 1);
      idx[d] = 0;
    }
  }
  return out;
}

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  DG_CHECK(in, path << ": cannot open for reading");
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  DG_CHECK(size >= 0, path << ": cannot determine the file size");
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  in.read(bytes.data(), size);
  DG_CHECK(in.gcount() == size, path << ": read " << in.gcount() << " of " << size << " bytes");
  return bytes;
}

NpyArray read_npy(const std::string& path) { return parse_npy(read_file_bytes(path), path); }

std::string encode_npy(const std::vector<double>& data, const Shape& shape,
                       const std::string& dtype) {
  DG_CHECK(dtype == "<f8" || dtype == "<f4",
           "encode_npy: unsupported dtype '" << dtype << "' (expected '<f8' or '<f4')");
  // Counted here, overflow-checked, rather than with shape_numel, so the npy/npz code needs no
  // engine sources (tests/fuzz/run.sh builds it on its own).
  bool has_zero = false;
  for (int64_t d : shape) {
    DG_CHECK(d >= 0, "encode_npy: negative dimension in shape " << shape_tuple(shape));
    has_zero = has_zero || d == 0;
  }
  uint64_t count = has_zero ? 0 : 1;
  for (int64_t d : shape) {
    if (has_zero) break;
    DG_CHECK(count <= std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d),
             "encode_npy: shape " << shape_tuple(shape) << " is too large");
    count *= static_cast<uint64_t>(d);
  }
  DG_CHECK(count == data.size(),
           "encode_npy: " << data.size() << " values do not fill shape " << shape_tuple(shape));
  std::string dict =
      "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + shape_tuple(shape) + ", }";
  // numpy pads so the data starts 64-byte aligned, which lets readers memory-map it.
  size_t preamble = 10;
  size_t total = preamble + dict.size() + 1;
  if (total + (64 - total % 64) % 64 - preamble > 0xFFFF) preamble = 12;
  total = preamble + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict.push_back('\n');

  const size_t item = dtype == "<f8" ? 8 : 4;
  std::string out;
  out.reserve(preamble + dict.size() + data.size() * item);
  out.append(kMagic, kMagicLen);
  if (preamble == 10) {
    out.push_back('\x01');
    out.push_back('\x00');
    uint16_t n = static_cast<uint16_t>(dict.size());
    out.append(reinterpret_cast<const char*>(&n), 2);
  } else {
    out.push_back('\x02');
    out.push_back('\x00');
    uint32_t n = static_cast<uint32_t>(dict.size());
    out.append(reinterpret_cast<const char*>(&n), 4);
  }
  out += dict;
  if (item == 8) {
    out.append(reinterpret_cast<const char*>(data.data()), data.size() * 8);
  } else {
    for (double v : data) {
      float f = static_cast<float>(v);
      out.append(reinterpret_cast<const char*>(&f), 4);
    }
  }
  return out;
}

void write_npy(const std::string& path, const std::vector<double>& data, const Shape& shape,
               const std::string& dtype) {
  write_file_atomic(path, encode_npy(data, shape, dtype));
}

}  // namespace dg::data
