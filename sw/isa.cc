#include "sw/isa.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace sparq {
namespace {

const char* OpcodeName(Opcode op) {
  switch (op) {
    case Opcode::kLoad:
      return "LOAD";
    case Opcode::kGemm:
      return "GEMM";
    case Opcode::kStore:
      return "STORE";
    case Opcode::kSpmv:
      return "SPMV";
    case Opcode::kDwconv:
      return "DWCONV";
  }
  return "?";
}

int64_t FieldMin(int width, bool is_signed) {
  return is_signed ? -(int64_t{1} << (width - 1)) : 0;
}
int64_t FieldMax(int width, bool is_signed) {
  return is_signed ? (int64_t{1} << (width - 1)) - 1
                   : (int64_t{1} << width) - 1;
}

// Encodes one field after checking that `value` fits it; the message names
// the instruction, the field, the value and the range, because the value
// usually comes from a layer shape the user can change.
void PutField(InstrWord* w, const char* instr, const char* field, int lsb,
              int width, bool is_signed, int64_t value) {
  const int64_t lo = FieldMin(width, is_signed);
  const int64_t hi = FieldMax(width, is_signed);
  if (value < lo || value > hi) {
    throw std::out_of_range(
        std::string(instr) + "." + field + " = " + std::to_string(value) +
        " does not fit its " + std::to_string(width) + "-bit " +
        (is_signed ? "signed" : "unsigned") + " field [" + std::to_string(lo) +
        ", " + std::to_string(hi) + "]");
  }
  SetBits(w, lsb, width, static_cast<uint64_t>(value));
}

int64_t TakeField(const InstrWord& w, int lsb, int width, bool is_signed) {
  const uint64_t raw = GetBits(w, lsb, width);
  if (is_signed && width < 64 && ((raw >> (width - 1)) & 1u)) {
    return static_cast<int64_t>(raw) - (int64_t{1} << width);
  }
  return static_cast<int64_t>(raw);
}

void CheckOpcode(const InstrWord& w, Opcode expected) {
  const Opcode got = OpcodeOf(w);
  if (got != expected) {
    throw std::invalid_argument(std::string("decoding a ") + OpcodeName(got) +
                                " word as " + OpcodeName(expected));
  }
}

std::string Flags(const CommonFields& c) {
  std::string s;
  auto add = [&s](int64_t bit, const char* name) {
    if (bit == 0) return;
    s += s.empty() ? " [" : " ";
    s += name;
  };
  add(c.pop_prev, "pop_prev");
  add(c.pop_next, "pop_next");
  add(c.push_prev, "push_prev");
  add(c.push_next, "push_next");
  if (!s.empty()) s += "]";
  return s;
}

std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, args);
  va_end(args);
  return buf;
}

// "ACT" for isa.def's LoadBuf Act.
const char* BufName(int64_t buf) {
  auto upper = [](const char* name) {
    std::string s(name);
    for (char& c : s) c = static_cast<char>(std::toupper(c));
    return s;
  };
  switch (buf) {
#define SPARQ_LOAD_BUF(Name, value, doc)                \
  case value: {                                         \
    static const std::string kUpper = upper(#Name);     \
    return kUpper.c_str();                              \
  }
#include "sw/isa/isa.def"
#undef SPARQ_LOAD_BUF
  }
  return "BUF?";
}

}  // namespace

uint64_t GetBits(const InstrWord& w, int lsb, int width) {
  assert(lsb >= 0 && width >= 1 && width <= 64 && lsb + width <= kInstrBits);
  uint64_t v = 0;
  for (int done = 0; done < width;) {
    const int bit = lsb + done;
    const int word = bit / 32;
    const int off = bit % 32;
    const int take = std::min(32 - off, width - done);
    const uint64_t mask = (take == 32) ? 0xffffffffu : ((1u << take) - 1u);
    v |= ((w[static_cast<size_t>(word)] >> off) & mask) << done;
    done += take;
  }
  return v;
}

void SetBits(InstrWord* w, int lsb, int width, uint64_t value) {
  assert(lsb >= 0 && width >= 1 && width <= 64 && lsb + width <= kInstrBits);
  for (int done = 0; done < width;) {
    const int bit = lsb + done;
    const int word = bit / 32;
    const int off = bit % 32;
    const int take = std::min(32 - off, width - done);
    const uint32_t mask = static_cast<uint32_t>(
        ((take == 32) ? 0xffffffffu : ((1u << take) - 1u)) << off);
    uint32_t& dst = (*w)[static_cast<size_t>(word)];
    dst = (dst & ~mask) | (static_cast<uint32_t>(value >> done) << off & mask);
    done += take;
  }
}

// Encode / decode walk isa.def once per instruction kind: the Common fields
// plus the fields of that kind, so a width or position lives in one place.
#define SPARQ_ISA_WORD(bits)
#define SPARQ_OPCODE(Name, value, doc)
#define SPARQ_FIELD(Instr, field, lsb, width, sgn, doc) \
  SPARQ_ISA_PUT_##Instr(field, lsb, width, sgn)
#define SPARQ_ISA_PUT(field, lsb, width, sgn) \
  PutField(&w, kName, #field, lsb, width, sgn != 0, i.field);
#define SPARQ_ISA_SKIP(field, lsb, width, sgn)
// Dwconv fields are skipped everywhere except in Encode(DwconvInstr).
#define SPARQ_ISA_PUT_Dwconv SPARQ_ISA_SKIP

InstrWord Encode(LoadInstr i) {
  static constexpr const char* kName = "LOAD";
  i.opcode = static_cast<int64_t>(Opcode::kLoad);
  InstrWord w{};
#define SPARQ_ISA_PUT_Common SPARQ_ISA_PUT
#define SPARQ_ISA_PUT_Load SPARQ_ISA_PUT
#define SPARQ_ISA_PUT_Gemm SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Store SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Spmv SPARQ_ISA_SKIP
#include "sw/isa/isa.def"
#undef SPARQ_ISA_PUT_Common
#undef SPARQ_ISA_PUT_Load
#undef SPARQ_ISA_PUT_Gemm
#undef SPARQ_ISA_PUT_Store
#undef SPARQ_ISA_PUT_Spmv
  return w;
}

InstrWord Encode(GemmInstr i) {
  static constexpr const char* kName = "GEMM";
  i.opcode = static_cast<int64_t>(Opcode::kGemm);
  InstrWord w{};
#define SPARQ_ISA_PUT_Common SPARQ_ISA_PUT
#define SPARQ_ISA_PUT_Load SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Gemm SPARQ_ISA_PUT
#define SPARQ_ISA_PUT_Store SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Spmv SPARQ_ISA_SKIP
#include "sw/isa/isa.def"
#undef SPARQ_ISA_PUT_Common
#undef SPARQ_ISA_PUT_Load
#undef SPARQ_ISA_PUT_Gemm
#undef SPARQ_ISA_PUT_Store
#undef SPARQ_ISA_PUT_Spmv
  return w;
}

InstrWord Encode(StoreInstr i) {
  static constexpr const char* kName = "STORE";
  i.opcode = static_cast<int64_t>(Opcode::kStore);
  InstrWord w{};
#define SPARQ_ISA_PUT_Common SPARQ_ISA_PUT
#define SPARQ_ISA_PUT_Load SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Gemm SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Store SPARQ_ISA_PUT
#define SPARQ_ISA_PUT_Spmv SPARQ_ISA_SKIP
#include "sw/isa/isa.def"
#undef SPARQ_ISA_PUT_Common
#undef SPARQ_ISA_PUT_Load
#undef SPARQ_ISA_PUT_Gemm
#undef SPARQ_ISA_PUT_Store
#undef SPARQ_ISA_PUT_Spmv
  return w;
}

InstrWord Encode(SpmvInstr i) {
  static constexpr const char* kName = "SPMV";
  i.opcode = static_cast<int64_t>(Opcode::kSpmv);
  InstrWord w{};
#define SPARQ_ISA_PUT_Common SPARQ_ISA_PUT
#define SPARQ_ISA_PUT_Load SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Gemm SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Store SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Spmv SPARQ_ISA_PUT
#include "sw/isa/isa.def"
#undef SPARQ_ISA_PUT_Common
#undef SPARQ_ISA_PUT_Load
#undef SPARQ_ISA_PUT_Gemm
#undef SPARQ_ISA_PUT_Store
#undef SPARQ_ISA_PUT_Spmv
  return w;
}
#undef SPARQ_ISA_PUT_Dwconv

InstrWord Encode(DwconvInstr i) {
  static constexpr const char* kName = "DWCONV";
  i.opcode = static_cast<int64_t>(Opcode::kDwconv);
  InstrWord w{};
#define SPARQ_ISA_PUT_Common SPARQ_ISA_PUT
#define SPARQ_ISA_PUT_Load SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Gemm SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Store SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Spmv SPARQ_ISA_SKIP
#define SPARQ_ISA_PUT_Dwconv SPARQ_ISA_PUT
#include "sw/isa/isa.def"
#undef SPARQ_ISA_PUT_Common
#undef SPARQ_ISA_PUT_Load
#undef SPARQ_ISA_PUT_Gemm
#undef SPARQ_ISA_PUT_Store
#undef SPARQ_ISA_PUT_Spmv
#undef SPARQ_ISA_PUT_Dwconv
  return w;
}
#undef SPARQ_FIELD
#undef SPARQ_ISA_PUT
#undef SPARQ_ISA_SKIP

#define SPARQ_FIELD(Instr, field, lsb, width, sgn, doc) \
  SPARQ_ISA_TAKE_##Instr(field, lsb, width, sgn)
#define SPARQ_ISA_TAKE(field, lsb, width, sgn) \
  i.field = TakeField(w, lsb, width, sgn != 0);
#define SPARQ_ISA_SKIP(field, lsb, width, sgn)
// Dwconv fields are skipped everywhere except in DecodeDwconv.
#define SPARQ_ISA_TAKE_Dwconv SPARQ_ISA_SKIP

namespace {
CommonFields DecodeCommon(const InstrWord& w) {
  CommonFields i;
#define SPARQ_ISA_TAKE_Common SPARQ_ISA_TAKE
#define SPARQ_ISA_TAKE_Load SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Gemm SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Store SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Spmv SPARQ_ISA_SKIP
#include "sw/isa/isa.def"
#undef SPARQ_ISA_TAKE_Common
#undef SPARQ_ISA_TAKE_Load
#undef SPARQ_ISA_TAKE_Gemm
#undef SPARQ_ISA_TAKE_Store
#undef SPARQ_ISA_TAKE_Spmv
  return i;
}
}  // namespace

LoadInstr DecodeLoad(const InstrWord& w) {
  CheckOpcode(w, Opcode::kLoad);
  LoadInstr i;
#define SPARQ_ISA_TAKE_Common SPARQ_ISA_TAKE
#define SPARQ_ISA_TAKE_Load SPARQ_ISA_TAKE
#define SPARQ_ISA_TAKE_Gemm SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Store SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Spmv SPARQ_ISA_SKIP
#include "sw/isa/isa.def"
#undef SPARQ_ISA_TAKE_Common
#undef SPARQ_ISA_TAKE_Load
#undef SPARQ_ISA_TAKE_Gemm
#undef SPARQ_ISA_TAKE_Store
#undef SPARQ_ISA_TAKE_Spmv
  return i;
}

GemmInstr DecodeGemm(const InstrWord& w) {
  CheckOpcode(w, Opcode::kGemm);
  GemmInstr i;
#define SPARQ_ISA_TAKE_Common SPARQ_ISA_TAKE
#define SPARQ_ISA_TAKE_Load SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Gemm SPARQ_ISA_TAKE
#define SPARQ_ISA_TAKE_Store SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Spmv SPARQ_ISA_SKIP
#include "sw/isa/isa.def"
#undef SPARQ_ISA_TAKE_Common
#undef SPARQ_ISA_TAKE_Load
#undef SPARQ_ISA_TAKE_Gemm
#undef SPARQ_ISA_TAKE_Store
#undef SPARQ_ISA_TAKE_Spmv
  return i;
}

StoreInstr DecodeStore(const InstrWord& w) {
  CheckOpcode(w, Opcode::kStore);
  StoreInstr i;
#define SPARQ_ISA_TAKE_Common SPARQ_ISA_TAKE
#define SPARQ_ISA_TAKE_Load SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Gemm SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Store SPARQ_ISA_TAKE
#define SPARQ_ISA_TAKE_Spmv SPARQ_ISA_SKIP
#include "sw/isa/isa.def"
#undef SPARQ_ISA_TAKE_Common
#undef SPARQ_ISA_TAKE_Load
#undef SPARQ_ISA_TAKE_Gemm
#undef SPARQ_ISA_TAKE_Store
#undef SPARQ_ISA_TAKE_Spmv
  return i;
}

SpmvInstr DecodeSpmv(const InstrWord& w) {
  CheckOpcode(w, Opcode::kSpmv);
  SpmvInstr i;
#define SPARQ_ISA_TAKE_Common SPARQ_ISA_TAKE
#define SPARQ_ISA_TAKE_Load SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Gemm SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Store SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Spmv SPARQ_ISA_TAKE
#include "sw/isa/isa.def"
#undef SPARQ_ISA_TAKE_Common
#undef SPARQ_ISA_TAKE_Load
#undef SPARQ_ISA_TAKE_Gemm
#undef SPARQ_ISA_TAKE_Store
#undef SPARQ_ISA_TAKE_Spmv
  return i;
}
#undef SPARQ_ISA_TAKE_Dwconv

DwconvInstr DecodeDwconv(const InstrWord& w) {
  CheckOpcode(w, Opcode::kDwconv);
  DwconvInstr i;
#define SPARQ_ISA_TAKE_Common SPARQ_ISA_TAKE
#define SPARQ_ISA_TAKE_Load SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Gemm SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Store SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Spmv SPARQ_ISA_SKIP
#define SPARQ_ISA_TAKE_Dwconv SPARQ_ISA_TAKE
#include "sw/isa/isa.def"
#undef SPARQ_ISA_TAKE_Common
#undef SPARQ_ISA_TAKE_Load
#undef SPARQ_ISA_TAKE_Gemm
#undef SPARQ_ISA_TAKE_Store
#undef SPARQ_ISA_TAKE_Spmv
#undef SPARQ_ISA_TAKE_Dwconv
  return i;
}
#undef SPARQ_FIELD
#undef SPARQ_ISA_TAKE
#undef SPARQ_ISA_SKIP
#undef SPARQ_OPCODE
#undef SPARQ_ISA_WORD

Opcode OpcodeOf(const InstrWord& w) {
  const int64_t op = DecodeCommon(w).opcode;
  switch (op) {
#define SPARQ_ISA_WORD(bits)
#define SPARQ_OPCODE(Name, value, doc) \
  case value:                          \
    return Opcode::k##Name;
#define SPARQ_FIELD(Instr, field, lsb, width, sgn, doc)
#include "sw/isa/isa.def"
#undef SPARQ_FIELD
#undef SPARQ_OPCODE
#undef SPARQ_ISA_WORD
  }
  throw std::invalid_argument("unknown opcode " + std::to_string(op));
}

namespace {
// " mode=A8W4" for a GEMM mode other than A8W8 (whose text stays as it
// was), " mode=?N" for a code isa.def does not define.
std::string GemmModeText(int64_t mode) {
  switch (mode) {
    case kGemmModeA8W8:
      return "";
    case kGemmModeA8W4:
      return " mode=A8W4";
    case kGemmModeA8W2:
      return " mode=A8W2";
    case kGemmModeA4W4:
      return " mode=A4W4";
    case kGemmModeA1W1:
      return " mode=A1W1";
    case kGemmModeA16W8:
      return " mode=A16W8";
    case kGemmModeN24W8:
      return " mode=N24W8";
    case kGemmModeN24W4:
      return " mode=N24W4";
    default:
      return Format(" mode=?%" PRId64, mode);
  }
}
}  // namespace

std::string Disassemble(const InstrWord& w) {
  Opcode op;
  try {
    op = OpcodeOf(w);
  } catch (const std::invalid_argument&) {
    return Format("???   opcode=%" PRId64 "", DecodeCommon(w).opcode);
  }
  switch (op) {
    case Opcode::kLoad: {
      const LoadInstr i = DecodeLoad(w);
      return Format("LOAD  %s sram=%" PRId64 " dram=0x%08" PRIx64
                    " out=%" PRId64 "x%" PRId64 " k=%" PRId64 "x%" PRId64
                    " nl=%" PRId64 " seg=%" PRId64 " in0=%" PRId64 ",%" PRId64
                    " stride=%" PRId64 ",%" PRId64 " dil=%" PRId64 ",%" PRId64
                    " in=%" PRId64 "x%" PRId64 " pix=%" PRId64 " pad=%" PRId64,
                    BufName(i.buf), i.sram_base,
                    static_cast<uint64_t>(i.dram_base), i.ny, i.nx, i.kh, i.kw,
                    i.nl, i.seg_bytes, i.iy0, i.ix0, i.sy, i.sx, i.dy, i.dx,
                    i.h, i.w, i.pix_stride, i.pad) +
             (i.dense ? " dense" : "") + Flags(i);
    }
    case Opcode::kGemm: {
      const GemmInstr i = DecodeGemm(w);
      return Format("GEMM  act=%" PRId64 "+%" PRId64 "*m m=%" PRId64
                    " wgt=%" PRId64 " acc=%" PRId64 " %s kv=%" PRId64
                    " nv=%" PRId64,
                    i.act_base, i.act_stride, i.m_rows, i.wgt_base, i.acc_base,
                    i.accumulate ? "accumulate" : "overwrite", i.k_valid,
                    i.n_valid) +
             GemmModeText(i.mode) +
             (i.act_hi != 0 ? Format(" hi=+%" PRId64, i.act_hi) : "") +
             Flags(i);
    }
    case Opcode::kStore: {
      const StoreInstr i = DecodeStore(w);
      return Format("STORE acc=%" PRId64 " dram=0x%08" PRIx64 " px=%" PRId64
                    "x%" PRId64 " row=%" PRId64 " pix=%" PRId64 " n=%" PRId64
                    " param=%" PRId64 " zp=%" PRId64 " clamp=[%" PRId64
                    ",%" PRId64 "]",
                    i.acc_base, static_cast<uint64_t>(i.dram_base), i.ny, i.nx,
                    i.row_stride, i.pix_stride, i.n_bytes, i.param_base,
                    i.out_zp, i.act_min, i.act_max) +
             (i.acc_shift != 0 ? Format(" shift=%" PRId64, i.acc_shift) : "") +
             (i.out_int4 != 0 ? " int4" : "") +
             (i.out_binary != 0 ? " binary" : "") +
             (i.out_int16 != 0
                  ? Format(" int16%s clamp16=[%" PRId64 ",%" PRId64
                           "] hi=+%" PRId64,
                           i.bias32 != 0 ? " bias32" : "", i.act_min16,
                           i.act_max16, i.hi_off)
                  : "") +
             Flags(i);
    }
    case Opcode::kSpmv: {
      const SpmvInstr i = DecodeSpmv(w);
      return Format("SPMV  act=%" PRId64 "+%" PRId64 "*m m=%" PRId64
                    " k=%" PRId64 " wgt=%" PRId64 " acc=%" PRId64 "+%" PRId64
                    "*g g=%" PRId64 " %s nv=%" PRId64,
                    i.act_base, i.act_stride, i.m_rows, i.k_cols, i.wgt_base,
                    i.acc_base, i.acc_gstride, i.n_groups,
                    i.accumulate ? "accumulate" : "overwrite", i.n_valid) +
             Flags(i);
    }
    case Opcode::kDwconv: {
      const DwconvInstr i = DecodeDwconv(w);
      return Format("DWCONV act=%" PRId64 "+%" PRId64 "*y+%" PRId64
                    "*x in=%" PRId64 "x%" PRId64 " wgt=%" PRId64
                    " acc=%" PRId64 " k=%" PRId64 "x%" PRId64
                    " stride=%" PRId64 ",%" PRId64 " mult=%d off=%" PRId64
                    " nv=%" PRId64,
                    i.act_base, i.act_row, i.act_pix, i.in_h, i.in_w,
                    i.wgt_base, i.acc_base, i.kh, i.kw, i.sy, i.sx,
                    1 << static_cast<int>(i.ch_shift), i.ch_off, i.n_valid) +
             (i.pair ? " pair" : "") + (i.px2 ? " px2" : "") +
             (i.rev ? Format(" rev last=%" PRId64 ",%" PRId64, i.act_last,
                             i.acc_last)
                    : "") +
             Flags(i);
    }
  }
  return "???";
}

std::string Disassemble(const std::vector<InstrWord>& program) {
  std::string out;
  for (size_t n = 0; n < program.size(); ++n) {
    out += Format("%5zu: ", n) + Disassemble(program[n]) + "\n";
  }
  return out;
}

const char* CounterName(int counter) {
  switch (counter) {
#define SPARQ_COUNTER(Name, name, sel, doc) \
  case sel:                                 \
    return #name;
#include "sw/isa/isa.def"
#undef SPARQ_COUNTER
  }
  return "unknown";
}

}  // namespace sparq
