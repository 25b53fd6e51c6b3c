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
