// A1W1 through the compiler and the machine model: binary tensors packed
// eight signs per byte in DRAM, the layer tiled in bytes, padded taps and
// K-tail bits corrected per border class in the bias, binary STORE outputs
// for chained a1w1 layers; every element against golden's XNOR reference.

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/network.h"
#include "sim/model_device.h"
#include "sw/compiler.h"
#include "sw/cost_model.h"
#include "sw/packing.h"
#include "sw/runtime.h"
#include "tests/common/random_layers.h"

namespace sparq {
namespace {

HwConfig SmallDram(HwConfig hw) {
  hw.dram_bytes = 1 << 24;
  return hw;
}

// Tiny SRAMs: ACT chunks, several WGT fills, PARAM ranges of border classes.
HwConfig TinyHw() {
  HwConfig hw = SmallDram(HwConfig::ForArray(4, 4));
  hw.act_lines = 32;
  hw.wgt_lines = 16;
  hw.acc_rows = 32;
  hw.param_entries = 256;
  return hw;
}

// Runs net on the model; every element of every layer against golden.
// Returns the outputs that are not at a clamp bound; the runs and the
// compiled network through `runs_out` / `compiled_out` when given.
uint64_t ExpectMatchesGolden(const Network& net, const HwConfig& hw,
                             std::vector<LayerRun>* runs_out = nullptr,
                             CompiledNetwork* compiled_out = nullptr) {
  SCOPED_TRACE(DescribeLayer(net) + " on " + hw.ToString());
  const CompiledNetwork compiled = Compile(net, hw);
  std::unique_ptr<Device> dev = MakeModelDevice(hw);
  const std::vector<LayerRun> runs = RunNetwork(net, compiled, *dev);
  if (runs_out != nullptr) *runs_out = runs;
  if (compiled_out != nullptr) *compiled_out = compiled;
  const std::map<std::string, Tensor<int8_t>> ref = RunNetworkReference(net);
  EXPECT_EQ(runs.size(), net.layers.size());
  uint64_t inside = 0;
  for (size_t n = 0; n < runs.size(); ++n) {
    const Layer& layer = net.layers[n];
    const Tensor<int8_t>& want = ref.at(layer.name);
    const Tensor<int8_t>& got = runs[n].output;
    EXPECT_EQ(got.shape, want.shape) << layer.name;
    if (got.shape != want.shape) continue;
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      if (got.data[i] != want.data[i] && bad++ == 0) first = i;
      inside += want.data[i] != layer.quant.act_min &&
                want.data[i] != layer.quant.act_max;
    }
    EXPECT_EQ(bad, 0u) << layer.name << ": " << bad << " of " << want.size()
                       << " outputs differ; first at flat index " << first
                       << ": expected " << int{want.data[first]} << ", got "
                       << int{got.data[first]};
    if (!IsHostLayer(layer.kind)) {
      EXPECT_EQ(runs[n].counters[kCtrUsefulMacs], runs[n].macs) << layer.name;
    }
  }
  return inside;
}

TEST(CompilerA1W1Test, RandomLayersMatchGolden) {
  uint64_t inside = 0;
  for (uint64_t seed = 1; seed <= 120; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Network net = RandomA1W1Network(seed);
    HwConfig hw = SmallDram(HwConfig::ForArray(4, 4));
    if (seed % 3 == 1) hw = TinyHw();
    if (seed % 3 == 2) hw = SmallDram(HwConfig::ForArray(16, 16));
    const CompiledNetwork c = Compile(net, hw);
    EXPECT_TRUE(c.tensors.at("input").binary);
    EXPECT_FALSE(c.tensors.at("layer").binary);
    inside += ExpectMatchesGolden(net, hw);
    if (HasFailure()) break;
  }
  // The requantized outputs are not all at the clamp bounds.
  EXPECT_GT(inside, 1000u);
}

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

// conv -> conv -> fc, all a1w1; c1 and c2 store their sign outputs binary,
// so no tensor between them is int8 in DRAM.
Network ChainedNetwork(uint64_t seed, int c1_out, int c2_out) {
  SplitMix64 rng(seed);
  Network net;
  net.name = "a1w1_chain";
  net.input = Tensor<int8_t>({1, 7, 6, 11});
  RandomizeSigns(&rng, &net.input);
  ConvGeometry g;
  g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = 1;
  Layer c1 = RandomConvLayer(&rng, "c1", 11, c1_out, 3, 3, g);
  NarrowLayer(&rng, Precision::kA1W1, &c1);
  SignOutput(&c1);
  ConvGeometry g2;
  g2.stride_h = g2.stride_w = 2;
  g2.pad_top = g2.pad_left = 1;
  Layer c2 = RandomConvLayer(&rng, "c2", c1_out, c2_out, 3, 3, g2);
  c2.inputs = {"c1"};
  NarrowLayer(&rng, Precision::kA1W1, &c2);
  SignOutput(&c2);
  Layer fc = RandomFcLayer(&rng, "fc", 3 * 3 * c2_out, 5);
  fc.inputs = {"c2"};
  NarrowLayer(&rng, Precision::kA1W1, &fc);
  net.layers = {c1, c2, fc};
  return net;
}

TEST(CompilerA1W1Test, ChainedLayersStoreBinary) {
  // 4x4: a binary STORE starts on a byte only with one N tile (C = 4).
  const Network small = ChainedNetwork(3, 4, 3);
  const HwConfig hw4 = SmallDram(HwConfig::ForArray(4, 4));
  const CompiledNetwork c = Compile(small, hw4);
  EXPECT_TRUE(c.tensors.at("input").binary);
  EXPECT_TRUE(c.tensors.at("c1").binary);
  EXPECT_TRUE(c.tensors.at("c2").binary);
  EXPECT_FALSE(c.tensors.at("fc").binary);
  EXPECT_EQ(c.tensors.at("input").bytes, 7u * 6u * 2u);
  EXPECT_EQ(c.tensors.at("c1").bytes, 7u * 6u * 1u);
  ExpectMatchesGolden(small, hw4);
  // 16x16: more than 8 channels, several bytes per pixel.
  ExpectMatchesGolden(ChainedNetwork(4, 19, 12),
                      SmallDram(HwConfig::ForArray(16, 16)));
  ExpectMatchesGolden(ChainedNetwork(5, 16, 9),
                      SmallDram(HwConfig::ForArray(8, 8)));
}

// ResNet-18's 3x3 layers in A1W1 on 16x16 (the machine model's timeline,
// every element against golden). conv3_x's weights (1,152 WGT lines) stay
// resident, read from DRAM once; a step's border-class STOREs (three per
// output row) are spread over the next step's GEMMs, so the in-order
// dispatcher never waits behind a full STORE queue while the array idles.
// Before both, conv3_x kept the array busy 79% of its cycles.
TEST(CompilerA1W1Test, ResNet18LayersKeepThe16x16ArrayBusy) {
  struct Spec {
    int hw, c;
  };
  const Spec specs[] = {{56, 64}, {28, 128}, {14, 256}, {7, 512}};
  const HwConfig hw = SmallDram(HwConfig::ForArray(16, 16));
  SplitMix64 rng(18);
  ConvGeometry same;
  same.pad_top = same.pad_bottom = same.pad_left = same.pad_right = 1;
  for (const Spec& s : specs) {
    const std::string name =
        "conv" + std::to_string(s.hw) + "x" + std::to_string(s.c);
    SCOPED_TRACE(name);
    Layer l = RandomConvLayer(&rng, name, s.c, s.c, 3, 3, same);
    NarrowLayer(&rng, Precision::kA1W1, &l);
    Network net = OneLayerNetwork(&rng, {1, s.hw, s.hw, s.c}, l);
    RandomizeSigns(&rng, &net.input);
    std::vector<LayerRun> runs;
    CompiledNetwork compiled;
    ExpectMatchesGolden(net, hw, &runs, &compiled);
    ASSERT_EQ(runs.size(), 1u);
    const PerfCounters& k = runs[0].counters;
    const ProgramStats st = AnalyzeProgram(compiled.layers[0].program, hw);
    const double busy = static_cast<double>(k[kCtrArrayBusy]) /
                        static_cast<double>(k[kCtrCycles]);
    std::printf("%-12s est cycles %llu, array busy %.3f\n", name.c_str(),
                static_cast<unsigned long long>(k[kCtrCycles]), busy);
    EXPECT_GE(busy, 0.90);
    EXPECT_LT(st.load_cycles, st.gemm_cycles);
    EXPECT_EQ(k[kCtrArrayBusy] * 256u * 8u, k[kCtrMacsIssued]);
    if (s.hw == 28) {
      EXPECT_EQ(st.dram_read_bytes_buf[static_cast<int>(LoadBuf::kWgt)],
                9u * 128u * 128u / 8u);
    }
  }
}

std::string CompileError(const Network& net, const HwConfig& hw) {
  try {
    Compile(net, hw);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(CompilerA1W1Test, Errors) {
  const HwConfig hw = SmallDram(HwConfig::ForArray(4, 4));
  // A binary output across two N tiles of a 4-column array.
  EXPECT_NE(CompileError(ChainedNetwork(3, 6, 3), hw)
                .find("layer 'c1' (conv): the output is read binary by a1w1 "
                      "layers, which needs the clamp [-1, 1]"),
            std::string::npos);
  // The producer's clamp is not [-1, 1].
  Network wide = ChainedNetwork(3, 4, 3);
  wide.layers[0].quant.act_max = 2;
  EXPECT_NE(CompileError(wide, hw).find("(got [-1, 2])"), std::string::npos)
      << CompileError(wide, hw);
  // An int8 layer reads the same tensor.
  Network shared = ChainedNetwork(3, 4, 3);
  SplitMix64 rng(1);
  Layer c8 = RandomConvLayer(&rng, "c8", 4, 2, 1, 1, {});
  c8.inputs = {"c1"};
  shared.layers.push_back(c8);
  EXPECT_NE(CompileError(shared, hw)
                .find("layer 'c2' (conv): precision a1w1 reads its input "
                      "binary, but 'c1' is also read by array layer 'c8' in "
                      "int8"),
            std::string::npos)
      << CompileError(shared, hw);
  // Groups whose signs do not start on a byte.
  Network grouped;
  grouped.input = Tensor<int8_t>({1, 3, 3, 6});
  RandomizeSigns(&rng, &grouped.input);
  ConvGeometry g;
  g.groups = 2;
  Layer l = RandomConvLayer(&rng, "g", 6, 4, 1, 1, g);
  NarrowLayer(&rng, Precision::kA1W1, &l);
  grouped.layers = {l};
  EXPECT_NE(CompileError(grouped, hw)
                .find("layer 'g' (conv): a grouped conv in precision a1w1 "
                      "needs input channels per group that are a multiple of "
                      "8 (got 3 in 2 groups)"),
            std::string::npos)
      << CompileError(grouped, hw);
  // Input zero point.
  Network zp = ChainedNetwork(3, 4, 3);
  zp.layers[0].quant.in_zp = 1;
  EXPECT_NE(CompileError(zp, hw).find("input zero point 1 in precision a1w1"),
            std::string::npos)
      << CompileError(zp, hw);
}

}  // namespace
}  // namespace sparq
