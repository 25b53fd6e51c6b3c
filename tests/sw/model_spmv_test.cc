// The machine model's Spmv (sim/model_spmv.cc) on hand-built lane streams:
// sums and counters worked out by hand from docs/sparse.md, and malformed
// instructions rejected with the reason.

#include "sim/model_spmv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sparq {
namespace {

struct Srams {
  explicit Srams(const HwConfig& hw)
      : act(static_cast<size_t>(hw.act_lines) * hw.rows, 0),
        wgt(static_cast<size_t>(hw.wgt_lines) * hw.cols, 0),
        acc(static_cast<size_t>(hw.acc_rows) * hw.cols, 0) {}
  void Word(const HwConfig& hw, int lane, int index, uint16_t w) {
    wgt[static_cast<size_t>(index) * hw.cols + 2 * lane] =
        static_cast<int8_t>(w & 0xff);
    wgt[static_cast<size_t>(index) * hw.cols + 2 * lane + 1] =
        static_cast<int8_t>(w >> 8);
  }
  std::vector<int8_t> act, wgt;
  std::vector<int32_t> acc;
};

SpmvInstr ThreeColumns() {
  SpmvInstr i;
  i.m_rows = 1;
  i.k_cols = 3;
  i.n_groups = 1;
  i.acc_gstride = 1;
  i.n_valid = 4;
  return i;
}

// 4x4: 2 lanes; lane 0 owns outputs 0, 2; lane 1 owns 1, 3.
TEST(ModelSpmvTest, HandWorkedSumsAndCounters) {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  Srams s(hw);
  std::vector<int32_t> held;
  s.act[0] = 5;   // column 0
  s.act[1] = 0;   // column 1: skipped
  s.act[2] = -2;  // column 2
  // lane 0: col 0 {1 word: rel 1, 3} -> output 2; col 1 {2 words}; col 2 {}.
  const uint16_t lane0[] = {1, (1 << 8) | 3, 2, 7, 1, 0};
  // lane 1: col 0 {}; col 1 {}; col 2 {rel 0, -4} -> output 1.
  const uint16_t lane1[] = {0, 0, 1, 0xfc};
  for (int i = 0; i < 6; ++i) s.Word(hw, 0, i, lane0[i]);
  for (int i = 0; i < 4; ++i) s.Word(hw, 1, i, lane1[i]);
  s.acc[1] = 1000;  // overwritten: accumulate is 0
  const SpmvOutcome o =
      ExecSpmv(ThreeColumns(), hw, s.act.data(), s.wgt.data(), s.acc.data(),
               &held);
  EXPECT_EQ(s.acc[0], 0);
  EXPECT_EQ(s.acc[1], 8);   // -4 * -2
  EXPECT_EQ(s.acc[2], 15);  // 3 * 5
  EXPECT_EQ(s.acc[3], 0);
  EXPECT_EQ(o.zero_acts, 1u);
  EXPECT_EQ(o.meta_words, 6u);    // three headers per lane
  EXPECT_EQ(o.zero_weights, 6u);  // (2-1)+(2-0) for lane 0, (2-0)+(2-1) lane 1
  EXPECT_EQ(o.lane_idle, 0u);     // both lanes consume 4 words
  EXPECT_EQ(o.busy, 3u + 4u + 1u + 2u);
  EXPECT_EQ(o.wgt_lines, 6);
}

TEST(ModelSpmvTest, AccumulatesOntoTheOldRow) {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  Srams s(hw);
  std::vector<int32_t> held;
  s.act[0] = 3;
  s.Word(hw, 1, 0, 1);
  s.Word(hw, 1, 1, (1 << 8) | 2);  // lane 1 position 1 -> output 3
  SpmvInstr i = ThreeColumns();
  i.k_cols = 1;
  i.accumulate = 1;
  s.acc[3] = 100;
  ExecSpmv(i, hw, s.act.data(), s.wgt.data(), s.acc.data(), &held);
  EXPECT_EQ(s.acc[3], 106);
}

TEST(ModelSpmvTest, RejectsMalformedInstructions) {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  Srams s(hw);
  std::vector<int32_t> held;
  SpmvInstr i = ThreeColumns();
  i.n_groups = 65;
  try {
    ExecSpmv(i, hw, s.act.data(), s.wgt.data(), s.acc.data(), &held);
    FAIL() << "65 groups accepted";
  } catch (const SpmvFault& e) {
    EXPECT_NE(std::string(e.what()).find("n_groups = 65"), std::string::npos);
  }
  // Two padding words (64 positions each) reach position 128.
  i = ThreeColumns();
  i.k_cols = 1;
  s.act[0] = 1;
  s.Word(hw, 0, 0, 3);
  s.Word(hw, 0, 1, 63 << 8);
  s.Word(hw, 0, 2, 63 << 8);
  s.Word(hw, 0, 3, 1);
  try {
    ExecSpmv(i, hw, s.act.data(), s.wgt.data(), s.acc.data(), &held);
    FAIL() << "an entry past the lane accumulators accepted";
  } catch (const SpmvFault& e) {
    EXPECT_NE(std::string(e.what()).find("lane 0 column 0"), std::string::npos)
        << e.what();
  }
}

// act_zp: the engine adds (a - act_zp) * w and skips a == act_zp.
TEST(ModelSpmvTest, SubtractsAndSkipsTheZeroPoint) {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  Srams s(hw);
  std::vector<int32_t> held;
  s.act[0] = -128;  // the zero point: skipped
  s.act[1] = 2;     // 2 - (-128) = 130
  const uint16_t lane0[] = {1, 7, 1, (1 << 8) | 0xff};
  for (int i = 0; i < 4; ++i) s.Word(hw, 0, i, lane0[i]);
  s.Word(hw, 1, 0, 0);
  s.Word(hw, 1, 1, 0);
  SpmvInstr i = ThreeColumns();
  i.k_cols = 2;
  i.act_zp = -128;
  const SpmvOutcome o =
      ExecSpmv(i, hw, s.act.data(), s.wgt.data(), s.acc.data(), &held);
  EXPECT_EQ(s.acc[0], 0);     // 7 * (-128 - (-128)), skipped
  EXPECT_EQ(s.acc[2], -130);  // -1 * 130
  EXPECT_EQ(o.zero_acts, 1u);
}

// Flagged streams: no headers, bit 14 ends a column, 0x4000 is an empty
// column; a zero activation's words still take their cycles.
TEST(ModelSpmvTest, FlaggedStreamsHandWorked) {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  Srams s(hw);
  std::vector<int32_t> held;
  s.act[0] = 5;
  s.act[1] = 0;
  s.act[2] = -2;
  // lane 0: col 0 {rel 1, 3, last}; col 1 {7}, {1, last} (activation 0);
  // col 2 empty. lane 1: col 0, col 1 empty; col 2 {-4, last}.
  const uint16_t lane0[] = {0x4000 | (1 << 8) | 3, 7, 0x4000 | 1, 0x4000};
  const uint16_t lane1[] = {0x4000, 0x4000, 0x4000 | 0xfc};
  for (int i = 0; i < 4; ++i) s.Word(hw, 0, i, lane0[i]);
  for (int i = 0; i < 3; ++i) s.Word(hw, 1, i, lane1[i]);
  SpmvInstr i = ThreeColumns();
  i.flagged = 1;
  const SpmvOutcome o =
      ExecSpmv(i, hw, s.act.data(), s.wgt.data(), s.acc.data(), &held);
  EXPECT_EQ(s.acc[0], 0);
  EXPECT_EQ(s.acc[1], 8);   // -4 * -2
  EXPECT_EQ(s.acc[2], 15);  // 3 * 5 + 1 * 0
  EXPECT_EQ(s.acc[3], 0);
  EXPECT_EQ(o.zero_acts, 1u);
  EXPECT_EQ(o.meta_words, 3u);    // the three empty-column words
  EXPECT_EQ(o.zero_weights, 4u);  // (2-1) + (2-1) per lane, column 1 skipped
  EXPECT_EQ(o.lane_idle, 1u);     // lane 0 takes 4 words, lane 1 3
  EXPECT_EQ(o.busy, 3u + 4u + 1u + 2u);
  EXPECT_EQ(o.wgt_lines, 4);
}

// lane_hold keeps the sums in the lanes (no ACC write, no drain cycles);
// lane_keep continues from them; both need m_rows = 1.
TEST(ModelSpmvTest, HeldSumsChainAcrossInstructions) {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  Srams s(hw);
  std::vector<int32_t> held;
  s.act[0] = 5;      // ACT line 0
  s.act[4] = 3;      // ACT line 1
  s.Word(hw, 0, 0, 0x4000 | 2);               // lane 0 position 0: 2
  s.Word(hw, 1, 0, 0x4000);
  s.Word(hw, 0, 1, 0x4000 | (1 << 8) | 1);    // lane 0 position 1: 1
  s.Word(hw, 1, 1, 0x4000 | 0xff);            // lane 1 position 0: -1
  s.acc[0] = 1000;
  SpmvInstr a = ThreeColumns();
  a.k_cols = 1;
  a.flagged = 1;
  SpmvInstr keep_without_hold = a;
  keep_without_hold.lane_keep = 1;
  EXPECT_THROW(ExecSpmv(keep_without_hold, hw, s.act.data(), s.wgt.data(),
                        s.acc.data(), &held),
               SpmvFault);
  a.lane_hold = 1;
  const SpmvOutcome oa =
      ExecSpmv(a, hw, s.act.data(), s.wgt.data(), s.acc.data(), &held);
  EXPECT_EQ(s.acc[0], 1000);  // not drained
  EXPECT_EQ(oa.busy, 3u + 1u);
  SpmvInstr b = a;
  b.lane_hold = 0;
  b.lane_keep = 1;
  b.act_base = 1;
  b.wgt_base = 1;
  const SpmvOutcome ob =
      ExecSpmv(b, hw, s.act.data(), s.wgt.data(), s.acc.data(), &held);
  EXPECT_EQ(s.acc[0], 10);  // 2 * 5
  EXPECT_EQ(s.acc[1], -3);  // -1 * 3
  EXPECT_EQ(s.acc[2], 3);   // 1 * 3
  EXPECT_EQ(s.acc[3], 0);
  EXPECT_EQ(ob.busy, 3u + 1u + 1u + 2u);
  EXPECT_TRUE(held.empty());
  SpmvInstr two = a;
  two.m_rows = 2;
  EXPECT_THROW(
      ExecSpmv(two, hw, s.act.data(), s.wgt.data(), s.acc.data(), &held),
      SpmvFault);
}

}  // namespace
}  // namespace sparq
