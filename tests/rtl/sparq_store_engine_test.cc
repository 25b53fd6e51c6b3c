// rtl/sparq_store_engine.sv (ArrayCols 8, 128-bit DRAM) with C++ models of
// the PARAM SRAM and the ACC read port (registered reads) and a DRAM write
// port with random stalls. The whole DRAM image is compared after each run
// with a reference built from the STORE semantics in docs/architecture.md
// and golden RequantizeOne, so stray or missing byte writes fail too. The
// chained STORE's ACT lines (act_write; ArrayRows 4, 256 lines) go to an ACT
// port model whose ready drops at random (a LOAD taking the port), and are
// compared line by line.

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "Vsparq_store_engine.h"
#include "golden/random.h"
#include "golden/requant.h"
#include "tests/rtl/rtl_test_util.h"
#include "verilated.h"

namespace sparq {
namespace {

constexpr int kCols = 8;
constexpr int kAccRows = 256;
constexpr int kParamEntries = 64;
constexpr int kBeat = 16;
constexpr size_t kDramBytes = 1 << 16;
constexpr int kRows = 4;
constexpr int kActLines = 256;

struct Param {
  int32_t bias = 0;
  int32_t mult = 0;
  int shift = 0;
};

class StoreBench : public rtltest::BlockBench<Vsparq_store_engine> {
 public:
  explicit StoreBench(double wr_stall = 0.0, uint32_t seed = 1,
                      double act_stall = 0.0)
      : wr_stall_(wr_stall),
        act_stall_(act_stall),
        rng_(seed),
        params_(kParamEntries),
        acc_(kAccRows * kCols),
        dram_(kDramBytes),
        act_(kActLines * kRows, 0x5a),
        act_writes_(kActLines, 0) {
    for (size_t i = 0; i < dram_.size(); ++i) dram_[i] = static_cast<uint8_t>(0xa5 ^ i);
    Reset();
  }

  std::vector<Param>& params() { return params_; }
  // The next cycle drives param_we_i: tells the engine its PARAM SRAM was
  // written (call after changing params() between STOREs).
  void MarkParamWrite() { param_we_ = true; }
  uint64_t param_reads() const { return param_reads_; }
  std::vector<int32_t>& acc() { return acc_; }  // row r, lane c at r * kCols + c
  const std::vector<uint8_t>& dram() const { return dram_; }
  void Submit(const StoreInstr& in) { queue_.push_back(Encode(in)); }
  void GiveC2s(int n) { c2s_tokens_ += n; }

  uint64_t beats() const { return beats_; }
  const std::vector<uint8_t>& act() const { return act_; }  // line l at l * kRows
  const std::vector<int>& act_writes() const { return act_writes_; }  // per line
  uint64_t stall_cycles() const { return stall_cycles_; }
  int c2s_pops() const { return c2s_pops_; }
  int done() const { return done_; }
  const std::vector<uint64_t>& s2c_push_cycles() const { return s2c_push_cycles_; }
  const std::vector<uint64_t>& write_cycles() const { return write_cycles_; }

 private:
  void Drive() override {
    Vsparq_store_engine& m = top();
    m.instr_valid_i = !queue_.empty();
    if (!queue_.empty()) {
      for (int i = 0; i < kInstrWords; ++i) m.instr_data_i[i] = queue_.front()[i];
    }
    m.c2s_avail_i = c2s_tokens_ > 0;
    m.param_we_i = param_we_;
    m.dram_wr_ready_i = !(wr_stall_ > 0 && rng_.Bernoulli(wr_stall_));
    m.act_wr_ready_i = !(act_stall_ > 0 && rng_.Bernoulli(act_stall_));
    // Registered SRAM reads: data of the read the previous edge saw.
    uint8_t rec[16] = {};
    const Param& p = params_[param_addr_];
    for (int b = 0; b < 4; ++b) {
      rec[b] = static_cast<uint8_t>(static_cast<uint32_t>(p.bias) >> (8 * b));
      rec[4 + b] = static_cast<uint8_t>(static_cast<uint32_t>(p.mult) >> (8 * b));
    }
    rec[8] = static_cast<uint8_t>(p.shift);
    rtltest::BytesToWide(rec, 16, m.param_rdata_i);
    for (int c = 0; c < kCols; ++c) {
      m.acc_rdata_i[c] = static_cast<uint32_t>(acc_[acc_addr_ * kCols + c]);
    }
  }

  void Sample() override {
    Vsparq_store_engine& m = top();
    if (m.instr_valid_i && m.instr_ready_o) queue_.pop_front();
    if (m.c2s_pop_o) {
      EXPECT_GT(c2s_tokens_, 0) << "c2s popped while empty at cycle " << cycle();
      --c2s_tokens_;
      ++c2s_pops_;
    }
    if (m.param_re_o) {
      param_addr_ = m.param_raddr_o;
      ++param_reads_;
    }
    param_we_ = false;
    if (m.acc_re_o) acc_addr_ = m.acc_raddr_o;
    if (m.dram_wr_valid_o && m.dram_wr_ready_i) {
      const uint32_t addr = m.dram_wr_addr_o;
      EXPECT_EQ(addr % kBeat, 0u);
      EXPECT_LT(addr, kDramBytes);
      const uint32_t strb = m.dram_wr_strb_o;
      EXPECT_NE(strb, 0u) << "beat without bytes at " << addr;
      for (int i = 0; i < kBeat; ++i) {
        if ((strb >> i) & 1u) dram_[(addr + i) % kDramBytes] = rtltest::WideByte(m.dram_wr_data_o, i);
      }
      ++beats_;
      write_cycles_.push_back(cycle());
    }
    if (m.act_wr_valid_o && m.act_wr_ready_i) {
      const uint32_t line = m.act_wr_addr_o;
      EXPECT_LT(line, static_cast<uint32_t>(kActLines));
      for (int b = 0; b < kRows; ++b) {
        act_[(line % kActLines) * kRows + b] =
            static_cast<uint8_t>(m.act_wr_data_o >> (8 * b));
      }
      ++act_writes_[line % kActLines];
    }
    if (m.evt_stall_dram_o) ++stall_cycles_;
    if (m.s2c_push_o) s2c_push_cycles_.push_back(cycle());
    if (m.evt_instr_done_o) ++done_;
  }

  bool Idle() const override { return queue_.empty() && !top().busy_o; }

  double wr_stall_;
  double act_stall_;
  SplitMix64 rng_;
  std::vector<Param> params_;
  std::vector<int32_t> acc_;
  std::vector<uint8_t> dram_;
  std::vector<uint8_t> act_;
  std::vector<int> act_writes_;
  uint64_t stall_cycles_ = 0;
  std::deque<InstrWord> queue_;
  uint32_t param_addr_ = 0;
  bool param_we_ = false;
  uint64_t param_reads_ = 0;
  uint32_t acc_addr_ = 0;
  int c2s_tokens_ = 0;
  int c2s_pops_ = 0;
  int done_ = 0;
  uint64_t beats_ = 0;
  std::vector<uint64_t> write_cycles_;
  std::vector<uint64_t> s2c_push_cycles_;
};

// The STORE loop, straight from the specification, applied to an image.
void ReferenceStore(const StoreInstr& in, const std::vector<Param>& params,
                    const std::vector<int32_t>& acc, std::vector<uint8_t>* dram) {
  for (int64_t y = 0; y < in.ny; ++y) {
    for (int64_t x = 0; x < in.nx; ++x) {
      const int64_t row = in.acc_base + y * in.nx + x;
      for (int64_t c = 0; c < in.n_bytes; ++c) {
        const Param& p = params.at(static_cast<size_t>(in.param_base + c));
        const int32_t v = WrapAdd(acc.at(static_cast<size_t>(row * kCols + c)), p.bias);
        const int32_t q = RequantizeOne(v, p.mult, p.shift, static_cast<int32_t>(in.out_zp),
                                        static_cast<int32_t>(in.act_min),
                                        static_cast<int32_t>(in.act_max));
        const int64_t addr = in.dram_base + y * in.row_stride + x * in.pix_stride + c;
        dram->at(static_cast<size_t>(addr)) = static_cast<uint8_t>(q);
      }
    }
  }
}

StoreInstr Store(uint32_t dram_base, int ny, int nx, int row_stride, int pix_stride,
                 int n_bytes) {
  StoreInstr in;
  in.dram_base = dram_base;
  in.ny = ny;
  in.nx = nx;
  in.row_stride = row_stride;
  in.pix_stride = pix_stride;
  in.n_bytes = n_bytes;
  in.out_zp = -3;
  in.act_min = -128;
  in.act_max = 127;
  return in;
}

// Parameters and accumulators whose outputs spread over the int8 range,
// with some extreme records mixed in.
void FillRandom(StoreBench* bench, uint32_t seed) {
  SplitMix64 rng(seed);
  const auto next = [&rng] { return static_cast<uint32_t>(rng.Next()); };
  for (Param& p : bench->params()) {
    p.bias = static_cast<int32_t>(next() % 20001) - 10000;
    p.mult = static_cast<int32_t>((1u << 30) + (next() & ((1u << 30) - 1)));
    p.shift = static_cast<int>(next() % 10) - 11;
    switch (next() % 10) {
      case 0:
        p.bias = static_cast<int32_t>(next());  // the bias add wraps
        break;
      case 1:
        p.mult = 0;
        break;
      case 2:
        p.shift = static_cast<int>(next() % 62) - 31;
        break;
      default:
        break;
    }
  }
  for (int32_t& a : bench->acc()) {
    a = (next() % 16 == 0) ? static_cast<int32_t>(next())
                          : static_cast<int32_t>(next() % 400001) - 200000;
  }
}

void RunAndCompare(StoreBench* bench, const std::vector<StoreInstr>& program,
                   uint64_t max_cycles = 100000) {
  std::vector<uint8_t> want = bench->dram();
  int pushes = 0;
  for (const StoreInstr& in : program) {
    ReferenceStore(in, bench->params(), bench->acc(), &want);
    pushes += static_cast<int>(in.push_prev);
    bench->Submit(in);
  }
  ASSERT_TRUE(bench->RunToIdle(max_cycles)) << "not idle after " << max_cycles << " cycles";
  EXPECT_FALSE(bench->assertion_failed());
  int mismatches = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (bench->dram()[i] != want[i] && ++mismatches <= 5) {
      ADD_FAILURE() << "DRAM byte " << i << ": rtl " << int{bench->dram()[i]} << ", reference "
                    << int{want[i]};
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(static_cast<int>(bench->s2c_push_cycles().size()), pushes);
  EXPECT_EQ(bench->done(), static_cast<int>(program.size()));
}

TEST(SparqStoreEngineTest, AlignedPixelsOneBeatEach) {
  StoreBench bench;
  FillRandom(&bench, 1);
  StoreInstr in = Store(0x100, 3, 5, 5 * 16, 16, 8);
  in.acc_base = 17;
  in.param_base = 4;
  RunAndCompare(&bench, {in});
  EXPECT_EQ(bench.beats(), 15u);
}

TEST(SparqStoreEngineTest, UnalignedDensePixelsSplitAcrossBeats) {
  StoreBench bench;
  FillRandom(&bench, 2);
  StoreInstr in = Store(0x1005, 4, 7, 7 * 8 + 3, 8, 8);
  in.acc_base = 40;
  RunAndCompare(&bench, {in});
}

TEST(SparqStoreEngineTest, PartialChannelsLeaveOtherBytesAlone) {
  StoreBench bench;
  FillRandom(&bench, 3);
  StoreInstr in = Store(0x2003, 3, 6, 64, 5, 3);
  in.acc_base = 100;
  in.param_base = 10;
  RunAndCompare(&bench, {in});
}

TEST(SparqStoreEngineTest, ZeroPointAndClampPerInstruction) {
  StoreBench bench;
  FillRandom(&bench, 4);
  std::vector<StoreInstr> program;
  const int clamps[][3] = {{0, -128, 127}, {-128, -128, 127}, {-20, -20, 127},
                           {-20, -20, -14}, {127, -5, 5}, {10, 3, 3}};
  uint32_t base = 0x3000;
  for (const auto& c : clamps) {
    StoreInstr in = Store(base, 2, 4, 100, 9, 8);
    in.out_zp = c[0];
    in.act_min = c[1];
    in.act_max = c[2];
    in.acc_base = static_cast<int>(base % 200);
    program.push_back(in);
    base += 0x100;
  }
  RunAndCompare(&bench, program);
}

TEST(SparqStoreEngineTest, WaitsForC2sAndPushesS2cAfterLastWrite) {
  StoreBench bench(0.5, 9);
  FillRandom(&bench, 5);
  StoreInstr in = Store(0x800, 2, 3, 64, 16, 8);
  in.pop_prev = 1;
  in.push_prev = 1;
  std::vector<uint8_t> want = bench.dram();
  ReferenceStore(in, bench.params(), bench.acc(), &want);
  bench.Submit(in);
  bench.RunCycles(200);
  EXPECT_EQ(bench.beats(), 0u);
  EXPECT_EQ(bench.c2s_pops(), 0);
  bench.GiveC2s(1);
  ASSERT_TRUE(bench.RunToIdle(10000));
  EXPECT_EQ(bench.c2s_pops(), 1);
  EXPECT_EQ(bench.dram(), want);
  ASSERT_EQ(bench.s2c_push_cycles().size(), 1u);
  EXPECT_GT(bench.s2c_push_cycles()[0], bench.write_cycles().back());
}

TEST(SparqStoreEngineTest, EmptyStoresRetireAndPush) {
  StoreBench bench;
  StoreInstr a = Store(0x100, 0, 4, 64, 16, 8);
  a.push_prev = 1;
  StoreInstr b = Store(0x100, 2, 2, 64, 16, 0);
  b.push_prev = 1;
  RunAndCompare(&bench, {a, b});
  EXPECT_EQ(bench.beats(), 0u);
}

TEST(SparqStoreEngineTest, RandomStoresWithStalls) {
  SplitMix64 rng(777);
  auto uni = [&rng](int lo, int hi) { return static_cast<int>(rng.Uniform(lo, hi)); };
  for (int trial = 0; trial < 8; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    StoreBench bench(0.2 * (trial % 4), static_cast<uint32_t>(trial + 11));
    FillRandom(&bench, static_cast<uint32_t>(100 + trial));
    std::vector<StoreInstr> program;
    uint32_t base = static_cast<uint32_t>(uni(0, 64));
    for (int k = 0; k < 4; ++k) {
      const int n_bytes = uni(1, kCols);
      const int nx = uni(1, 6);
      const int ny = uni(1, 4);
      const int pix = n_bytes + uni(0, 20);
      StoreInstr in = Store(base, ny, nx, nx * pix + uni(0, 40), pix, n_bytes);
      in.acc_base = uni(0, kAccRows - ny * nx);
      in.param_base = uni(0, kParamEntries - n_bytes);
      in.out_zp = uni(-128, 127);
      in.act_min = uni(-128, 0);
      in.act_max = uni(0, 127);
      in.push_prev = uni(0, 1);
      program.push_back(in);
      base += static_cast<uint32_t>(ny * in.row_stride + uni(0, 50));
    }
    RunAndCompare(&bench, program);
  }
}

// A STORE with the previous STORE's param_base and at most its lanes keeps
// the records in its lane registers and reads none; one with another base
// reads its own.
TEST(SparqStoreEngineTest, SameParamBaseSkipsTheParamReads) {
  StoreBench bench;
  FillRandom(&bench, 7);
  StoreInstr a = Store(0x100, 2, 3, 64, 16, 8);
  a.param_base = 5;
  StoreInstr b = Store(0x200, 2, 3, 64, 16, 6);  // fewer lanes, same base
  b.param_base = 5;
  b.acc_base = 30;
  StoreInstr c = Store(0x300, 1, 4, 64, 16, 8);  // another base
  c.param_base = 6;
  c.acc_base = 60;
  RunAndCompare(&bench, {a, b, c});
  EXPECT_EQ(bench.param_reads(), 16u);
}

// A PARAM SRAM write between two STOREs of one base makes the second read
// its records again: it must use the new ones (the old ones in the lane
// registers would give other bytes).
TEST(SparqStoreEngineTest, ParamWriteForcesTheReadsAgain) {
  StoreBench bench;
  FillRandom(&bench, 8);
  StoreInstr a = Store(0x100, 2, 3, 64, 16, 8);
  a.param_base = 9;
  RunAndCompare(&bench, {a});
  EXPECT_EQ(bench.param_reads(), 8u);
  const std::vector<Param> old_params = bench.params();
  for (int c = 0; c < 8; ++c) {
    Param& p = bench.params()[static_cast<size_t>(9 + c)];
    p.bias += 1000 * (c + 1);
    p.shift = -3;
  }
  bench.MarkParamWrite();
  StoreInstr b = Store(0x200, 2, 3, 64, 16, 8);
  b.param_base = 9;
  b.acc_base = 40;
  std::vector<uint8_t> want = bench.dram();
  ReferenceStore(b, bench.params(), bench.acc(), &want);
  std::vector<uint8_t> stale = bench.dram();
  ReferenceStore(b, old_params, bench.acc(), &stale);
  ASSERT_NE(want, stale);  // the test can tell the old records from the new
  bench.Submit(b);
  ASSERT_TRUE(bench.RunToIdle(10000));
  EXPECT_FALSE(bench.assertion_failed());
  EXPECT_EQ(bench.dram(), want);
  EXPECT_EQ(bench.done(), 2);
  EXPECT_EQ(bench.param_reads(), 16u);
}

// A STORE waiting for its c2s token reads its records meanwhile: with the
// token its first beat leaves within the pipeline latency, not after the
// reads. A PARAM write while it waits makes it read them again after the
// token, and it must use the new records.
TEST(SparqStoreEngineTest, ReadsRecordsWhileWaitingForTheToken) {
  for (const bool write : {false, true}) {
    SCOPED_TRACE(write ? "PARAM written while waiting" : "no PARAM write");
    StoreBench bench;
    FillRandom(&bench, 12);
    StoreInstr in = Store(0x800, 2, 3, 64, 16, 8);
    in.param_base = 20;
    in.pop_prev = 1;
    bench.Submit(in);
    bench.RunCycles(100);
    EXPECT_EQ(bench.param_reads(), 8u);
    EXPECT_EQ(bench.c2s_pops(), 0);
    const std::vector<Param> old_params = bench.params();
    if (write) {
      for (int c = 0; c < 8; ++c) {
        Param& p = bench.params()[static_cast<size_t>(20 + c)];
        p.bias -= 777 * (c + 1);
        p.shift = -2;
      }
      bench.MarkParamWrite();
      bench.RunCycles(3);
    }
    std::vector<uint8_t> want = bench.dram();
    ReferenceStore(in, bench.params(), bench.acc(), &want);
    if (write) {
      std::vector<uint8_t> stale = bench.dram();
      ReferenceStore(in, old_params, bench.acc(), &stale);
      ASSERT_NE(want, stale);
    }
    const uint64_t token = bench.cycle();
    bench.GiveC2s(1);
    ASSERT_TRUE(bench.RunToIdle(10000));
    EXPECT_FALSE(bench.assertion_failed());
    EXPECT_EQ(bench.dram(), want);
    EXPECT_EQ(bench.param_reads(), write ? 16u : 8u);
    ASSERT_FALSE(bench.write_cycles().empty());
    const uint64_t first = bench.write_cycles().front() - token;
    if (write) {
      EXPECT_GE(first, 8u + 4u) << "the reads again, then the pipeline";
    } else {
      EXPECT_LE(first, 8u) << "the records were read before the token";
    }
  }
}

// Aligned pixels leave at one per cycle: n pixels take n cycles plus the
// PARAM reads and the pipeline, not a multiple of n.
TEST(SparqStoreEngineTest, AlignedStoreStreamsOnePixelPerCycle) {
  constexpr int kPixels = 256;
  StoreBench bench;
  FillRandom(&bench, 6);
  const uint64_t start = bench.cycle();
  RunAndCompare(&bench, {Store(0x400, 16, 16, 256, 16, 8)});
  const uint64_t cycles = bench.cycle() - start;
  EXPECT_EQ(bench.beats(), static_cast<uint64_t>(kPixels));
  EXPECT_LE(cycles, static_cast<uint64_t>(kPixels + kCols + 16)) << cycles << " cycles";
  RecordProperty("store_cycles", static_cast<int>(cycles));
}

}  // namespace
}  // namespace sparq

namespace sparq {
namespace {

// act_write: every pixel also becomes ACT line act_dst + (raster index),
// bytes n_bytes.. zero, whatever the ACT port's stalls; the DRAM image is
// unchanged by it, and the STORE retires only after its last ACT line.
TEST(SparqStoreEngineTest, ChainedStoreWritesActLinesUnderPortContention) {
  for (uint32_t seed = 1; seed <= 24; ++seed) {
    SplitMix64 rng(seed * 31u);
    const double act_stall = seed % 3 == 0 ? 0.0 : seed % 3 == 1 ? 0.3 : 0.8;
    StoreBench bench(seed % 2 == 0 ? 0.2 : 0.0, seed, act_stall);
    FillRandom(&bench, seed + 100);
    const int ny = 1 + static_cast<int>(rng.Next() % 5);
    const int nx = 1 + static_cast<int>(rng.Next() % 9);
    const int n_bytes = 1 + static_cast<int>(rng.Next() % kRows);
    StoreInstr in = Store(0x400 + static_cast<uint32_t>(rng.Next() % 64), ny,
                          nx, nx * 11, 11, n_bytes);
    in.acc_base = static_cast<int64_t>(rng.Next() % 128);
    in.param_base = static_cast<int64_t>(rng.Next() % 32);
    in.act_write = 1;
    in.act_dst = static_cast<int64_t>(rng.Next() % (kActLines - ny * nx + 1));
    in.push_prev = 1;
    RunAndCompare(&bench, {in});
    const std::vector<uint8_t> dram = bench.dram();
    int bad = 0;
    for (int l = 0; l < kActLines; ++l) {
      const int64_t i = l - in.act_dst;
      const bool written = i >= 0 && i < ny * nx;
      EXPECT_EQ(bench.act_writes()[static_cast<size_t>(l)], written ? 1 : 0)
          << "seed " << seed << " line " << l;
      for (int b = 0; b < kRows; ++b) {
        const int64_t y = written ? i / nx : 0, x = written ? i % nx : 0;
        const uint8_t want =
            !written      ? uint8_t{0x5a}
            : b < n_bytes ? dram[static_cast<size_t>(
                                in.dram_base + y * in.row_stride +
                                x * in.pix_stride + b)]
                          : uint8_t{0};
        if (bench.act()[static_cast<size_t>(l * kRows + b)] != want &&
            ++bad <= 5) {
          ADD_FAILURE() << "seed " << seed << " ACT line " << l << " byte "
                        << b;
        }
      }
    }
    EXPECT_EQ(bad, 0);
    if (act_stall > 0.5) {
      EXPECT_GT(bench.stall_cycles(), 0u) << seed;
    }
  }
}

}  // namespace
}  // namespace sparq

namespace sparq {
namespace {

// Every STORE format, from the specification (docs/architecture.md,
// "STORE"): int8, int4 (two channels a byte), binary (eight), int16 with
// bias32 (lane 1 * 256 + lane 0 + bias, low bytes at the pixel's address,
// high bytes hi_off further). act_write lines are checked separately.
void ReferenceStoreAny(const StoreInstr& in, const std::vector<Param>& params,
                       const std::vector<int32_t>& acc, std::vector<uint8_t>* dram) {
  for (int64_t y = 0; y < in.ny; ++y) {
    for (int64_t x = 0; x < in.nx; ++x) {
      const int64_t row = in.acc_base + ((y * in.nx + x) << in.acc_shift);
      const int64_t addr = in.dram_base + y * in.row_stride + x * in.pix_stride;
      std::vector<int32_t> q(static_cast<size_t>(in.n_bytes));
      for (int64_t c = 0; c < in.n_bytes; ++c) {
        const Param& p = params.at(static_cast<size_t>(in.param_base + c));
        const size_t k = static_cast<size_t>(c);
        if (in.out_int16 != 0) {
          const uint32_t lo = static_cast<uint32_t>(acc.at(static_cast<size_t>(row * kCols + c)));
          const uint32_t hi = static_cast<uint32_t>(acc.at(static_cast<size_t>((row + 1) * kCols + c)));
          const int32_t v = static_cast<int32_t>((hi << 8) + lo + static_cast<uint32_t>(p.bias));
          q[k] = RequantizeOne(v, p.mult, p.shift, 0, static_cast<int32_t>(in.act_min16),
                               static_cast<int32_t>(in.act_max16));
        } else {
          const int32_t v = WrapAdd(acc.at(static_cast<size_t>(row * kCols + c)), p.bias);
          q[k] = RequantizeOne(v, p.mult, p.shift, static_cast<int32_t>(in.out_zp),
                               static_cast<int32_t>(in.act_min), static_cast<int32_t>(in.act_max));
        }
      }
      const auto put = [&](int64_t a, uint8_t b) { dram->at(static_cast<size_t>(a)) = b; };
      if (in.out_int16 != 0) {
        for (int64_t c = 0; c < in.n_bytes; ++c) {
          const uint16_t v = static_cast<uint16_t>(q[static_cast<size_t>(c)]);
          put(addr + c, static_cast<uint8_t>(v & 0xff));
          put(addr + in.hi_off + c, static_cast<uint8_t>(v >> 8));
        }
      } else if (in.out_binary != 0) {
        for (int64_t b = 0; b < (in.n_bytes + 7) / 8; ++b) {
          uint8_t v = 0;
          for (int j = 0; j < 8 && 8 * b + j < in.n_bytes; ++j) {
            if (q[static_cast<size_t>(8 * b + j)] > 0) v = static_cast<uint8_t>(v | (1u << j));
          }
          put(addr + b, v);
        }
      } else if (in.out_int4 != 0) {
        for (int64_t b = 0; b < (in.n_bytes + 1) / 2; ++b) {
          const uint8_t lo = static_cast<uint8_t>(q[static_cast<size_t>(2 * b)] & 0xf);
          const uint8_t hi = 2 * b + 1 < in.n_bytes
                                 ? static_cast<uint8_t>(q[static_cast<size_t>(2 * b + 1)] & 0xf)
                                 : uint8_t{0};
          put(addr + b, static_cast<uint8_t>(lo | (hi << 4)));
        }
      } else {
        for (int64_t c = 0; c < in.n_bytes; ++c) {
          put(addr + c, static_cast<uint8_t>(q[static_cast<size_t>(c)]));
        }
      }
    }
  }
}

// The ACT lines an act_write STORE leaves (line act_dst + pixel index:
// bytes 0 .. n_bytes - 1 its int8 channels, the rest 0).
void ReferenceActLines(const StoreInstr& in, const std::vector<Param>& params,
                       const std::vector<int32_t>& acc, std::vector<uint8_t>* act,
                       std::vector<int>* writes) {
  if (in.act_write == 0) return;
  std::vector<uint8_t> img(kDramBytes, 0);
  StoreInstr flat = in;
  flat.dram_base = 0;
  flat.pix_stride = kRows;
  flat.row_stride = in.nx * kRows;
  ReferenceStoreAny(flat, params, acc, &img);
  for (int64_t i = 0; i < in.ny * in.nx; ++i) {
    const size_t line = static_cast<size_t>(in.act_dst + i);
    ++writes->at(line);
    for (int b = 0; b < kRows; ++b) {
      act->at(line * kRows + static_cast<size_t>(b)) =
          b < in.n_bytes ? img[static_cast<size_t>(i * kRows + b)] : uint8_t{0};
    }
  }
}

enum class Fmt { kInt8, kInt4, kBinary, kInt16, kChained };

// A STORE of format f over rows [acc_base, ..) at DRAM `base`.
StoreInstr FormatStore(Fmt f, SplitMix64* rng, uint32_t base, int acc_base, int act_dst) {
  auto uni = [rng](int lo, int hi) { return static_cast<int>(rng->Uniform(lo, hi)); };
  const int ny = uni(1, 2);
  const int nx = uni(1, 5);
  int n_bytes = uni(1, kCols);
  if (f == Fmt::kChained) n_bytes = uni(1, kRows);
  const int pix = n_bytes + uni(0, 9);
  StoreInstr in = Store(base, ny, nx, nx * pix + uni(0, 20), pix, n_bytes);
  in.acc_base = acc_base;
  in.param_base = uni(0, kParamEntries - n_bytes);
  in.out_zp = uni(-20, 20);
  in.act_min = uni(-128, -1);
  in.act_max = uni(0, 127);
  switch (f) {
    case Fmt::kInt4:
      in.out_int4 = 1;
      in.act_min = uni(-8, -1);
      in.act_max = uni(0, 7);
      break;
    case Fmt::kBinary:
      in.out_binary = 1;
      in.act_min = -1;
      in.act_max = 1;
      break;
    case Fmt::kInt16:
      in.out_int16 = 1;
      in.bias32 = 1;
      in.acc_shift = 1;
      in.act_min16 = uni(-32768, -1);
      in.act_max16 = uni(0, 32767);
      in.hi_off = in.row_stride * ny + uni(0, 16);
      break;
    case Fmt::kChained:
      in.act_write = 1;
      in.act_dst = act_dst;
      break;
    case Fmt::kInt8:
      break;
  }
  return in;
}

int AccRowsOf(const StoreInstr& in) {
  return static_cast<int>(in.ny * in.nx) << in.acc_shift;
}

int64_t DramSpanOf(const StoreInstr& in) {
  const int64_t span = in.ny * in.row_stride + in.n_bytes;
  return in.out_int16 != 0 ? in.hi_off + span : span;
}

void ExpectImages(const StoreBench& bench, const std::vector<uint8_t>& dram,
                  const std::vector<uint8_t>& act, const std::vector<int>& act_writes) {
  int bad = 0;
  for (size_t i = 0; i < dram.size(); ++i) {
    if (bench.dram()[i] != dram[i] && ++bad <= 5) {
      ADD_FAILURE() << "DRAM byte " << i << ": rtl " << int{bench.dram()[i]} << ", reference "
                    << int{dram[i]};
    }
  }
  for (size_t i = 0; i < act.size(); ++i) {
    if (bench.act()[i] != act[i] && ++bad <= 5) {
      ADD_FAILURE() << "ACT line " << i / kRows << " byte " << i % kRows;
    }
  }
  EXPECT_EQ(bench.act_writes(), act_writes);
  EXPECT_EQ(bad, 0);
}

// Back-to-back STOREs of every format, each with its own param_base (so
// each reads its records, into the bank the running STORE leaves), some
// waiting for c2s tokens that come late: every DRAM byte and ACT line.
TEST(SparqStoreEngineTest, BackToBackStoresOfEveryFormat) {
  for (uint32_t seed = 1; seed <= 16; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SplitMix64 rng(seed * 977u);
    StoreBench bench(seed % 3 == 0 ? 0.3 : 0.0, seed, seed % 2 == 0 ? 0.4 : 0.0);
    FillRandom(&bench, seed + 300);
    std::vector<uint8_t> dram = bench.dram();
    std::vector<uint8_t> act = bench.act();
    std::vector<int> act_writes = bench.act_writes();
    uint32_t base = 0x100;
    int acc_base = 0, act_dst = 0, tokens = 0, pushes = 0;
    std::vector<StoreInstr> program;
    for (int k = 0; k < 10; ++k) {
      const Fmt f = static_cast<Fmt>(rng.Next() % 5);
      StoreInstr in = FormatStore(f, &rng, base, acc_base, act_dst);
      in.pop_prev = (seed % 2 == 1) && rng.Bernoulli(0.5);
      in.push_prev = rng.Bernoulli(0.5);
      tokens += static_cast<int>(in.pop_prev);
      pushes += static_cast<int>(in.push_prev);
      acc_base += AccRowsOf(in);
      act_dst += static_cast<int>(in.ny * in.nx);
      base += static_cast<uint32_t>(DramSpanOf(in) + static_cast<int64_t>(rng.Next() % 40));
      ReferenceStoreAny(in, bench.params(), bench.acc(), &dram);
      ReferenceActLines(in, bench.params(), bench.acc(), &act, &act_writes);
      program.push_back(in);
    }
    ASSERT_LE(acc_base, kAccRows);
    ASSERT_LE(act_dst, kActLines);
    for (const StoreInstr& in : program) bench.Submit(in);
    // The tokens one at a time, a while apart.
    for (int t = 0; t < tokens; ++t) {
      bench.RunCycles(static_cast<int>(rng.Next() % 30));
      bench.GiveC2s(1);
    }
    ASSERT_TRUE(bench.RunToIdle(100000));
    EXPECT_FALSE(bench.assertion_failed());
    ExpectImages(bench, dram, act, act_writes);
    EXPECT_EQ(bench.c2s_pops(), tokens);
    EXPECT_EQ(static_cast<int>(bench.s2c_push_cycles().size()), pushes);
    EXPECT_EQ(bench.done(), static_cast<int>(program.size()));
  }
}

// The next STORE's records are read while the current one runs: eight
// STOREs of 9 pixels with eight records each, each with its own
// param_base, take no more cycles than the same STOREs sharing one
// param_base (which read their records once); every record is read once.
TEST(SparqStoreEngineTest, NextRecordsAreReadWhileAStoreRuns) {
  uint64_t cycles[2] = {};
  for (const bool shared : {false, true}) {
    StoreBench bench;
    FillRandom(&bench, 41);
    std::vector<StoreInstr> program;
    for (int k = 0; k < 8; ++k) {
      StoreInstr in = Store(0x100 + 0x100 * static_cast<uint32_t>(k), 3, 3, 64, 16, kCols);
      in.acc_base = 9 * k;
      in.param_base = shared ? 3 : (k % 2) * 32 + (k / 2) * 2;
      program.push_back(in);
    }
    const uint64_t start = bench.cycle();
    RunAndCompare(&bench, program);
    cycles[shared ? 1 : 0] = bench.cycle() - start;
    EXPECT_EQ(bench.param_reads(), (shared ? 1u : 8u) * kCols);
  }
  EXPECT_LE(cycles[0], cycles[1]) << "own records " << cycles[0] << ", shared " << cycles[1];
  RecordProperty("back_to_back_cycles", static_cast<int>(cycles[0]));
}

// A PARAM write (a LOAD to PARAM) while STORE A runs and STORE B waits for
// its token with its records already read: B reads them again and uses the
// new ones; A keeps the records it read. Cases: B's records in the other
// bank, B sharing A's records (A's bank: B may re-read only after A), and
// the write during B's reads.
TEST(SparqStoreEngineTest, ParamWriteWhileTheNextStoreWaitsRereadsItsRecords) {
  struct Case {
    const char* what;
    int b_base;
    uint64_t reads_before;  // records read when the write lands
    uint64_t beats_before;  // and DRAM beats of A written (A runs)
  };
  const Case cases[] = {{"other bank", 40, 2 * kCols, 0},
                        {"A's bank", 4, kCols, 2},
                        {"during B's reads", 40, kCols + 3, 0}};
  for (const Case& cs : cases) {
    SCOPED_TRACE(cs.what);
    StoreBench bench;
    FillRandom(&bench, 51);
    StoreInstr a = Store(0x100, 6, 8, 256, 16, kCols);  // 48 pixels
    a.param_base = 4;
    a.pop_prev = 1;
    StoreInstr b = Store(0x1000, 2, 3, 64, 16, kCols);
    b.acc_base = 60;
    b.param_base = cs.b_base;
    b.pop_prev = 1;
    b.push_prev = 1;
    std::vector<uint8_t> want = bench.dram();
    ReferenceStoreAny(a, bench.params(), bench.acc(), &want);
    bench.Submit(a);
    bench.Submit(b);
    bench.GiveC2s(1);
    for (int i = 0; i < 200 && (bench.param_reads() < cs.reads_before ||
                                bench.beats() < cs.beats_before);
         ++i) {
      bench.RunCycles(1);
    }
    ASSERT_EQ(bench.param_reads(), cs.reads_before);
    ASSERT_LT(bench.beats(), 40u) << "A still runs";
    const std::vector<Param> old_params = bench.params();
    for (int c = 0; c < kCols; ++c) {
      Param& p = bench.params()[static_cast<size_t>(cs.b_base + c)];
      p.bias += 3000 * (c + 1);
      p.shift = -4;
    }
    bench.MarkParamWrite();
    std::vector<uint8_t> stale = want;
    ReferenceStoreAny(b, old_params, bench.acc(), &stale);
    ReferenceStoreAny(b, bench.params(), bench.acc(), &want);
    ASSERT_NE(want, stale);
    bench.RunCycles(2);
    bench.GiveC2s(1);
    ASSERT_TRUE(bench.RunToIdle(10000));
    EXPECT_FALSE(bench.assertion_failed());
    EXPECT_EQ(bench.dram(), want);
    EXPECT_EQ(bench.done(), 2);
    // A's, B's (none when it shares A's) and B's again.
    EXPECT_EQ(bench.param_reads(), cs.b_base == a.param_base ? 2u * kCols : 3u * kCols);
  }
}

}  // namespace
}  // namespace sparq
