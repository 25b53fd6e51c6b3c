#include "sw/pack_nm.h"

#include <algorithm>
#include <cassert>

#include "golden/errors.h"

namespace sparq {

std::vector<uint8_t> PackNm24Tile(const int8_t* dense, int rows, int cols) {
  assert(rows % 4 == 0 && cols > 0);
  std::vector<uint8_t> out(static_cast<size_t>(Nm24TileLines(rows)) * cols, 0);
  for (int col = 0; col < cols; ++col) {
    for (int g = 0; g < rows / 2; ++g) {
      int kept = 0;
      for (int j = 0; j < kNmM; ++j) {
        const int8_t w = dense[static_cast<size_t>(kNmM * g + j) * cols + col];
        if (w == 0) continue;
        if (kept == kNmN) {
          throw InputError("2:4 weight tile: column " + std::to_string(col) +
                           ", K positions " + std::to_string(kNmM * g) + ".." +
                           std::to_string(kNmM * g + kNmM - 1) +
                           " hold more than 2 non-zeros");
        }
        const int row = kNmN * g + kept++;  // array row
        const size_t block = static_cast<size_t>(row / 4) * 5;
        out[(block + 1 + row % 4) * cols + col] = static_cast<uint8_t>(w);
        out[block * cols + col] |= static_cast<uint8_t>(j << (2 * (row % 4)));
      }
    }
  }
  return out;
}

std::vector<int8_t> UnpackNm24Tile(const uint8_t* packed, int rows, int cols) {
  assert(rows % 4 == 0 && cols > 0);
  std::vector<int8_t> out(static_cast<size_t>(2 * rows) * cols, 0);
  for (int row = 0; row < rows; ++row) {
    const size_t block = static_cast<size_t>(row / 4) * 5;
    for (int col = 0; col < cols; ++col) {
      const int8_t w =
          static_cast<int8_t>(packed[(block + 1 + row % 4) * cols + col]);
      const int j = (packed[block * cols + col] >> (2 * (row % 4))) & 3;
      // Both slots of a group may name one position only when one of them
      // is an unused slot (weight 0): adding keeps the other's weight.
      int8_t& dst = out[static_cast<size_t>(kNmM * (row / 2) + j) * cols + col];
      dst = static_cast<int8_t>(dst + w);
    }
  }
  return out;
}

std::vector<uint8_t> PackNm24W4Tile(const int8_t* dense, int rows,
                                    int cols) {
  const std::vector<uint8_t> w8 = PackNm24Tile(dense, rows, cols);
  std::vector<uint8_t> out(static_cast<size_t>(Nm24W4TileLines(rows)) * cols);
  const size_t c = static_cast<size_t>(cols);
  for (int block = 0; block < rows / 4; ++block) {
    const uint8_t* src = w8.data() + static_cast<size_t>(block) * 5 * c;
    uint8_t* dst = out.data() + static_cast<size_t>(block) * 3 * c;
    std::copy(src, src + c, dst);  // the index line
    for (int p = 0; p < 2; ++p) {
      for (size_t col = 0; col < c; ++col) {
        const int8_t lo = static_cast<int8_t>(src[(1 + 2 * p) * c + col]);
        const int8_t hi = static_cast<int8_t>(src[(2 + 2 * p) * c + col]);
        if (lo < -8 || lo > 7 || hi < -8 || hi > 7) {
          throw InputError("2:4 int4 weight tile: column " +
                           std::to_string(col) + ", array rows " +
                           std::to_string(4 * block + 2 * p) + ".." +
                           std::to_string(4 * block + 2 * p + 1) +
                           " hold a weight outside [-8, 7]");
        }
        dst[(1 + p) * c + col] = static_cast<uint8_t>(
            (static_cast<uint8_t>(lo) & 0x0f) | (static_cast<uint8_t>(hi) << 4));
      }
    }
  }
  return out;
}

std::vector<int8_t> UnpackNm24W4Tile(const uint8_t* packed, int rows,
                                     int cols) {
  assert(rows % 4 == 0 && cols > 0);
  const size_t c = static_cast<size_t>(cols);
  std::vector<uint8_t> w8(static_cast<size_t>(Nm24TileLines(rows)) * c);
  for (int block = 0; block < rows / 4; ++block) {
    const uint8_t* src = packed + static_cast<size_t>(block) * 3 * c;
    uint8_t* dst = w8.data() + static_cast<size_t>(block) * 5 * c;
    std::copy(src, src + c, dst);
    for (int q = 0; q < 4; ++q) {
      for (size_t col = 0; col < c; ++col) {
        const uint8_t b = src[(1 + q / 2) * c + col];
        const int nib = q % 2 == 0 ? (b & 0x0f) : (b >> 4);
        dst[(1 + q) * c + col] =
            static_cast<uint8_t>(nib >= 8 ? nib - 16 : nib);
      }
    }
  }
  return UnpackNm24Tile(w8.data(), rows, cols);
}

std::string Nm24Violation(const Layer& layer) {
  const Shape& ws = layer.weights.shape;
  const int64_t cout = ws[0];
  const int64_t cin = ws.back();  // conv: Cin_g; fc: inputs
  const int64_t taps = static_cast<int64_t>(layer.weights.size()) / cout / cin;
  for (int64_t o = 0; o < cout; ++o) {
    for (int64_t t = 0; t < taps; ++t) {
      const int8_t* w = layer.weights.data.data() + (o * taps + t) * cin;
      for (int64_t c0 = 0; c0 < cin; c0 += kNmM) {
        const int64_t c1 = std::min<int64_t>(cin, c0 + kNmM);
        const int64_t nz = std::count_if(w + c0, w + c1,
                                         [](int8_t v) { return v != 0; });
        if (nz > kNmN) {
          const int64_t kw = layer.kind == LayerKind::kConv ? ws[2] : 1;
          return "output channel " + std::to_string(o) + ", tap (" +
                 std::to_string(t / kw) + ", " + std::to_string(t % kw) +
                 "), input channels " + std::to_string(c0) + ".." +
                 std::to_string(c1 - 1) + ": " + std::to_string(nz) +
                 " non-zeros (2:4 allows 2 in every aligned group of 4)";
        }
      }
    }
  }
  return "";
}

}  // namespace sparq
