// rtl/sparq_load_engine.sv (ArrayRows 4, ArrayCols 8, 128-bit DRAM) driven by
// a behavioural DRAM with latency and random stalls. Every SRAM line written
// is compared, in order, with a reference written from the LOAD semantics in
// docs/architecture.md; reads of out-of-bounds pixels and token misuse fail.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "Vsparq_load_engine.h"
#include "golden/random.h"
#include "sw/cost_model.h"
#include "sw/hw_config.h"
#include "tests/rtl/rtl_test_util.h"
#include "verilated.h"

namespace sparq {
namespace {

constexpr int kRows = 4;   // ACT line bytes
constexpr int kCols = 8;   // WGT line bytes
constexpr int kBeat = 16;  // DRAM beat bytes
constexpr size_t kDramBytes = 1 << 20;

int LineBytes(int buf) { return buf == 0 ? kRows : buf == 1 ? kCols : 16; }

struct Line {
  int buf;
  uint32_t addr;
  std::vector<uint8_t> bytes;  // LineBytes(buf) bytes
};

// The LOAD loop nest, straight from the specification.
std::vector<Line> ReferenceLoad(const LoadInstr& in, const std::vector<uint8_t>& dram,
                                std::set<uint32_t>* beats_needed) {
  const int lb = LineBytes(static_cast<int>(in.buf));
  std::vector<Line> out;
  uint32_t n = 0;
  if (in.dense) {
    // Dense: tap t of a pixel is bytes [t * seg_bytes, +seg_bytes) of the
    // pixel's nl lines, zero after the last tap.
    for (int64_t y = 0; y < in.ny; ++y) {
      for (int64_t x = 0; x < in.nx; ++x) {
        std::vector<uint8_t> row(static_cast<size_t>(in.nl * lb), 0);
        for (int64_t ky = 0, t = 0; ky < in.kh; ++ky) {
          for (int64_t kx = 0; kx < in.kw; ++kx, ++t) {
            const int64_t ih = in.iy0 + y * in.sy + ky * in.dy;
            const int64_t iw = in.ix0 + x * in.sx + kx * in.dx;
            const bool inside = ih >= 0 && ih < in.h && iw >= 0 && iw < in.w;
            const int64_t addr = in.dram_base + (ih * in.w + iw) * in.pix_stride;
            for (int64_t i = 0; i < in.seg_bytes; ++i) {
              row.at(static_cast<size_t>(t * in.seg_bytes + i)) =
                  inside ? dram.at(static_cast<size_t>(addr + i)) : static_cast<uint8_t>(in.pad);
            }
            if (inside) {
              for (int64_t b = addr / kBeat; b <= (addr + in.seg_bytes - 1) / kBeat; ++b) {
                beats_needed->insert(static_cast<uint32_t>(b * kBeat));
              }
            }
          }
        }
        for (int64_t l = 0; l < in.nl; ++l, ++n) {
          out.push_back({static_cast<int>(in.buf), static_cast<uint32_t>((in.sram_base + n) & 0xffff),
                         std::vector<uint8_t>(row.begin() + l * lb, row.begin() + (l + 1) * lb)});
        }
      }
    }
    return out;
  }
  for (int64_t y = 0; y < in.ny; ++y) {
    for (int64_t x = 0; x < in.nx; ++x) {
      for (int64_t ky = 0; ky < in.kh; ++ky) {
        for (int64_t kx = 0; kx < in.kw; ++kx) {
          for (int64_t l = 0; l < in.nl; ++l) {
            const int64_t ih = in.iy0 + y * in.sy + ky * in.dy;
            const int64_t iw = in.ix0 + x * in.sx + kx * in.dx;
            const int64_t valid = std::clamp<int64_t>(in.seg_bytes - l * lb, 0, lb);
            Line line{static_cast<int>(in.buf), static_cast<uint32_t>((in.sram_base + n) & 0xffff),
                      std::vector<uint8_t>(static_cast<size_t>(lb), 0)};
            const bool inside = ih >= 0 && ih < in.h && iw >= 0 && iw < in.w;
            const int64_t addr = in.dram_base + (ih * in.w + iw) * in.pix_stride + l * lb;
            for (int64_t i = 0; i < valid; ++i) {
              line.bytes[static_cast<size_t>(i)] =
                  inside ? dram.at(static_cast<size_t>(addr + i)) : static_cast<uint8_t>(in.pad);
            }
            if (inside && valid > 0) {
              for (int64_t b = addr / kBeat; b <= (addr + valid - 1) / kBeat; ++b) {
                beats_needed->insert(static_cast<uint32_t>(b * kBeat));
              }
            }
            out.push_back(line);
            ++n;
          }
        }
      }
    }
  }
  return out;
}

class LoadBench : public rtltest::BlockBench<Vsparq_load_engine> {
 public:
  struct Options {
    int latency = 20;
    double req_stall = 0.0;  // probability the DRAM refuses a request
    double rsp_stall = 0.0;  // probability a ready response is held back
    uint32_t seed = 1;
  };

  explicit LoadBench(const Options& opts)
      : opts_(opts), rng_(opts.seed), dram_(kDramBytes) {
    SplitMix64 fill(7);
    for (auto& b : dram_) b = static_cast<uint8_t>(fill.Next());
    Reset();
  }

  const std::vector<uint8_t>& dram() const { return dram_; }
  void Submit(const LoadInstr& in) { queue_.push_back(Encode(in)); }
  void GiveC2l(int n) { c2l_tokens_ += n; }

  const std::vector<Line>& writes() const { return writes_; }
  const std::vector<uint32_t>& reads() const { return reads_; }
  int c2l_tokens() const { return c2l_tokens_; }
  int c2l_pops() const { return c2l_pops_; }
  const std::vector<uint64_t>& l2c_push_cycles() const { return l2c_push_cycles_; }
  const std::vector<uint64_t>& write_cycles() const { return write_cycles_; }
  int done() const { return done_; }
  // Cycles at which the engine popped an instruction (its last line generated).
  const std::vector<uint64_t>& pop_cycles() const { return pop_cycles_; }

 private:
  void Drive() override {
    Vsparq_load_engine& m = top();
    m.instr_valid_i = !queue_.empty();
    if (!queue_.empty()) {
      for (int i = 0; i < kInstrWords; ++i) m.instr_data_i[i] = queue_.front()[i];
    }
    m.c2l_avail_i = c2l_tokens_ > 0;
    m.dram_rd_req_ready_i = !Chance(opts_.req_stall);
    if (!rsp_shown_ && !pending_.empty() && pending_.front().ready <= cycle() &&
        !Chance(opts_.rsp_stall)) {
      rsp_shown_ = true;
    }
    m.dram_rd_rsp_valid_i = rsp_shown_;
    if (rsp_shown_) {
      rtltest::BytesToWide(&dram_[pending_.front().addr], kBeat, m.dram_rd_rsp_data_i);
    }
  }

  void Sample() override {
    Vsparq_load_engine& m = top();
    if (m.instr_valid_i && m.instr_ready_o) {
      queue_.pop_front();
      pop_cycles_.push_back(cycle());
    }
    if (m.c2l_pop_o) {
      EXPECT_GT(c2l_tokens_, 0) << "c2l popped while empty at cycle " << cycle();
      --c2l_tokens_;
      ++c2l_pops_;
    }
    if (m.dram_rd_req_valid_o && m.dram_rd_req_ready_i) {
      const uint32_t addr = m.dram_rd_req_addr_o;
      EXPECT_EQ(addr % kBeat, 0u);
      EXPECT_LT(addr, kDramBytes);
      reads_.push_back(addr);
      pending_.push_back({cycle() + static_cast<uint64_t>(opts_.latency), static_cast<uint32_t>(addr % kDramBytes)});
    }
    if (rsp_shown_ && m.dram_rd_rsp_ready_o) {
      pending_.pop_front();
      rsp_shown_ = false;
    }
    if (m.wr_valid_o) {
      const int buf = m.wr_buf_o;
      Line line{buf, m.wr_addr_o, {}};
      for (int i = 0; i < LineBytes(buf); ++i) {
        line.bytes.push_back(rtltest::WideByte(m.wr_data_o, i));
      }
      writes_.push_back(line);
      write_cycles_.push_back(cycle());
    }
    if (m.l2c_push_o) l2c_push_cycles_.push_back(cycle());
    if (m.evt_instr_done_o) ++done_;
  }

  bool Idle() const override { return queue_.empty() && !top().busy_o; }

  bool Chance(double p) { return p > 0 && rng_.Bernoulli(p); }

  struct Pending {
    uint64_t ready;
    uint32_t addr;
  };

  Options opts_;
  SplitMix64 rng_;
  std::vector<uint8_t> dram_;
  std::deque<InstrWord> queue_;
  std::deque<Pending> pending_;
  bool rsp_shown_ = false;
  int c2l_tokens_ = 0;
  int c2l_pops_ = 0;
  int done_ = 0;
  std::vector<Line> writes_;
  std::vector<uint64_t> write_cycles_;
  std::vector<uint64_t> pop_cycles_;
  std::vector<uint32_t> reads_;
  std::vector<uint64_t> l2c_push_cycles_;
};

LoadBench::Options Dram(int latency, double req_stall = 0.0, double rsp_stall = 0.0,
                        uint32_t seed = 1) {
  LoadBench::Options o;
  o.latency = latency;
  o.req_stall = req_stall;
  o.rsp_stall = rsp_stall;
  o.seed = seed;
  return o;
}

LoadInstr Copy(int buf, uint32_t dram_base, int sram_base, int nl, int seg_bytes) {
  LoadInstr in;
  in.buf = buf;
  in.dram_base = dram_base;
  in.sram_base = sram_base;
  in.ny = in.nx = in.kh = in.kw = in.h = in.w = 1;
  in.sy = in.sx = in.dy = in.dx = 1;
  in.nl = nl;
  in.seg_bytes = seg_bytes;
  in.pix_stride = seg_bytes;
  return in;
}

// Runs a program and compares every written line; returns the reference.
std::vector<Line> RunAndCompare(LoadBench* bench, const std::vector<LoadInstr>& program,
                                uint64_t max_cycles = 200000) {
  std::vector<Line> want;
  std::set<uint32_t> beats;
  int pushes = 0;
  for (const LoadInstr& in : program) {
    const std::vector<Line> lines = ReferenceLoad(in, bench->dram(), &beats);
    want.insert(want.end(), lines.begin(), lines.end());
    pushes += static_cast<int>(in.push_next);
    bench->Submit(in);
  }
  EXPECT_TRUE(bench->RunToIdle(max_cycles)) << "not idle after " << max_cycles << " cycles";
  EXPECT_FALSE(bench->assertion_failed());
  const std::vector<Line>& got = bench->writes();
  EXPECT_EQ(got.size(), want.size());
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    EXPECT_EQ(got[i].buf, want[i].buf) << "line " << i;
    EXPECT_EQ(got[i].addr, want[i].addr) << "line " << i;
    EXPECT_EQ(got[i].bytes, want[i].bytes) << "line " << i << " (sram " << want[i].addr << ")";
    if (::testing::Test::HasFailure()) break;
  }
  for (uint32_t a : bench->reads()) {
    EXPECT_TRUE(beats.count(a)) << "beat " << a << " holds no valid in-bounds byte";
  }
  // The cost model counts the beats the engine reads (dense LOADs reuse
  // beats from its slots).
  uint64_t model_beats = 0;
  for (const LoadInstr& in : program) {
    model_beats += LoadCost(in, HwConfig::ForArray(4, 8, 128)).dram_beats;
  }
  EXPECT_EQ(bench->reads().size(), model_beats);
  EXPECT_EQ(static_cast<int>(bench->l2c_push_cycles().size()), pushes);
  EXPECT_EQ(bench->done(), static_cast<int>(program.size()));
  return want;
}

TEST(SparqLoadEngineTest, AlignedActCopySharesBeats) {
  LoadBench bench({});
  RunAndCompare(&bench, {Copy(0, 0x100, 7, 64, 256)});
  // Four 4-byte ACT lines per beat, each beat read once.
  EXPECT_EQ(bench.reads().size(), 16u);
}

TEST(SparqLoadEngineTest, UnalignedWgtCopyWithPartialLastLine) {
  LoadBench bench({});
  RunAndCompare(&bench, {Copy(1, 0x1003, 100, 40, 40 * 8 - 3)});
  // The bytes [0x1003, 0x1140) span 20 beats; none is read twice.
  EXPECT_EQ(bench.reads().size(), 20u);
}

TEST(SparqLoadEngineTest, UnalignedParamLinesStraddleBeats) {
  LoadBench bench({});
  RunAndCompare(&bench, {Copy(2, 0x2007, 3, 33, 33 * 16)});
  EXPECT_EQ(bench.reads().size(), 34u);
}

TEST(SparqLoadEngineTest, Im2colConv3x3Pad1) {
  LoadBench bench({});
  LoadInstr in;
  in.buf = 0;
  in.dram_base = 0x3001;
  in.sram_base = 20;
  in.h = 5;
  in.w = 6;
  in.pix_stride = 6;  // six channels per pixel: one full and one partial ACT line
  in.seg_bytes = 6;
  in.nl = 2;
  in.ny = 5;
  in.nx = 6;
  in.kh = in.kw = 3;
  in.sy = in.sx = in.dy = in.dx = 1;
  in.iy0 = -1;
  in.ix0 = -1;
  in.pad = 0x7f;
  RunAndCompare(&bench, {in});
}

TEST(SparqLoadEngineTest, Im2colStrideAndDilation) {
  LoadBench bench({});
  LoadInstr in;
  in.buf = 0;
  in.dram_base = 0x4000;
  in.sram_base = 0;
  in.h = 9;
  in.w = 9;
  in.pix_stride = 16;
  in.seg_bytes = 12;  // a channel slice: three of four lines of the pixel
  in.nl = 3;
  in.ny = 4;
  in.nx = 4;
  in.kh = in.kw = 3;
  in.sy = in.sx = 2;
  in.dy = in.dx = 2;
  in.iy0 = -2;
  in.ix0 = -2;
  in.pad = 0x80;
  RunAndCompare(&bench, {in});
}

TEST(SparqLoadEngineTest, OutOfBoundsPixelsReadNothing) {
  LoadBench bench({});
  LoadInstr in = Copy(1, 0x5000, 0, 2, 16);
  in.h = in.w = 4;
  in.ny = 2;
  in.nx = 3;
  in.iy0 = -20;
  in.ix0 = 100;
  in.pad = 0xab;
  RunAndCompare(&bench, {in});
  EXPECT_TRUE(bench.reads().empty());
}

TEST(SparqLoadEngineTest, EmptyLoopStillRetiresAndPushes) {
  LoadBench bench({});
  LoadInstr in = Copy(0, 0, 0, 4, 16);
  in.ny = 0;
  in.push_next = 1;
  LoadInstr in2 = Copy(2, 0, 0, 0, 16);
  in2.push_next = 1;
  RunAndCompare(&bench, {in, in2});
  EXPECT_TRUE(bench.writes().empty());
  EXPECT_TRUE(bench.reads().empty());
}

TEST(SparqLoadEngineTest, WaitsForC2lAndPushesL2cAfterLastWrite) {
  LoadBench bench(Dram(30));
  LoadInstr first = Copy(0, 0x600, 0, 8, 32);
  first.push_next = 1;
  LoadInstr second = Copy(1, 0x700, 50, 8, 64);
  second.pop_next = 1;
  second.push_next = 1;
  bench.Submit(first);
  bench.Submit(second);
  bench.RunCycles(300);
  // Without a c2l token only the first LOAD may run.
  EXPECT_EQ(bench.writes().size(), 8u);
  EXPECT_EQ(bench.l2c_push_cycles().size(), 1u);
  EXPECT_EQ(bench.c2l_pops(), 0);
  for (uint32_t a : bench.reads()) EXPECT_LT(a, 0x700u);
  bench.GiveC2l(1);
  std::set<uint32_t> beats;
  std::vector<Line> want = ReferenceLoad(first, bench.dram(), &beats);
  const std::vector<Line> want2 = ReferenceLoad(second, bench.dram(), &beats);
  want.insert(want.end(), want2.begin(), want2.end());
  ASSERT_TRUE(bench.RunToIdle(10000));
  EXPECT_EQ(bench.c2l_pops(), 1);
  EXPECT_EQ(bench.c2l_tokens(), 0);
  ASSERT_EQ(bench.writes().size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(bench.writes()[i].addr, want[i].addr);
    EXPECT_EQ(bench.writes()[i].bytes, want[i].bytes);
  }
  // Each push lands with (not before) the last line of its instruction.
  ASSERT_EQ(bench.l2c_push_cycles().size(), 2u);
  EXPECT_EQ(bench.l2c_push_cycles()[0], bench.write_cycles()[7]);
  EXPECT_EQ(bench.l2c_push_cycles()[1], bench.write_cycles().back());
}

TEST(SparqLoadEngineTest, RandomProgramsWithStalls) {
  SplitMix64 rng(424242);
  auto uni = [&rng](int lo, int hi) { return static_cast<int>(rng.Uniform(lo, hi)); };
  for (int trial = 0; trial < 12; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const int latencies[] = {1, 3, 20, 57, 100};
    LoadBench bench(Dram(latencies[trial % 5], (trial % 3) * 0.25, (trial % 2) * 0.3,
                         static_cast<uint32_t>(trial + 1)));
    std::vector<LoadInstr> program;
    int pops = 0;
    for (int k = 0; k < 6; ++k) {
      LoadInstr in;
      in.buf = uni(0, 2);
      const int lb = LineBytes(static_cast<int>(in.buf));
      in.nl = uni(1, 4);
      in.seg_bytes = (in.nl - 1) * lb + uni(1, lb + 3);
      in.h = uni(1, 8);
      in.w = uni(1, 8);
      in.pix_stride = uni(1, 40);
      in.kh = uni(1, 3);
      in.kw = uni(1, 3);
      in.sy = uni(1, 3);
      in.sx = uni(1, 3);
      in.dy = uni(1, 2);
      in.dx = uni(1, 2);
      in.ny = uni(1, 5);
      in.nx = uni(1, 5);
      in.iy0 = uni(-3, 2);
      in.ix0 = uni(-3, 2);
      in.dram_base = static_cast<uint32_t>(uni(0, 60000));
      in.sram_base = uni(0, 4000);
      in.pad = uni(0, 255);
      in.pop_next = uni(0, 1);
      in.push_next = uni(0, 1);
      pops += static_cast<int>(in.pop_next);
      program.push_back(in);
    }
    bench.GiveC2l(pops);
    RunAndCompare(&bench, program);
    EXPECT_EQ(bench.c2l_pops(), pops);
  }
}

// Dense gathers: one input channel, a 3x3 stride-2 pad-1 kernel (nine
// one-byte taps packed into three 4-byte lines per pixel, rows cut by the
// padding and the line ends), then three channels of a 7x7 kernel.
TEST(SparqLoadEngineTest, DenseGatherPacksTapsBackToBack) {
  LoadInstr in;
  in.buf = 0;
  in.dram_base = 0x3003;
  in.sram_base = 9;
  in.h = 7;
  in.w = 9;
  in.pix_stride = 1;
  in.seg_bytes = 1;
  in.nl = 3;
  in.ny = 4;
  in.nx = 5;
  in.kh = in.kw = 3;
  in.sy = in.sx = 2;
  in.dy = in.dx = 1;
  in.iy0 = -1;
  in.ix0 = -1;
  in.pad = 0x80;
  in.dense = 1;
  {
    LoadBench bench(Dram(7));
    const std::vector<Line> lines = RunAndCompare(&bench, {in});
    EXPECT_EQ(lines.size(), 4u * 5u * 3u);
  }

  LoadInstr rgb = in;
  rgb.dram_base = 0x5000;
  rgb.pix_stride = rgb.seg_bytes = 3;
  rgb.kh = rgb.kw = 7;
  rgb.nl = 37;  // 147 bytes
  rgb.h = rgb.w = 12;
  rgb.iy0 = rgb.ix0 = -3;
  rgb.ny = rgb.nx = 3;
  rgb.sy = rgb.sx = 2;
  // One bench at a time: two verilated models alive at once deadlock in
  // Verilator 5.006's destructor.
  LoadBench bench(Dram(30, 0.2, 0.2, 5));
  RunAndCompare(&bench, {rgb});
}

// Random dense LOADs (channel slices, dilation, strides, out-of-bounds
// windows) between ordinary ones, under DRAM stalls.
TEST(SparqLoadEngineTest, RandomDenseProgramsWithStalls) {
  SplitMix64 rng(777);
  auto uni = [&rng](int lo, int hi) { return static_cast<int>(rng.Uniform(lo, hi)); };
  for (int trial = 0; trial < 12; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    const int latencies[] = {1, 4, 20, 57, 100};
    LoadBench bench(Dram(latencies[trial % 5], (trial % 3) * 0.25, (trial % 2) * 0.3,
                         static_cast<uint32_t>(trial + 11)));
    std::vector<LoadInstr> program;
    for (int k = 0; k < 6; ++k) {
      LoadInstr in;
      in.buf = uni(0, 3) == 0 ? 1 : 0;
      const int lb = LineBytes(static_cast<int>(in.buf));
      in.dense = uni(0, 3) != 0;
      in.h = uni(1, 8);
      in.w = uni(1, 8);
      in.pix_stride = uni(1, 12);
      in.seg_bytes = uni(0, 1) ? in.pix_stride : uni(1, 12);
      in.kh = uni(1, 4);
      in.kw = uni(1, 5);
      in.sy = uni(1, 3);
      in.sx = uni(1, 3);
      in.dy = uni(1, 2);
      in.dx = uni(0, 2) ? 1 : 2;
      in.ny = uni(1, 4);
      in.nx = uni(1, 4);
      in.iy0 = uni(-4, 2);
      in.ix0 = uni(-4, 2);
      const int total = in.dense ? static_cast<int>(in.kh * in.kw * in.seg_bytes)
                                 : static_cast<int>(in.seg_bytes);
      in.nl = (total + lb - 1) / lb;
      in.dram_base = static_cast<uint32_t>(uni(0, 60000));
      in.sram_base = uni(0, 4000);
      in.pad = uni(0, 255);
      in.push_next = uni(0, 1);
      program.push_back(in);
    }
    RunAndCompare(&bench, program);
  }
}

// Whole kernel rows merged into one line per cycle, beats reused from the
// slots: a 4x2 window on one channel fills one 8-byte WGT line per pixel,
// and each input beat is read once per output row. Then random dense LOADs, each alone
// (DRAM latency 1, no stalls): the cycles from its issue to the engine
// popping it are the cost model's busy cycles plus one fixed start-up, for
// every one of them.
TEST(SparqLoadEngineTest, DenseRowGroupsFollowTheCostModel) {
  const HwConfig hw = HwConfig::ForArray(4, 8, 128);
  LoadInstr in;
  in.buf = 1;
  in.dram_base = 0x2000;
  in.h = 12;
  in.w = 64;
  in.pix_stride = in.seg_bytes = 1;
  in.kh = 4;
  in.kw = 2;
  in.nl = 1;
  in.ny = 2;
  in.nx = 40;
  in.sy = in.sx = in.dy = in.dx = 1;
  in.dense = 1;
  const InstrCost cost = LoadCost(in, hw);
  uint64_t offset = 0;
  {
    LoadBench bench(Dram(1));
    const uint64_t start = bench.cycle();
    RunAndCompare(&bench, {in});
    ASSERT_EQ(bench.pop_cycles().size(), 1u);
    offset = bench.pop_cycles()[0] - start - cost.busy;
  }
  // 2 x 40 pixels, one cycle each. Each output row reads its 4 input rows'
  // 3 beats once (columns 0..40): 2 x 12 beats. The first pixel of an output
  // row needs 4 fresh beats (3 cycles more); the beats the window enters at
  // x = 15 and 31 are prefetched by the pixels before.
  EXPECT_EQ(cost.busy, static_cast<uint64_t>(kLoadSetupCycles + 80 + 2 * 3));
  EXPECT_EQ(cost.dram_beats, 24u);

  SplitMix64 rng(4711);
  auto uni = [&rng](int lo, int hi) { return static_cast<int>(rng.Uniform(lo, hi)); };
  for (int trial = 0; trial < 60; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    LoadInstr r;
    r.buf = uni(0, 1);
    const int lb = LineBytes(static_cast<int>(r.buf));
    r.dense = 1;
    r.h = uni(1, 10);
    r.w = uni(1, 40);
    r.pix_stride = uni(1, 3);
    r.seg_bytes = uni(0, 2) ? r.pix_stride : uni(1, 3);
    r.kh = uni(1, 6);
    r.kw = uni(1, 4);
    r.sy = uni(1, 3);
    r.sx = uni(1, 3);
    r.dy = uni(1, 2);
    r.dx = uni(0, 3) ? 1 : 2;
    r.ny = uni(1, 4);
    r.nx = uni(1, 6);
    r.iy0 = uni(-3, 1);
    r.ix0 = uni(-3, 1);
    r.nl = static_cast<int>((r.kh * r.kw * r.seg_bytes + lb - 1) / lb);
    r.dram_base = static_cast<uint32_t>(uni(0, 60000));
    r.sram_base = uni(0, 4000);
    r.pad = uni(0, 255);
    LoadBench bench(Dram(1));
    const uint64_t t0 = bench.cycle();
    RunAndCompare(&bench, {r});
    ASSERT_EQ(bench.pop_cycles().size(), 1u);
    EXPECT_EQ(bench.pop_cycles()[0] - t0, offset + LoadCost(r, hw).busy);
  }
}

// Consecutive gathers of one shape (pix_stride, w, strides, dilations) at
// other rows, columns and bases, as the fills of a first conv: the second
// keeps the first's steps and sets up in kLoadKeptSetupCycles; one of
// another shape (here sx), and the one after it, set up in full. Every line
// is compared, and each LOAD's time from the previous pop to its own is its
// cost-model busy cycles plus one fixed start-up (DRAM latency 1).
TEST(SparqLoadEngineTest, SameShapeLoadsKeepTheirSteps) {
  const HwConfig hw = HwConfig::ForArray(4, 8, 128);
  LoadInstr a;
  a.buf = 1;
  a.dram_base = 0x2000;
  a.h = 12;
  a.w = 64;
  a.pix_stride = a.seg_bytes = 1;
  a.kh = 4;
  a.kw = 2;
  a.nl = 1;
  a.ny = 2;
  a.nx = 40;
  a.sy = a.sx = a.dy = a.dx = 1;
  a.dense = 1;
  LoadInstr b = a;
  b.dram_base = 0x2100;
  b.iy0 = 4;
  b.ix0 = -1;
  b.sram_base = 200;
  LoadInstr c = b;
  c.sx = 2;
  c.nx = 20;
  c.sram_base = 400;
  LoadInstr d = b;
  d.iy0 = 7;
  d.sram_base = 600;
  const std::vector<LoadInstr> program = {a, b, c, d};
  LoadStepKeep keep;
  std::vector<bool> kept;
  for (const LoadInstr& in : program) kept.push_back(keep.Take(in));
  EXPECT_EQ(kept, (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(LoadCost(b, hw, true).busy + kLoadSetupCycles - kLoadKeptSetupCycles,
            LoadCost(b, hw).busy);

  LoadBench bench(Dram(1));
  RunAndCompare(&bench, program);
  ASSERT_EQ(bench.pop_cycles().size(), program.size());
  std::vector<int64_t> extra;
  for (size_t k = 1; k < program.size(); ++k) {
    extra.push_back(static_cast<int64_t>(bench.pop_cycles()[k] - bench.pop_cycles()[k - 1]) -
                    static_cast<int64_t>(LoadCost(program[k], hw, kept[k]).busy));
  }
  EXPECT_EQ(extra[0], extra[1]);
  EXPECT_EQ(extra[1], extra[2]);
}

// Edge windows: a kernel row partly left or right of the input is one piece
// (its pad bytes and its DRAM bytes), so border pixels group their rows like
// the others. A 4x2 window, stride 2, one pad column on the left (x = 0
// reads columns -1, 0) and one on the right (x = 4 reads 7, 8 of w = 8),
// 8-byte WGT lines, input rows of 8 bytes (two per beat). Output row 0:
// x = 0 takes two cycles (rows 0-1 need beat 16 -- row 0's only DRAM byte
// is in it, its pad byte would be in beat 15, which is not read -- and rows
// 2-3 beat 17), x = 1..4 one each; output row 1 (rows 2..5) one cycle per
// pixel, its one fresh beat (18) with x = 0. 11 steps, 3 beats.
TEST(SparqLoadEngineTest, DenseEdgeWindowsTakeOneStep) {
  const HwConfig hw = HwConfig::ForArray(4, 8, 128);
  LoadInstr in;
  in.buf = 1;
  in.dram_base = 0x100;
  in.h = 8;
  in.w = 8;
  in.pix_stride = in.seg_bytes = 1;
  in.kh = 4;
  in.kw = 2;
  in.nl = 1;
  in.ny = 2;
  in.nx = 5;
  in.sy = in.sx = 2;
  in.dy = in.dx = 1;
  in.ix0 = -1;
  in.pad = 0xa5;
  in.dense = 1;
  const InstrCost cost = LoadCost(in, hw);
  EXPECT_EQ(cost.busy, static_cast<uint64_t>(kLoadSetupCycles + 11));
  EXPECT_EQ(cost.dram_beats, 3u);
  LoadBench bench(Dram(1));
  RunAndCompare(&bench, {in});
  EXPECT_EQ(bench.reads().size(), 3u);
}

// One aligned line per cycle once the DRAM returns one beat per cycle: the
// reads of a long copy overlap, so its time is lines + latency + a fixed
// start-up, not lines * latency.
TEST(SparqLoadEngineTest, AlignedCopyStreamsOneLinePerCycle) {
  constexpr int kLines = 512;
  constexpr int kLatency = 100;
  LoadBench bench(Dram(kLatency));
  const uint64_t start = bench.cycle();
  RunAndCompare(&bench, {Copy(2, 0x8000, 0, kLines, kLines * 16)});
  const uint64_t cycles = bench.cycle() - start;
  EXPECT_EQ(bench.reads().size(), static_cast<size_t>(kLines));
  EXPECT_LE(cycles, static_cast<uint64_t>(kLines + kLatency + 24)) << cycles << " cycles";
  RecordProperty("copy_cycles", static_cast<int>(cycles));
}

}  // namespace
}  // namespace sparq
