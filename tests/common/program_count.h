// Counting the instructions of a compiled program that have a given form,
// for tests that check what the compiler chose (header only).

#ifndef SPARQ_TESTS_COMMON_PROGRAM_COUNT_H_
#define SPARQ_TESTS_COMMON_PROGRAM_COUNT_H_

#include <type_traits>
#include <vector>

#include "sw/isa.h"

namespace sparq {

// The instructions of `program` of Instr's opcode (LoadInstr, StoreInstr or
// DwconvInstr) whose decoded fields satisfy pred.
template <typename Instr, typename Pred>
int CountInstrs(const std::vector<InstrWord>& program, Pred pred) {
  int n = 0;
  for (const InstrWord& w : program) {
    if constexpr (std::is_same_v<Instr, LoadInstr>) {
      n += OpcodeOf(w) == Opcode::kLoad && pred(DecodeLoad(w));
    } else if constexpr (std::is_same_v<Instr, StoreInstr>) {
      n += OpcodeOf(w) == Opcode::kStore && pred(DecodeStore(w));
    } else {
      static_assert(std::is_same_v<Instr, DwconvInstr>);
      n += OpcodeOf(w) == Opcode::kDwconv && pred(DecodeDwconv(w));
    }
  }
  return n;
}

}  // namespace sparq

#endif  // SPARQ_TESTS_COMMON_PROGRAM_COUNT_H_
