// The depthwise unit (rtl/sparq_dw_unit.sv) end to end on the verilated 4x4
// build: seeded random depthwise layers (odd sizes, stride 1 and 2, padding,
// dilation, channel multipliers 1, 2 and 4, channels not a multiple of R,
// inputs wider than the unit's row buffers, batch 2), then the depthwise
// layers of ds_cnn_s and person_detect inside their whole networks. Every
// output element is compared with golden's reference on the RTL and on the
// machine model, every depthwise layer must really run as DWCONVs, and the
// exact counters of the two executors must agree. Layers of R/2 channels
// with a 3-wide SAME stride-1 row run in pair mode (two pixels per ACT line):
// seeded random ones on the 4x4 RTL, and person_detect's op001 on the 16x16
// machine model. Layers with stride 2 along x and an odd kernel width run
// the two-pixel walk (px2): seeded random ones on the 4x4 RTL. The walk
// variants (leading pad not walked, the reverse walk rev, the weight box
// prefetch pf/pre) run on random layers as compiled and with every DWCONV's
// walk direction flipped, so both directions meet the same asymmetric
// weights and non-zero pad byte.

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
#include "sw/cost_model.h"
#include "sw/runtime.h"
#include "tests/common/build_paths.h"
#include "tests/common/program_count.h"
#include "tests/common/random_layers.h"
#include "tests/common/rtl_options.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;

constexpr int kRandomLayers = 40;
constexpr int kPx2Layers = 56;

int CountDwconv(const std::vector<InstrWord>& program) {
  return CountInstrs<DwconvInstr>(program,
                                  [](const DwconvInstr&) { return true; });
}

int CountPairDwconv(const std::vector<InstrWord>& program) {
  return CountInstrs<DwconvInstr>(
      program, [](const DwconvInstr& d) { return d.pair == 1; });
}

int CountPx2Dwconv(const std::vector<InstrWord>& program) {
  return CountInstrs<DwconvInstr>(
      program, [](const DwconvInstr& d) { return d.px2 == 1; });
}

int CountDwconvIf(const std::vector<InstrWord>& program,
                  bool (*pred)(const DwconvInstr&)) {
  return CountInstrs<DwconvInstr>(program, pred);
}

bool IsDepthwise(const Layer& l) {
  return l.kind == LayerKind::kConv && l.geom.groups > 1 &&
         l.weights.dim(3) == 1;
}

// A random depthwise layer: the seed picks every dimension.
Network RandomDepthwiseNetwork(uint32_t seed) {
  SplitMix64 rng(seed * 7919u + 17u);
  const int cin = RandInt(&rng, 2, 11);
  const int mults[] = {1, 1, 2, 2, 4};
  const int m = mults[RandInt(&rng, 0, 4)];
  const int kh = RandInt(&rng, 1, 3), kw = RandInt(&rng, 1, 3);
  ConvGeometry g;
  g.groups = cin;
  g.stride_h = RandInt(&rng, 1, 2);
  g.stride_w = RandInt(&rng, 1, 2);
  g.dilation_h = g.stride_h == 1 && Coin(&rng, 0.3) ? 2 : 1;
  g.dilation_w = g.stride_w == 1 && Coin(&rng, 0.3) ? 2 : 1;
  g.pad_top = RandInt(&rng, 0, 2);
  g.pad_bottom = RandInt(&rng, 0, 2);
  g.pad_left = RandInt(&rng, 0, 2);
  g.pad_right = RandInt(&rng, 0, 2);
  const int min_h = (kh - 1) * g.dilation_h + 1;
  const int min_w = (kw - 1) * g.dilation_w + 1;
  int h = 2 * RandInt(&rng, 1, 8) + 1;  // odd sizes, 3..17
  int w = 2 * RandInt(&rng, 1, 8) + 1;
  if (seed % 8 == 5) w = 67 + 2 * RandInt(&rng, 0, 40);  // several column tiles
  h = std::max(h, min_h);
  w = std::max(w, min_w);
  const int batch = seed % 10 == 3 ? 2 : 1;
  Layer layer = RandomConvLayer(&rng, "layer", cin, cin * m, kh, kw, g);
  return OneLayerNetwork(&rng, {batch, h, w, cin}, layer);
}

std::string Describe(const Network& net) {
  const Layer& l = net.layers[0];
  const Shape& in = net.input.shape;
  return "depthwise " + ShapeToString(in) + " k" +
         std::to_string(l.weights.dim(1)) + "x" +
         std::to_string(l.weights.dim(2)) + " cout " +
         std::to_string(l.weights.dim(0)) + " stride " +
         std::to_string(l.geom.stride_h) + "," +
         std::to_string(l.geom.stride_w) + " dil " +
         std::to_string(l.geom.dilation_h) + "," +
         std::to_string(l.geom.dilation_w) + " pad " +
         std::to_string(l.geom.pad_top) + "," + std::to_string(l.geom.pad_left) +
         "," + std::to_string(l.geom.pad_bottom) + "," +
         std::to_string(l.geom.pad_right);
}

// Runs `net` on the RTL and the model, compares every layer with golden and
// checks that each depthwise layer ran as DWCONVs with matching counters
// (the unit's busy cycles included: the walk's length).
void ExpectCompiledMatches(const Network& net, const CompiledNetwork& compiled,
                           const HwConfig& hw) {
  const auto ref = RunNetworkReference(net);
  for (size_t k = 0; k < net.layers.size(); ++k) {
    if (IsDepthwise(net.layers[k])) {
      EXPECT_GT(CountDwconv(compiled.layers[k].program), 0)
          << net.layers[k].name << " did not use the depthwise unit";
    }
  }
  auto rtl = MakeRtlDevice(hw, Patient());
  auto model = MakeModelDevice(hw);
  const std::vector<LayerRun> runs = RunNetwork(net, compiled, *rtl);
  const std::vector<LayerRun> mruns = RunNetwork(net, compiled, *model);
  ASSERT_EQ(runs.size(), net.layers.size());
  ASSERT_EQ(mruns.size(), net.layers.size());
  for (size_t k = 0; k < runs.size(); ++k) {
    const std::string& name = runs[k].name;
    const CompareResult r = CompareTensors(ref.at(name), runs[k].output);
    EXPECT_TRUE(r.ok()) << "rtl: " << DescribeMismatch(name, r);
    EXPECT_EQ(r.compared, ref.at(name).size()) << name;
    const CompareResult m = CompareTensors(ref.at(name), mruns[k].output);
    EXPECT_TRUE(m.ok()) << "model: " << DescribeMismatch(name, m);
    if (runs[k].host) continue;
    const PerfCounters& a = runs[k].counters;
    const PerfCounters& b = mruns[k].counters;
    for (int c : {kCtrInstrs, kCtrUsefulMacs, kCtrDwUsefulMacs, kCtrArrayBusy,
                  kCtrMacsIssued, kCtrDwBusy}) {
      EXPECT_EQ(a[c], b[c]) << name << " " << CounterName(c);
    }
    EXPECT_EQ(a[kCtrUsefulMacs], runs[k].macs) << name;
    if (IsDepthwise(net.layers[k])) {
      EXPECT_EQ(a[kCtrDwUsefulMacs], runs[k].macs) << name;
      EXPECT_GT(a[kCtrDwBusy], 0u) << name;
      EXPECT_EQ(a[kCtrArrayBusy], 0u) << name;
    }
  }
}

void ExpectNetworkMatches(const Network& net, const HwConfig& hw) {
  ExpectCompiledMatches(net, Compile(net, hw), hw);
}

// Every DWCONV of `program` (outside pair mode) walked the other way, with
// the weight box prefetch dropped (its walk-length rule depends on the
// direction).
std::vector<InstrWord> FlipWalks(const std::vector<InstrWord>& program) {
  std::vector<InstrWord> out = program;
  for (InstrWord& w : out) {
    if (OpcodeOf(w) != Opcode::kDwconv) continue;
    DwconvInstr d = DecodeDwconv(w);
    if (d.pair) continue;
    d.rev = d.rev ? 0 : 1;
    d.pf = d.pre = 0;
    d.wgt_next = 0;
    w = Encode(d);
  }
  return out;
}

// A random layer that pair mode takes on a 4x4 array: 2 channels, kw 3,
// SAME and stride 1 along x, an even width; rows vary freely.
Network RandomPairNetwork(uint32_t seed) {
  SplitMix64 rng(seed * 104729u + 5u);
  const int kh = RandInt(&rng, 1, 3);
  ConvGeometry g;
  g.groups = 2;
  g.stride_h = RandInt(&rng, 1, 2);
  g.dilation_h = g.stride_h == 1 && Coin(&rng, 0.3) ? 2 : 1;
  g.pad_top = RandInt(&rng, 0, 2);
  g.pad_bottom = RandInt(&rng, 0, 2);
  g.pad_left = g.pad_right = 1;
  int h = RandInt(&rng, 1, 17);
  h = std::max(h, (kh - 1) * g.dilation_h + 1);
  int w = 2 * RandInt(&rng, 1, 12);
  if (seed % 4 == 3) w = 2 * RandInt(&rng, 63, 110);  // several column tiles
  const int batch = seed % 5 == 2 ? 2 : 1;
  Layer layer = RandomConvLayer(&rng, "layer", 2, 2, kh, 3, g);
  return OneLayerNetwork(&rng, {batch, h, w, 2}, layer);
}

// The 4x4 build with the DRAM latency (1, 7, 20 or 63) and stall rate (25% on
// every third seed) a seed picks, so the random layers also cover the
// engines' waiting paths.
HwConfig SeededTiming4x4(uint32_t seed) {
  HwConfig hw = HwConfig::ForArray(4, 4);
  const int latencies[] = {1, 7, 20, 63};
  hw.dram_latency = latencies[seed % 4];
  hw.dram_stall = seed % 3 == 0 ? 0.25 : 0.0;
  hw.dram_stall_seed = seed + 1;
  return hw;
}

class RtlDepthwisePairTest : public ::testing::TestWithParam<int> {};

TEST_P(RtlDepthwisePairTest, RandomPairLayerMatchesGoldenEveryElement) {
  const uint32_t seed = static_cast<uint32_t>(GetParam());
  const Network net = RandomPairNetwork(seed);
  const HwConfig hw = SeededTiming4x4(seed);
  SCOPED_TRACE(Describe(net) + " on " + hw.BuildName() + ", " +
               hw.TimingString());
  const CompiledNetwork compiled = Compile(net, hw);
  ASSERT_GT(CountPairDwconv(compiled.layers[0].program), 0)
      << "the layer did not run in pair mode";
  ExpectNetworkMatches(net, hw);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RtlDepthwisePairTest, ::testing::Range(0, 16));

class RtlDepthwiseTest : public ::testing::TestWithParam<int> {};

TEST_P(RtlDepthwiseTest, RandomLayerMatchesGoldenEveryElement) {
  const uint32_t seed = static_cast<uint32_t>(GetParam());
  const Network net = RandomDepthwiseNetwork(seed);
  const HwConfig hw = SeededTiming4x4(seed);
  SCOPED_TRACE(Describe(net) + " on " + hw.BuildName() + ", " +
               hw.TimingString());
  ExpectNetworkMatches(net, hw);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RtlDepthwiseTest,
                         ::testing::Range(0, kRandomLayers));

// A random layer that the two-pixel walk takes: stride 2 along x, kw 1 or
// 3; odd and even sizes, padding 0..2 on each side, channel multipliers 1, 2
// and 4, up to 11 input channels (several line groups and output blocks on
// R = 4), stride 1 or 2 or dilation 2 (the compiler's phases) along y,
// inputs wider than the row buffers, batch 2.
Network RandomPx2Network(uint32_t seed) {
  SplitMix64 rng(seed * 15485863u + 3u);
  const int cin = RandInt(&rng, 2, 11);
  const int mults[] = {1, 1, 2, 4};
  const int m = mults[RandInt(&rng, 0, 3)];
  const int kh = RandInt(&rng, 1, 3);
  const int kw = Coin(&rng, 0.8) ? 3 : 1;
  ConvGeometry g;
  g.groups = cin;
  g.stride_h = RandInt(&rng, 1, 2);
  g.stride_w = 2;
  g.dilation_h = g.stride_h == 1 && Coin(&rng, 0.3) ? 2 : 1;
  g.pad_top = RandInt(&rng, 0, 2);
  g.pad_bottom = RandInt(&rng, 0, 2);
  g.pad_left = RandInt(&rng, 0, 2);
  g.pad_right = RandInt(&rng, 0, 2);
  int h = RandInt(&rng, 1, 17);
  int w = RandInt(&rng, 1, 21);
  if (seed % 8 == 6) w = 65 + RandInt(&rng, 0, 80);  // several column tiles
  h = std::max(h, (kh - 1) * g.dilation_h + 1);
  w = std::max(w, kw);
  const int batch = seed % 7 == 4 ? 2 : 1;
  Layer layer = RandomConvLayer(&rng, "layer", cin, cin * m, kh, kw, g);
  return OneLayerNetwork(&rng, {batch, h, w, cin}, layer);
}

class RtlDepthwisePx2Test : public ::testing::TestWithParam<int> {};

TEST_P(RtlDepthwisePx2Test, RandomStride2LayerMatchesGoldenEveryElement) {
  const uint32_t seed = static_cast<uint32_t>(GetParam());
  const Network net = RandomPx2Network(seed);
  const HwConfig hw = SeededTiming4x4(seed);
  SCOPED_TRACE(Describe(net) + " on " + hw.BuildName() + ", " +
               hw.TimingString());
  const CompiledNetwork compiled = Compile(net, hw);
  ASSERT_GT(CountPx2Dwconv(compiled.layers[0].program), 0)
      << "the layer did not run the two-pixel walk";
  ExpectNetworkMatches(net, hw);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RtlDepthwisePx2Test,
                         ::testing::Range(0, kPx2Layers));

TEST(RtlDepthwiseNetworkTest, DsCnnSMatchesGolden) {
  const RunConfig cfg = LoadRunConfig(std::string(SPARQ_SOURCE_DIR) +
                                      "/tests/data/ds_cnn_s/ds_cnn_s.yaml");
  int depthwise = 0;
  for (const Layer& l : cfg.net.layers) depthwise += IsDepthwise(l);
  EXPECT_EQ(depthwise, 4);
  ExpectNetworkMatches(cfg.net, HwConfig::ForArray(4, 4));
}

RunConfig PersonDetect() {
  const std::string model =
      std::string(SPARQ_SOURCE_DIR) + "/tests/data/tflite/person_detect.tflite";
  const fs::path dir = fs::temp_directory_path() /
                       ("sparq_dw_person_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  WriteTfliteImport(ImportTflite(model, TfliteImportOptions{}), dir.string(),
                    "model.yaml");
  RunConfig cfg = LoadRunConfig((dir / "model.yaml").string());
  fs::remove_all(dir);
  return cfg;
}

TEST(RtlDepthwiseNetworkTest, PersonDetectMatchesGolden) {
  const RunConfig cfg = PersonDetect();
  int depthwise = 0;
  for (const Layer& l : cfg.net.layers) depthwise += IsDepthwise(l);
  EXPECT_EQ(depthwise, 13);
  ExpectNetworkMatches(cfg.net, HwConfig::ForArray(4, 4));
}

// On 16 x 16, op001 (48x48x8, 3x3 SAME stride 1) runs in pair mode; the
// machine model's whole network still equals golden.
TEST(DepthwisePairModelTest, PersonDetectOn16x16UsesPairsAndMatchesGolden) {
  const RunConfig cfg = PersonDetect();
  const HwConfig hw = HwConfig::ForArray(16, 16);
  const CompiledNetwork compiled = Compile(cfg.net, hw);
  int pair_layers = 0;
  for (const CompiledLayer& l : compiled.layers) {
    pair_layers += CountPairDwconv(l.program) > 0;
  }
  EXPECT_EQ(pair_layers, 1);
  const auto ref = RunNetworkReference(cfg.net);
  auto model = MakeModelDevice(hw);
  const std::vector<LayerRun> runs = RunNetwork(cfg.net, compiled, *model);
  for (const LayerRun& r : runs) {
    const CompareResult m = CompareTensors(ref.at(r.name), r.output);
    EXPECT_TRUE(m.ok()) << DescribeMismatch(r.name, m);
    EXPECT_EQ(m.compared, ref.at(r.name).size()) << r.name;
  }
}

// Random layers of the other suites (general and stride-2), run as compiled
// (rev where it is shorter, leading pad skipped, the box prefetch) and with
// every walk flipped: both must equal golden element by element, and the
// two executors' counters must agree.
class RtlDepthwiseWalkTest : public ::testing::TestWithParam<int> {};

TEST_P(RtlDepthwiseWalkTest, BothWalkDirectionsMatchGoldenEveryElement) {
  const uint32_t seed = static_cast<uint32_t>(GetParam());
  const Network net =
      seed % 2 == 0 ? RandomDepthwiseNetwork(seed / 2) : RandomPx2Network(seed / 2);
  const HwConfig hw = SeededTiming4x4(seed);
  SCOPED_TRACE(Describe(net) + " on " + hw.BuildName() + ", " +
               hw.TimingString());
  const CompiledNetwork compiled = Compile(net, hw);
  ExpectCompiledMatches(net, compiled, hw);
  CompiledNetwork flipped = compiled;
  flipped.layers[0].program = FlipWalks(compiled.layers[0].program);
  ExpectCompiledMatches(net, flipped, hw);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RtlDepthwiseWalkTest, ::testing::Range(0, 48));

// The compiler takes the new walks on the random layers: the reverse walk
// (SAME-style trailing padding), the odd-aligned two-pixel walk and the
// weight box prefetch each appear in some of them.
TEST(RtlDepthwiseWalkCoverageTest, RandomLayersUseEveryWalkVariant) {
  int rev = 0, odd = 0, pf = 0, pre = 0;
  for (uint32_t seed = 0; seed < 48; ++seed) {
    const Network net =
        seed % 2 == 0 ? RandomDepthwiseNetwork(seed / 2) : RandomPx2Network(seed / 2);
    const std::vector<InstrWord> p =
        Compile(net, HwConfig::ForArray(4, 4)).layers[0].program;
    rev += CountDwconvIf(p, [](const DwconvInstr& d) { return d.rev != 0; });
    odd += CountDwconvIf(p, [](const DwconvInstr& d) {
      return d.px2 != 0 && DwconvWalkOf(d).odd;
    });
    pf += CountDwconvIf(p, [](const DwconvInstr& d) { return d.pf != 0; });
    pre += CountDwconvIf(p, [](const DwconvInstr& d) { return d.pre != 0; });
  }
  EXPECT_GT(rev, 0);
  EXPECT_GT(odd, 0);
  EXPECT_GT(pf, 0);
  EXPECT_EQ(pre, pf);
}

}  // namespace
}  // namespace sparq
