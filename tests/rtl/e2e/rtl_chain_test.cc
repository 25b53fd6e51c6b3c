// Chaining (sw/chain.h) end to end on the verilated 4x4 build: a 1x1 conv's
// STOREs also write the next depthwise layer's input into ACT (STORE
// act_write, sharing the ACT write port with the LOAD engine) and prefetch
// its constants, and the depthwise program loads nothing. Seeded random
// chains (stride 1 and 2, padding, 4..3R channels, multipliers 1, 2, 4,
// batch 2, random DRAM timing) and networks that must not chain: every
// output element of every layer against golden on the RTL and the model,
// and the executors' exact counters equal. person_detect on the 16x16
// machine model: every conv -> depthwise pair outside pair mode chains, and
// every layer stays exact.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "golden/network.h"
#include "sim/checker.h"
#include "sim/model_device.h"
#include "sim/network_yaml.h"
#include "sim/rtl_device.h"
#include "sim/tflite/importer.h"
#include "sw/compiler.h"
#include "sw/runtime.h"
#include "tests/common/build_paths.h"
#include "tests/common/chain_networks.h"
#include "tests/common/random_layers.h"
#include "tests/common/rtl_options.h"

namespace sparq {
namespace {

constexpr int kRandomChains = 24;

// Runs `c` on the RTL and the model; every layer exact on both, the exact
// counters equal. Returns the RTL runs.
std::vector<LayerRun> ExpectMatches(const Network& net,
                                    const CompiledNetwork& c,
                                    const HwConfig& hw,
                                    const std::string& what) {
  const auto ref = RunNetworkReference(net);
  auto rtl = MakeRtlDevice(hw, Patient());
  auto model = MakeModelDevice(hw);
  const std::vector<LayerRun> runs = RunNetwork(net, c, *rtl);
  const std::vector<LayerRun> mruns = RunNetwork(net, c, *model);
  EXPECT_EQ(runs.size(), net.layers.size()) << what;
  EXPECT_EQ(mruns.size(), net.layers.size()) << what;
  if (runs.size() != net.layers.size() || mruns.size() != runs.size()) {
    return runs;
  }
  for (size_t k = 0; k < runs.size(); ++k) {
    const std::string& name = runs[k].name;
    const CompareResult r = CompareTensors(ref.at(name), runs[k].output);
    EXPECT_TRUE(r.ok()) << what << " rtl: " << DescribeMismatch(name, r);
    EXPECT_EQ(r.compared, ref.at(name).size()) << what << " " << name;
    const CompareResult m = CompareTensors(ref.at(name), mruns[k].output);
    EXPECT_TRUE(m.ok()) << what << " model: " << DescribeMismatch(name, m);
    EXPECT_EQ(m.compared, ref.at(name).size()) << what << " " << name;
    if (runs[k].host) continue;
    for (int ctr : {kCtrInstrs, kCtrUsefulMacs, kCtrDwUsefulMacs,
                    kCtrArrayBusy, kCtrMacsIssued, kCtrDwBusy}) {
      EXPECT_EQ(runs[k].counters[ctr], mruns[k].counters[ctr])
          << what << " " << name << " " << CounterName(ctr);
    }
    EXPECT_EQ(runs[k].counters[kCtrUsefulMacs], runs[k].macs)
        << what << " " << name;
  }
  return runs;
}

TEST(RtlChainTest, RandomChainsMatchGoldenOnRtlAndModel) {
  for (uint32_t seed = 0; seed < kRandomChains; ++seed) {
    const HwConfig hw = Hw4x4RandomDram(seed + 400);
    const Network net = RandomChainNetwork(seed, hw.rows);
    const std::string what = "seed " + std::to_string(seed);
    const CompiledNetwork c = Compile(net, hw);
    ASSERT_GT(CountActWriteStores(c.layers[0].program), 0) << what;
    ASSERT_EQ(CountLoads(c.layers[1].program), 0) << what;
    ExpectMatches(net, c, hw, what);
    if (HasFailure()) return;
  }
}

// A conv of several M tiles: its next fills load into ACT while its STOREs
// write the chained lines, so the STOREs wait for the port (counted in
// stall_store_dram, which the DRAM alone never stalls here); it also
// prefetches the depthwise constants, so the depthwise program loads nothing.
TEST(RtlChainTest, ChainedStoresShareTheActPortWithLoads) {
  HwConfig hw = HwConfig::ForArray(4, 4);
  SplitMix64 rng(77);
  Network net;
  net.name = "contention";
  net.input = RandomTensor(&rng, {1, 30, 30, 3});
  net.layers.push_back(
      RandomConvLayer(&rng, "pw", 3, 8, 1, 1, ConvGeometry()));
  ConvGeometry g;
  g.groups = 8;
  g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = 1;
  Layer dw = RandomConvLayer(&rng, "dw", 8, 8, 3, 3, g);
  dw.inputs = {"pw"};
  net.layers.push_back(dw);
  const CompiledNetwork c = Compile(net, hw);
  ASSERT_GT(CountActWriteStores(c.layers[0].program), 0);
  ASSERT_GT(CountActLoads(c.layers[0].program), 1);
  ASSERT_EQ(CountLoads(c.layers[1].program), 0);
  const std::vector<LayerRun> runs = ExpectMatches(net, c, hw, "contention");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_GT(runs[0].counters[kCtrStallStoreDram], 0u);
}

TEST(RtlChainTest, NetworksThatMustNotChainStayExact) {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  for (const NoChainCase k : {NoChainCase::kTwoReaders,
                              NoChainCase::kHostBetween,
                              NoChainCase::kPairMode}) {
    const Network net = NoChainNetwork(k, 3, hw.rows);
    const CompiledNetwork c = Compile(net, hw);
    for (const CompiledLayer& l : c.layers) {
      EXPECT_EQ(CountActWriteStores(l.program), 0) << l.name;
    }
    ExpectMatches(net, c, hw, "case " + std::to_string(static_cast<int>(k)));
  }
}

TEST(ChainModelTest, PersonDetectOn16x16ChainsItsPairsAndMatchesGolden) {
  namespace fs = std::filesystem;
  const std::string model =
      std::string(SPARQ_SOURCE_DIR) + "/tests/data/tflite/person_detect.tflite";
  const fs::path dir = fs::temp_directory_path() /
                       ("sparq_chain_person_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  WriteTfliteImport(ImportTflite(model, TfliteImportOptions{}), dir.string(),
                    "model.yaml");
  const RunConfig cfg = LoadRunConfig((dir / "model.yaml").string());
  fs::remove_all(dir);
  const HwConfig hw = HwConfig::ForArray(16, 16);
  const CompiledNetwork c = Compile(cfg.net, hw);
  // op002 -> op003 .. op024 -> op025: twelve 1x1 convs feed the depthwise
  // layer after them (op000 -> op001 does not: op001 runs in pair mode).
  int chained = 0;
  for (size_t k = 0; k + 1 < c.layers.size(); ++k) {
    if (CountActWriteStores(c.layers[k].program) > 0) {
      ++chained;
      EXPECT_EQ(CountLoads(c.layers[k + 1].program), 0) << c.layers[k + 1].name;
    }
  }
  EXPECT_EQ(chained, 12);
  const auto ref = RunNetworkReference(cfg.net);
  auto dev = MakeModelDevice(hw);
  const std::vector<LayerRun> runs = RunNetwork(cfg.net, c, *dev);
  ASSERT_EQ(runs.size(), cfg.net.layers.size());
  for (const LayerRun& r : runs) {
    const CompareResult m = CompareTensors(ref.at(r.name), r.output);
    EXPECT_TRUE(m.ok()) << DescribeMismatch(r.name, m);
    EXPECT_EQ(m.compared, ref.at(r.name).size()) << r.name;
  }
}

}  // namespace
}  // namespace sparq
