// A1W1 on the verilated 4x4 array: seeded random binary conv and fc layers
// (odd channel counts, Cin not a multiple of 8, padding, stride, dilation,
// groups), a chained a1w1 network whose intermediate tensors stay binary
// in DRAM (STORE out_binary) and two layers whose weights exceed one WGT
// half (the non-resident schedules), compiled by sw/, run with DRAM latency and
// stalls; every output element against golden's XNOR reference
// (golden/binary.h), the RTL's exact counters against the machine model's.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "golden/network.h"
#include "sim/checker.h"
#include "sim/model_device.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/runtime.h"
#include "tests/common/random_layers.h"
#include "tests/common/rtl_options.h"

namespace sparq {
namespace {

constexpr int kRandomA1W1Layers = 60;

// Every layer's output (binary ones unpacked by the runtime) against golden.
void ExpectNetworkMatchesGolden(const Network& net, const HwConfig& hw) {
  SCOPED_TRACE(DescribeLayer(net) + " on " + hw.BuildName() + ", " +
               hw.TimingString());
  const CompiledNetwork compiled = Compile(net, hw);
  const auto ref = RunNetworkReference(net);
  auto rtl = MakeRtlDevice(hw, Patient());
  const std::vector<LayerRun> runs = RunNetwork(net, compiled, *rtl);
  auto model = MakeModelDevice(hw);
  const std::vector<LayerRun> mruns = RunNetwork(net, compiled, *model);
  ASSERT_EQ(runs.size(), net.layers.size());
  for (size_t n = 0; n < runs.size(); ++n) {
    const std::string& name = net.layers[n].name;
    const CompareResult r = CompareTensors(ref.at(name), runs[n].output);
    EXPECT_TRUE(r.ok()) << DescribeMismatch(name, r);
    EXPECT_EQ(r.compared, ref.at(name).size());
    const PerfCounters& a = runs[n].counters;
    const PerfCounters& m = mruns[n].counters;
    for (int c : {kCtrInstrs, kCtrArrayBusy, kCtrMacsIssued, kCtrUsefulMacs}) {
      EXPECT_EQ(a[c], m[c]) << name << " " << CounterName(c);
    }
    EXPECT_EQ(a[kCtrUsefulMacs], runs[n].macs) << name;
  }
}

class RtlA1W1LayerTest : public ::testing::TestWithParam<int> {};

TEST_P(RtlA1W1LayerTest, MatchesGoldenEveryElement) {
  const uint32_t seed = static_cast<uint32_t>(GetParam());
  ExpectNetworkMatchesGolden(RandomA1W1Network(seed), Hw4x4RandomDram(seed));
}

INSTANTIATE_TEST_SUITE_P(Seeds, RtlA1W1LayerTest,
                         ::testing::Range(1, kRandomA1W1Layers + 1));

// Requantization by exactly 2 plus 1 into [-1, 1]: the sign of the
// accumulator as +-1 (golden/compress/quantize.h, sign outputs).
void SignOutput(Layer* l) {
  const int outs = l->weights.dim(0);
  l->quant.multiplier.assign(static_cast<size_t>(outs), 1 << 30);
  l->quant.shift.assign(static_cast<size_t>(outs), 2);
  l->quant.out_zp = 1;
  l->quant.act_min = -1;
  l->quant.act_max = 1;
}

// conv (3x3, pad 1) -> conv (3x3, stride 2, pad 1) -> fc, all a1w1: c1 and c2
// write their sign outputs binary (one byte per pixel: C = 4 outputs fit one
// STORE that starts on a byte), so no tensor between them is int8 in DRAM.
TEST(RtlA1W1NetworkTest, ChainedLayersStoreBinary) {
  SplitMix64 rng(77);
  Network net;
  net.name = "a1w1_chain";
  net.input = Tensor<int8_t>({1, 9, 7, 13});
  RandomizeSigns(&rng, &net.input);
  ConvGeometry g;
  g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = 1;
  Layer c1 = RandomConvLayer(&rng, "c1", 13, 4, 3, 3, g);
  NarrowLayer(&rng, Precision::kA1W1, &c1);
  SignOutput(&c1);
  ConvGeometry g2;
  g2.stride_h = g2.stride_w = 2;
  g2.pad_top = g2.pad_left = 1;
  Layer c2 = RandomConvLayer(&rng, "c2", 4, 3, 3, 3, g2);
  c2.inputs = {"c1"};
  NarrowLayer(&rng, Precision::kA1W1, &c2);
  SignOutput(&c2);
  Layer fc = RandomFcLayer(&rng, "fc", 4 * 3 * 3, 6);
  fc.inputs = {"c2"};
  NarrowLayer(&rng, Precision::kA1W1, &fc);
  net.layers = {c1, c2, fc};
  const HwConfig hw = Hw4x4RandomDram(5);
  const CompiledNetwork c = Compile(net, hw);
  EXPECT_TRUE(c.tensors.at("input").binary);
  EXPECT_TRUE(c.tensors.at("c1").binary);
  EXPECT_TRUE(c.tensors.at("c2").binary);
  EXPECT_EQ(c.tensors.at("c1").bytes, 9u * 7u);
  // Both sign outputs hold both signs (a test of the bit polarity).
  const auto ref = RunNetworkReference(net);
  for (const char* name : {"c1", "c2"}) {
    const auto& d = ref.at(name).data;
    EXPECT_NE(std::count(d.begin(), d.end(), 1), 0) << name;
    EXPECT_NE(std::count(d.begin(), d.end(), -1), 0) << name;
  }
  ExpectNetworkMatchesGolden(net, hw);
}

// The A1W1 schedules for layers whose weights do not fit one WGT half (the
// random layers above are small enough to keep theirs resident): an fc of
// 8-tile blocks that rotate through 4 WGT regions, their LOADs 3 blocks
// ahead; a padded conv with 9 border classes over 3 PARAM ranges, whose
// STOREs are spread over the next step's GEMMs except at a range's end.
TEST(RtlA1W1ScheduleTest, LayersBeyondOneWgtHalf) {
  SplitMix64 rng(91);
  Network fc;
  fc.name = "a1w1_fc";
  fc.input = Tensor<int8_t>({2, 256});
  RandomizeSigns(&rng, &fc.input);
  Layer f = RandomFcLayer(&rng, "fc", 256, 600);
  NarrowLayer(&rng, Precision::kA1W1, &f);
  fc.layers = {f};
  ExpectNetworkMatchesGolden(fc, Hw4x4RandomDram(7));

  Network conv;
  conv.name = "a1w1_conv";
  conv.input = Tensor<int8_t>({1, 10, 9, 16});
  RandomizeSigns(&rng, &conv.input);
  ConvGeometry g;
  g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = 1;
  Layer c = RandomConvLayer(&rng, "conv", 16, 240, 3, 3, g);
  NarrowLayer(&rng, Precision::kA1W1, &c);
  conv.layers = {c};
  ExpectNetworkMatchesGolden(conv, Hw4x4RandomDram(8));
}

}  // namespace
}  // namespace sparq
