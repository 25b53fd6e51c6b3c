// The sparq instruction set and hardware contract: C++ view of
// sw/isa/isa.def (field layout, LOAD buffers, PARAM record, counter and
// config-register map, constants) and docs/architecture.md (semantics).

#ifndef SPARQ_SW_ISA_H_
#define SPARQ_SW_ISA_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sparq {

#define SPARQ_ISA_WORD(bits) constexpr int kInstrBits = bits;
#define SPARQ_OPCODE(Name, value, doc)
#define SPARQ_FIELD(Instr, field, lsb, width, sgn, doc)
#include "sw/isa/isa.def"
#undef SPARQ_ISA_WORD
#undef SPARQ_OPCODE
#undef SPARQ_FIELD

constexpr int kInstrWords = kInstrBits / 32;
using InstrWord = std::array<uint32_t, kInstrWords>;  // word 0 = bits [31:0]

enum class Opcode : uint32_t {
#define SPARQ_ISA_WORD(bits)
#define SPARQ_OPCODE(Name, value, doc) k##Name = value,
#define SPARQ_FIELD(Instr, field, lsb, width, sgn, doc)
#include "sw/isa/isa.def"
#undef SPARQ_ISA_WORD
#undef SPARQ_OPCODE
#undef SPARQ_FIELD
};

// Values of the LOAD `buf` field.
enum class LoadBuf : uint32_t {
#define SPARQ_LOAD_BUF(Name, value, doc) k##Name = value,
#include "sw/isa/isa.def"
#undef SPARQ_LOAD_BUF
};

// The PARAM record: kParamBytes bytes per output channel, each field
// little-endian at byte kParam<Field>Byte, kParam<Field>Bytes long
// (kParamBiasByte, kParamMultBytes, ...); bytes no field covers are zero.
#define SPARQ_PARAM_RECORD(bytes) constexpr int kParamBytes = bytes;
#define SPARQ_PARAM_FIELD(Name, byte, bytes, sgn, doc) \
  constexpr int kParam##Name##Byte = byte;             \
  constexpr int kParam##Name##Bytes = bytes;
#include "sw/isa/isa.def"
#undef SPARQ_PARAM_RECORD
#undef SPARQ_PARAM_FIELD

// Numbers both sides depend on: kMagicWord, kCtrSelBits, kEngineQueueDepth.
#define SPARQ_CONST(Name, value, doc) constexpr int k##Name = value;
#include "sw/isa/isa.def"
#undef SPARQ_CONST

// Performance counters: the index is the ctr_sel of rtl/sparq_top.sv
// (isa.def numbers them 0, 1, ... without gaps).
enum Counter : int {
#define SPARQ_COUNTER(Name, name, sel, doc) kCtr##Name = sel,
#include "sw/isa/isa.def"
#undef SPARQ_COUNTER
};
constexpr int kNumCounters = 0
#define SPARQ_COUNTER(Name, name, sel, doc) +1
#include "sw/isa/isa.def"
#undef SPARQ_COUNTER
    ;
const char* CounterName(int counter);  // "cycles", "array_busy", ...

// Read-only configuration registers on the counter read port.
enum ConfigReg : int {
#define SPARQ_CONFIG_REG(Name, sel, doc) kCfg##Name = sel,
#include "sw/isa/isa.def"
#undef SPARQ_CONFIG_REG
};
inline constexpr ConfigReg kConfigRegs[] = {
#define SPARQ_CONFIG_REG(Name, sel, doc) kCfg##Name,
#include "sw/isa/isa.def"
#undef SPARQ_CONFIG_REG
};
// "ArrayRows", ..., "Magic". Inline: the RTL plugins use it and link nothing
// of sw/.
inline const char* ConfigRegName(ConfigReg reg) {
  switch (reg) {
#define SPARQ_CONFIG_REG(Name, sel, doc) \
  case kCfg##Name:                       \
    return #Name;
#include "sw/isa/isa.def"
#undef SPARQ_CONFIG_REG
  }
  return "unknown";
}

// Every field of isa.def, in definition order: what a compiler needs to know
// a field's limits without repeating its width.
struct IsaField {
  const char* instr;  // "Common", "Load", "Gemm", "Store", "Dwconv"
  const char* name;
  int lsb;
  int width;
  bool is_signed;
};
#define SPARQ_ISA_WORD(bits)
#define SPARQ_OPCODE(Name, value, doc)
#define SPARQ_FIELD(Instr, field, lsb, width, sgn, doc) \
  IsaField{#Instr, #field, lsb, width, sgn != 0},
inline constexpr IsaField kIsaFields[] = {
#include "sw/isa/isa.def"
};
#undef SPARQ_ISA_WORD
#undef SPARQ_OPCODE
#undef SPARQ_FIELD

namespace isa_internal {
constexpr bool StrEq(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}
}  // namespace isa_internal

// Largest value of an unsigned field, e.g. IsaFieldMax("Load", "nl") == 4095
// (-1 when no such field exists, which fails any range use at compile time).
constexpr int64_t IsaFieldMax(const char* instr, const char* field) {
  for (const IsaField& f : kIsaFields) {
    if (isa_internal::StrEq(f.instr, instr) &&
        isa_internal::StrEq(f.name, field)) {
      return f.is_signed ? (int64_t{1} << (f.width - 1)) - 1
                         : (int64_t{1} << f.width) - 1;
    }
  }
  return -1;
}

// Raw bit access (width <= 64); Decode* sign-extends the signed fields.
uint64_t GetBits(const InstrWord& w, int lsb, int width);
void SetBits(InstrWord* w, int lsb, int width, uint64_t value);

// One struct per instruction kind with one int64_t member per field of
// isa.def (Common fields included). Encode checks every value fits its field
// (signed fields as two's complement) and throws std::out_of_range naming
// the field otherwise.
#define SPARQ_ISA_WORD(bits)
#define SPARQ_OPCODE(Name, value, doc)
#define SPARQ_FIELD(Instr, field, lsb, width, sgn, doc) \
  SPARQ_ISA_MEMBER_##Instr(field)
#define SPARQ_ISA_MEMBER_Common(field) int64_t field = 0;
#define SPARQ_ISA_MEMBER_Load(field)
#define SPARQ_ISA_MEMBER_Gemm(field)
#define SPARQ_ISA_MEMBER_Store(field)
#define SPARQ_ISA_MEMBER_Spmv(field)
#define SPARQ_ISA_MEMBER_Dwconv(field)
struct CommonFields {
#include "sw/isa/isa.def"
};
#undef SPARQ_ISA_MEMBER_Common
#undef SPARQ_ISA_MEMBER_Load
#define SPARQ_ISA_MEMBER_Common(field)
#define SPARQ_ISA_MEMBER_Load(field) int64_t field = 0;
struct LoadInstr : CommonFields {
#include "sw/isa/isa.def"
};
#undef SPARQ_ISA_MEMBER_Load
#undef SPARQ_ISA_MEMBER_Gemm
#define SPARQ_ISA_MEMBER_Load(field)
#define SPARQ_ISA_MEMBER_Gemm(field) int64_t field = 0;
struct GemmInstr : CommonFields {
#include "sw/isa/isa.def"
};
#undef SPARQ_ISA_MEMBER_Gemm
#undef SPARQ_ISA_MEMBER_Store
#define SPARQ_ISA_MEMBER_Gemm(field)
#define SPARQ_ISA_MEMBER_Store(field) int64_t field = 0;
struct StoreInstr : CommonFields {
#include "sw/isa/isa.def"
};
#undef SPARQ_ISA_MEMBER_Store
#undef SPARQ_ISA_MEMBER_Spmv
#define SPARQ_ISA_MEMBER_Store(field)
#define SPARQ_ISA_MEMBER_Spmv(field) int64_t field = 0;
struct SpmvInstr : CommonFields {
#include "sw/isa/isa.def"
};
#undef SPARQ_ISA_MEMBER_Spmv
#undef SPARQ_ISA_MEMBER_Dwconv
#define SPARQ_ISA_MEMBER_Spmv(field)
#define SPARQ_ISA_MEMBER_Dwconv(field) int64_t field = 0;
struct DwconvInstr : CommonFields {
#include "sw/isa/isa.def"
};
#undef SPARQ_ISA_MEMBER_Spmv
#undef SPARQ_ISA_MEMBER_Dwconv
#undef SPARQ_ISA_MEMBER_Common
#undef SPARQ_ISA_MEMBER_Load
#undef SPARQ_ISA_MEMBER_Gemm
#undef SPARQ_ISA_MEMBER_Store
#undef SPARQ_ISA_WORD
#undef SPARQ_OPCODE
#undef SPARQ_FIELD

InstrWord Encode(LoadInstr i);  // sets opcode
InstrWord Encode(GemmInstr i);
InstrWord Encode(StoreInstr i);
InstrWord Encode(SpmvInstr i);
InstrWord Encode(DwconvInstr i);
Opcode OpcodeOf(const InstrWord& w);  // throws std::invalid_argument if unknown
LoadInstr DecodeLoad(const InstrWord& w);
GemmInstr DecodeGemm(const InstrWord& w);
StoreInstr DecodeStore(const InstrWord& w);
SpmvInstr DecodeSpmv(const InstrWord& w);
DwconvInstr DecodeDwconv(const InstrWord& w);

// The SRAM lines (records) a LOAD writes from sram_base on: nl per kernel
// tap of each gathered pixel, or per pixel when dense.
inline int64_t LoadLines(const LoadInstr& i) {
  return i.ny * i.nx * (i.dense ? 1 : i.kh * i.kw) * i.nl;
}

// One line of text per instruction, e.g.
// "GEMM  act=0+36*224 wgt=16 acc=0 m=224 acc=1 kv=16 nv=16 [pop_prev]".
std::string Disassemble(const InstrWord& w);
std::string Disassemble(const std::vector<InstrWord>& program);

}  // namespace sparq

#endif  // SPARQ_SW_ISA_H_
