#include "golden/int4.h"

#include <string>

#include "golden/errors.h"

namespace sparq {

std::vector<int8_t> UnpackInt4(const std::vector<uint8_t>& packed,
                               size_t count) {
  if (packed.size() != PackedInt4Bytes(count)) {
    throw InputError("packed int4 data has " + std::to_string(packed.size()) +
                     " bytes, expected " +
                     std::to_string(PackedInt4Bytes(count)) + " for " +
                     std::to_string(count) + " elements");
  }
  std::vector<int8_t> values(count);
  for (size_t i = 0; i < count; ++i) {
    const unsigned nibble = (packed[i / 2] >> (4 * (i % 2))) & 0xFu;
    // Bit 3 is the sign: nibbles 8..15 are -8..-1.
    values[i] = static_cast<int8_t>(static_cast<int>(nibble ^ 0x8u) - 8);
  }
  return values;
}

std::vector<uint8_t> PackInt4(const std::vector<int8_t>& values) {
  std::vector<uint8_t> packed(PackedInt4Bytes(values.size()), 0);
  for (size_t i = 0; i < values.size(); ++i) {
    const int v = values[i];
    if (v < -8 || v > 7) {
      throw InputError("int4 element " + std::to_string(i) + " is " +
                       std::to_string(v) + ", expected a value in [-8, 7]");
    }
    packed[i / 2] |= static_cast<uint8_t>((static_cast<unsigned>(v) & 0xFu)
                                          << (4 * (i % 2)));
  }
  return packed;
}

}  // namespace sparq
