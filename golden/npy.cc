#include "golden/npy.h"

#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "golden/checked.h"
#include "golden/errors.h"
#include "golden/input_file.h"

namespace sparq {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

// Accepted spellings of each dtype; the first is what SaveNpy writes.
template <typename T>
std::vector<std::string> DescrFor();
template <>
std::vector<std::string> DescrFor<int8_t>() {
  return {"|i1", "<i1", "i1"};
}
template <>
std::vector<std::string> DescrFor<uint8_t>() {
  return {"|u1", "<u1", "u1"};
}
template <>
std::vector<std::string> DescrFor<int16_t>() {
  return {"<i2"};
}
template <>
std::vector<std::string> DescrFor<int32_t>() {
  return {"<i4"};
}
template <>
std::vector<std::string> DescrFor<int64_t>() {
  return {"<i8"};
}
template <>
std::vector<std::string> DescrFor<float>() {
  return {"<f4"};
}

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw InputError(path + ": " + what);
}

// Value of `'key': value` in the header dict, as raw text up to the next
// top-level ',' or '}'.
std::string HeaderField(const std::string& path, const std::string& header,
                        const std::string& key) {
  const std::string quoted_single = "'" + key + "'";
  const std::string quoted_double = "\"" + key + "\"";
  size_t pos = header.find(quoted_single);
  size_t len = quoted_single.size();
  if (pos == std::string::npos) {
    pos = header.find(quoted_double);
    len = quoted_double.size();
  }
  if (pos == std::string::npos) {
    Fail(path, "npy header has no '" + key + "' field: " + header);
  }
  pos = header.find(':', pos + len);
  if (pos == std::string::npos) Fail(path, "malformed npy header: " + header);
  ++pos;
  while (pos < header.size() && header[pos] == ' ') ++pos;
  size_t end = pos;
  int depth = 0;
  for (; end < header.size(); ++end) {
    const char c = header[end];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
  }
  std::string value = header.substr(pos, end - pos);
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

std::string Unquote(const std::string& s) {
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') &&
      s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

Shape ParseShape(const std::string& path, const std::string& text) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    Fail(path, "npy header 'shape' is not a tuple: " + text);
  }
  Shape shape;
  const std::string inner = text.substr(1, text.size() - 2);
  size_t pos = 0;
  while (pos < inner.size()) {
    while (pos < inner.size() && (inner[pos] == ' ' || inner[pos] == ','))
      ++pos;
    if (pos >= inner.size()) break;
    size_t end = pos;
    while (end < inner.size() && inner[end] != ',') ++end;
    std::string item = inner.substr(pos, end - pos);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty() && item.back() == 'L') item.pop_back();  // Python 2
    if (item.empty() ||
        item.find_first_not_of("0123456789") != std::string::npos ||
        item.size() > 9) {
      Fail(path,
           "npy header 'shape' has a bad dimension '" + item + "': " + text);
    }
    shape.push_back(std::stoi(item));
    pos = end;
  }
  return shape;
}

// The header text of a .npy file's bytes and where its data starts.
std::string ParseHeader(const std::string& bytes, const std::string& path,
                        size_t* data_start) {
  if (bytes.size() < kMagicLen + 2 ||
      std::memcmp(bytes.data(), kMagic, kMagicLen) != 0) {
    Fail(path, "not a .npy file (bad magic; expected \\x93NUMPY)");
  }
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0;
  size_t header_start = 0;
  if (major == 1) {
    header_start = 10;
    if (bytes.size() < header_start) Fail(path, "truncated npy preamble");
    header_len = static_cast<uint8_t>(bytes[8]) |
                 (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
  } else if (major == 2 || major == 3) {
    header_start = 12;
    if (bytes.size() < header_start) Fail(path, "truncated npy preamble");
    for (int i = 0; i < 4; ++i) {
      header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i]))
                    << (8 * i);
    }
  } else {
    Fail(path, "unsupported npy format version " + std::to_string(major) +
                   " (expected 1, 2 or 3)");
  }
  if (bytes.size() < header_start + header_len) {
    Fail(path, "truncated npy header: expected " +
                   std::to_string(header_start + header_len) +
                   " bytes of preamble and header, found " +
                   std::to_string(bytes.size()));
  }
  *data_start = header_start + header_len;
  return bytes.substr(header_start, header_len);
}

}  // namespace

std::string NpyDescr(const std::string& bytes, const std::string& path) {
  size_t data_start = 0;
  const std::string header = ParseHeader(bytes, path, &data_start);
  return Unquote(HeaderField(path, header, "descr"));
}

template <typename T>
Tensor<T> ParseNpy(const std::string& bytes, const std::string& path) {
  size_t data_start = 0;
  const std::string header = ParseHeader(bytes, path, &data_start);

  const std::string descr = Unquote(HeaderField(path, header, "descr"));
  const std::vector<std::string> accepted = DescrFor<T>();
  bool ok = false;
  for (const std::string& a : accepted) ok = ok || descr == a;
  if (!ok) {
    Fail(path, "wrong dtype: found '" + descr + "', expected '" +
                   accepted.front() + "'");
  }
  const std::string fortran = HeaderField(path, header, "fortran_order");
  if (fortran == "True") {
    Fail(path,
         "fortran_order is True; only C-order arrays are supported "
         "(save with np.ascontiguousarray)");
  }
  if (fortran != "False") {
    Fail(path, "bad 'fortran_order' value '" + fortran + "'");
  }
  Tensor<T> t;
  t.shape = ParseShape(path, HeaderField(path, header, "shape"));
  // Checked before anything is allocated: a wrapped product would allocate a
  // few elements and copy the file's bytes past them.
  const std::optional<uint64_t> elements = CheckedProduct(t.shape);
  if (!elements || *elements > kMaxTensorElements) {
    Fail(path, "npy header 'shape' " + ShapeToString(t.shape) +
                   ": expected at most " + std::to_string(kMaxTensorElements) +
                   " elements");
  }
  const size_t count = static_cast<size_t>(*elements);
  const size_t expected = count * sizeof(T);
  const size_t found = bytes.size() - data_start;
  if (found < expected) {
    Fail(path, "truncated data: shape " + ShapeToString(t.shape) + " needs " +
                   std::to_string(expected) + " bytes, found " +
                   std::to_string(found));
  }
  if (found > expected) {
    Fail(path, "trailing data: shape " + ShapeToString(t.shape) + " needs " +
                   std::to_string(expected) + " bytes, found " +
                   std::to_string(found));
  }
  static_assert(std::is_trivially_copyable_v<T>);
  t.data.resize(count);
  // .npy is little-endian, and so is every host sparq builds on.
  if (count) std::memcpy(t.data.data(), bytes.data() + data_start, expected);
  return t;
}

template <typename T>
Tensor<T> LoadNpy(const std::string& path) {
  return ParseNpy<T>(ReadInputFile(path, ".npy file", kMaxNpyFileBytes), path);
}

Tensor<int8_t> ParseNpyInt8(const std::string& bytes, const std::string& path) {
  const std::string descr = NpyDescr(bytes, path);
  if (descr != "<i2") {
    for (const std::string& a : DescrFor<int8_t>()) {
      if (descr == a) return ParseNpy<int8_t>(bytes, path);
    }
    Fail(path, "wrong dtype: found '" + descr +
                   "', expected '|i1' (or '<i2' holding int8 values)");
  }
  const Tensor<int16_t> wide = ParseNpy<int16_t>(bytes, path);
  Tensor<int8_t> t(wide.shape);
  for (size_t i = 0; i < wide.data.size(); ++i) {
    const int v = wide.data[i];
    if (v < -128 || v > 127) {
      Fail(path, "int16 element " + std::to_string(i) + " = " +
                     std::to_string(v) + " is outside int8 (expected [-128, "
                     "127] in an int16 tensor that holds int8 values)");
    }
    t.data[i] = static_cast<int8_t>(v);
  }
  return t;
}

Tensor<int8_t> LoadNpyInt8(const std::string& path) {
  return ParseNpyInt8(ReadInputFile(path, ".npy file", kMaxNpyFileBytes),
                      path);
}

template <typename T>
void SaveNpy(const std::string& path, const Tensor<T>& t) {
  assert(t.data.size() == NumElements(t.shape));
  std::string shape = "(";
  for (size_t i = 0; i < t.shape.size(); ++i) {
    shape += std::to_string(t.shape[i]);
    shape += (t.shape.size() == 1 || i + 1 < t.shape.size()) ? "," : "";
    if (i + 1 < t.shape.size()) shape += " ";
  }
  shape += ")";
  std::string header = "{'descr': '" + DescrFor<T>().front() +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so that the data starts 64-byte aligned, ending in '\n'.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  if (header.size() > std::numeric_limits<uint16_t>::max()) {
    Fail(path, "npy header too long for format 1.0");
  }

  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      Fail(path, "cannot create temporary file " + tmp + " (" +
                     std::strerror(errno) + ")");
    }
    out.write(kMagic, kMagicLen);
    const char version[2] = {1, 0};
    out.write(version, 2);
    const char len[2] = {static_cast<char>(header.size() & 0xff),
                         static_cast<char>(header.size() >> 8)};
    out.write(len, 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(t.data.data()),
              static_cast<std::streamsize>(t.data.size() * sizeof(T)));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      Fail(path, "write failed (" + std::string(std::strerror(errno)) + ")");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    std::remove(tmp.c_str());
    Fail(path, "cannot rename " + tmp + " into place (" + err + ")");
  }
}

template Tensor<int8_t> LoadNpy<int8_t>(const std::string&);
template Tensor<uint8_t> LoadNpy<uint8_t>(const std::string&);
template Tensor<int32_t> LoadNpy<int32_t>(const std::string&);
template Tensor<float> LoadNpy<float>(const std::string&);
template Tensor<int16_t> LoadNpy<int16_t>(const std::string&);
template Tensor<int64_t> LoadNpy<int64_t>(const std::string&);
template Tensor<int8_t> ParseNpy<int8_t>(const std::string&,
                                         const std::string&);
template Tensor<uint8_t> ParseNpy<uint8_t>(const std::string&,
                                           const std::string&);
template Tensor<int32_t> ParseNpy<int32_t>(const std::string&,
                                           const std::string&);
template Tensor<float> ParseNpy<float>(const std::string&, const std::string&);
template Tensor<int16_t> ParseNpy<int16_t>(const std::string&,
                                           const std::string&);
template void SaveNpy<int8_t>(const std::string&, const Tensor<int8_t>&);
template void SaveNpy<uint8_t>(const std::string&, const Tensor<uint8_t>&);
template void SaveNpy<int32_t>(const std::string&, const Tensor<int32_t>&);
template void SaveNpy<float>(const std::string&, const Tensor<float>&);
template void SaveNpy<int16_t>(const std::string&, const Tensor<int16_t>&);
template void SaveNpy<int64_t>(const std::string&, const Tensor<int64_t>&);

}  // namespace sparq
