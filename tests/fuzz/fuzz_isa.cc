// libFuzzer target: the ISA decoder, encoder and disassembler (sw/isa.h),
// every opcode of isa.def. The input is a program of 256-bit words
// (little-endian); a word with an unknown opcode is refused with
// std::invalid_argument. Every known word
//  - decodes, and every field of its kind (Common ones included) holds the
//    word's bits, sign-extended for signed fields;
//  - re-encodes (Encode accepts what Decode produced) to a word equal to the
//    original on every bit its fields cover, which decodes to the same fields;
//  - disassembles; a GEMM's mode field (all 8 codes, defined or not) and a
//    STORE's acc_shift appear in its text when not the A8W8 default.
// The whole program disassembles.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "sw/isa.h"
#include "sw/packing.h"

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_isa: %s\n", what);
  std::abort();
}

int64_t Expected(const sparq::InstrWord& w, int lsb, int width, bool sgn) {
  const uint64_t raw = sparq::GetBits(w, lsb, width);
  if (sgn && width < 64 && ((raw >> (width - 1)) & 1)) {
    return static_cast<int64_t>(raw | (~uint64_t{0} << width));
  }
  return static_cast<int64_t>(raw);
}

// For each field of kind `kind` (and Common): `got` holds the bits of `w`.
// Each Check*Fields is false on the first field that differs.
#define SPARQ_OPCODE(Name, value, doc)
#define SPARQ_FIELD(Instr, field, lsb, width, sgn, doc) \
  SPARQ_FUZZ_CHECK_##Instr(field, lsb, width, sgn)
#define SPARQ_FUZZ_CHECK(field, lsb, width, sgn)                     \
  if (got.field != Expected(w, lsb, width, sgn != 0)) return false; \
  if (got.field != again.field) return false;                        \
  if (Expected(re, lsb, width, sgn != 0) != got.field) return false;
#define SPARQ_FUZZ_SKIP(field, lsb, width, sgn)

#define SPARQ_FUZZ_CHECK_Common SPARQ_FUZZ_CHECK
#define SPARQ_FUZZ_CHECK_Load SPARQ_FUZZ_SKIP
#define SPARQ_FUZZ_CHECK_Gemm SPARQ_FUZZ_SKIP
#define SPARQ_FUZZ_CHECK_Store SPARQ_FUZZ_SKIP
#define SPARQ_FUZZ_CHECK_Spmv SPARQ_FUZZ_SKIP
#define SPARQ_FUZZ_CHECK_Dwconv SPARQ_FUZZ_SKIP

#undef SPARQ_FUZZ_CHECK_Load
#define SPARQ_FUZZ_CHECK_Load SPARQ_FUZZ_CHECK
bool CheckLoadFields(const sparq::InstrWord& w, const sparq::LoadInstr& got,
                     const sparq::LoadInstr& again,
                     const sparq::InstrWord& re) {
#include "sw/isa/isa.def"
  return true;
}
#undef SPARQ_FUZZ_CHECK_Load
#define SPARQ_FUZZ_CHECK_Load SPARQ_FUZZ_SKIP

#undef SPARQ_FUZZ_CHECK_Gemm
#define SPARQ_FUZZ_CHECK_Gemm SPARQ_FUZZ_CHECK
bool CheckGemmFields(const sparq::InstrWord& w, const sparq::GemmInstr& got,
                     const sparq::GemmInstr& again,
                     const sparq::InstrWord& re) {
#include "sw/isa/isa.def"
  return true;
}
#undef SPARQ_FUZZ_CHECK_Gemm
#define SPARQ_FUZZ_CHECK_Gemm SPARQ_FUZZ_SKIP

#undef SPARQ_FUZZ_CHECK_Store
#define SPARQ_FUZZ_CHECK_Store SPARQ_FUZZ_CHECK
bool CheckStoreFields(const sparq::InstrWord& w, const sparq::StoreInstr& got,
                      const sparq::StoreInstr& again,
                      const sparq::InstrWord& re) {
#include "sw/isa/isa.def"
  return true;
}
#undef SPARQ_FUZZ_CHECK_Store
#define SPARQ_FUZZ_CHECK_Store SPARQ_FUZZ_SKIP

#undef SPARQ_FUZZ_CHECK_Spmv
#define SPARQ_FUZZ_CHECK_Spmv SPARQ_FUZZ_CHECK
bool CheckSpmvFields(const sparq::InstrWord& w, const sparq::SpmvInstr& got,
                     const sparq::SpmvInstr& again,
                     const sparq::InstrWord& re) {
#include "sw/isa/isa.def"
  return true;
}
#undef SPARQ_FUZZ_CHECK_Spmv
#define SPARQ_FUZZ_CHECK_Spmv SPARQ_FUZZ_SKIP

#undef SPARQ_FUZZ_CHECK_Dwconv
#define SPARQ_FUZZ_CHECK_Dwconv SPARQ_FUZZ_CHECK
bool CheckDwconvFields(const sparq::InstrWord& w,
                       const sparq::DwconvInstr& got,
                       const sparq::DwconvInstr& again,
                       const sparq::InstrWord& re) {
#include "sw/isa/isa.def"
  return true;
}
#undef SPARQ_FUZZ_CHECK_Dwconv
#define SPARQ_FUZZ_CHECK_Dwconv SPARQ_FUZZ_SKIP

#undef SPARQ_OPCODE
#undef SPARQ_FIELD

// Decode, re-encode, decode again; every field compared.
template <typename Instr, typename DecodeFn, typename CheckFn>
void RoundTrip(const sparq::InstrWord& w, DecodeFn decode, CheckFn check,
               const char* kind) {
  const Instr got = decode(w);
  sparq::InstrWord re;
  try {
    re = sparq::Encode(got);
  } catch (const std::out_of_range&) {
    std::fprintf(stderr, "fuzz_isa: Encode refused a decoded %s\n", kind);
    std::abort();
  }
  const Instr again = decode(re);
  if (!check(w, got, again, re)) {
    std::fprintf(stderr, "fuzz_isa: %s field round trip differs\n", kind);
    std::abort();
  }
  const std::string text = sparq::Disassemble(w);
  if (text.empty() || sparq::Disassemble(re) != text) {
    std::fprintf(stderr, "fuzz_isa: %s disassembly differs\n", kind);
    std::abort();
  }
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
      if (sparq::Disassemble(w).rfind("???", 0) != 0) Fail("unknown opcode");
      continue;
    }
    switch (op) {
      case sparq::Opcode::kLoad:
        RoundTrip<sparq::LoadInstr>(w, sparq::DecodeLoad, CheckLoadFields,
                                    "LOAD");
        break;
      case sparq::Opcode::kGemm: {
        RoundTrip<sparq::GemmInstr>(w, sparq::DecodeGemm, CheckGemmFields,
                                    "GEMM");
        // The mode field: any of its 8 codes decodes; the defined ones
        // have 1, 2 or 4 lanes, the others none; a mode other than A8W8
        // shows in the text.
        const int64_t mode = sparq::DecodeGemm(w).mode;
        if (mode < 0 || mode > 7) Fail("GEMM mode out of its 3 bits");
        const int lanes = sparq::GemmModeLanes(static_cast<int>(mode));
        if (lanes != 0 && lanes != 1 && lanes != 2 && lanes != 4) {
          Fail("GEMM mode lanes");
        }
        const bool shown =
            sparq::Disassemble(w).find(" mode=") != std::string::npos;
        if (shown != (mode != sparq::kGemmModeA8W8)) Fail("GEMM mode text");
        break;
      }
      case sparq::Opcode::kStore: {
        RoundTrip<sparq::StoreInstr>(w, sparq::DecodeStore, CheckStoreFields,
                                     "STORE");
        const bool shown =
            sparq::Disassemble(w).find(" shift=") != std::string::npos;
        if (shown != (sparq::DecodeStore(w).acc_shift != 0)) {
          Fail("STORE acc_shift text");
        }
        break;
      }
      case sparq::Opcode::kSpmv:
        RoundTrip<sparq::SpmvInstr>(w, sparq::DecodeSpmv, CheckSpmvFields,
                                    "SPMV");
        break;
      case sparq::Opcode::kDwconv:
        RoundTrip<sparq::DwconvInstr>(w, sparq::DecodeDwconv,
                                      CheckDwconvFields, "DWCONV");
        break;
    }
  }
  try {
    (void)sparq::Disassemble(program);
  } catch (const std::invalid_argument&) {
    Fail("program disassembly threw");
  }
  return 0;
}
