// The DRAM model at every port width the C++ side supports (64..512 bits):
// beats carry the right bytes in 32-bit little-endian words, byte strobes
// write exactly the enabled bytes, reads return after the configured latency
// in order, and the stall pattern is a function of the seed alone.

#include "sim/dram_model.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "golden/errors.h"
#include "sw/device.h"

namespace sparq {
namespace {

HwConfig Port(int bits, int latency = 5) {
  HwConfig hw;
  hw.dram_bits = bits;
  hw.dram_bytes = 1 << 16;
  hw.dram_latency = latency;
  return hw;
}

// Requests a read at `addr` on cycle 0 and returns the cycle its data shows,
// with the beat's words.
uint64_t ReadBeat(DramModel& d, uint32_t addr, std::vector<uint32_t>* words) {
  DramModel::Outputs o = d.MakeOutputs();
  o.rd_req_valid = true;
  o.rd_req_addr = addr;
  o.rd_rsp_ready = true;
  for (uint64_t cycle = 0; cycle < 1000; ++cycle) {
    const DramModel::Inputs& in = d.Drive();
    if (in.rd_rsp_valid) {
      *words = in.rd_rsp_data;
      d.Clock(o);
      return cycle;
    }
    d.Clock(o);
    o.rd_req_valid = false;
  }
  ADD_FAILURE() << "no response";
  return 0;
}

class DramModelWidthTest : public ::testing::TestWithParam<int> {};

TEST_P(DramModelWidthTest, ReadReturnsTheBeatAfterTheLatency) {
  const int bits = GetParam();
  DramModel d(Port(bits, 7));
  EXPECT_EQ(d.beat_words(), bits / 32);
  const int beat = bits / 8;
  std::vector<uint8_t> bytes(static_cast<size_t>(3 * beat));
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 1);
  d.Write(0, bytes.data(), bytes.size());
  std::vector<uint32_t> words;
  EXPECT_EQ(ReadBeat(d, static_cast<uint32_t>(2 * beat), &words), 7u);
  ASSERT_EQ(words.size(), static_cast<size_t>(bits / 32));
  for (int w = 0; w < bits / 32; ++w) {
    uint32_t want = 0;
    for (int b = 3; b >= 0; --b) {
      want = (want << 8) | bytes[static_cast<size_t>(2 * beat + 4 * w + b)];
    }
    EXPECT_EQ(words[static_cast<size_t>(w)], want) << "word " << w;
  }
}

TEST_P(DramModelWidthTest, WriteStoresOnlyStrobedBytes) {
  const int bits = GetParam();
  const int beat = bits / 8;
  DramModel d(Port(bits));
  std::vector<uint8_t> before(static_cast<size_t>(beat), 0xee);
  d.Write(static_cast<uint32_t>(beat), before.data(), before.size());
  DramModel::Outputs o = d.MakeOutputs();
  ASSERT_EQ(o.wr_strb.size(), static_cast<size_t>((beat + 31) / 32));
  o.wr_valid = true;
  o.wr_addr = static_cast<uint32_t>(beat);
  for (int w = 0; w < bits / 32; ++w) {
    o.wr_data[static_cast<size_t>(w)] = 0x03020100u + 0x04040404u * static_cast<uint32_t>(w);
  }
  // Every third byte, and the last byte of the beat.
  for (int i = 0; i < beat; ++i) {
    if (i % 3 == 0 || i == beat - 1) {
      o.wr_strb[static_cast<size_t>(i / 32)] |= 1u << (i % 32);
    }
  }
  ASSERT_TRUE(d.Drive().wr_ready);  // no stalls configured
  d.Clock(o);
  std::vector<uint8_t> after(static_cast<size_t>(beat));
  d.Read(static_cast<uint32_t>(beat), after.data(), after.size());
  for (int i = 0; i < beat; ++i) {
    const bool on = i % 3 == 0 || i == beat - 1;
    EXPECT_EQ(after[static_cast<size_t>(i)], on ? i : 0xee) << "byte " << i;
  }
}

TEST_P(DramModelWidthTest, UnalignedBeatIsADeviceError) {
  const int bits = GetParam();
  DramModel d(Port(bits));
  DramModel::Outputs o = d.MakeOutputs();
  o.rd_req_valid = true;
  o.rd_req_addr = static_cast<uint32_t>(bits / 16);  // half a beat
  d.Drive();
  EXPECT_THROW(d.Clock(o), DeviceError);
}

INSTANTIATE_TEST_SUITE_P(Bits, DramModelWidthTest,
                         ::testing::Values(64, 96, 128, 256, 512));

TEST(DramModelTest, WidthMustBeAMultipleOf32From64) {
  EXPECT_THROW(DramModel{Port(32)}, InputError);
  EXPECT_THROW(DramModel{Port(100)}, InputError);
  EXPECT_NO_THROW(DramModel{Port(64)});
}

TEST(DramModelTest, ResponsesComeInRequestOrder) {
  DramModel d(Port(128, 3));
  std::vector<uint8_t> bytes(64);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i);
  d.Write(0, bytes.data(), bytes.size());
  DramModel::Outputs o = d.MakeOutputs();
  o.rd_rsp_ready = true;
  const uint32_t order[] = {32, 0, 48, 16};
  std::vector<uint32_t> first_words;
  for (int cycle = 0; cycle < 20; ++cycle) {
    o.rd_req_valid = cycle < 4;
    o.rd_req_addr = cycle < 4 ? order[cycle] : 0;
    const DramModel::Inputs& in = d.Drive();
    if (in.rd_rsp_valid) first_words.push_back(in.rd_rsp_data[0]);
    d.Clock(o);
  }
  ASSERT_EQ(first_words.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const uint32_t a = order[i];
    EXPECT_EQ(first_words[i], a | (a + 1) << 8 | (a + 2) << 16 | (a + 3) << 24);
  }
  EXPECT_TRUE(d.Quiet());
}

// The ready pattern of a seed: two SplitMix64 draws per cycle (read channel,
// then write channel), each a stall when below the probability.
TEST(DramModelTest, StallPatternIsSplitMix64OfTheSeed) {
  HwConfig hw = Port(128);
  hw.dram_stall = 0.3;
  hw.dram_stall_seed = 42;
  DramModel d(hw);
  SplitMix64 ref(42);
  int stalls = 0;
  for (int cycle = 0; cycle < 1000; ++cycle) {
    const bool rd_stall = ref.Unit() < 0.3;
    const bool wr_stall = ref.Unit() < 0.3;
    const DramModel::Inputs& in = d.Drive();
    ASSERT_EQ(in.rd_req_ready, !rd_stall) << "cycle " << cycle;
    ASSERT_EQ(in.wr_ready, !wr_stall) << "cycle " << cycle;
    stalls += rd_stall + wr_stall;
    d.Clock(d.MakeOutputs());
  }
  // About 30% of 2000 draws.
  EXPECT_GT(stalls, 500);
  EXPECT_LT(stalls, 700);
}

}  // namespace
}  // namespace sparq
