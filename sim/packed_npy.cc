#include "sim/packed_npy.h"

#include <cassert>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "sw/packing.h"

namespace sparq {

int PackedWeightsPerByte(Precision p) {
  switch (p) {
    case Precision::kA8W4:
    case Precision::kA4W4:
      return 2;
    case Precision::kA8W2:
      return 4;
    case Precision::kA1W1:
      return 8;
    case Precision::kA8W8:
    case Precision::kA16W8:
      break;
  }
  return 0;
}

Tensor<uint8_t> PackWeightsNpy(Precision p, const Tensor<int8_t>& w) {
  const int k = PackedWeightsPerByte(p);
  assert(k > 0);
  std::vector<uint8_t> bytes = k == 2   ? PackInt4(w.data)
                               : k == 4 ? PackTernary(w.data)
                                        : PackBinary(w.data);
  Tensor<uint8_t> t({static_cast<int>(bytes.size())});
  t.data = std::move(bytes);
  return t;
}

std::vector<int8_t> UnpackWeightsNpy(Precision p, const Tensor<uint8_t>& packed,
                                     size_t count) {
  const int k = PackedWeightsPerByte(p);
  assert(k > 0);
  const size_t bytes = (count + static_cast<size_t>(k) - 1) / k;
  if (packed.shape != Shape{static_cast<int>(bytes)}) {
    throw InputError("packed " + std::string(PrecisionName(p)) +
                     " weights: expected shape [" + std::to_string(bytes) +
                     "] (" + std::to_string(count) + " elements, " +
                     std::to_string(k) + " per byte), got " +
                     ShapeToString(packed.shape));
  }
  const int bits = 8 / k;
  for (size_t i = 0; i < bytes * k; ++i) {
    const unsigned code = (packed.data[i / k] >> (bits * (i % k))) &
                          ((1u << bits) - 1);
    if (i >= count && code != 0) {
      throw InputError("packed " + std::string(PrecisionName(p)) +
                       " weights: byte " + std::to_string(i / k) +
                       " has bits set after the last element (expected 0)");
    }
    if (k == 4 && code == 2) {
      throw InputError("packed a8w2 weights: element " + std::to_string(i) +
                       " has the unused ternary code 10 (expected 00, 01 or "
                       "11)");
    }
  }
  return k == 2   ? UnpackInt4(packed.data, count)
         : k == 4 ? UnpackTernary(packed.data, count)
                  : UnpackBinary(packed.data, count);
}

}  // namespace sparq
