#include "sw/hw_config.h"

#include <gtest/gtest.h>

namespace sparq {
namespace {

TEST(HwConfigTest, ForArrayScalesTheSramsWithRows) {
  const HwConfig big = HwConfig::ForArray(16, 16);
  EXPECT_EQ(big.rows, 16);
  EXPECT_EQ(big.cols, 16);
  EXPECT_EQ(big.act_lines, 32768);
  EXPECT_EQ(big.wgt_lines, 8192);
  EXPECT_EQ(big.acc_rows, 4096);
  EXPECT_EQ(big.param_entries, 2048);
  EXPECT_EQ(big.dram_bits, 128);
  EXPECT_EQ(big.dram_beat_bytes(), 16);
  EXPECT_TRUE(big == HwConfig());  // the defaults are the 16x16 build

  const HwConfig small = HwConfig::ForArray(4, 8);
  EXPECT_EQ(small.rows, 4);
  EXPECT_EQ(small.cols, 8);
  EXPECT_EQ(small.act_lines, 8192);
  EXPECT_EQ(small.wgt_lines, 2048);
  EXPECT_EQ(small.acc_rows, 1024);
  EXPECT_EQ(small.param_entries, 2048);
}

TEST(HwConfigTest, EqualityComparesEveryField) {
  const HwConfig a = HwConfig::ForArray(4, 4);
  HwConfig b = a;
  EXPECT_TRUE(a == b);
  b.cols = 8;
  EXPECT_FALSE(a == b);
  b = a;
  b.act_lines /= 2;
  EXPECT_FALSE(a == b);
  b = a;
  b.wgt_lines /= 2;
  EXPECT_FALSE(a == b);
  b = a;
  b.acc_rows /= 2;
  EXPECT_FALSE(a == b);
  b = a;
  b.param_entries /= 2;
  EXPECT_FALSE(a == b);
  b = a;
  b.dram_bits = 256;
  EXPECT_FALSE(a == b);
  b = a;
  b.dram_bytes = 1 << 20;
  EXPECT_FALSE(a == b);
  b = a;
  b.dram_latency = 40;
  EXPECT_FALSE(a == b);
  b = a;
  b.dram_stall = 0.1;
  EXPECT_FALSE(a == b);
  b = a;
  b.dram_stall_seed = 2;
  EXPECT_FALSE(a == b);
}

TEST(HwConfigTest, ForArrayTakesTheDramWidth) {
  const HwConfig hw = HwConfig::ForArray(32, 32, 256);
  EXPECT_EQ(hw.act_lines, 65536);
  EXPECT_EQ(hw.wgt_lines, 16384);
  EXPECT_EQ(hw.acc_rows, 8192);
  EXPECT_EQ(hw.dram_bits, 256);
  EXPECT_EQ(hw.dram_beat_bytes(), 32);
  EXPECT_EQ(hw.dram_beat_words(), 8);
}

TEST(HwConfigTest, BuildNameAddsTheDramWidthUnless128) {
  EXPECT_EQ(HwConfig::ForArray(16, 16).BuildName(), "16x16");
  EXPECT_EQ(HwConfig::ForArray(4, 8).BuildName(), "4x8");
  EXPECT_EQ(HwConfig::ForArray(32, 32, 256).BuildName(), "32x32@256");
}

TEST(HwConfigTest, TimingStringNamesLatencyStallAndSeed) {
  HwConfig hw;
  EXPECT_EQ(hw.TimingString(), "DRAM latency 20 cycles, stall 0 (seed 1)");
  hw.dram_latency = 8;
  hw.dram_stall = 0.1;
  hw.dram_stall_seed = 7;
  EXPECT_EQ(hw.TimingString(), "DRAM latency 8 cycles, stall 0.1 (seed 7)");
}

TEST(HwConfigTest, ToStringNamesTheShapeAndSrams) {
  EXPECT_EQ(HwConfig::ForArray(16, 16).ToString(),
            "16x16 (act 32768 lines, wgt 8192 lines, acc 4096 rows, param "
            "2048 entries, dram 128 bits, 256 MiB)");
}

}  // namespace
}  // namespace sparq
