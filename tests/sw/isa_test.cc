#include "sw/isa.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>

#include "golden/random.h"

namespace sparq {
namespace {

int64_t FieldLo(int width, bool sgn) {
  return sgn ? -(int64_t{1} << (width - 1)) : 0;
}
int64_t FieldHi(int width, bool sgn) {
  return sgn ? (int64_t{1} << (width - 1)) - 1 : (int64_t{1} << width) - 1;
}

// Extremes are drawn often: they are where sign and width bugs show.
int64_t RandomFieldValue(int width, bool sgn, SplitMix64* rng) {
  const int64_t lo = FieldLo(width, sgn), hi = FieldHi(width, sgn);
  switch (rng->Next() % 5) {
    case 0:
      return lo;
    case 1:
      return hi;
    default:
      return rng->Uniform(lo, hi);
  }
}

// Per instruction kind: fill every field but the opcode with random values,
// and compare two structs field by field (each field named on failure).
#define SPARQ_ISA_WORD(bits)
#define SPARQ_OPCODE(Name, value, doc)
#define SPARQ_FIELD(Instr, field, lsb, width, sgn, doc) \
  SPARQ_TEST_##Instr(field, width, sgn)
#define SPARQ_TEST_FILL(field, width, sgn) \
  if (std::strcmp(#field, "opcode") != 0)  \
    i.field = RandomFieldValue(width, sgn, rng);
#define SPARQ_TEST_SAME(field, width, sgn) \
  EXPECT_EQ(a.field, b.field) << #field;
#define SPARQ_TEST_NONE(field, width, sgn)
// Dwconv fields take part only in the functions that redefine this.
#define SPARQ_TEST_Dwconv SPARQ_TEST_NONE

#define SPARQ_TEST_Common SPARQ_TEST_FILL
#define SPARQ_TEST_Load SPARQ_TEST_FILL
#define SPARQ_TEST_Gemm SPARQ_TEST_NONE
#define SPARQ_TEST_Store SPARQ_TEST_NONE
#define SPARQ_TEST_Spmv SPARQ_TEST_NONE
LoadInstr RandomLoad(SplitMix64* rng) {
  LoadInstr i;
#include "sw/isa/isa.def"
  return i;
}
#undef SPARQ_TEST_Common
#undef SPARQ_TEST_Load
#undef SPARQ_TEST_Gemm
#undef SPARQ_TEST_Store
#undef SPARQ_TEST_Spmv

#define SPARQ_TEST_Common SPARQ_TEST_FILL
#define SPARQ_TEST_Load SPARQ_TEST_NONE
#define SPARQ_TEST_Gemm SPARQ_TEST_FILL
#define SPARQ_TEST_Store SPARQ_TEST_NONE
#define SPARQ_TEST_Spmv SPARQ_TEST_NONE
GemmInstr RandomGemm(SplitMix64* rng) {
  GemmInstr i;
#include "sw/isa/isa.def"
  return i;
}
#undef SPARQ_TEST_Common
#undef SPARQ_TEST_Load
#undef SPARQ_TEST_Gemm
#undef SPARQ_TEST_Store
#undef SPARQ_TEST_Spmv

#define SPARQ_TEST_Common SPARQ_TEST_FILL
#define SPARQ_TEST_Load SPARQ_TEST_NONE
#define SPARQ_TEST_Gemm SPARQ_TEST_NONE
#define SPARQ_TEST_Store SPARQ_TEST_FILL
#define SPARQ_TEST_Spmv SPARQ_TEST_NONE
StoreInstr RandomStore(SplitMix64* rng) {
  StoreInstr i;
#include "sw/isa/isa.def"
  return i;
}
#undef SPARQ_TEST_Common
#undef SPARQ_TEST_Load
#undef SPARQ_TEST_Gemm
#undef SPARQ_TEST_Store
#undef SPARQ_TEST_Spmv

#define SPARQ_TEST_Common SPARQ_TEST_SAME
#define SPARQ_TEST_Load SPARQ_TEST_SAME
#define SPARQ_TEST_Gemm SPARQ_TEST_NONE
#define SPARQ_TEST_Store SPARQ_TEST_NONE
#define SPARQ_TEST_Spmv SPARQ_TEST_NONE
void ExpectSame(const LoadInstr& a, const LoadInstr& b) {
#include "sw/isa/isa.def"
}
#undef SPARQ_TEST_Common
#undef SPARQ_TEST_Load
#undef SPARQ_TEST_Gemm
#undef SPARQ_TEST_Store
#undef SPARQ_TEST_Spmv

#define SPARQ_TEST_Common SPARQ_TEST_SAME
#define SPARQ_TEST_Load SPARQ_TEST_NONE
#define SPARQ_TEST_Gemm SPARQ_TEST_SAME
#define SPARQ_TEST_Store SPARQ_TEST_NONE
#define SPARQ_TEST_Spmv SPARQ_TEST_NONE
void ExpectSame(const GemmInstr& a, const GemmInstr& b) {
#include "sw/isa/isa.def"
}
#undef SPARQ_TEST_Common
#undef SPARQ_TEST_Load
#undef SPARQ_TEST_Gemm
#undef SPARQ_TEST_Store
#undef SPARQ_TEST_Spmv

#define SPARQ_TEST_Common SPARQ_TEST_SAME
#define SPARQ_TEST_Load SPARQ_TEST_NONE
#define SPARQ_TEST_Gemm SPARQ_TEST_NONE
#define SPARQ_TEST_Store SPARQ_TEST_SAME
#define SPARQ_TEST_Spmv SPARQ_TEST_NONE
void ExpectSame(const StoreInstr& a, const StoreInstr& b){
#include "sw/isa/isa.def"
}
#undef SPARQ_TEST_Store
#undef SPARQ_TEST_Common
#undef SPARQ_TEST_Dwconv

#define SPARQ_TEST_Common SPARQ_TEST_FILL
#define SPARQ_TEST_Store SPARQ_TEST_NONE
#define SPARQ_TEST_Dwconv SPARQ_TEST_FILL
DwconvInstr RandomDwconv(SplitMix64* rng) {
  DwconvInstr i;
#include "sw/isa/isa.def"
  return i;
}
#undef SPARQ_TEST_Common
#undef SPARQ_TEST_Dwconv

#define SPARQ_TEST_Common SPARQ_TEST_SAME
#define SPARQ_TEST_Dwconv SPARQ_TEST_SAME
void ExpectSame(const DwconvInstr& a, const DwconvInstr& b) {
#include "sw/isa/isa.def"
}
#undef SPARQ_TEST_Common
#undef SPARQ_TEST_Load
#undef SPARQ_TEST_Gemm
#undef SPARQ_TEST_Store
#undef SPARQ_TEST_Dwconv
#define SPARQ_TEST_Dwconv SPARQ_TEST_NONE
#undef SPARQ_TEST_Spmv

#define SPARQ_TEST_Common SPARQ_TEST_FILL
#define SPARQ_TEST_Load SPARQ_TEST_NONE
#define SPARQ_TEST_Gemm SPARQ_TEST_NONE
#define SPARQ_TEST_Store SPARQ_TEST_NONE
#define SPARQ_TEST_Spmv SPARQ_TEST_FILL
SpmvInstr RandomSpmv(SplitMix64* rng) {
  SpmvInstr i;
#include "sw/isa/isa.def"
  return i;
}
#undef SPARQ_TEST_Common
#undef SPARQ_TEST_Load
#undef SPARQ_TEST_Gemm
#undef SPARQ_TEST_Store
#undef SPARQ_TEST_Spmv

#define SPARQ_TEST_Common SPARQ_TEST_SAME
#define SPARQ_TEST_Load SPARQ_TEST_NONE
#define SPARQ_TEST_Gemm SPARQ_TEST_NONE
#define SPARQ_TEST_Store SPARQ_TEST_NONE
#define SPARQ_TEST_Spmv SPARQ_TEST_SAME
void ExpectSame(const SpmvInstr& a, const SpmvInstr& b) {
#include "sw/isa/isa.def"
}
#undef SPARQ_TEST_Common
#undef SPARQ_TEST_Load
#undef SPARQ_TEST_Gemm
#undef SPARQ_TEST_Store
#undef SPARQ_TEST_Spmv
#undef SPARQ_FIELD
#undef SPARQ_OPCODE
#undef SPARQ_ISA_WORD

TEST(IsaTest, BitsCrossWordBoundaries) {
  InstrWord w{};
  SetBits(&w, 30, 4, 0xF);
  EXPECT_EQ(w[0], 0xC0000000u);
  EXPECT_EQ(w[1], 0x3u);
  EXPECT_EQ(GetBits(w, 30, 4), 0xFu);
  SetBits(&w, 31, 2, 0x1);  // clears bit 32, keeps bit 30
  EXPECT_EQ(w[0], 0xC0000000u);
  EXPECT_EQ(w[1], 0x2u);
  SetBits(&w, 200, 40, 0xAB12345678ull);
  EXPECT_EQ(GetBits(w, 200, 40), 0xAB12345678ull);
  EXPECT_EQ(GetBits(w, 200, 8), 0x78u);
  EXPECT_EQ(w[6] >> 8, 0x345678u);
  EXPECT_EQ(w[7], 0xAB12u);
  SetBits(&w, 192, 64, ~0ull);
  EXPECT_EQ(w[6], 0xFFFFFFFFu);
  EXPECT_EQ(w[7], 0xFFFFFFFFu);
  EXPECT_EQ(GetBits(w, 192, 64), ~0ull);
}

TEST(IsaTest, RandomRoundTripOfEveryField) {
  SplitMix64 rng(1234);
  for (int n = 0; n < 2000; ++n) {
    const LoadInstr l = RandomLoad(&rng);
    const InstrWord wl = Encode(l);
    EXPECT_EQ(OpcodeOf(wl), Opcode::kLoad);
    LoadInstr l_exp = l;
    l_exp.opcode = 1;
    ExpectSame(DecodeLoad(wl), l_exp);

    const GemmInstr g = RandomGemm(&rng);
    const InstrWord wg = Encode(g);
    EXPECT_EQ(OpcodeOf(wg), Opcode::kGemm);
    GemmInstr g_exp = g;
    g_exp.opcode = 2;
    ExpectSame(DecodeGemm(wg), g_exp);

    const StoreInstr s = RandomStore(&rng);
    const InstrWord ws = Encode(s);
    EXPECT_EQ(OpcodeOf(ws), Opcode::kStore);
    StoreInstr s_exp = s;
    s_exp.opcode = 3;
    ExpectSame(DecodeStore(ws), s_exp);

    const SpmvInstr v = RandomSpmv(&rng);
    const InstrWord wv = Encode(v);
    EXPECT_EQ(OpcodeOf(wv), Opcode::kSpmv);
    SpmvInstr v_exp = v;
    v_exp.opcode = 4;
    ExpectSame(DecodeSpmv(wv), v_exp);
    const DwconvInstr d = RandomDwconv(&rng);
    const InstrWord wd = Encode(d);
    EXPECT_EQ(OpcodeOf(wd), Opcode::kDwconv);
    DwconvInstr d_exp = d;
    d_exp.opcode = 5;
    ExpectSame(DecodeDwconv(wd), d_exp);
    if (HasFailure()) break;
  }
}

TEST(IsaTest, SignedFieldsSignExtend) {
  LoadInstr l;
  l.iy0 = -1;
  l.ix0 = -8192;
  const InstrWord w = Encode(l);
  EXPECT_EQ(GetBits(w, 102, 14), 0x3FFFu);  // two's complement in the word
  EXPECT_EQ(DecodeLoad(w).iy0, -1);
  EXPECT_EQ(DecodeLoad(w).ix0, -8192);
  StoreInstr s;
  s.out_zp = -128;
  s.act_min = -5;
  s.act_max = 127;
  const StoreInstr d = DecodeStore(Encode(s));
  EXPECT_EQ(d.out_zp, -128);
  EXPECT_EQ(d.act_min, -5);
  EXPECT_EQ(d.act_max, 127);
}

// Setting one field to all ones must leave every other field zero: no two
// fields of an instruction share a bit, and the encoder masks correctly.
TEST(IsaTest, FieldsAreIsolated) {
  for (const IsaField& f : kIsaFields) {
    if (std::strcmp(f.name, "opcode") == 0) continue;
    InstrWord w{};
    SetBits(&w, f.lsb, f.width, ~0ull);
    for (const IsaField& o : kIsaFields) {
      const bool related = std::strcmp(o.instr, f.instr) == 0 ||
                           std::strcmp(o.instr, "Common") == 0 ||
                           std::strcmp(f.instr, "Common") == 0;
      if (!related || &o == &f) continue;
      EXPECT_EQ(GetBits(w, o.lsb, o.width), 0u)
          << f.instr << "." << f.name << " overlaps " << o.instr << "."
          << o.name;
    }
  }
}

TEST(IsaTest, OutOfRangeValuesNameTheField) {
  LoadInstr l;
  l.ny = 4096;
  try {
    Encode(l);
    FAIL() << "ny = 4096 accepted";
  } catch (const std::out_of_range& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("LOAD.ny"), std::string::npos) << m;
    EXPECT_NE(m.find("4096"), std::string::npos) << m;
    EXPECT_NE(m.find("[0, 4095]"), std::string::npos) << m;
  }
  l.ny = 1;
  l.iy0 = -8193;
  EXPECT_THROW(Encode(l), std::out_of_range);
  l.iy0 = 8192;
  EXPECT_THROW(Encode(l), std::out_of_range);
  l.iy0 = 0;
  l.dram_base = -1;
  EXPECT_THROW(Encode(l), std::out_of_range);
  l.dram_base = 0xFFFFFFFFll;
  EXPECT_NO_THROW(Encode(l));

  GemmInstr g;
  g.accumulate = 2;
  EXPECT_THROW(Encode(g), std::out_of_range);
  g.accumulate = 1;
  g.pop_prev = 2;
  try {
    Encode(g);
    FAIL() << "pop_prev = 2 accepted";
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("GEMM.pop_prev"), std::string::npos);
  }

  StoreInstr s;
  s.act_max = 128;
  try {
    Encode(s);
    FAIL() << "act_max = 128 accepted";
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("STORE.act_max"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("[-128, 127]"), std::string::npos);
  }
}

TEST(IsaTest, EveryFieldRejectsOneBeyondEachEnd) {
  for (const IsaField& f : kIsaFields) {
    if (std::strcmp(f.name, "opcode") == 0) continue;
    const int64_t lo = FieldLo(f.width, f.is_signed);
    const int64_t hi = FieldHi(f.width, f.is_signed);
    for (const int64_t bad : {lo - 1, hi + 1}) {
      // Only the field under test is set; the others stay 0, which fits.
      InstrWord w{};
      bool threw = false;
      std::string what;
      auto attempt = [&](auto instr, auto setter) {
        setter(&instr, bad);
        try {
          w = Encode(instr);
        } catch (const std::out_of_range& e) {
          threw = true;
          what = e.what();
        }
      };
#define SPARQ_ISA_WORD(bits)
#define SPARQ_OPCODE(Name, value, doc)
#define SPARQ_FIELD(Instr, field, lsb, width, sgn, doc)                        \
  if (std::strcmp(f.instr, #Instr) == 0 && std::strcmp(f.name, #field) == 0) { \
    SPARQ_TEST_ATTEMPT_##Instr(field)                                          \
  }
#define SPARQ_TEST_SET(T, field) \
  attempt(T{}, [](T* i, int64_t v) { i->field = v; });
#define SPARQ_TEST_ATTEMPT_Common(field) \
  SPARQ_TEST_SET(LoadInstr, field) SPARQ_TEST_SET(GemmInstr, field)
#define SPARQ_TEST_ATTEMPT_Load(field) SPARQ_TEST_SET(LoadInstr, field)
#define SPARQ_TEST_ATTEMPT_Gemm(field) SPARQ_TEST_SET(GemmInstr, field)
#define SPARQ_TEST_ATTEMPT_Store(field) SPARQ_TEST_SET(StoreInstr, field)
#define SPARQ_TEST_ATTEMPT_Spmv(field) SPARQ_TEST_SET(SpmvInstr, field)
#define SPARQ_TEST_ATTEMPT_Dwconv(field) SPARQ_TEST_SET(DwconvInstr, field)
#include "sw/isa/isa.def"
#undef SPARQ_TEST_ATTEMPT_Dwconv
#undef SPARQ_TEST_ATTEMPT_Common
#undef SPARQ_TEST_ATTEMPT_Load
#undef SPARQ_TEST_ATTEMPT_Gemm
#undef SPARQ_TEST_ATTEMPT_Store
#undef SPARQ_TEST_ATTEMPT_Spmv
#undef SPARQ_TEST_SET
#undef SPARQ_FIELD
#undef SPARQ_OPCODE
#undef SPARQ_ISA_WORD
      EXPECT_TRUE(threw) << f.instr << "." << f.name << " = " << bad;
      EXPECT_NE(what.find(std::string(".") + f.name + " = "), std::string::npos)
          << what;
    }
  }
}

TEST(IsaTest, OpcodeChecks) {
  InstrWord w{};
  EXPECT_THROW(OpcodeOf(w), std::invalid_argument);
  SetBits(&w, 0, 3, 7);
  EXPECT_THROW(OpcodeOf(w), std::invalid_argument);
  EXPECT_THROW(DecodeGemm(Encode(LoadInstr{})), std::invalid_argument);
  EXPECT_THROW(DecodeStore(Encode(GemmInstr{})), std::invalid_argument);
  EXPECT_THROW(DecodeLoad(Encode(StoreInstr{})), std::invalid_argument);
  // Encode ignores a wrong opcode in the struct and writes its own.
  GemmInstr g;
  g.opcode = 3;
  EXPECT_EQ(OpcodeOf(Encode(g)), Opcode::kGemm);
}

TEST(IsaTest, DisassemblesEachKindOnOneLine) {
  GemmInstr g;
  g.act_base = 0;
  g.act_stride = 36;
  g.m_rows = 224;
  g.wgt_base = 16;
  g.acc_base = 0;
  g.accumulate = 1;
  g.k_valid = 16;
  g.n_valid = 16;
  g.pop_prev = 1;
  g.push_next = 1;
  EXPECT_EQ(Disassemble(Encode(g)),
            "GEMM  act=0+36*m m=224 wgt=16 acc=0 accumulate kv=16 nv=16 "
            "[pop_prev push_next]");

  LoadInstr l;
  l.buf = 1;
  l.dram_base = 0x1000;
  l.sram_base = 4;
  l.ny = l.nx = l.kh = l.kw = l.h = l.w = 1;
  l.nl = 8;
  l.seg_bytes = 128;
  l.iy0 = -1;
  l.pop_next = 1;
  EXPECT_EQ(Disassemble(Encode(l)),
            "LOAD  WGT sram=4 dram=0x00001000 out=1x1 k=1x1 nl=8 seg=128 "
            "in0=-1,0 stride=0,0 dil=0,0 in=1x1 pix=0 pad=0 [pop_next]");

  StoreInstr s;
  s.acc_base = 2;
  s.dram_base = 0x40;
  s.ny = 2;
  s.nx = 3;
  s.row_stride = 300;
  s.pix_stride = 100;
  s.n_bytes = 7;
  s.param_base = 9;
  s.out_zp = -3;
  s.act_min = 0;
  s.act_max = 127;
  EXPECT_EQ(Disassemble(Encode(s)),
            "STORE acc=2 dram=0x00000040 px=2x3 row=300 pix=100 n=7 param=9 "
            "zp=-3 clamp=[0,127]");

  InstrWord bad{};
  SetBits(&bad, 0, 3, 6);
  EXPECT_EQ(Disassemble(bad), "???   opcode=6");

  const std::string prog = Disassemble({Encode(l), Encode(g), Encode(s)});
  EXPECT_EQ(std::count(prog.begin(), prog.end(), '\n'), 3);
  EXPECT_NE(prog.find("    1: GEMM"), std::string::npos) << prog;
}

TEST(IsaTest, FieldMaxComesFromTheDefinition) {
  EXPECT_EQ(IsaFieldMax("Load", "nl"), 4095);
  EXPECT_EQ(IsaFieldMax("Load", "iy0"), 8191);
  EXPECT_EQ(IsaFieldMax("Gemm", "m_rows"), 65535);
  EXPECT_EQ(IsaFieldMax("Store", "nope"), -1);
}

// The contract values docs/architecture.md and the committed vectors assume,
// written out by hand: a change to isa.def that moves one must be deliberate.
TEST(IsaTest, ContractKeepsTheDocumentedValues) {
  EXPECT_EQ(kInstrBits, 256);
  EXPECT_EQ(static_cast<int>(LoadBuf::kAct), 0);
  EXPECT_EQ(static_cast<int>(LoadBuf::kWgt), 1);
  EXPECT_EQ(static_cast<int>(LoadBuf::kParam), 2);
  EXPECT_EQ(kParamBytes, 16);
  EXPECT_EQ(kParamBiasByte, 0);
  EXPECT_EQ(kParamBiasBytes, 4);
  EXPECT_EQ(kParamMultByte, 4);
  EXPECT_EQ(kParamMultBytes, 4);
  EXPECT_EQ(kParamShiftByte, 8);
  EXPECT_EQ(kParamShiftBytes, 1);
  EXPECT_EQ(kNumCounters, 19);
  EXPECT_EQ(kCtrDwBusy, 17);
  EXPECT_EQ(kCtrDwUsefulMacs, 18);
  EXPECT_EQ(static_cast<int>(Opcode::kDwconv), 5);
  EXPECT_EQ(kCtrCycles, 0);
  EXPECT_EQ(kCtrGemmIdle, 12);
  EXPECT_EQ(kCtrSparseZeroWeights, 13);
  EXPECT_EQ(kCtrSparseLaneIdle, 16);
  EXPECT_STREQ(CounterName(kCtrSparseMetaWords), "sparse_meta_words");
  EXPECT_STREQ(CounterName(kCtrStallGemmWeights), "stall_gemm_weights");
  ASSERT_EQ(std::size(kConfigRegs), 10u);
  EXPECT_EQ(static_cast<int>(kConfigRegs[0]), 22);
  EXPECT_STREQ(ConfigRegName(kConfigRegs[0]), "SparseLanes");
  EXPECT_EQ(static_cast<int>(kConfigRegs[1]), 23);
  EXPECT_STREQ(ConfigRegName(kConfigRegs[1]), "NmSparse");
  const char* names[8] = {"ArrayRows", "ArrayCols", "ActLines",
                          "WgtLines",  "AccRows",   "ParamEntries",
                          "DramBits",  "Magic"};
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(static_cast<int>(kConfigRegs[i + 2]), 24 + static_cast<int>(i));
    EXPECT_STREQ(ConfigRegName(kConfigRegs[i + 2]), names[i]);
  }
  EXPECT_EQ(kMagicWord, 0x53505251);
  EXPECT_EQ(kCtrSelBits, 5);
  EXPECT_EQ(kEngineQueueDepth, 8);
}

TEST(IsaTest, DisassemblerNamesLoadBuffersFromTheDefinition) {
  LoadInstr l;
  l.ny = l.nx = l.kh = l.kw = l.h = l.w = l.nl = 1;
  const std::pair<LoadBuf, const char*> cases[] = {
      {LoadBuf::kAct, "LOAD  ACT "},
      {LoadBuf::kWgt, "LOAD  WGT "},
      {LoadBuf::kParam, "LOAD  PARAM "}};
  for (const auto& [buf, name] : cases) {
    l.buf = static_cast<int64_t>(buf);
    EXPECT_EQ(Disassemble(Encode(l)).rfind(name, 0), 0u) << name;
  }
}

// The GEMM mode and the STORE's acc_shift show in the text when they are not
// the A8W8 defaults (whose text stays as above); an undefined mode code too.
TEST(IsaTest, DisassemblesGemmModeAndStoreShift) {
  GemmInstr g;
  g.m_rows = 1;
  EXPECT_EQ(Disassemble(Encode(g)).find("mode="), std::string::npos);
  g.mode = kGemmModeA8W4;
  EXPECT_NE(Disassemble(Encode(g)).find(" nv=0 mode=A8W4"), std::string::npos)
      << Disassemble(Encode(g));
  g.mode = kGemmModeA8W2;
  EXPECT_NE(Disassemble(Encode(g)).find(" mode=A8W2"), std::string::npos);
  g.mode = kGemmModeN24W4;
  EXPECT_NE(Disassemble(Encode(g)).find(" mode=N24W4"), std::string::npos);
  StoreInstr s;
  EXPECT_EQ(Disassemble(Encode(s)).find("shift="), std::string::npos);
  s.acc_shift = 2;
  EXPECT_NE(Disassemble(Encode(s)).find("] shift=2"), std::string::npos)
      << Disassemble(Encode(s));
  g.mode = kGemmModeA4W4;
  EXPECT_NE(Disassemble(Encode(g)).find(" mode=A4W4"), std::string::npos);
  g.mode = kGemmModeA1W1;
  EXPECT_NE(Disassemble(Encode(g)).find(" mode=A1W1"), std::string::npos);
  s.out_binary = 1;
  EXPECT_NE(Disassemble(Encode(s)).find(" shift=2 binary"), std::string::npos)
      << Disassemble(Encode(s));
}

}  // namespace
}  // namespace sparq
