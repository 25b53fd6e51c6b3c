// The unstructured sparse engine on the verilated 4x4 build (2 lanes): fc and
// conv layers forced onto it (engine: sparse), compiled by sw/, run on the RTL
// and on the machine model, every output element compared with golden's
// layer reference; the exact sparse counters must agree between the RTL and
// the model. Seeded random densities plus the corner cases that break sparse
// hardware (docs/sparse.md).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden/network.h"
#include "sim/checker.h"
#include "sim/model_device.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/runtime.h"
#include "sw/sparse_format.h"
#include "tests/common/random_layers.h"
#include "tests/common/rtl_options.h"

namespace sparq {
namespace {

// Runs `net` (one sparse layer named "layer") on the RTL and the model.
// Returns the RTL counters.
PerfCounters ExpectSparseMatchesGolden(const Network& net, HwConfig hw) {
  SCOPED_TRACE(DescribeLayer(net) + " on " + hw.BuildName() + ", " +
               hw.TimingString());
  const CompiledNetwork compiled = Compile(net, hw);
  EXPECT_EQ(compiled.layers[0].engine, LayerEngine::kSparse);
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
  const PerfCounters& a = runs[0].counters;
  const PerfCounters& m = mruns[0].counters;
  for (int c : {kCtrInstrs, kCtrSparseZeroWeights, kCtrSparseZeroActs,
                kCtrSparseMetaWords, kCtrArrayBusy}) {
    EXPECT_EQ(a[c], m[c]) << CounterName(c);
  }
  EXPECT_EQ(a[kCtrArrayBusy], 0u);  // the array never ran
  return a;
}

Layer& OnlyLayer(Network* net) { return net->layers.front(); }

// Spmv instructions of the compiled layer: all, flagged streams, lane_hold.
struct SpmvUse {
  int spmvs = 0, flagged = 0, held = 0;
};
SpmvUse SpmvsOf(const Network& net, const HwConfig& hw) {
  SpmvUse u;
  const CompiledNetwork compiled = Compile(net, hw);
  for (const InstrWord& w : compiled.layers[0].program) {
    if (OpcodeOf(w) != Opcode::kSpmv) continue;
    const SpmvInstr i = DecodeSpmv(w);
    ++u.spmvs;
    u.flagged += i.flagged != 0 ? 1 : 0;
    u.held += i.lane_hold != 0 ? 1 : 0;
  }
  return u;
}

Network FcNetwork(uint64_t seed, int batch, int in, int out) {
  SplitMix64 rng(seed);
  Layer l = RandomFcLayer(&rng, "layer", in, out);
  l.engine = LayerEngine::kSparse;
  return OneLayerNetwork(&rng, {batch, in}, l);
}

// Keeps each weight with probability `density`.
void Prune(Network* net, double density, uint64_t seed) {
  SplitMix64 rng(seed);
  for (int8_t& w : OnlyLayer(net).weights.data) {
    if (!Coin(&rng, density)) w = 0;
  }
}

HwConfig Hw4x4(int latency = 7, double stall = 0.1) {
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.dram_latency = latency;
  hw.dram_stall = stall;
  return hw;
}

class SparseRandomFcTest : public ::testing::TestWithParam<int> {};

TEST_P(SparseRandomFcTest, MatchesGoldenEveryElement) {
  const int seed = GetParam();
  SplitMix64 rng(static_cast<uint64_t>(seed) * 7919 + 1);
  const int batch = RandInt(&rng, 1, 3);
  const int in = RandInt(&rng, 1, 90);
  const int out = RandInt(&rng, 1, 70);
  const double densities[] = {0.03, 0.1, 0.25, 0.5, 0.9};
  Network net = FcNetwork(static_cast<uint64_t>(seed), batch, in, out);
  Prune(&net, densities[seed % 5], static_cast<uint64_t>(seed) + 99);
  ExpectSparseMatchesGolden(net, Hw4x4(1 + seed % 20, seed % 3 == 0 ? 0.3 : 0));
}

INSTANTIATE_TEST_SUITE_P(Seeds, SparseRandomFcTest, ::testing::Range(0, 20));

class SparseRandomConvTest : public ::testing::TestWithParam<int> {};

TEST_P(SparseRandomConvTest, MatchesGoldenEveryElement) {
  const int seed = GetParam();
  SplitMix64 rng(static_cast<uint64_t>(seed) + 5);
  RandomLayerOptions opts;
  opts.max_hw = 10;
  opts.max_channels = 20;
  opts.max_batch = 2;
  opts.allow_large = false;
  Network net;
  do {
    net = RandomConvNetwork(&rng, "layer", opts);
  } while (OnlyLayer(&net).geom.groups != 1);
  OnlyLayer(&net).engine = LayerEngine::kSparse;
  const double densities[] = {0.05, 0.2, 0.4, 1.0};
  Prune(&net, densities[seed % 4], static_cast<uint64_t>(seed) + 3);
  ExpectSparseMatchesGolden(net, Hw4x4(2 + seed % 9, 0.1));
}

INSTANTIATE_TEST_SUITE_P(Seeds, SparseRandomConvTest, ::testing::Range(0, 12));

TEST(SparseCornerTest, AllZeroWeights) {
  Network net = FcNetwork(1, 2, 33, 19);
  Prune(&net, 0.0, 1);
  const PerfCounters c = ExpectSparseMatchesGolden(net, Hw4x4());
  EXPECT_GT(c[kCtrSparseZeroWeights], 0u);
}

TEST(SparseCornerTest, FullyDense) {
  Network net = FcNetwork(2, 1, 41, 23);
  for (int8_t& w : OnlyLayer(&net).weights.data) {
    if (w == 0) w = 1;
  }
  // The 3 columns past Cin = 41 hold raw 0: with zero point 0 they are
  // skipped, so no column counts as one of zero weights.
  OnlyLayer(&net).quant.in_zp = 0;
  const PerfCounters c = ExpectSparseMatchesGolden(net, Hw4x4());
  EXPECT_EQ(c[kCtrSparseZeroWeights], 0u);
}

// Batch 1 compiles to flagged streams (no column headers), batch 2 to header
// streams: every corner case below that depends on the format runs in both.
TEST(SparseCornerTest, AllZeroActivationVector) {
  for (int batch : {1, 2}) {
    Network net = FcNetwork(3, batch, 30, 17);
    Prune(&net, 0.4, 3);
    OnlyLayer(&net).quant.in_zp = 0;  // raw 0 is the zero point
    for (int8_t& a : net.input.data) a = 0;
    EXPECT_EQ(SpmvsOf(net, Hw4x4()).flagged > 0, batch == 1);
    const PerfCounters c = ExpectSparseMatchesGolden(net, Hw4x4());
    // 30 columns padded to 8 lines of 4
    EXPECT_EQ(c[kCtrSparseZeroActs], static_cast<uint64_t>(batch) * 32u);
  }
}

TEST(SparseCornerTest, LeadingAndLongRunsOfEmptyColumns) {
  for (int batch : {1, 2}) {
    Network net = FcNetwork(4, batch, 40, 21);
    Prune(&net, 0.5, 4);
    Layer& l = OnlyLayer(&net);
    for (int n = 0; n < 21; ++n) {
      for (int k = 0; k < 40; ++k) {
        if (k < 6 || (k >= 11 && k < 19) || k >= 37) l.weights.data[n * 40 + k] = 0;
      }
    }
    ExpectSparseMatchesGolden(net, Hw4x4());
  }
}

// A lane owns outputs p, p + 2, ...: a column whose lane-0 non-zeros sit at
// outputs 0 and 2 * 200 leaves 199 zeros between them, more than the 6-bit
// relative index (63) can express, so padding words bridge the run.
TEST(SparseCornerTest, ZeroRunsLongerThanTheRelativeIndex) {
  Network net = FcNetwork(5, 2, 9, 420);
  Layer& l = OnlyLayer(&net);
  for (int8_t& w : l.weights.data) w = 0;
  l.weights.data[0 * 9 + 3] = 77;
  l.weights.data[400 * 9 + 3] = -5;
  l.weights.data[255 * 9 + 8] = 9;   // last output of tile 0, lane 1
  l.weights.data[256 * 9 + 0] = -128 + 1;  // first output of tile 1
  l.weights.data[419 * 9 + 8] = 3;
  std::vector<int8_t> tile(9 * 256);
  for (int k = 0; k < 9; ++k) {
    for (int n = 0; n < 256; ++n) tile[k * 256 + n] = l.weights.data[n * 9 + k];
  }
  ASSERT_GT(PackSparse(tile.data(), 256, 9, 256, 2).padding, 0);
  // Per vector, 2 tiles x 2 lanes x 12 columns (9 inputs padded to 3 ACT
  // lines of 4); 5 lane-columns hold
  // non-zeros, and 3 runs need one padding word each (tile 0 lane 1 column
  // 8: 127 zeros; tile 1 lane 0 column 3: 72; tile 1 lane 1 column 8: 81).
  // Header streams (batch 2): 48 headers per vector, plus the padding words
  // of the columns whose activation is non-zero (all of them here).
  SplitMix64 rng(5);
  for (int8_t& a : net.input.data) a = static_cast<int8_t>(RandInt(&rng, 1, 100));
  const PerfCounters c = ExpectSparseMatchesGolden(net, Hw4x4());
  EXPECT_EQ(c[kCtrSparseMetaWords], 2u * (48u + 3u));
  // Flagged streams (batch 1): 43 empty-column words + 3 padding words.
  Network net1 = net;
  net1.input = Tensor<int8_t>({1, 9});
  for (int8_t& a : net1.input.data) a = static_cast<int8_t>(RandInt(&rng, -100, 100));
  EXPECT_EQ(SpmvsOf(net1, Hw4x4()).flagged, 2);
  const PerfCounters c1 = ExpectSparseMatchesGolden(net1, Hw4x4());
  EXPECT_EQ(c1[kCtrSparseMetaWords], 43u + 3u);
}

TEST(SparseCornerTest, OneNonZeroInTheMatrix) {
  for (int batch : {1, 2}) {
    Network net = FcNetwork(6, batch, 50, 30);
    Layer& l = OnlyLayer(&net);
    for (int8_t& w : l.weights.data) w = 0;
    l.weights.data[17 * 50 + 44] = -100;
    ExpectSparseMatchesGolden(net, Hw4x4());
  }
}

TEST(SparseCornerTest, NonZerosAllInOneLane) {
  for (int batch : {1, 2}) {
    Network net = FcNetwork(7, batch, 60, 40);
    Prune(&net, 0.6, 7);
    Layer& l = OnlyLayer(&net);
    for (int n = 1; n < 40; n += 2) {
      for (int k = 0; k < 60; ++k) l.weights.data[n * 60 + k] = 0;
    }
    const PerfCounters c = ExpectSparseMatchesGolden(net, Hw4x4());
    EXPECT_GT(c[kCtrSparseLaneIdle], 0u);  // lane 1 waits for lane 0
  }
}

TEST(SparseCornerTest, BatchAboveOneAndHalfZeroActivations) {
  Network net = FcNetwork(8, 6, 64, 36);
  Prune(&net, 0.3, 8);
  SplitMix64 rng(8);
  const int8_t zp = static_cast<int8_t>(OnlyLayer(&net).quant.in_zp);
  for (int8_t& a : net.input.data) {
    if (Coin(&rng, 0.5)) a = zp;  // the zero point: a real zero
  }
  const PerfCounters c = ExpectSparseMatchesGolden(net, Hw4x4());
  EXPECT_GT(c[kCtrSparseZeroActs], 0u);
}

// Streams longer than half the WGT SRAM split into K chunks that accumulate
// in ACC, and 300 outputs into two tiles.
TEST(SparseCornerTest, SeveralChunksAndTiles) {
  Network net = FcNetwork(9, 2, 700, 300);
  Prune(&net, 0.5, 9);
  ExpectSparseMatchesGolden(net, Hw4x4(20, 0.2));
}

// A ReLU output quantized with zero point -128: the activations equal to the
// zero point are the skipped zeros (Spmv act_zp), in both stream formats and
// on a conv whose padding also holds the zero point.
TEST(SparseCornerTest, NonZeroInputZeroPoint) {
  for (int batch : {1, 3}) {
    Network net = FcNetwork(11, batch, 72, 26);
    Prune(&net, 0.3, 11);
    OnlyLayer(&net).quant.in_zp = -128;
    SplitMix64 rng(11);
    for (int8_t& a : net.input.data) {
      a = Coin(&rng, 0.5) ? int8_t{-128} : static_cast<int8_t>(RandInt(&rng, -127, 127));
    }
    int64_t at_zp = 0;
    for (int8_t a : net.input.data) at_zp += a == -128;
    const PerfCounters c = ExpectSparseMatchesGolden(net, Hw4x4());
    // 72 inputs fill 18 ACT lines of 4 exactly: no padded columns.
    EXPECT_EQ(c[kCtrSparseZeroActs], static_cast<uint64_t>(at_zp));
  }
  SplitMix64 rng(12);
  RandomLayerOptions opts;
  opts.max_hw = 8;
  opts.max_channels = 12;
  opts.allow_large = false;
  Network conv;
  do {
    conv = RandomConvNetwork(&rng, "layer", opts);
  } while (OnlyLayer(&conv).geom.groups != 1);
  Layer& l = OnlyLayer(&conv);
  l.engine = LayerEngine::kSparse;
  l.quant.in_zp = 100;
  for (int8_t& a : conv.input.data) {
    if (Coin(&rng, 0.6)) a = 100;
  }
  Prune(&conv, 0.3, 12);
  const PerfCounters c = ExpectSparseMatchesGolden(conv, Hw4x4());
  EXPECT_GT(c[kCtrSparseZeroActs], 0u);
}

// The im2col bytes of channels >= Cin (raw 0 in ACT, no weights) are zero
// activations whatever the zero point (Spmv seg_lines / seg_real): with
// in_zp = -128 and no input equal to it, sparse_zero_acts counts exactly
// those columns (before, a raw 0 differed from the zero point and counted
// as a non-zero activation, its lanes' outputs as skipped zero weights).
TEST(SparseCornerTest, ColumnsPastCinAreZeroActivations) {
  for (int batch : {1, 2}) {
    Network net = FcNetwork(21, batch, 30, 17);
    Prune(&net, 0.4, 21);
    OnlyLayer(&net).quant.in_zp = -128;
    SplitMix64 rng(21);
    for (int8_t& a : net.input.data) a = static_cast<int8_t>(RandInt(&rng, -127, 127));
    const PerfCounters c = ExpectSparseMatchesGolden(net, Hw4x4());
    // 30 inputs in 8 lines of 4: columns 30 and 31 per vector.
    EXPECT_EQ(c[kCtrSparseZeroActs], static_cast<uint64_t>(batch) * 2u);
  }
  // A 3x3 conv on 5 channels (2 lines of 4 per tap: 3 bytes past Cin per
  // tap), no padding, 6x7 input: 4x5 output pixels.
  SplitMix64 rng(22);
  Layer l = RandomConvLayer(&rng, "layer", 5, 6, 3, 3, ConvGeometry{});
  l.engine = LayerEngine::kSparse;
  l.quant.in_zp = 7;
  Network conv = OneLayerNetwork(&rng, {1, 6, 7, 5}, l);
  for (int8_t& a : conv.input.data) {
    if (a == 7) a = 8;
  }
  Prune(&conv, 0.5, 22);
  const PerfCounters c = ExpectSparseMatchesGolden(conv, Hw4x4());
  EXPECT_EQ(c[kCtrSparseZeroActs], 4u * 5u * 9u * 3u);
}

// Batch 1: the K chunks of each tile chain their sums in the lanes
// (lane_hold / lane_keep) and drain once; two tiles, so a chain restarts.
TEST(SparseCornerTest, ChainedChunksAtBatchOne) {
  for (double density : {0.05, 0.5}) {
    Network net = FcNetwork(10, 1, 700, 300);
    Prune(&net, density, 10);
    const SpmvUse u = SpmvsOf(net, Hw4x4());
    EXPECT_EQ(u.flagged, u.spmvs);
    EXPECT_GE(u.held, 2);
    EXPECT_EQ(u.held, u.spmvs - 2);  // all but the last chunk of each tile
    ExpectSparseMatchesGolden(net, Hw4x4(20, 0.2));
  }
}

}  // namespace
}  // namespace sparq
