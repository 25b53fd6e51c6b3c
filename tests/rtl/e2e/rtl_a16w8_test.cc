// A16W8 (int16 activations x int8 weights, TFLite 16x8 / CMSIS-NN s16) on
// the verilated 4x4 array and the machine model: seeded random conv and fc
// layers (odd channel counts, padding, stride, dilation, groups, depthwise
// as a grouped conv, batch) with the int64 bias and with the int32-bias
// variant, compiled by sw/ and run with DRAM latency and stalls, and the
// CMSIS-NN int16x8 vectors of tests/data/cmsis_nn, and chains of two a16w8
// layers whose int16 tensor between them stays in its planar DRAM form.
// Every output element (both bytes of every int16) is compared with golden's
// int16 reference (golden/int16_layers.h), and for the vectors with
// CMSIS-NN's expected output; the RTL's counters equal the machine model's.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "golden/int16_layers.h"
#include "golden/network.h"
#include "golden/requant.h"
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

constexpr int kRandomA16W8Layers = 60;
constexpr int kA16W8Chains = 12;

std::string DataDir() {
  return std::string(SPARQ_SOURCE_DIR) + "/tests/data/cmsis_nn";
}

// Makes `l` an A16W8 layer reading int16 values of about `amp`: an int64
// bias up to 2^40 (sometimes none; with bias32 the int32-bias variant),
// per-channel multipliers that spread the outputs over int16 and an int16
// clamp (full or narrower).
void MakeA16W8(SplitMix64* rng_p, bool bias32, int amp, Layer* lp) {
  SplitMix64& rng = *rng_p;
  Layer& l = *lp;
  l.precision = Precision::kA16W8;
  const int cout = l.weights.dim(0);
  const int k = static_cast<int>(l.weights.size()) / cout;
  // |acc| is about sqrt(k) * amp * 74 (uniform int8 weights).
  const double typical = std::sqrt(static_cast<double>(k)) * (amp + 1) * 74.0;
  l.bias32 = bias32;
  l.bias.clear();
  l.bias64.clear();
  if (!Coin(&rng, 0.1)) {
    // One layer in eight has biases far beyond int32 (int64 only), which
    // saturate; the others biases of the size of the sums.
    const bool huge = !l.bias32 && Coin(&rng, 0.125);
    for (int c = 0; c < cout; ++c) {
      const double b = RandReal(&rng, -2.0, 2.0) * typical;
      if (l.bias32) {
        l.bias.push_back(static_cast<int32_t>(std::clamp(b, -1e9, 1e9)));
      } else {
        l.bias64.push_back(
            huge ? static_cast<int64_t>(RandInt(&rng, -(1 << 30), 1 << 30)) *
                       RandInt(&rng, 1 << 10, 1 << 20)
                 : static_cast<int64_t>(b));
      }
    }
  }
  QuantParams& q = l.quant;
  q.in_zp = 0;
  q.out_zp = 0;
  q.act_min = Coin(&rng, 0.5) ? -32768 : RandInt(&rng, -32768, -1000);
  q.act_max = Coin(&rng, 0.5) ? 32767 : RandInt(&rng, 1000, 32767);
  q.multiplier.assign(static_cast<size_t>(cout), 0);
  q.shift.assign(static_cast<size_t>(cout), 0);
  // Outputs of a few thousand: inside most clamps.
  for (int c = 0; c < cout; ++c) {
    const double real = 3000.0 / typical * RandReal(&rng, 0.2, 4.0);
    QuantizeMultiplier(real, &q.multiplier[static_cast<size_t>(c)],
                       &q.shift[static_cast<size_t>(c)]);
  }
}

// A random conv (fc one time in four) made A16W8 (MakeA16W8; odd seeds the
// int32-bias variant): int16 input (full range, or small values one time in
// four).
Network RandomA16W8Network(uint64_t seed) {
  SplitMix64 rng(seed * 0x9E3779B97F4A7C15ull + 16);
  RandomLayerOptions o;  // the defaults: up to 14x14, 24 channels, and
                         // sometimes several tiles of every SRAM
  Network net = seed % 4 == 3 ? RandomFcNetwork(&rng, "layer", o)
                              : RandomConvNetwork(&rng, "layer", o);
  const int amp = Coin(&rng, 0.25) ? 300 : 32767;
  Tensor<int16_t> x(net.input.shape);
  for (int16_t& v : x.data) {
    v = static_cast<int16_t>(RandInt(&rng, -amp - 1, amp));
  }
  net.input = Int16ToBytes(x);
  MakeA16W8(&rng, seed % 2 == 1, amp, &net.layers.front());
  return net;
}

void ExpectEveryElement(const Tensor<int8_t>& want, const Tensor<int8_t>& got,
                        const std::string& what) {
  const CompareResult r = CompareTensors(want, got);
  EXPECT_TRUE(r.ok()) << what << ": " << DescribeMismatch("layer", r);
  EXPECT_EQ(r.compared, want.size()) << what;
}

// `want`: the expected output bytes of the one layer "layer".
void ExpectRunsMatch(const Network& net, const HwConfig& hw,
                     const Tensor<int8_t>& want) {
  const CompiledNetwork compiled = Compile(net, hw);
  ASSERT_EQ(compiled.layers.size(), 1u);
  EXPECT_EQ(compiled.layers[0].precision, Precision::kA16W8);
  auto rtl = MakeRtlDevice(hw, Patient());
  const std::vector<LayerRun> runs = RunNetwork(net, compiled, *rtl);
  auto model = MakeModelDevice(hw);
  const std::vector<LayerRun> mruns = RunNetwork(net, compiled, *model);
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(mruns.size(), 1u);
  ExpectEveryElement(want, runs[0].output, "rtl");
  ExpectEveryElement(want, mruns[0].output, "model");
  const PerfCounters& a = runs[0].counters;
  const PerfCounters& m = mruns[0].counters;
  for (int c : {kCtrInstrs, kCtrArrayBusy, kCtrMacsIssued, kCtrUsefulMacs}) {
    EXPECT_EQ(a[c], m[c]) << CounterName(c);
  }
  EXPECT_EQ(a[kCtrUsefulMacs], runs[0].macs);
}

class RtlA16W8Random : public ::testing::TestWithParam<int> {};

TEST_P(RtlA16W8Random, MatchesGoldenOnRtlAndModel) {
  const uint64_t seed = static_cast<uint64_t>(GetParam());
  const Network net = RandomA16W8Network(seed);
  const HwConfig hw = Hw4x4RandomDram(seed);
  SCOPED_TRACE(DescribeLayer(net) + (net.layers[0].bias32 ? " bias32" : "") +
               " on " + hw.BuildName() + ", " + hw.TimingString());
  const auto ref = RunNetworkReference(net);
  ExpectRunsMatch(net, hw, ref.at("layer"));
}

INSTANTIATE_TEST_SUITE_P(Seeds, RtlA16W8Random,
                         ::testing::Range(0, kRandomA16W8Layers));

// Two a16w8 layers in a chain: a random conv, then a padded 3x3 conv (even
// seeds) or an fc over its flattened output (odd seeds: an fc whose input
// rows are the conv's pixels). The int16 tensor between them is written by
// the first layer's STOREs in its planar DRAM form and read as it is by the
// second layer's LOADs: its DRAM bytes are golden's output with each pixel's
// low bytes first and its high bytes C bytes further, and every element of
// both layers' outputs equals golden's on the RTL and the model.
class RtlA16W8Chain : public ::testing::TestWithParam<int> {};

TEST_P(RtlA16W8Chain, PlanarTensorBetweenLayers) {
  const uint64_t seed = static_cast<uint64_t>(GetParam());
  SplitMix64 rng(seed * 0xD1B54A32D192ED03ull + 7);
  RandomLayerOptions o;
  o.max_hw = 9;
  o.max_channels = 12;
  o.allow_large = false;
  Network net = RandomConvNetwork(&rng, "first", o);
  Tensor<int16_t> x(net.input.shape);
  for (int16_t& v : x.data) v = static_cast<int16_t>(RandInt(&rng, -32768, 32767));
  net.input = Int16ToBytes(x);
  MakeA16W8(&rng, seed % 3 == 1, 32767, &net.layers.front());
  const Shape mid = RunNetworkReference(net).at("first").shape;
  ASSERT_EQ(mid.size(), 4u);
  const int c1 = mid[3] / 2;  // int16 channels (held as 2 bytes each)
  const int cout = RandInt(&rng, 1, 12);
  Layer second;
  if (seed % 2 == 0) {
    ConvGeometry g;
    g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = 1;
    second = RandomConvLayer(&rng, "second", c1, cout, 3, 3, g);
  } else {
    second = RandomFcLayer(&rng, "second", mid[1] * mid[2] * c1, cout);
  }
  second.inputs = {"first"};
  // The first layer's outputs are a few thousand (MakeA16W8).
  MakeA16W8(&rng, seed % 3 == 2, 3000, &second);
  net.layers.push_back(second);
  const HwConfig hw = Hw4x4RandomDram(seed + 1000);
  SCOPED_TRACE(DescribeLayer(net) + " then " +
               (seed % 2 == 0 ? "conv 3x3" : "fc") + " to " +
               std::to_string(cout) + " on " + hw.BuildName() + ", " +
               hw.TimingString());
  const auto ref = RunNetworkReference(net);
  const CompiledNetwork compiled = Compile(net, hw);
  ASSERT_EQ(compiled.layers.size(), 2u);
  const TensorPlacement& p = compiled.tensors.at("first");
  EXPECT_TRUE(p.int16);
  auto rtl = MakeRtlDevice(hw, Patient());
  const std::vector<LayerRun> runs = RunNetwork(net, compiled, *rtl);
  auto model = MakeModelDevice(hw);
  const std::vector<LayerRun> mruns = RunNetwork(net, compiled, *model);
  ASSERT_EQ(runs.size(), 2u);
  ASSERT_EQ(mruns.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const std::string& name = net.layers[i].name;
    EXPECT_EQ(compiled.layers[i].precision, Precision::kA16W8) << name;
    ExpectEveryElement(ref.at(name), runs[i].output, "rtl " + name);
    ExpectEveryElement(ref.at(name), mruns[i].output, "model " + name);
    for (int c : {kCtrInstrs, kCtrArrayBusy, kCtrMacsIssued, kCtrUsefulMacs}) {
      EXPECT_EQ(runs[i].counters[c], mruns[i].counters[c])
          << name << " " << CounterName(c);
    }
  }
  // The tensor between the layers as the RTL left it in DRAM.
  const Tensor<int8_t>& want = ref.at("first");
  ASSERT_EQ(p.bytes, want.size());
  std::vector<uint8_t> got(p.bytes);
  rtl->ReadDram(p.addr, got.data(), got.size());
  const size_t pixels = want.size() / static_cast<size_t>(2 * c1);
  size_t compared = 0;
  for (size_t px = 0; px < pixels; ++px) {
    for (int e = 0; e < c1; ++e) {
      const size_t pair = px * 2 * c1 + 2 * static_cast<size_t>(e);
      const size_t lo = px * 2 * c1 + static_cast<size_t>(e);
      EXPECT_EQ(got[lo], static_cast<uint8_t>(want.data[pair]))
          << "low byte of pixel " << px << " channel " << e;
      EXPECT_EQ(got[lo + c1], static_cast<uint8_t>(want.data[pair + 1]))
          << "high byte of pixel " << px << " channel " << e;
      compared += 2;
    }
  }
  EXPECT_EQ(compared, want.size());
}

INSTANTIATE_TEST_SUITE_P(Seeds, RtlA16W8Chain,
                         ::testing::Range(0, kA16W8Chains));

std::vector<std::string> Int16Cases() {
  std::vector<std::string> out;
  for (const std::string& name : ListCmsisCases(DataDir())) {
    if (LoadCmsisCase(DataDir(), name).act_bits == 16) out.push_back(name);
  }
  return out;
}

TEST(RtlA16W8Cmsis, AllInt16VectorsArePresent) {
  const std::vector<std::string> cases = Int16Cases();
  for (const char* name : {"int16xint8", "int16xint8_dilation_1",
                           "int16xint8xint32_1", "int16xint8xint32_4",
                           "fully_connected_int16"}) {
    EXPECT_NE(std::find(cases.begin(), cases.end(), name), cases.end())
        << name;
  }
}

class RtlA16W8CmsisCase : public ::testing::TestWithParam<std::string> {};

TEST_P(RtlA16W8CmsisCase, MatchesCmsisOnRtlAndModel) {
  const CmsisCase c = LoadCmsisCase(DataDir(), GetParam());
  const Network net = CmsisInt16LayerNetwork(c);
  const Tensor<int8_t> want = Int16ToBytes(c.output16);
  ExpectEveryElement(want, RunNetworkReference(net).at("layer"), "golden");
  ExpectRunsMatch(net, HwConfig::ForArray(4, 4), want);
}

INSTANTIATE_TEST_SUITE_P(Vectors, RtlA16W8CmsisCase,
                         ::testing::ValuesIn(Int16Cases()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param;
                         });

}  // namespace
}  // namespace sparq
