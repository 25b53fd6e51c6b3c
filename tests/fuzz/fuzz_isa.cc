// libFuzzer target: the ISA decoder and disassembler (sw/isa.h). The input
// is a program of 256-bit words (little-endian); a word with an unknown
// opcode is refused with std::invalid_argument. Every known word decodes,
// re-encodes to a word that decodes to the same fields (the disassembly is
// the comparison), and disassembles.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "sw/isa.h"

namespace {

template <typename Instr>
void RoundTrip(const sparq::InstrWord& w, Instr decoded) {
  const std::string text = sparq::Disassemble(w);
  const sparq::InstrWord again = sparq::Encode(decoded);
  if (sparq::Disassemble(again) != text) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kBytes = sizeof(sparq::InstrWord);
  std::vector<sparq::InstrWord> program;
  for (size_t off = 0; off + kBytes <= size; off += kBytes) {
    sparq::InstrWord w{};
    std::memcpy(w.data(), data + off, kBytes);
    program.push_back(w);
  }
  for (const sparq::InstrWord& w : program) {
    sparq::Opcode op;
    try {
      op = sparq::OpcodeOf(w);
    } catch (const std::invalid_argument&) {
      continue;
    }
    switch (op) {
      case sparq::Opcode::kLoad:
        RoundTrip(w, sparq::DecodeLoad(w));
        break;
      case sparq::Opcode::kGemm:
        RoundTrip(w, sparq::DecodeGemm(w));
        break;
      case sparq::Opcode::kStore:
        RoundTrip(w, sparq::DecodeStore(w));
        break;
      default:
        break;
    }
  }
  try {
    (void)sparq::Disassemble(program);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
