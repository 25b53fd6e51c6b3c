// Helpers shared by the block-level RTL tests: an instruction encoder that
// reads field positions straight from sw/isa/isa.def (independent of the RTL
// package and of sw/isa.cc), and 128-bit beat packing for verilated ports.

#ifndef SPARQ_TESTS_RTL_RTL_TEST_UTIL_H_
#define SPARQ_TESTS_RTL_RTL_TEST_UTIL_H_

#include <cstdint>
#include <cstring>

#include "sw/isa.h"

namespace sparq {
namespace rtltest {

inline void PutBits(InstrWord* w, int lsb, int width, int64_t value) {
  const uint64_t v = static_cast<uint64_t>(value);
  for (int i = 0; i < width; ++i) {
    const int bit = lsb + i;
    const uint32_t mask = 1u << (bit % 32);
    if ((v >> i) & 1u) {
      (*w)[static_cast<size_t>(bit / 32)] |= mask;
    } else {
      (*w)[static_cast<size_t>(bit / 32)] &= ~mask;
    }
  }
}

#define SPARQ_ISA_WORD(bits)
#define SPARQ_OPCODE(Name, value, doc)
#define SPARQ_FIELD(Instr, field, lsb, width, sgn, doc) \
  SPARQ_RTLTEST_PUT_##Instr(field, lsb, width)
#define SPARQ_RTLTEST_PUT_Common(field, lsb, width) PutBits(&w, lsb, width, i.field);
#define SPARQ_RTLTEST_PUT_Gemm(field, lsb, width)
#define SPARQ_RTLTEST_PUT_Store(field, lsb, width)
#define SPARQ_RTLTEST_PUT_Load(field, lsb, width) PutBits(&w, lsb, width, i.field);
inline InstrWord EncodeLoad(const LoadInstr& i) {
  InstrWord w{};
#include "sw/isa/isa.def"
  PutBits(&w, 0, 3, static_cast<int64_t>(Opcode::kLoad));
  return w;
}
#undef SPARQ_RTLTEST_PUT_Load
#undef SPARQ_RTLTEST_PUT_Store
#define SPARQ_RTLTEST_PUT_Load(field, lsb, width)
#define SPARQ_RTLTEST_PUT_Store(field, lsb, width) PutBits(&w, lsb, width, i.field);
inline InstrWord EncodeStore(const StoreInstr& i) {
  InstrWord w{};
#include "sw/isa/isa.def"
  PutBits(&w, 0, 3, static_cast<int64_t>(Opcode::kStore));
  return w;
}
#undef SPARQ_RTLTEST_PUT_Store
#undef SPARQ_RTLTEST_PUT_Gemm
#define SPARQ_RTLTEST_PUT_Store(field, lsb, width)
#define SPARQ_RTLTEST_PUT_Gemm(field, lsb, width) PutBits(&w, lsb, width, i.field);
inline InstrWord EncodeGemm(const GemmInstr& i) {
  InstrWord w{};
#include "sw/isa/isa.def"
  PutBits(&w, 0, 3, static_cast<int64_t>(Opcode::kGemm));
  return w;
}
#undef SPARQ_RTLTEST_PUT_Common
#undef SPARQ_RTLTEST_PUT_Gemm
#undef SPARQ_RTLTEST_PUT_Store
#undef SPARQ_RTLTEST_PUT_Load
#undef SPARQ_ISA_WORD
#undef SPARQ_OPCODE
#undef SPARQ_FIELD

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
