#include "sw/packing.h"

#include <cassert>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "sw/isa.h"

namespace sparq {
namespace {

uint8_t TernaryCode(int v) {
  assert(v >= -1 && v <= 1);
  return v == 0 ? 0 : (v > 0 ? 1 : 3);
}

int TernaryValue(unsigned code) {
  // Bit 0: non-zero; bit 1: negative. The unused code 10 reads as 0, as the
  // PE's add / subtract / skip decode does.
  if ((code & 1u) == 0) return 0;
  return (code & 2u) ? -1 : 1;
}

int Int4Value(unsigned nibble) {
  return static_cast<int>(nibble & 0xfu) - ((nibble & 0x8u) ? 16 : 0);
}

}  // namespace

std::vector<uint8_t> PackTernary(const std::vector<int8_t>& v) {
  std::vector<uint8_t> out((v.size() + 3) / 4, 0);
  for (size_t i = 0; i < v.size(); ++i) {
    out[i / 4] |= static_cast<uint8_t>(TernaryCode(v[i]) << (2 * (i % 4)));
  }
  return out;
}

std::vector<int8_t> UnpackTernary(const std::vector<uint8_t>& bytes,
                                  size_t n) {
  assert(bytes.size() * 4 >= n);
  std::vector<int8_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<int8_t>(
        TernaryValue((bytes[i / 4] >> (2 * (i % 4))) & 3u));
  }
  return out;
}

std::vector<uint8_t> PackBinary(const std::vector<int8_t>& v) {
  std::vector<uint8_t> out((v.size() + 7) / 8, 0);
  for (size_t i = 0; i < v.size(); ++i) {
    assert(v[i] == 1 || v[i] == -1);
    if (v[i] > 0) out[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
  }
  return out;
}

std::vector<int8_t> UnpackBinary(const std::vector<uint8_t>& bytes, size_t n) {
  assert(bytes.size() * 8 >= n);
  std::vector<int8_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = ((bytes[i / 8] >> (i % 8)) & 1u) ? 1 : -1;
  }
  return out;
}

size_t Int4RowsBytes(size_t n, size_t row_len) {
  return row_len == 0 ? 0 : n / row_len * ((row_len + 1) / 2);
}

std::vector<uint8_t> PackInt4Rows(const int8_t* v, size_t n, size_t row_len) {
  assert(row_len > 0 && n % row_len == 0);
  const size_t row_bytes = (row_len + 1) / 2;
  std::vector<uint8_t> out(Int4RowsBytes(n, row_len), 0);
  for (size_t i = 0; i < n; ++i) {
    if (v[i] < -8 || v[i] > 7) {
      throw InputError("int4 tensor element " + std::to_string(i) + " is " +
                       std::to_string(v[i]) + ", expected a value in [-8, 7]");
    }
    const size_t row = i / row_len, col = i % row_len;
    out[row * row_bytes + col / 2] |=
        static_cast<uint8_t>((v[i] & 0xf) << (4 * (col % 2)));
  }
  return out;
}

void UnpackInt4Rows(const uint8_t* bytes, size_t n, size_t row_len,
                    int8_t* out) {
  assert(row_len > 0 && n % row_len == 0);
  const size_t row_bytes = (row_len + 1) / 2;
  for (size_t i = 0; i < n; ++i) {
    const size_t row = i / row_len, col = i % row_len;
    out[i] = static_cast<int8_t>(
        Int4Value(bytes[row * row_bytes + col / 2] >> (4 * (col % 2))));
  }
}

size_t BinaryRowsBytes(size_t n, size_t row_len) {
  return row_len == 0 ? 0 : n / row_len * ((row_len + 7) / 8);
}

std::vector<uint8_t> PackBinaryRows(const int8_t* v, size_t n,
                                    size_t row_len) {
  assert(row_len > 0 && n % row_len == 0);
  const size_t row_bytes = (row_len + 7) / 8;
  std::vector<uint8_t> out(BinaryRowsBytes(n, row_len), 0);
  for (size_t i = 0; i < n; ++i) {
    if (v[i] != 1 && v[i] != -1) {
      throw InputError("binary tensor element " + std::to_string(i) + " is " +
                       std::to_string(v[i]) + ", expected -1 or +1");
    }
    const size_t row = i / row_len, col = i % row_len;
    if (v[i] > 0) {
      out[row * row_bytes + col / 8] |= static_cast<uint8_t>(1u << (col % 8));
    }
  }
  return out;
}

void UnpackBinaryRows(const uint8_t* bytes, size_t n, size_t row_len,
                      int8_t* out) {
  assert(row_len > 0 && n % row_len == 0);
  const size_t row_bytes = (row_len + 7) / 8;
  for (size_t i = 0; i < n; ++i) {
    const size_t row = i / row_len, col = i % row_len;
    out[i] = ((bytes[row * row_bytes + col / 8] >> (col % 8)) & 1u) ? 1 : -1;
  }
}

int GemmModeOf(Precision p) {
  switch (p) {
    case Precision::kA8W8:
      return kGemmModeA8W8;
    case Precision::kA8W4:
      return kGemmModeA8W4;
    case Precision::kA8W2:
      return kGemmModeA8W2;
    case Precision::kA4W4:
      return kGemmModeA4W4;
    case Precision::kA1W1:
      return kGemmModeA1W1;
    case Precision::kA16W8:
      return kGemmModeA16W8;
  }
  throw InputError(std::string("precision ") + PrecisionName(p) +
                   " does not run on the array in this build");
}

int GemmModeLanes(int mode) {
  switch (mode) {
    case kGemmModeA8W8:
    case kGemmModeA4W4:
    case kGemmModeA1W1:
    case kGemmModeN24W8:
    case kGemmModeN24W4:
      return 1;
    case kGemmModeA8W4:
    case kGemmModeA16W8:  // low and high activation bytes, the same channels
      return 2;
    case kGemmModeA8W2:
      return 4;
    default:
      return 0;
  }
}

uint8_t PackWeightByte(int mode, const int8_t* w) {
  switch (mode) {
    case kGemmModeA8W4:
      assert(w[0] >= -8 && w[0] <= 7 && w[1] >= -8 && w[1] <= 7);
      return static_cast<uint8_t>((w[0] & 0xf) | ((w[1] & 0xf) << 4));
    case kGemmModeA8W2: {
      uint8_t b = 0;
      for (int l = 0; l < 4; ++l) b |= TernaryCode(w[l]) << (2 * l);
      return b;
    }
    default:
      return static_cast<uint8_t>(w[0]);
  }
}

int DecodeWeightLane(int mode, uint8_t byte, int lane) {
  switch (mode) {
    case kGemmModeA8W4:
      return Int4Value(byte >> (4 * lane));
    case kGemmModeA8W2:
      return TernaryValue((byte >> (2 * lane)) & 3u);
    default:
      return static_cast<int8_t>(byte);
  }
}

std::vector<uint8_t> PlanarInt16Rows(const int8_t* bytes, size_t n,
                                     size_t row_bytes) {
  assert(row_bytes % 2 == 0 && n % row_bytes == 0);
  const size_t half = row_bytes / 2;
  std::vector<uint8_t> out(n);
  for (size_t r = 0; r < n; r += row_bytes) {
    for (size_t e = 0; e < half; ++e) {
      out[r + e] = static_cast<uint8_t>(bytes[r + 2 * e]);
      out[r + half + e] = static_cast<uint8_t>(bytes[r + 2 * e + 1]);
    }
  }
  return out;
}

void UnplanarInt16Rows(const uint8_t* planar, size_t n, size_t row_bytes,
                       int8_t* out) {
  assert(row_bytes % 2 == 0 && n % row_bytes == 0);
  const size_t half = row_bytes / 2;
  for (size_t r = 0; r < n; r += row_bytes) {
    for (size_t e = 0; e < half; ++e) {
      out[r + 2 * e] = static_cast<int8_t>(planar[r + e]);
      out[r + 2 * e + 1] = static_cast<int8_t>(planar[r + half + e]);
    }
  }
}

}  // namespace sparq
