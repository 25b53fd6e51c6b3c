// The 4x4-nonm build (sparq_top NmSparse = 0: the array without its 2:4
// mode, SPARQ_RTL_CONFIGS entry "4x4-nonm"): random dense layers of every
// mode and CMSIS-NN int16x8 vectors compiled for it and run on its RTL and
// on the machine model, every output element compared with golden's layer
// reference and the exact counters compared; a layer forced onto the 2:4
// mode is an input error naming the layer, the field and the build, and
// `engine: auto` keeps a 2:4-pruned layer dense there. Configured only where
// the build exists (make test-wide), so `make test` verilates no extra
// configuration.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "golden/errors.h"
#include "golden/int16_layers.h"
#include "golden/network.h"
#include "sim/checker.h"
#include "sim/model_device.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/isa.h"
#include "sw/runtime.h"
#include "tests/common/build_paths.h"
#include "tests/common/cmsis_cases.h"
#include "tests/common/random_layers.h"
#include "tests/common/rtl_options.h"

namespace sparq {
namespace {

// The 4x4 array without the 2:4 mode, its DRAM timing drawn from `seed`.
HwConfig Nonm4x4(uint64_t seed) {
  HwConfig hw = Hw4x4RandomDram(seed);
  hw.nm24 = false;
  return hw;
}

int GemmsInMode(const CompiledNetwork& c, int mode) {
  int n = 0;
  for (const InstrWord& w : c.layers[0].program) {
    if (OpcodeOf(w) == Opcode::kGemm && DecodeGemm(w).mode == mode) ++n;
  }
  return n;
}

// Runs the one-layer `net` (layer "layer") on the RTL and the model of `hw`
// and compares every element of both with `want`, and their counters.
void ExpectRunsMatch(const Network& net, const HwConfig& hw,
                     const Tensor<int8_t>& want) {
  SCOPED_TRACE(DescribeLayer(net) + " on " + hw.BuildName() + ", " +
               hw.TimingString());
  const CompiledNetwork compiled = Compile(net, hw);
  ASSERT_EQ(compiled.layers.size(), 1u);
  EXPECT_NE(compiled.layers[0].engine, LayerEngine::kNm24);
  EXPECT_EQ(GemmsInMode(compiled, kGemmModeN24W8), 0);
  auto rtl = MakeRtlDevice(hw, Patient());
  const std::vector<LayerRun> runs = RunNetwork(net, compiled, *rtl);
  auto model = MakeModelDevice(hw);
  const std::vector<LayerRun> mruns = RunNetwork(net, compiled, *model);
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(mruns.size(), 1u);
  for (const auto& [what, out] : {std::make_pair("rtl", &runs[0].output),
                                  std::make_pair("model", &mruns[0].output)}) {
    const CompareResult r = CompareTensors(want, *out);
    EXPECT_TRUE(r.ok()) << what << ": " << DescribeMismatch("layer", r);
    EXPECT_EQ(r.compared, want.size()) << what;
  }
  const PerfCounters& a = runs[0].counters;
  const PerfCounters& m = mruns[0].counters;
  for (int c : {kCtrInstrs, kCtrArrayBusy, kCtrMacsIssued, kCtrUsefulMacs}) {
    EXPECT_EQ(a[c], m[c]) << CounterName(c);
  }
  EXPECT_EQ(a[kCtrUsefulMacs], runs[0].macs);
}

void ExpectMatchesGolden(const Network& net, const HwConfig& hw) {
  ExpectRunsMatch(net, hw, RunNetworkReference(net).at("layer"));
}

// The build is listed under its name, and its device comes up: the RTL
// device compares config register 23 (NmSparse, 0 here) with HwConfig::nm24
// when it is made and throws DeviceError when they differ.
TEST(NonmBuildTest, IsBuiltAndMatchesHwConfig) {
  const std::vector<RtlBuild> built = BuiltRtlArrays();
  const RtlBuild nonm{4, 4, 128, false};
  EXPECT_NE(std::find(built.begin(), built.end(), nonm), built.end());
  EXPECT_EQ(nonm.Name(), "4x4-nonm");
  EXPECT_NO_THROW(MakeRtlDevice(Nonm4x4(1), Patient()));
}

class NonmModeLayerTest
    : public ::testing::TestWithParam<std::tuple<Precision, int>> {};

// Conv and fc, groups, padding, stride, dilation, weights in the mode's range.
TEST_P(NonmModeLayerTest, MatchesGoldenEveryElement) {
  const auto [precision, s] = GetParam();
  const uint64_t seed = static_cast<uint64_t>(s) * 31 + 5;
  if (precision == Precision::kA1W1) {
    ExpectMatchesGolden(RandomA1W1Network(seed), Nonm4x4(seed));
    return;
  }
  RandomLayerOptions opts;
  opts.precision = precision;
  opts.allow_large = false;
  ExpectMatchesGolden(RandomLayerNetwork(seed, opts), Nonm4x4(seed));
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, NonmModeLayerTest,
    ::testing::Combine(::testing::Values(Precision::kA8W8, Precision::kA8W4,
                                         Precision::kA8W2, Precision::kA4W4,
                                         Precision::kA1W1),
                       ::testing::Range(0, 6)),
    [](const ::testing::TestParamInfo<NonmModeLayerTest::ParamType>& info) {
      return std::string(PrecisionName(std::get<0>(info.param))) + "_" +
             std::to_string(std::get<1>(info.param));
    });

// A16W8 (the engine's planar rows on the array): the CMSIS-NN int16x8
// vectors.
class NonmA16W8CmsisTest : public ::testing::TestWithParam<const char*> {};

TEST_P(NonmA16W8CmsisTest, MatchesCmsisEveryElement) {
  const std::string dir =
      std::string(SPARQ_SOURCE_DIR) + "/tests/data/cmsis_nn";
  const CmsisCase c = LoadCmsisCase(dir, GetParam());
  ASSERT_EQ(c.act_bits, 16);
  const Network net = CmsisInt16LayerNetwork(c);
  ExpectRunsMatch(net, Nonm4x4(7), Int16ToBytes(c.output16));
}

INSTANTIATE_TEST_SUITE_P(Vectors, NonmA16W8CmsisTest,
                         ::testing::Values("int16xint8",
                                           "fully_connected_int16"));

// A conv pruned to 2:4 (at most 2 non-zeros per aligned group of 4 input
// channels of a tap).
Network PrunedConv(uint64_t seed) {
  SplitMix64 rng(seed);
  ConvGeometry g;
  Network net = OneLayerNetwork(&rng, {1, 5, 5, 16},
                                RandomConvLayer(&rng, "layer", 16, 8, 1, 1, g));
  int8_t* w = net.layers[0].weights.data.data();
  for (size_t i = 0; i < net.layers[0].weights.size(); ++i) {
    if (i % 4 >= 2) w[i] = 0;
  }
  return net;
}

// `auto` never picks the 2:4 mode on a build without it (and does on the
// build with it, so the layer is one the mode would take).
TEST(NonmBuildTest, AutoKeepsA24LayerDense) {
  const Network net = PrunedConv(3);
  EXPECT_EQ(Compile(net, HwConfig::ForArray(4, 4)).layers[0].engine,
            LayerEngine::kNm24);
  ExpectMatchesGolden(net, Nonm4x4(3));
}

TEST(NonmBuildTest, ForcedNm24IsAnInputErrorNamingLayerFieldAndBuild) {
  Network net = PrunedConv(4);
  net.layers[0].engine = LayerEngine::kNm24;
  try {
    Compile(net, Nonm4x4(4));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("layer"), std::string::npos) << msg;
    EXPECT_NE(msg.find("engine: nm24 needs the array's 2:4 mode, which the "
                       "4x4-nonm build does not have (NmSparse = 0)"),
              std::string::npos)
        << msg;
  }
}

}  // namespace
}  // namespace sparq
