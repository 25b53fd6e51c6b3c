// The array's 2:4 modes (GEMM modes N24W8, and N24W4 for a8w4 layers: int4
// weights) on the verilated 4x4 build: conv
// and fc layers pruned to 2:4 (at most 2 non-zeros in every aligned group of
// 4 input channels of a tap) and forced onto it (engine: nm24), compiled by
// sw/, run on the RTL and on the machine model, every output element
// compared with golden's layer reference (which computes the dense layer);
// the exact counters must agree between the RTL and the model.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/network.h"
#include "sim/checker.h"
#include "sim/model_device.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/cost_model.h"
#include "sw/isa.h"
#include "sw/pack_nm.h"
#include "sw/runtime.h"
#include "tests/common/random_layers.h"
#include "tests/common/rtl_options.h"

namespace sparq {
namespace {

Layer& OnlyLayer(Network* net) { return net->layers.front(); }

// Zeroes weights so that every aligned group of 4 input channels of every
// output channel and tap keeps `keep` (0, 1 or 2; -1: drawn per group) of
// its weights, at random positions.
void PruneTo24(Network* net, uint64_t seed, int keep = -1) {
  SplitMix64 rng(seed);
  Layer& l = OnlyLayer(net);
  const int64_t cin = l.weights.shape.back();
  const int64_t rows = static_cast<int64_t>(l.weights.size()) / cin;
  for (int64_t r = 0; r < rows; ++r) {
    int8_t* w = l.weights.data.data() + r * cin;
    for (int64_t c0 = 0; c0 < cin; c0 += 4) {
      const int n = static_cast<int>(std::min<int64_t>(4, cin - c0));
      const int k = keep >= 0 ? keep : RandInt(&rng, 0, 2);
      std::vector<int> pos = {0, 1, 2, 3};
      for (int i = 3; i > 0; --i) std::swap(pos[i], pos[RandInt(&rng, 0, i)]);
      for (int i = k; i < 4; ++i) {
        if (pos[i] < n) w[c0 + pos[i]] = 0;
      }
    }
  }
}

// The GEMMs of the first layer in `mode`.
int GemmsInMode(const CompiledNetwork& c, int mode) {
  int n = 0;
  for (const InstrWord& w : c.layers[0].program) {
    if (OpcodeOf(w) == Opcode::kGemm && DecodeGemm(w).mode == mode) ++n;
  }
  return n;
}

// Runs `net` (one layer named "layer", engine nm24) on the RTL and the
// model; returns the RTL counters.
PerfCounters ExpectNm24MatchesGolden(Network net, const HwConfig& hw) {
  OnlyLayer(&net).engine = LayerEngine::kNm24;
  SCOPED_TRACE(DescribeLayer(net) + " on " + hw.BuildName() + ", " +
               hw.TimingString());
  EXPECT_EQ(Nm24Violation(OnlyLayer(&net)), "");
  const CompiledNetwork compiled = Compile(net, hw);
  EXPECT_EQ(compiled.layers[0].engine, LayerEngine::kNm24);
  const bool w4 = OnlyLayer(&net).precision == Precision::kA8W4;
  EXPECT_GT(GemmsInMode(compiled, w4 ? kGemmModeN24W4 : kGemmModeN24W8), 0);
  EXPECT_EQ(GemmsInMode(compiled, w4 ? kGemmModeN24W8 : kGemmModeN24W4), 0);
  const auto ref = RunNetworkReference(net);

  auto rtl = MakeRtlDevice(hw, Patient());
  const std::vector<LayerRun> runs = RunNetwork(net, compiled, *rtl);
  const CompareResult r = CompareTensors(ref.at("layer"), runs.at(0).output);
  EXPECT_TRUE(r.ok()) << DescribeMismatch("layer", r);
  EXPECT_EQ(r.compared, ref.at("layer").size());

  auto model = MakeModelDevice(hw);
  const std::vector<LayerRun> mruns = RunNetwork(net, compiled, *model);
  const CompareResult rm = CompareTensors(ref.at("layer"), mruns.at(0).output);
  EXPECT_TRUE(rm.ok()) << "model: " << DescribeMismatch("layer", rm);
  EXPECT_EQ(rm.compared, ref.at("layer").size());
  const PerfCounters& a = runs[0].counters;
  const PerfCounters& m = mruns[0].counters;
  for (int c : {kCtrInstrs, kCtrArrayBusy, kCtrMacsIssued, kCtrUsefulMacs}) {
    EXPECT_EQ(a[c], m[c]) << CounterName(c);
  }
  return a;
}

// A random conv (odd channel counts, padding, stride, dilation, groups,
// batch up to 2; `large` allows the bigger shapes) pruned to 2:4, its
// weights int4 for kA8W4.
Network Random24Conv(uint64_t rng_seed, bool large, Precision p,
                     uint64_t prune_seed) {
  SplitMix64 rng(rng_seed);
  RandomLayerOptions opts;
  opts.max_hw = 10;
  opts.max_channels = 21;
  opts.max_batch = 2;
  opts.allow_large = large;
  Network net = RandomConvNetwork(&rng, "layer", opts);
  if (p != Precision::kA8W8) NarrowLayer(&rng, p, &OnlyLayer(&net));
  PruneTo24(&net, prune_seed);
  return net;
}

// A random fc (K not a multiple of 4 nor of 2R, batch 1 to 3) pruned to 2:4,
// its weights int4 for kA8W4.
Network Random24Fc(uint64_t rng_seed, Precision p, uint64_t prune_seed) {
  SplitMix64 rng(rng_seed);
  const int batch = RandInt(&rng, 1, 3);
  const int in = RandInt(&rng, 1, 75);
  const int out = RandInt(&rng, 1, 30);
  Layer l = RandomFcLayer(&rng, "layer", in, out);
  if (p != Precision::kA8W8) NarrowLayer(&rng, p, &l);
  Network net = OneLayerNetwork(&rng, {batch, in}, l);
  PruneTo24(&net, prune_seed);
  return net;
}

class Nm24RandomConvTest : public ::testing::TestWithParam<int> {};

// Odd channel counts, padding, stride, dilation, groups, batch 2.
TEST_P(Nm24RandomConvTest, MatchesGoldenEveryElement) {
  const int seed = GetParam();
  ExpectNm24MatchesGolden(
      Random24Conv(static_cast<uint64_t>(seed) * 104729 + 17, seed % 5 == 0,
                   Precision::kA8W8, static_cast<uint64_t>(seed) + 11),
      Hw4x4RandomDram(static_cast<uint64_t>(seed)));
}

INSTANTIATE_TEST_SUITE_P(Seeds, Nm24RandomConvTest, ::testing::Range(0, 36));

class Nm24RandomFcTest : public ::testing::TestWithParam<int> {};

// K not a multiple of 4 (and of 2R), batch 1 to 3.
TEST_P(Nm24RandomFcTest, MatchesGoldenEveryElement) {
  const int seed = GetParam();
  ExpectNm24MatchesGolden(
      Random24Fc(static_cast<uint64_t>(seed) * 7919 + 3, Precision::kA8W8,
                 static_cast<uint64_t>(seed) + 5),
      Hw4x4RandomDram(static_cast<uint64_t>(seed) + 50));
}

INSTANTIATE_TEST_SUITE_P(Seeds, Nm24RandomFcTest, ::testing::Range(0, 16));

class Nm24W4RandomConvTest : public ::testing::TestWithParam<int> {};

// int4 weights (N24W4): odd channel counts, padding, stride, dilation,
// groups, batch 2.
TEST_P(Nm24W4RandomConvTest, MatchesGoldenEveryElement) {
  const int seed = GetParam();
  ExpectNm24MatchesGolden(
      Random24Conv(static_cast<uint64_t>(seed) * 6151 + 29, seed % 5 == 0,
                   Precision::kA8W4, static_cast<uint64_t>(seed) + 23),
      Hw4x4RandomDram(static_cast<uint64_t>(seed) + 100));
}

INSTANTIATE_TEST_SUITE_P(Seeds, Nm24W4RandomConvTest, ::testing::Range(0, 36));

class Nm24W4RandomFcTest : public ::testing::TestWithParam<int> {};

// int4 weights: K not a multiple of 4 (and of 2R), batch 1 to 3.
TEST_P(Nm24W4RandomFcTest, MatchesGoldenEveryElement) {
  const int seed = GetParam();
  ExpectNm24MatchesGolden(
      Random24Fc(static_cast<uint64_t>(seed) * 1009 + 7, Precision::kA8W4,
                 static_cast<uint64_t>(seed) + 9),
      Hw4x4RandomDram(static_cast<uint64_t>(seed) + 150));
}

INSTANTIATE_TEST_SUITE_P(Seeds, Nm24W4RandomFcTest, ::testing::Range(0, 16));

// Every kept int4 weight -8 (the nibble's sign extension), exactly 2 per
// group, in a conv and an fc.
TEST(Nm24W4CornerTest, EveryKeptWeightMinusEight) {
  SplitMix64 rng(61);
  ConvGeometry g;
  g.pad_top = g.pad_left = 1;
  Layer conv = RandomConvLayer(&rng, "layer", 13, 7, 3, 3, g);
  NarrowLayer(&rng, Precision::kA8W4, &conv);
  Layer fc = RandomFcLayer(&rng, "layer", 45, 11);
  NarrowLayer(&rng, Precision::kA8W4, &fc);
  for (Network net : {OneLayerNetwork(&rng, {2, 6, 5, 13}, conv),
                      OneLayerNetwork(&rng, {3, 45}, fc)}) {
    PruneTo24(&net, 62, 2);
    for (int8_t& w : OnlyLayer(&net).weights.data) {
      if (w != 0) w = -8;
    }
    ExpectNm24MatchesGolden(net, Hw4x4RandomDram(61));
  }
}

TEST(Nm24W4CornerTest, AllZeroWeights) {
  SplitMix64 rng(63);
  Layer l = RandomFcLayer(&rng, "layer", 37, 9);
  NarrowLayer(&rng, Precision::kA8W4, &l);
  Network net = OneLayerNetwork(&rng, {2, 37}, l);
  PruneTo24(&net, 1, 0);
  ExpectNm24MatchesGolden(net, Hw4x4RandomDram(63));
}

TEST(Nm24CornerTest, AllZeroWeights) {
  SplitMix64 rng(3);
  Network net = OneLayerNetwork(&rng, {2, 37}, RandomFcLayer(&rng, "layer", 37, 9));
  PruneTo24(&net, 1, 0);
  ExpectNm24MatchesGolden(net, Hw4x4RandomDram(3));
}

TEST(Nm24CornerTest, ExactlyTwoPerGroupAndOnePerGroup) {
  for (int keep : {1, 2}) {
    SplitMix64 rng(static_cast<uint64_t>(keep) + 40);
    Network net = OneLayerNetwork(&rng, {1, 64}, RandomFcLayer(&rng, "layer", 64, 13));
    PruneTo24(&net, static_cast<uint64_t>(keep), keep);
    ExpectNm24MatchesGolden(net, Hw4x4RandomDram(static_cast<uint64_t>(keep)));
  }
}

// A 3x3 conv with padding and many channels: several K tiles per tap and a
// K tail of 2 within the last line pair.
TEST(Nm24CornerTest, PaddedConvWithKTail) {
  SplitMix64 rng(77);
  ConvGeometry g;
  g.pad_top = g.pad_bottom = g.pad_left = g.pad_right = 1;
  Network net = OneLayerNetwork(
      &rng, {1, 7, 6, 18}, RandomConvLayer(&rng, "layer", 18, 11, 3, 3, g));
  PruneTo24(&net, 78);
  ExpectNm24MatchesGolden(net, Hw4x4RandomDram(77));
}

// Auto picks the 2:4 mode for a 2:4 layer where it is faster, the dense
// array for the same shape with a dense weight group.
TEST(Nm24ChoiceTest, AutoTakesNm24WhenItFits) {
  SplitMix64 rng(5);
  Network net = OneLayerNetwork(&rng, {16, 128}, RandomFcLayer(&rng, "layer", 128, 16));
  PruneTo24(&net, 6, 2);
  const HwConfig hw = HwConfig::ForArray(4, 4);
  EXPECT_EQ(Compile(net, hw).layers[0].engine, LayerEngine::kNm24);
  OnlyLayer(&net).weights.data[0] = 1;
  OnlyLayer(&net).weights.data[1] = 1;
  OnlyLayer(&net).weights.data[2] = 1;
  EXPECT_EQ(Compile(net, hw).layers[0].engine, LayerEngine::kDense);
}

// An a8w4 layer: N24W4 computes as fast as dense A8W4 (C channels per tile
// at 2R K against 2C at R) and moves 3/4 of its weight bytes, so auto takes
// whichever of the two the cost model estimates faster: here, at batch 1
// and batch 16, the same choice as comparing the two forced compilations.
TEST(Nm24ChoiceTest, AutoOnA8W4TakesTheFasterEstimate) {
  for (int batch : {1, 16}) {
    SplitMix64 rng(15);
    Layer l = RandomFcLayer(&rng, "layer", 128, 16);
    NarrowLayer(&rng, Precision::kA8W4, &l);
    Network net = OneLayerNetwork(&rng, {batch, 128}, l);
    PruneTo24(&net, 16, 2);
    const HwConfig hw = HwConfig::ForArray(4, 4);
    auto estimate = [&](LayerEngine e) {
      OnlyLayer(&net).engine = e;
      const ProgramStats st = AnalyzeProgram(Compile(net, hw).layers[0].program, hw);
      return std::max({st.load_cycles, st.gemm_cycles, st.store_cycles});
    };
    const uint64_t dense = estimate(LayerEngine::kDense);
    const uint64_t nm = estimate(LayerEngine::kNm24);
    OnlyLayer(&net).engine = LayerEngine::kAuto;
    const CompiledNetwork c = Compile(net, hw);
    EXPECT_EQ(c.layers[0].engine, nm < dense ? LayerEngine::kNm24 : LayerEngine::kDense)
        << "batch " << batch << ": dense " << dense << ", N24W4 " << nm;
    EXPECT_EQ(GemmsInMode(c, kGemmModeN24W4) > 0, nm < dense);
  }
}

TEST(Nm24ChoiceTest, ForcedOnDenseWeightsNamesTheGroup) {
  SplitMix64 rng(8);
  Network net = OneLayerNetwork(&rng, {1, 16}, RandomFcLayer(&rng, "layer", 16, 4));
  for (int8_t& w : OnlyLayer(&net).weights.data) w = 1;
  OnlyLayer(&net).engine = LayerEngine::kNm24;
  try {
    Compile(net, HwConfig::ForArray(4, 4));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "engine: nm24 is not possible: output channel 0, tap (0, 0), "
                  "input channels 0..3: 4 non-zeros"),
              std::string::npos)
        << e.what();
  }
}

TEST(Nm24ChoiceTest, ForcedOnABuildWithoutTheModeNamesTheBuild) {
  SplitMix64 rng(9);
  Network net = OneLayerNetwork(&rng, {1, 16}, RandomFcLayer(&rng, "layer", 16, 4));
  PruneTo24(&net, 10, 2);
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.nm24 = false;
  EXPECT_EQ(Compile(net, hw).layers[0].engine, LayerEngine::kDense);
  OnlyLayer(&net).engine = LayerEngine::kNm24;
  try {
    Compile(net, hw);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "engine: nm24 needs the array's 2:4 mode, which the "
                  "4x4-nonm build does not have (NmSparse = 0)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace sparq
