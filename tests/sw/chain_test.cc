// Chaining (sw/chain.h) on the machine model: random 1x1 conv -> depthwise
// networks must chain (the conv's STOREs write the depthwise input into ACT,
// the depthwise program loads nothing) and every output element of both
// layers must equal golden's; networks that must not chain (the conv output
// read twice, a host layer between, pair mode) do not, and stay exact; the
// model rejects act_write where the contract does not define it.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "golden/network.h"
#include "sim/model_device.h"
#include "sw/chain.h"
#include "sw/compiler.h"
#include "sw/device.h"
#include "sw/runtime.h"
#include "tests/common/chain_networks.h"

namespace sparq {
namespace {

constexpr int kRandomChains = 60;

// Every element of every layer's output against golden's reference.
void ExpectExact(const Network& net, const std::vector<LayerRun>& runs,
                 const std::string& what) {
  const auto ref = RunNetworkReference(net);
  ASSERT_EQ(runs.size(), net.layers.size()) << what;
  for (const LayerRun& run : runs) {
    const Tensor<int8_t>& want = ref.at(run.name);
    ASSERT_EQ(run.output.shape, want.shape) << what << " " << run.name;
    ASSERT_EQ(run.output.data.size(), want.data.size());
    for (size_t i = 0; i < want.data.size(); ++i) {
      ASSERT_EQ(run.output.data[i], want.data[i])
          << what << " " << run.name << " element " << i;
    }
  }
}

TEST(ChainTest, RandomChainsRunWithoutDepthwiseLoadsAndMatchGolden) {
  for (const int r : {4, 8}) {
    const HwConfig hw = HwConfig::ForArray(r, r);
    for (uint32_t seed = 0; seed < kRandomChains; ++seed) {
      const Network net = RandomChainNetwork(seed, r);
      const std::string what = std::to_string(r) + "x" + std::to_string(r) +
                               " seed " + std::to_string(seed);
      const CompiledNetwork c = Compile(net, hw);
      ASSERT_EQ(c.layers.size(), 2u);
      EXPECT_GT(CountActWriteStores(c.layers[0].program), 0) << what;
      EXPECT_EQ(CountLoads(c.layers[1].program), 0) << what;
      std::unique_ptr<Device> dev = MakeModelDevice(hw);
      const std::vector<LayerRun> runs = RunNetwork(net, c, *dev);
      ExpectExact(net, runs, what);
      if (HasFatalFailure()) return;
      // The same useful work as without chaining, less loaded.
      CompileOptions off;
      off.chain = false;
      const CompiledNetwork plain = Compile(net, hw, off);
      EXPECT_GT(CountActLoads(plain.layers[1].program), 0) << what;
      EXPECT_EQ(CountActWriteStores(plain.layers[0].program), 0) << what;
      std::unique_ptr<Device> dev2 = MakeModelDevice(hw);
      const std::vector<LayerRun> pruns = RunNetwork(net, plain, *dev2);
      for (size_t k = 0; k < runs.size(); ++k) {
        EXPECT_EQ(runs[k].counters[kCtrUsefulMacs],
                  pruns[k].counters[kCtrUsefulMacs])
            << what;
        EXPECT_EQ(runs[k].counters[kCtrDwUsefulMacs],
                  pruns[k].counters[kCtrDwUsefulMacs])
            << what;
      }
    }
  }
}

TEST(ChainTest, NetworksThatMustNotChainStayUnchainedAndExact) {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  for (const NoChainCase k : {NoChainCase::kTwoReaders,
                              NoChainCase::kHostBetween,
                              NoChainCase::kPairMode}) {
    for (uint32_t seed = 0; seed < 8; ++seed) {
      const Network net = NoChainNetwork(k, seed, hw.rows);
      const std::string what =
          "case " + std::to_string(static_cast<int>(k)) + " seed " +
          std::to_string(seed);
      const CompiledNetwork c = Compile(net, hw);
      for (const CompiledLayer& l : c.layers) {
        EXPECT_EQ(CountActWriteStores(l.program), 0) << what << " " << l.name;
      }
      const CompiledLayer& dw = c.layers[c.layers.size() - (k == NoChainCase::kTwoReaders ? 2 : 1)];
      ASSERT_EQ(dw.name, "dw");
      EXPECT_GT(CountActLoads(dw.program), 0) << what;
      std::unique_ptr<Device> dev = MakeModelDevice(hw);
      ExpectExact(net, RunNetwork(net, c, *dev), what);
      if (HasFatalFailure()) return;
    }
  }
}

// A STORE of one pixel with act_write and the given fields (all else valid).
void ExpectStoreRejected(const HwConfig& hw, StoreInstr st,
                         const std::string& message) {
  std::unique_ptr<Device> dev = MakeModelDevice(hw);
  st.ny = st.nx = 1;
  st.act_write = 1;
  dev->Submit({Encode(st)});
  try {
    dev->RunToIdle();
    ADD_FAILURE() << "accepted: " << message;
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos)
        << e.what();
  }
}

TEST(ChainTest, ModelRejectsActWriteOutsideInt8PixelsOfOneLine) {
  const HwConfig hw = HwConfig::ForArray(4, 8);
  StoreInstr st;
  st.n_bytes = 4;
  st.out_int4 = 1;
  ExpectStoreRejected(hw, st, "act_write needs an int8 output");
  st.out_int4 = 0;
  st.n_bytes = 5;  // C = 8 allows it, an ACT line of R = 4 does not
  ExpectStoreRejected(hw, st, "exceeds R = 4");
  st.n_bytes = 4;
  st.act_dst = hw.act_lines;
  ExpectStoreRejected(hw, st, "ACT lines");
}

// The chained STORE's ACT lines, read back directly: pixel i at act_dst + i,
// bytes past n_bytes zero, the DRAM write unchanged.
TEST(ChainTest, ChainedStoreWritesOneActLinePerPixel) {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  const Network net = RandomChainNetwork(1, hw.rows);
  const CompiledNetwork c = Compile(net, hw);
  const SramFootprint f = FootprintOf(c.layers[0].program);
  int64_t lowest = hw.act_lines;
  for (const InstrWord& w : c.layers[0].program) {
    if (OpcodeOf(w) != Opcode::kStore) continue;
    const StoreInstr st = DecodeStore(w);
    ASSERT_EQ(st.act_write, 1);
    EXPECT_LE(st.n_bytes, hw.rows);
    EXPECT_LE(st.act_dst + st.ny * st.nx, hw.act_lines);
    lowest = std::min<int64_t>(lowest, st.act_dst);
  }
  EXPECT_GT(lowest, f.written[static_cast<int>(LoadBuf::kAct)]);
}

}  // namespace
}  // namespace sparq
