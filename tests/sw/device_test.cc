#include "sw/device.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sparq {
namespace {

TEST(DeviceTest, CounterNamesFollowTheArchitectureTable) {
  EXPECT_STREQ(CounterName(kCtrCycles), "cycles");
  EXPECT_STREQ(CounterName(kCtrArrayBusy), "array_busy");
  EXPECT_STREQ(CounterName(kCtrMacsIssued), "macs_issued");
  EXPECT_STREQ(CounterName(kCtrUsefulMacs), "useful_macs");
  EXPECT_STREQ(CounterName(kCtrStallGemmLoad), "stall_gemm_load");
  EXPECT_STREQ(CounterName(kCtrStallGemmStore), "stall_gemm_store");
  EXPECT_STREQ(CounterName(kCtrStallGemmWeights), "stall_gemm_weights");
  EXPECT_STREQ(CounterName(kCtrStallLoadDram), "stall_load_dram");
  EXPECT_STREQ(CounterName(kCtrStallLoadTokens), "stall_load_tokens");
  EXPECT_STREQ(CounterName(kCtrStallStoreDram), "stall_store_dram");
  EXPECT_STREQ(CounterName(kCtrStallStoreTokens), "stall_store_tokens");
  EXPECT_STREQ(CounterName(kCtrInstrs), "instrs");
  EXPECT_STREQ(CounterName(kCtrGemmIdle), "gemm_idle");
  EXPECT_STREQ(CounterName(kNumCounters), "unknown");
  std::set<std::string> names;
  for (int i = 0; i < kNumCounters; ++i) names.insert(CounterName(i));
  EXPECT_EQ(names.size(), static_cast<size_t>(kNumCounters));
}

TEST(DeviceTest, CounterDifferenceIsPerCounter) {
  PerfCounters a, b;
  for (int i = 0; i < kNumCounters; ++i) {
    a.v[i] = 1000 + 7 * i;
    b.v[i] = 3 * i;
  }
  const PerfCounters d = a - b;
  for (int i = 0; i < kNumCounters; ++i) {
    EXPECT_EQ(d[i], static_cast<uint64_t>(1000 + 4 * i)) << CounterName(i);
  }
}

}  // namespace
}  // namespace sparq
