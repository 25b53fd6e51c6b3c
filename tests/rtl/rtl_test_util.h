// Helpers shared by the block-level RTL tests: 128-bit beat packing for
// verilated ports. Instructions are encoded with sw/isa.h's Encode.

#ifndef SPARQ_TESTS_RTL_RTL_TEST_UTIL_H_
#define SPARQ_TESTS_RTL_RTL_TEST_UTIL_H_

#include <cstdint>
#include <cstring>

#include "sw/isa.h"

namespace sparq {
namespace rtltest {

// A verilated wide port (VlWide<N> or WData[N]) from / to bytes.
template <typename Wide>
void BytesToWide(const uint8_t* src, int n, Wide& dst) {
  for (int word = 0; word * 4 < n; ++word) {
    uint32_t v = 0;
    for (int b = 0; b < 4 && word * 4 + b < n; ++b) {
      v |= static_cast<uint32_t>(src[word * 4 + b]) << (8 * b);
    }
    dst[word] = v;
  }
}

template <typename Wide>
uint8_t WideByte(const Wide& src, int i) {
  return static_cast<uint8_t>(src[i / 4] >> (8 * (i % 4)));
}

}  // namespace rtltest
}  // namespace sparq

#endif  // SPARQ_TESTS_RTL_RTL_TEST_UTIL_H_
