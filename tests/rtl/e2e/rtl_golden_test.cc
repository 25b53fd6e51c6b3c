// The verilated accelerator (4x4 build, and the 32x32 array on a 256-bit DRAM
// port when it is configured) against golden's layer reference: seeded random
// conv and fc layers compiled by sw/, run on the RTL with DRAM latency and
// random stalls, every output element compared. The RTL's exact counters
// (instructions, rows, MACs) must also equal the machine model's.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <tuple>

#include "golden/network.h"
#include "golden/errors.h"
#include "sim/checker.h"
#include "sim/model_device.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/runtime.h"
#include "tests/common/build_paths.h"
#include "tests/common/cmsis_cases.h"
#include "tests/common/random_layers.h"
#include "tests/common/rtl_options.h"

namespace sparq {
namespace {

constexpr int kRandomLayers = 120;

// The DRAM timing of `hw` drawn from the seed.
HwConfig DramForSeed(HwConfig hw, uint32_t seed) {
  SplitMix64 rng(seed);
  const int latencies[] = {1, 2, 7, 20, 63};
  hw.dram_latency = latencies[RandInt(&rng, 0, 4)];
  const double stalls[] = {0.0, 0.1, 0.35};
  hw.dram_stall = stalls[RandInt(&rng, 0, 2)];
  hw.dram_stall_seed = seed + 1;
  return hw;
}

void ExpectLayerMatchesGolden(const Network& net, const HwConfig& hw) {
  SCOPED_TRACE(DescribeLayer(net) + " on " + hw.BuildName() + ", " +
               hw.TimingString());
  const CompiledNetwork compiled = Compile(net, hw);
  const auto ref = RunNetworkReference(net);

  auto rtl = MakeRtlDevice(hw, Patient());
  const std::vector<LayerRun> runs = RunNetwork(net, compiled, *rtl);
  ASSERT_EQ(runs.size(), 1u);
  const CompareResult r = CompareTensors(ref.at("layer"), runs[0].output);
  EXPECT_TRUE(r.ok()) << DescribeMismatch("layer", r);
  EXPECT_EQ(r.compared, ref.at("layer").size());

  auto model = MakeModelDevice(hw);
  const std::vector<LayerRun> mruns = RunNetwork(net, compiled, *model);
  const PerfCounters& a = runs[0].counters;
  const PerfCounters& m = mruns[0].counters;
  for (int c : {kCtrInstrs, kCtrArrayBusy, kCtrMacsIssued, kCtrUsefulMacs}) {
    EXPECT_EQ(a[c], m[c]) << CounterName(c);
  }
  EXPECT_EQ(a[kCtrUsefulMacs], runs[0].macs);
  EXPECT_GT(a[kCtrCycles], a[kCtrArrayBusy]);
}

// Narrow first layers (dense im2col), a 1x80 kernel split into parts, and
// inputs wider / higher than the LOAD's 12-bit fields, on the 4x4 RTL.
TEST(RtlNarrowAndWideTest, MatchGoldenEveryElement) {
  SplitMix64 rng(2024);
  std::vector<Network> nets;
  ConvGeometry s2;
  s2.stride_h = s2.stride_w = 2;
  s2.pad_bottom = s2.pad_right = 1;
  nets.push_back(OneLayerNetwork(
      &rng, {1, 24, 24, 1}, RandomConvLayer(&rng, "layer", 1, 8, 3, 3, s2)));
  ConvGeometry kws;
  kws.stride_h = kws.stride_w = 2;
  kws.pad_top = 4;
  kws.pad_bottom = 5;
  kws.pad_left = kws.pad_right = 1;
  nets.push_back(OneLayerNetwork(
      &rng, {1, 49, 10, 1}, RandomConvLayer(&rng, "layer", 1, 12, 10, 4, kws)));
  ConvGeometry rgb;
  rgb.stride_h = rgb.stride_w = 2;
  rgb.pad_top = rgb.pad_left = rgb.pad_bottom = rgb.pad_right = 3;
  nets.push_back(OneLayerNetwork(
      &rng, {1, 18, 18, 3}, RandomConvLayer(&rng, "layer", 3, 6, 7, 7, rgb)));
  ConvGeometry s4;
  s4.stride_w = 4;
  nets.push_back(OneLayerNetwork(
      &rng, {1, 1, 16000, 1}, RandomConvLayer(&rng, "layer", 1, 8, 1, 80, s4)));
  ConvGeometry same;
  same.pad_left = 40;
  same.pad_right = 39;
  nets.push_back(OneLayerNetwork(
      &rng, {1, 2, 120, 4}, RandomConvLayer(&rng, "layer", 4, 5, 1, 80, same)));
  ConvGeometry tall;
  tall.stride_h = 2;
  tall.pad_top = tall.pad_bottom = 8;
  tall.pad_left = 1;
  nets.push_back(OneLayerNetwork(
      &rng, {1, 4200, 2, 2}, RandomConvLayer(&rng, "layer", 2, 3, 17, 2, tall)));
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.dram_bytes = 1 << 24;
  for (size_t n = 0; n < nets.size(); ++n) {
    ExpectLayerMatchesGolden(nets[n], DramForSeed(hw, static_cast<uint32_t>(n)));
  }
}

class RtlRandomLayerTest : public ::testing::TestWithParam<int> {};

TEST_P(RtlRandomLayerTest, MatchesGoldenEveryElement) {
  const uint32_t seed = static_cast<uint32_t>(GetParam());
  ExpectLayerMatchesGolden(RandomLayerNetwork(seed),
                           DramForSeed(HwConfig::ForArray(4, 4), seed));
}

INSTANTIATE_TEST_SUITE_P(Seeds, RtlRandomLayerTest,
                         ::testing::Range(0, kRandomLayers));

// The low-precision modes on the same random layers (conv and fc, groups,
// depthwise, padding, stride, dilation), weights redrawn in the mode's range.
constexpr int kRandomModeLayers = 60;

class RtlModeLayerTest
    : public ::testing::TestWithParam<std::tuple<Precision, int>> {};

TEST_P(RtlModeLayerTest, MatchesGoldenEveryElement) {
  const auto [precision, s] = GetParam();
  const uint32_t seed = static_cast<uint32_t>(s);
  RandomLayerOptions opts;
  opts.precision = precision;
  ExpectLayerMatchesGolden(RandomLayerNetwork(seed, opts),
                           DramForSeed(HwConfig::ForArray(4, 4), seed));
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, RtlModeLayerTest,
    ::testing::Combine(::testing::Values(Precision::kA8W4, Precision::kA8W2,
                                         Precision::kA4W4),
                       ::testing::Range(0, kRandomModeLayers)),
    [](const ::testing::TestParamInfo<RtlModeLayerTest::ParamType>& info) {
      return std::string(PrecisionName(std::get<0>(info.param))) + "_" +
             std::to_string(std::get<1>(info.param));
    });

// The CMSIS-NN vectors with int8 activations (tests/data/cmsis_nn, expected
// outputs from the TFLite interpreter) on the 4x4 RTL: the packed-int4-weight
// cases (basic_int4, conv_2_int4, conv_3_int4, depthwise_int4_1,
// fully_connected_int4, fully_connected_int4_2, kernel1x1_int4,
// stride2pad1_int4) in A8W4, the int8 ones in A8W8; every output element
// against TFLite's.
class RtlCmsisCaseTest : public ::testing::TestWithParam<std::string> {};

std::string CmsisDir() {
  return std::string(SPARQ_SOURCE_DIR) + "/tests/data/cmsis_nn";
}

std::vector<std::string> CmsisInt8ActCases() {
  std::vector<std::string> out;
  for (const std::string& name : ListCmsisCases(CmsisDir())) {
    if (LoadCmsisCase(CmsisDir(), name).act_bits == 8) out.push_back(name);
  }
  return out;
}

TEST_P(RtlCmsisCaseTest, MatchesTfliteEveryElement) {
  const CmsisCase c = LoadCmsisCase(CmsisDir(), GetParam());
  const Network net = CmsisLayerNetwork(c);
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.dram_latency = 9;
  hw.dram_stall = 0.1;
  const CompiledNetwork compiled = Compile(net, hw);
  auto rtl = MakeRtlDevice(hw, Patient());
  const std::vector<LayerRun> runs = RunNetwork(net, compiled, *rtl);
  ASSERT_EQ(runs.size(), 1u);
  const CompareResult r = CompareTensors(c.output8, runs[0].output);
  EXPECT_TRUE(r.ok()) << DescribeMismatch(c.name, r);
  EXPECT_EQ(r.compared, c.output8.size());
}

INSTANTIATE_TEST_SUITE_P(Vectors, RtlCmsisCaseTest,
                         ::testing::ValuesIn(CmsisInt8ActCases()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param;
                         });

#ifdef SPARQ_TEST_RTL_32X32_256
// A 32x32 array on a 256-bit port: 32-byte lines fill a beat, so every DRAM
// data path runs at a width the 4x4 and 16x16 builds never use. Channels up to
// 80 span several 32-wide tiles.
constexpr int kRandomLayers32 = 16;

class Rtl32x32RandomLayerTest : public ::testing::TestWithParam<int> {};

TEST_P(Rtl32x32RandomLayerTest, MatchesGoldenEveryElement) {
  const uint32_t seed = static_cast<uint32_t>(GetParam());
  RandomLayerOptions opts;
  opts.max_channels = 80;
  ExpectLayerMatchesGolden(RandomLayerNetwork(seed, opts),
                           DramForSeed(HwConfig::ForArray(32, 32, 256), seed));
}

INSTANTIATE_TEST_SUITE_P(Seeds, Rtl32x32RandomLayerTest,
                         ::testing::Range(0, kRandomLayers32));
#endif

// conv -> maxpool -> conv -> add (residual) -> flatten -> fc, chained through
// DRAM with host layers in between.
// Consecutive A4W4 layers: the STOREs of c1 write int4 (two channels per
// byte) that c2 and the depthwise d1 gather directly, a host max pool reads
// c2 through the runtime's unpacking and writes int4 for the fc; every
// output element of every layer compared.
TEST(RtlNetworkTest, ChainedA4W4LayersStoreInt4) {
  SplitMix64 rng(77);
  Network net;
  net.name = "a4w4_chain";
  net.input = RandomTensor(&rng, {1, 9, 7, 5}, -8, 7);
  auto layer = [&](const std::string& name, const std::string& in,
                   LayerKind kind, const Shape& wshape) {
    Layer l;
    l.name = name;
    l.kind = kind;
    l.inputs = {in};
    l.precision = Precision::kA4W4;
    l.weights = RandomTensor(&rng, wshape, -8, 7);
    const int cout = wshape[0];
    for (int c = 0; c < cout; ++c) l.bias.push_back(RandInt(&rng, -40, 40));
    l.quant.multiplier.assign(static_cast<size_t>(cout), 1518500250);
    l.quant.shift.assign(static_cast<size_t>(cout), -5);
    l.quant.in_zp = RandInt(&rng, -3, 3);
    l.quant.out_zp = RandInt(&rng, -2, 2);
    l.quant.act_min = -8;
    l.quant.act_max = 7;
    return l;
  };
  Layer c1 = layer("c1", "input", LayerKind::kConv, {6, 3, 3, 5});
  c1.geom.pad_top = c1.geom.pad_left = c1.geom.pad_bottom = c1.geom.pad_right = 1;
  net.layers.push_back(c1);
  Layer c2 = layer("c2", "c1", LayerKind::kConv, {7, 3, 3, 6});
  c2.geom.stride_h = c2.geom.stride_w = 2;
  c2.quant.in_zp = c1.quant.out_zp;
  net.layers.push_back(c2);
  Layer d1 = layer("d1", "c1", LayerKind::kConv, {6, 3, 3, 1});
  d1.geom.groups = 6;
  d1.geom.pad_top = d1.geom.pad_left = 1;
  d1.quant.in_zp = c1.quant.out_zp;
  net.layers.push_back(d1);
  Layer pool;
  pool.name = "pool";
  pool.kind = LayerKind::kMaxPool;
  pool.inputs = {"c2"};
  pool.pool.stride_h = pool.pool.stride_w = 1;
  net.layers.push_back(pool);
  net.layers.push_back(layer("fc", "pool", LayerKind::kFc, {5, 3 * 2 * 7}));
  net.layers.back().quant.in_zp = c2.quant.out_zp;

  const auto ref = RunNetworkReference(net);
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.dram_latency = 13;
  hw.dram_stall = 0.2;
  const CompiledNetwork compiled = Compile(net, hw);
  for (const char* t : {"input", "c1", "pool"}) {
    EXPECT_TRUE(compiled.tensors.at(t).int4) << t;
  }
  for (const char* t : {"c2", "d1", "fc"}) {
    EXPECT_FALSE(compiled.tensors.at(t).int4) << t;
  }
  // 9x7 pixels of 6 int4 channels: 3 bytes each.
  EXPECT_EQ(compiled.tensors.at("c1").bytes, 9u * 7u * 3u);
  int int4_stores = 0;
  for (const InstrWord& w : compiled.layers[0].program) {
    if (OpcodeOf(w) == Opcode::kStore) {
      EXPECT_EQ(DecodeStore(w).out_int4, 1);
      ++int4_stores;
    }
  }
  EXPECT_GT(int4_stores, 0);
  auto rtl = MakeRtlDevice(hw);
  const std::vector<LayerRun> runs = RunNetwork(net, compiled, *rtl);
  ASSERT_EQ(runs.size(), net.layers.size());
  for (const LayerRun& run : runs) {
    const CompareResult r = CompareTensors(ref.at(run.name), run.output);
    EXPECT_TRUE(r.ok()) << DescribeMismatch(run.name, r);
    EXPECT_EQ(r.compared, ref.at(run.name).size()) << run.name;
  }
  auto model = MakeModelDevice(hw);
  const std::vector<LayerRun> mruns = RunNetwork(net, compiled, *model);
  for (const LayerRun& run : mruns) {
    const CompareResult r = CompareTensors(ref.at(run.name), run.output);
    EXPECT_TRUE(r.ok()) << "model: " << DescribeMismatch(run.name, r);
  }
}

TEST(RtlNetworkTest, ResidualChainMatchesGolden) {
  Network a = RandomLayerNetwork(1000);
  SplitMix64 rng(5);
  Network net;
  net.name = "chain";
  net.input = RandomTensor(&rng, {1, 11, 9, 6});
  auto conv = [&](const std::string& name, const std::string& in, int cin,
                  int cout) {
    Layer l = a.layers.front();
    l.name = name;
    l.kind = LayerKind::kConv;
    l.inputs = {in};
    l.geom = ConvGeometry{};
    l.geom.pad_top = l.geom.pad_left = l.geom.pad_bottom = l.geom.pad_right = 1;
    l.weights = RandomTensor(&rng, {cout, 3, 3, cin}, -127, 127);
    l.bias.assign(static_cast<size_t>(cout), 100);
    l.quant.multiplier.assign(static_cast<size_t>(cout), 1518500250);
    l.quant.shift.assign(static_cast<size_t>(cout), -9);
    return l;
  };
  net.layers.push_back(conv("c1", "input", 6, 8));
  Layer pool;
  pool.name = "pool";
  pool.kind = LayerKind::kMaxPool;
  pool.inputs = {"c1"};
  net.layers.push_back(pool);
  net.layers.push_back(conv("c2", "pool", 8, 8));
  Layer add;
  add.name = "add";
  add.kind = LayerKind::kAdd;
  add.inputs = {"c2", "pool"};
  add.add.a_scale = 0.05;
  add.add.b_scale = 0.04;
  add.add.out_scale = 0.07;
  net.layers.push_back(add);
  Layer flat;
  flat.name = "flat";
  flat.kind = LayerKind::kFlatten;
  flat.inputs = {"add"};
  net.layers.push_back(flat);
  Layer fc = a.layers.front();
  fc.name = "fc";
  fc.kind = LayerKind::kFc;
  fc.inputs = {"flat"};
  fc.weights = RandomTensor(&rng, {10, 5 * 4 * 8}, -127, 127);
  fc.bias.assign(10, -50);
  fc.quant.multiplier.assign(10, 1518500250);
  fc.quant.shift.assign(10, -9);
  net.layers.push_back(fc);

  const auto ref = RunNetworkReference(net);
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.dram_latency = 13;
  hw.dram_stall = 0.2;
  const CompiledNetwork compiled = Compile(net, hw);
  auto rtl = MakeRtlDevice(hw);
  const std::vector<LayerRun> runs = RunNetwork(net, compiled, *rtl);
  ASSERT_EQ(runs.size(), net.layers.size());
  for (const LayerRun& run : runs) {
    const CompareResult r = CompareTensors(ref.at(run.name), run.output);
    EXPECT_TRUE(r.ok()) << DescribeMismatch(run.name, r);
    EXPECT_EQ(run.host, IsHostLayer(run.kind)) << run.name;
  }
}

TEST(RtlDeviceTest, UnbuiltArraySizeSaysHowToBuildIt) {
  try {
    MakeRtlDevice(HwConfig::ForArray(8, 8));
    FAIL() << "8x8 is not built in tests";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("8x8"), std::string::npos) << msg;
    EXPECT_NE(msg.find("SPARQ_RTL_CONFIGS"), std::string::npos) << msg;
  }
}

// The DRAM width is part of a build's name: a 16x16 array on a 256-bit port
// is another simulator than the default 16x16.
TEST(RtlDeviceTest, UnbuiltDramWidthNamesTheBuildAndItsTarget) {
  try {
    MakeRtlDevice(HwConfig::ForArray(16, 16, 256));
    FAIL() << "16x16@256 is not built in tests";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("no RTL simulator is built for 16x16@256"),
              std::string::npos) << msg;
    EXPECT_NE(msg.find(";16x16@256\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("--target sparq_rtl_16x16_256"), std::string::npos)
        << msg;
  }
}

// The trace holds the top-level ports and only the requested cycle window.
TEST(RtlTraceTest, FstHoldsRequestedWindow) {
  const std::string fst = std::string(SPARQ_BINARY_DIR) + "/rtl_trace_test.fst";
  std::remove(fst.c_str());
  const Network net = RandomLayerNetwork(3);
  const CompiledNetwork compiled = Compile(net, HwConfig::ForArray(4, 4));
  RtlOptions o;
  o.trace_file = fst;
  o.trace_from = 20;
  o.trace_to = 120;
  {
    auto rtl = MakeRtlDevice(HwConfig::ForArray(4, 4), o);
    RunNetwork(net, compiled, *rtl);
  }
  const std::string vcd = fst + ".vcd";
  const std::string cmd = "fst2vcd " + fst + " > " + vcd;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(vcd);
  std::string line;
  bool has_clk = false, has_cmd = false;
  long first = -1, last = -1;
  while (std::getline(in, line)) {
    if (line.find("$var") != std::string::npos) {
      has_clk = has_clk || line.find(" clk_i ") != std::string::npos;
      has_cmd = has_cmd || line.find(" cmd_valid_i ") != std::string::npos;
    }
    if (!line.empty() && line[0] == '#') {
      const long t = std::stol(line.substr(1));
      if (first < 0) first = t;
      last = t;
    }
  }
  EXPECT_TRUE(has_clk);
  EXPECT_TRUE(has_cmd);
  // 1 ns per cycle at 100 ps resolution: cycle c's low phase at 10c, its
  // rising edge at 10c + 5.
  EXPECT_EQ(first, 10 * 20);
  EXPECT_EQ(last, 10 * 120 + 5);
  std::remove(vcd.c_str());
  std::remove(fst.c_str());
}

}  // namespace
}  // namespace sparq
