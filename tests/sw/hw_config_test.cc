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
}

TEST(HwConfigTest, ToStringNamesTheShapeAndSrams) {
  EXPECT_EQ(HwConfig::ForArray(16, 16).ToString(),
            "16x16 (act 32768 lines, wgt 8192 lines, acc 4096 rows, param "
            "2048 entries, dram 128 bits, 256 MiB)");
}

}  // namespace
}  // namespace sparq
