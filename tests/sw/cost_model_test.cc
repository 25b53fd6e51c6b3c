#include "sw/cost_model.h"

#include <gtest/gtest.h>

#include <vector>

namespace sparq {
namespace {

LoadInstr Copy(LoadBuf buf, int64_t dram, int64_t lines, int64_t line_bytes) {
  LoadInstr i;
  i.buf = static_cast<int64_t>(buf);
  i.dram_base = dram;
  i.ny = i.nx = i.kh = i.kw = i.h = i.w = 1;
  i.nl = lines;
  i.seg_bytes = lines * line_bytes;
  return i;
}

TEST(CostModelTest, DenseSmallLinesShareBeats) {
  // 4-byte ACT lines, 16-byte beats: four lines per beat, one line per cycle.
  const InstrCost c =
      LoadCost(Copy(LoadBuf::kAct, 0, 8, 4), HwConfig::ForArray(4, 4));
  EXPECT_EQ(c.dram_beats, 2u);
  EXPECT_EQ(c.busy, static_cast<uint64_t>(kLoadSetupCycles + 8));
  EXPECT_EQ(c.latency, 20u);  // the default DRAM latency
}

TEST(CostModelTest, LoadLatencyIsTheConfiguredDramLatency) {
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.dram_latency = 57;
  EXPECT_EQ(LoadCost(Copy(LoadBuf::kAct, 0, 8, 4), hw).latency, 57u);
  // A LOAD that reads no beat (all padding) does not wait for DRAM.
  LoadInstr pad = Copy(LoadBuf::kAct, 0, 1, 4);
  pad.iy0 = -1;
  EXPECT_EQ(LoadCost(pad, hw).latency, 1u);
}

TEST(CostModelTest, WiderPortNeedsFewerBeats) {
  // 32-byte WGT lines (32x32 array) at byte 16 on a 256-bit port: each line
  // spans two 32-byte beats, the second shared with the next line.
  const LoadInstr i = Copy(LoadBuf::kWgt, 16, 4, 32);
  const InstrCost c = LoadCost(i, HwConfig::ForArray(32, 32, 256));
  EXPECT_EQ(c.dram_beats, 5u);
  EXPECT_EQ(c.busy, static_cast<uint64_t>(kLoadSetupCycles + 2 + 1 + 1 + 1));
  // The same bytes as 16-byte lines on a 128-bit port: one beat each.
  const InstrCost narrow =
      LoadCost(Copy(LoadBuf::kWgt, 16, 8, 16), HwConfig::ForArray(16, 16));
  EXPECT_EQ(narrow.dram_beats, 8u);
  EXPECT_EQ(narrow.busy, static_cast<uint64_t>(kLoadSetupCycles + 8));
}

TEST(CostModelTest, MisalignedLinesNeedTwoFreshBeats) {
  // 16-byte WGT lines at byte 8: line 0 = beats 0 and 1 (two cycles), line 1
  // = beats 1 (kept) and 2 (one cycle).
  const InstrCost c =
      LoadCost(Copy(LoadBuf::kWgt, 8, 2, 16), HwConfig::ForArray(16, 16));
  EXPECT_EQ(c.dram_beats, 3u);
  EXPECT_EQ(c.busy, static_cast<uint64_t>(kLoadSetupCycles + 3));
}

TEST(CostModelTest, PaddedLinesCostACycleAndNoBeat) {
  LoadInstr i;
  i.buf = 0;
  i.ny = i.nx = 1;
  i.kh = i.kw = 3;
  i.iy0 = i.ix0 = -1;
  i.sy = i.sx = i.dy = i.dx = 1;
  i.h = i.w = 2;
  i.pix_stride = 4;
  i.nl = 1;
  i.seg_bytes = 4;
  std::vector<int> in_lines;
  WalkLoadLines(i, 4, [&](uint64_t line, bool in, int64_t addr, int valid) {
    EXPECT_EQ(valid, 4);
    if (in) {
      in_lines.push_back(static_cast<int>(line));
      EXPECT_EQ(addr, static_cast<int64_t>(4 * (in_lines.size() - 1)));
    }
  });
  EXPECT_EQ(in_lines, (std::vector<int>{4, 5, 7, 8}));
  const InstrCost c = LoadCost(i, HwConfig::ForArray(4, 4));
  EXPECT_EQ(c.dram_beats, 1u);
  EXPECT_EQ(c.busy, static_cast<uint64_t>(kLoadSetupCycles + 9));
}

TEST(CostModelTest, WalkGivesPartialLastLine) {
  LoadInstr i = Copy(LoadBuf::kAct, 100, 3, 4);
  i.seg_bytes = 10;
  std::vector<int> valid;
  std::vector<int64_t> addr;
  WalkLoadLines(i, 4, [&](uint64_t, bool in, int64_t a, int v) {
    EXPECT_TRUE(in);
    valid.push_back(v);
    addr.push_back(a);
  });
  EXPECT_EQ(valid, (std::vector<int>{4, 4, 2}));
  EXPECT_EQ(addr, (std::vector<int64_t>{100, 104, 108}));
}

TEST(CostModelTest, ShortGemmWaitsForTheWeightPreload) {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  GemmInstr g;
  g.m_rows = 3;
  InstrCost c = GemmCost(g, hw);
  EXPECT_EQ(c.rows, 3u);
  EXPECT_EQ(c.busy, 4u);
  EXPECT_EQ(c.weight_stall, 1u);
  EXPECT_EQ(c.latency, 8u);
  g.m_rows = 100;
  c = GemmCost(g, hw);
  EXPECT_EQ(c.busy, 100u);
  EXPECT_EQ(c.weight_stall, 0u);
}

TEST(CostModelTest, StorePixelsCrossingABeatTakeTwo) {
  StoreInstr s;
  s.dram_base = 8;
  s.ny = 1;
  s.nx = 2;
  s.pix_stride = 16;
  s.n_bytes = 16;
  const InstrCost c = StoreCost(s, HwConfig::ForArray(16, 16));
  EXPECT_EQ(c.dram_beats, 4u);
  EXPECT_EQ(c.busy, 16u + 4u);
  s.dram_base = 0;
  EXPECT_EQ(StoreCost(s, HwConfig::ForArray(16, 16)).busy, 16u + 2u);
}

TEST(CostModelTest, AnalyzeProgramSumsPerEngine) {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  GemmInstr g;
  g.m_rows = 10;
  StoreInstr s;
  s.ny = s.nx = 1;
  s.n_bytes = 4;
  const std::vector<InstrWord> prog = {Encode(Copy(LoadBuf::kAct, 0, 8, 4)),
                                       Encode(g), Encode(g), Encode(s)};
  const ProgramStats st = AnalyzeProgram(prog, hw);
  EXPECT_EQ(st.loads, 1u);
  EXPECT_EQ(st.gemms, 2u);
  EXPECT_EQ(st.stores, 1u);
  EXPECT_EQ(st.load_cycles, static_cast<uint64_t>(kLoadSetupCycles + 8));
  EXPECT_EQ(st.gemm_cycles, 20u);
  EXPECT_EQ(st.array_rows, 20u);
  EXPECT_EQ(st.store_cycles, 5u);
  EXPECT_EQ(st.dram_read_bytes, 32u);
  EXPECT_EQ(st.dram_write_bytes, 16u);
}

}  // namespace
}  // namespace sparq
