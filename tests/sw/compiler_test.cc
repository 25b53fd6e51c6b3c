#include "sw/compiler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/network.h"
#include "sim/model_device.h"
#include "sw/cost_model.h"
#include "sw/packing.h"
#include "sw/runtime.h"
#include "tests/common/random_layers.h"

namespace sparq {
namespace {

// Smaller layers than the RTL test's, with more of the geometry: kernels up
// to 4, strides up to 3, batches.
const RandomLayerOptions kLayerOptions = [] {
  RandomLayerOptions o;
  o.max_hw = 12;
  o.max_channels = 13;
  o.max_kernel = 4;
  o.max_stride = 3;
  o.max_batch = 3;
  o.allow_large = false;
  return o;
}();

Network RandomLayer(SplitMix64* rng, int n, bool fc) {
  return fc ? RandomFcNetwork(rng, "fc" + std::to_string(n), kLayerOptions)
            : RandomConvNetwork(rng, "conv" + std::to_string(n), kLayerOptions);
}

struct RunResult {
  std::vector<LayerRun> runs;
  CompiledNetwork compiled;
  uint64_t clamped = 0, outputs = 0;
};

// Compiles for hw, runs on the machine model and compares every output
// element of every layer with golden's reference.
RunResult ExpectMatchesGolden(const Network& net, const HwConfig& hw) {
  RunResult r;
  SCOPED_TRACE(DescribeLayer(net) + " on " + hw.ToString());
  r.compiled = Compile(net, hw);
  std::unique_ptr<Device> dev = MakeModelDevice(hw);
  r.runs = RunNetwork(net, r.compiled, *dev);
  const std::map<std::string, Tensor<int8_t>> ref = RunNetworkReference(net);
  EXPECT_EQ(r.runs.size(), net.layers.size());
  for (size_t n = 0; n < r.runs.size(); ++n) {
    const Layer& layer = net.layers[n];
    const Tensor<int8_t>& want = ref.at(layer.name);
    const Tensor<int8_t>& got = r.runs[n].output;
    EXPECT_EQ(got.shape, want.shape) << layer.name;
    if (got.shape != want.shape) continue;
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      if (got.data[i] != want.data[i] && bad++ == 0) first = i;
      if (!IsHostLayer(layer.kind)) {
        r.clamped += want.data[i] == layer.quant.act_min ||
                     want.data[i] == layer.quant.act_max;
        ++r.outputs;
      }
    }
    EXPECT_EQ(bad, 0u) << layer.name << ": " << bad << " of " << want.size()
                       << " outputs differ; first at flat index " << first
                       << ": expected " << int{want.data[first]} << ", got "
                       << int{got.data[first]};
    if (!IsHostLayer(layer.kind)) {
      const PerfCounters& c = r.runs[n].counters;
      if (r.compiled.layers[n].engine == LayerEngine::kNm24) {
        // 2:4 (auto takes it for a layer whose weights happen to be 2:4,
        // e.g. Cin <= 2): useful MACs count array rows, two per group of 4
        // K positions, so between half the layer's MACs and all of them.
        EXPECT_LE(c[kCtrUsefulMacs], r.runs[n].macs) << layer.name;
        EXPECT_GE(2 * c[kCtrUsefulMacs], r.runs[n].macs) << layer.name;
      } else {
        EXPECT_EQ(c[kCtrUsefulMacs], r.runs[n].macs) << layer.name;
      }
      EXPECT_EQ(c[kCtrInstrs], r.compiled.layers[n].program.size());
      EXPECT_GE(c[kCtrMacsIssued], c[kCtrUsefulMacs]);
    }
  }
  return r;
}

// Small SRAMs make ordinary layers need every reload path: ACT chunks
// (im2col row longer than half the ACT SRAM), several WGT fills per N tile,
// M tiles of at most 8 pixels and a PARAM range per N tile.
HwConfig TinyHw() {
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.act_lines = 64;
  hw.wgt_lines = 32;
  hw.acc_rows = 16;
  hw.param_entries = 8;
  hw.dram_bytes = 1 << 22;
  return hw;
}

HwConfig SmallDram(HwConfig hw) {
  hw.dram_bytes = 1 << 24;
  return hw;
}

TEST(CompilerTest, RandomLayersMatchGoldenOn4x4) {
  SplitMix64 rng(20240601);
  const HwConfig hw = SmallDram(HwConfig::ForArray(4, 4));
  uint64_t clamped = 0, outputs = 0;
  for (int n = 0; n < 120; ++n) {
    const Network net = RandomLayer(&rng, n, n % 5 == 4);
    const RunResult r = ExpectMatchesGolden(net, hw);
    clamped += r.clamped;
    outputs += r.outputs;
    if (HasFailure()) break;
  }
  // Guards the test itself: outputs mostly inside the clamp (ReLU layers
  // clamp about half of theirs) exercise the requantized values.
  EXPECT_LT(clamped * 3, outputs);
}

TEST(CompilerTest, RandomLayersMatchGoldenWithTinySrams) {
  SplitMix64 rng(77);
  const HwConfig hw = TinyHw();
  for (int n = 0; n < 80; ++n) {
    const Network net = RandomLayer(&rng, n, n % 4 == 3);
    ExpectMatchesGolden(net, hw);
    if (HasFailure()) break;
  }
}

TEST(CompilerTest, RandomLayersMatchGoldenOn16x16) {
  SplitMix64 rng(99);
  const HwConfig hw = SmallDram(HwConfig::ForArray(16, 16));
  for (int n = 0; n < 12; ++n) {
    const Network net = RandomLayer(&rng, n, n % 4 == 3);
    ExpectMatchesGolden(net, hw);
    if (HasFailure()) break;
  }
}

// The narrow GEMM modes: L output channels per weight byte, L ACC rows per
// pixel, one STORE per lane; on the 4x4 array and with tiny SRAMs (PARAM
// ranges of one N tile, M tiles of a few pixels).
class CompilerModeTest : public ::testing::TestWithParam<Precision> {};

TEST_P(CompilerModeTest, RandomLayersMatchGolden) {
  SplitMix64 rng(31337);
  uint64_t clamped = 0, outputs = 0;
  for (int n = 0; n < 80; ++n) {
    Network net = RandomLayer(&rng, n, n % 5 == 4);
    NarrowLayer(&rng, GetParam(), &net.layers.front());
    HwConfig hw = SmallDram(HwConfig::ForArray(4, 4));
    if (n % 2) {
      // PARAM ranges of exactly one N tile of 4 * lanes channels.
      hw = TinyHw();
      hw.param_entries = 8 * GemmModeLanes(GemmModeOf(GetParam()));
    }
    const RunResult r = ExpectMatchesGolden(net, hw);
    clamped += r.clamped;
    outputs += r.outputs;
    if (HasFailure()) break;
  }
  EXPECT_LT(clamped * 3, outputs);
}

TEST_P(CompilerModeTest, PacksLanesAndStoresEachLane) {
  SplitMix64 rng(5);
  Network net = OneLayerNetwork(&rng, {1, 3, 3, 5},
                                RandomConvLayer(&rng, "conv", 5, 37, 1, 1, {}));
  NarrowLayer(&rng, GetParam(), &net.layers.front());
  const HwConfig hw = SmallDram(HwConfig::ForArray(4, 4));
  const CompiledNetwork c = Compile(net, hw);
  const int lanes = GemmModeLanes(GemmModeOf(GetParam()));
  int stores = 0, gemms = 0;
  for (const InstrWord& w : c.layers[0].program) {
    if (OpcodeOf(w) == Opcode::kGemm) {
      const GemmInstr g = DecodeGemm(w);
      EXPECT_EQ(g.mode, GemmModeOf(GetParam()));
      EXPECT_EQ(g.acc_base % lanes, 0);
      ++gemms;
    } else if (OpcodeOf(w) == Opcode::kStore) {
      EXPECT_EQ(int64_t{1} << DecodeStore(w).acc_shift, lanes);
      ++stores;
    }
  }
  // 37 channels: N tiles of 4 * lanes channels, a STORE per non-empty lane.
  const int ntile = 4 * lanes;
  EXPECT_EQ(gemms, (37 + ntile - 1) / ntile * 2);  // 5 channels: 2 K tiles
  EXPECT_EQ(stores, (37 + 3) / 4);
  ExpectMatchesGolden(net, hw);
}

INSTANTIATE_TEST_SUITE_P(Modes, CompilerModeTest,
                         ::testing::Values(Precision::kA8W4, Precision::kA8W2),
                         [](const ::testing::TestParamInfo<Precision>& info) {
                           return std::string(PrecisionName(info.param));
                         });

// A4W4: int4 inputs packed two per byte in DRAM, the layer tiled in bytes
// (chunks, dense taps, groups whose segments start on a nibble), on the 4x4
// array, with tiny SRAMs and on 16x16; every element against golden.
TEST(CompilerA4W4Test, RandomLayersMatchGolden) {
  SplitMix64 rng(4404);
  uint64_t clamped = 0, outputs = 0;
  for (int n = 0; n < 90; ++n) {
    Network net = RandomLayer(&rng, n, n % 5 == 4);
    NarrowLayer(&rng, Precision::kA4W4, &net.layers.front());
    net.input = RandomTensor(&rng, net.input.shape, -8, 7);
    HwConfig hw = SmallDram(HwConfig::ForArray(4, 4));
    if (n % 3 == 1) hw = TinyHw();
    if (n % 3 == 2) hw = SmallDram(HwConfig::ForArray(16, 16));
    const RunResult r = ExpectMatchesGolden(net, hw);
    EXPECT_TRUE(r.compiled.tensors.at("input").int4);
    clamped += r.clamped;
    outputs += r.outputs;
    if (HasFailure()) break;
  }
  // Half the layers have a ReLU, whose lower clamp is the output zero
  // point: with 16 output levels that alone holds about a third of the
  // outputs (40% measured), so the bound is a half here, not a third.
  EXPECT_LT(clamped * 2, outputs);
}

// Which tensors are int4, and the errors when an a4w4 layer cannot get its
// input packed or a producer cannot write int4.
TEST(CompilerA4W4Test, Int4TensorsAndTheirErrors) {
  SplitMix64 rng(9);
  Network net;
  net.input = RandomTensor(&rng, {1, 4, 4, 3}, -8, 7);
  Layer a = RandomConvLayer(&rng, "a", 3, 6, 3, 3, {});
  NarrowLayer(&rng, Precision::kA4W4, &a);
  Layer b = RandomConvLayer(&rng, "b", 6, 4, 1, 1, {});
  b.inputs = {"a"};
  NarrowLayer(&rng, Precision::kA4W4, &b);
  net.layers = {a, b};
  const HwConfig hw = SmallDram(HwConfig::ForArray(4, 4));
  const CompiledNetwork c = Compile(net, hw);
  EXPECT_TRUE(c.tensors.at("input").int4);
  EXPECT_TRUE(c.tensors.at("a").int4);
  EXPECT_FALSE(c.tensors.at("b").int4);  // the network output stays int8
  EXPECT_EQ(c.tensors.at("input").bytes, 4u * 4u * 2u);
  EXPECT_EQ(c.tensors.at("a").bytes, 2u * 2u * 3u);
  ExpectMatchesGolden(net, hw);

  // The producer's clamp leaves int4.
  Network wide = net;
  wide.layers[0].quant.act_max = 8;
  try {
    Compile(wide, hw);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "layer 'a' (conv): the output is read int4 by a4w4 layers, "
                  "which needs a clamp within [-8, 7]"),
              std::string::npos)
        << e.what();
  }
  // An int8 array layer reads the same input.
  Network shared = net;
  Layer c8 = RandomConvLayer(&rng, "c8", 6, 2, 1, 1, {});
  c8.inputs = {"a"};
  shared.layers.push_back(c8);
  try {
    Compile(shared, hw);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "layer 'b' (conv): precision a4w4 reads its input int4, but "
                  "'a' is also read by array layer 'c8' in int8"),
              std::string::npos)
        << e.what();
  }
  // The input zero point is the pad nibble.
  Network zp = net;
  zp.layers[0].quant.in_zp = 9;
  EXPECT_THROW(Compile(zp, hw), InputError);
}

TEST(CompilerTest, RejectsWeightsOutsideThePrecision) {
  SplitMix64 rng(6);
  Network net = OneLayerNetwork(&rng, {1, 2, 2, 3},
                                RandomConvLayer(&rng, "conv", 3, 4, 1, 1, {}));
  net.layers[0].precision = Precision::kA8W4;
  net.layers[0].weights.data.assign(net.layers[0].weights.size(), 7);
  net.layers[0].weights.data[5] = -9;
  try {
    Compile(net, HwConfig::ForArray(4, 4));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("weight 5 = -9"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("a8w4"), std::string::npos);
  }
}

// Counts the instructions of a program by kind and target buffer.
struct Census {
  int act_loads = 0, wgt_loads = 0, param_loads = 0, gemms = 0, stores = 0;
  int dwconvs = 0;
  int64_t act_lines = 0;
  int max_m_rows = 0;
  std::vector<int> acc_bases;
};
Census Count(const std::vector<InstrWord>& program) {
  Census c;
  for (const InstrWord& w : program) {
    switch (OpcodeOf(w)) {
      case Opcode::kLoad: {
        const LoadInstr l = DecodeLoad(w);
        (l.buf == 0 ? c.act_loads : l.buf == 1 ? c.wgt_loads : c.param_loads)++;
        if (l.buf == 0) c.act_lines += l.ny * l.nx * l.kh * l.kw * l.nl;
        break;
      }
      case Opcode::kGemm: {
        const GemmInstr g = DecodeGemm(w);
        ++c.gemms;
        c.max_m_rows = std::max(c.max_m_rows, static_cast<int>(g.m_rows));
        break;
      }
      case Opcode::kStore:
        ++c.stores;
        c.acc_bases.push_back(static_cast<int>(DecodeStore(w).acc_base));
        break;
      case Opcode::kSpmv:
        ADD_FAILURE() << "dense layers compile to no Spmv";
        break;
      case Opcode::kDwconv:
        ++c.dwconvs;
        break;
    }
  }
  return c;
}

TEST(CompilerTest, LargeLayersTileAndReloadOn4x4) {
  SplitMix64 rng(5);
  const HwConfig hw = SmallDram(HwConfig::ForArray(4, 4));
  ConvGeometry same;
  same.pad_top = same.pad_bottom = same.pad_left = same.pad_right = 1;

  // 676 output pixels of 36 ACT lines: 113 fit an ACT half, so M tiles of
  // 4 whole rows (7 of them), each stored per N tile.
  Network net =
      OneLayerNetwork(&rng, {1, 26, 26, 16},
                      RandomConvLayer(&rng, "m_tiles", 16, 12, 3, 3, same));
  RunResult r = ExpectMatchesGolden(net, hw);
  Census c = Count(r.compiled.layers[0].program);
  EXPECT_EQ(c.act_lines, 676 * 36);  // every pixel gathered once
  EXPECT_GE(c.act_loads, 7);
  EXPECT_EQ(c.stores, 3 * 7);
  EXPECT_GT(c.max_m_rows, hw.cols);

  // 130 channels: dense taps, 293 K tiles per N tile (297 one line per
  // tap), 256 per WGT half: two fills per N tile.
  net = OneLayerNetwork(&rng, {1, 2, 6, 130},
                        RandomConvLayer(&rng, "k_groups", 130, 6, 3, 3, same));
  r = ExpectMatchesGolden(net, hw);
  c = Count(r.compiled.layers[0].program);
  EXPECT_EQ(c.wgt_loads, 2 * 2);

  // An im2col row of 9 * 475 lines exceeds half the ACT SRAM: chunks of
  // 455 + 20 lines per tap, one pixel per M tile, ACT refilled per
  // (pixel, N tile, chunk) and accumulated in ACC across the chunks.
  net = OneLayerNetwork(&rng, {1, 3, 3, 1900},
                        RandomConvLayer(&rng, "chunked", 1900, 5, 3, 3, same));
  r = ExpectMatchesGolden(net, hw);
  c = Count(r.compiled.layers[0].program);
  EXPECT_EQ(c.act_loads, 9 * 2 * 2);

  // 20000 features: chunked FC with a batch of 2.
  net = OneLayerNetwork(&rng, {2, 20000},
                        RandomFcLayer(&rng, "fc_chunked", 20000, 6));
  ExpectMatchesGolden(net, hw);

  // 2100 output channels > 2048 PARAM records: ranges of 1024 in alternating
  // halves, the third one waiting for the first one's stores.
  net =
      OneLayerNetwork(&rng, {1, 8}, RandomFcLayer(&rng, "fc_params", 8, 2100));
  r = ExpectMatchesGolden(net, hw);
  c = Count(r.compiled.layers[0].program);
  EXPECT_EQ(c.param_loads, 3);

  // Grouped conv with 2 x 1100 outputs: PARAM ranges per group.
  ConvGeometry grouped;
  grouped.groups = 2;
  net = OneLayerNetwork(
      &rng, {1, 2, 3, 4},
      RandomConvLayer(&rng, "grouped_params", 4, 2200, 1, 1, grouped));
  r = ExpectMatchesGolden(net, hw);
  c = Count(r.compiled.layers[0].program);
  EXPECT_EQ(c.param_loads, 4);
}

// First layers with one or three input channels: the im2col gather packs the
// taps densely (ceil(kh*kw*Cin / R) ACT lines and K tiles per pixel, not one
// line per tap), and every output matches golden on the 4x4 and 16x16.
TEST(CompilerTest, NarrowConvsPackTapsIntoDenseLines) {
  struct Case {
    const char* name;
    int h, w, cin, cout, kh, kw, stride, pad_top, pad_left, pad_bottom, pad_right;
  };
  const Case cases[] = {
      {"pd_conv1", 24, 24, 1, 8, 3, 3, 2, 0, 0, 1, 1},  // person_detect's, smaller
      {"kws_conv1", 49, 10, 1, 64, 10, 4, 2, 4, 1, 5, 1},  // ds_cnn_s's
      {"rgb7x7", 20, 20, 3, 12, 7, 7, 2, 3, 3, 3, 3},      // ResNet conv1, smaller
      {"rgb_dilated", 9, 11, 3, 5, 3, 2, 1, 1, 0, 1, 2},
  };
  SplitMix64 rng(99);
  for (const Case& k : cases) {
    ConvGeometry g;
    g.stride_h = g.stride_w = k.stride;
    g.pad_top = k.pad_top;
    g.pad_left = k.pad_left;
    g.pad_bottom = k.pad_bottom;
    g.pad_right = k.pad_right;
    if (std::string(k.name) == "rgb_dilated") g.dilation_w = 2;
    const Network net = OneLayerNetwork(
        &rng, {1, k.h, k.w, k.cin},
        RandomConvLayer(&rng, k.name, k.cin, k.cout, k.kh, k.kw, g));
    for (const HwConfig& hw :
         {HwConfig::ForArray(4, 4), HwConfig::ForArray(16, 16)}) {
      SCOPED_TRACE(std::string(k.name) + " on " + hw.ToString());
      const RunResult r = ExpectMatchesGolden(net, hw);
      const int dense_lines = (k.kh * k.kw * k.cin + hw.rows - 1) / hw.rows;
      int dense_loads = 0, gemms = 0, other_act_loads = 0;
      for (const InstrWord& w : r.compiled.layers[0].program) {
        if (OpcodeOf(w) == Opcode::kLoad) {
          const LoadInstr l = DecodeLoad(w);
          if (l.buf != static_cast<int64_t>(LoadBuf::kAct)) continue;
          if (l.dense) {
            ++dense_loads;
            EXPECT_EQ(l.nl, dense_lines);
          } else {
            ++other_act_loads;
          }
        } else if (OpcodeOf(w) == Opcode::kGemm) {
          const GemmInstr gm = DecodeGemm(w);
          EXPECT_EQ(gm.act_stride, dense_lines);
          ++gemms;
        }
      }
      EXPECT_GT(dense_loads, 0);
      EXPECT_EQ(other_act_loads, 0);
      // One GEMM per K tile per N tile per fill.
      const int ntiles = (k.cout + hw.cols - 1) / hw.cols;
      EXPECT_EQ(gemms % (dense_lines * ntiles), 0);
    }
  }
}

// The weight-narrow modes on the dense (narrow) gather: the lanes pack
// output channels along N, so a mode keeps the dense K order (taps packed
// back to back in ceil(kh*kw*Cin / R) lines) and the resident weights / ACC
// slots, with L ACC rows per pixel. Every output is compared with golden.
TEST_P(CompilerModeTest, DenseNarrowConvsKeepTheDenseKOrder) {
  struct Case {
    const char* name;
    int h, w, cin, cout, kh, kw, stride;
  };
  const Case cases[] = {
      {"pd_conv1", 24, 24, 1, 8, 3, 3, 2},
      {"kws_conv1", 25, 10, 1, 37, 10, 4, 2},
      {"rgb5x5", 14, 14, 3, 12, 5, 5, 2},
  };
  const int mode = GemmModeOf(GetParam());
  const int lanes = GemmModeLanes(mode);
  SplitMix64 rng(2468);
  for (const Case& k : cases) {
    ConvGeometry g;
    g.stride_h = g.stride_w = k.stride;
    g.pad_bottom = g.pad_right = 1;
    Network net = OneLayerNetwork(
        &rng, {1, k.h, k.w, k.cin},
        RandomConvLayer(&rng, k.name, k.cin, k.cout, k.kh, k.kw, g));
    NarrowLayer(&rng, GetParam(), &net.layers.front());
    for (const HwConfig& hw :
         {SmallDram(HwConfig::ForArray(4, 4)), HwConfig::ForArray(16, 16)}) {
      SCOPED_TRACE(std::string(k.name) + " on " + hw.ToString());
      const RunResult r = ExpectMatchesGolden(net, hw);
      const int dense_lines = (k.kh * k.kw * k.cin + hw.rows - 1) / hw.rows;
      int dense_loads = 0, gemms = 0, stores = 0;
      for (const InstrWord& w : r.compiled.layers[0].program) {
        if (OpcodeOf(w) == Opcode::kLoad) {
          const LoadInstr l = DecodeLoad(w);
          if (l.buf == static_cast<int64_t>(LoadBuf::kAct)) {
            EXPECT_EQ(l.dense, 1);
            dense_loads += l.dense != 0;
          }
        } else if (OpcodeOf(w) == Opcode::kGemm) {
          const GemmInstr gm = DecodeGemm(w);
          EXPECT_EQ(gm.mode, mode);
          EXPECT_EQ(gm.act_stride, dense_lines);
          EXPECT_EQ(gm.acc_base % lanes, 0);
          ++gemms;
        } else if (OpcodeOf(w) == Opcode::kStore) {
          EXPECT_EQ(int64_t{1} << DecodeStore(w).acc_shift, lanes);
          ++stores;
        }
      }
      EXPECT_GT(dense_loads, 0);
      // One GEMM per K tile per N tile (of L*C channels) per fill.
      const int ntiles = (k.cout + lanes * hw.cols - 1) / (lanes * hw.cols);
      EXPECT_EQ(gemms % (dense_lines * ntiles), 0);
      EXPECT_GT(stores, 0);
    }
  }
}

// Layers TFLite accepts but the LOAD fields cannot hold whole: a 1x80 audio
// kernel (kw field: 15) is gathered in kernel parts, inputs wider or higher
// than 4095 (w / h fields) one input row per LOAD. Every output is compared.
std::vector<Network> WideLayers() {
  SplitMix64 rng(1010);
  std::vector<Network> nets;
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
  tall.pad_top = 8;
  tall.pad_bottom = 8;
  tall.pad_left = 1;
  nets.push_back(OneLayerNetwork(
      &rng, {1, 4200, 2, 2}, RandomConvLayer(&rng, "layer", 2, 3, 17, 2, tall)));
  return nets;
}

TEST(CompilerTest, WideKernelsAndInputsAreSplit) {
  for (const Network& net : WideLayers()) {
    for (const HwConfig& hw :
         {SmallDram(HwConfig::ForArray(4, 4)), HwConfig::ForArray(16, 16)}) {
      const RunResult r = ExpectMatchesGolden(net, hw);
      for (const InstrWord& w : r.compiled.layers[0].program) {
        if (OpcodeOf(w) != Opcode::kLoad) continue;
        const LoadInstr l = DecodeLoad(w);
        EXPECT_LE(l.kw, 15);
        EXPECT_LE(l.w, 4095);
      }
    }
  }
}

TEST(CompilerTest, PlacesTensorsAlignedAndApart) {
  SplitMix64 rng(3);
  Network net;
  net.input = RandomTensor(&rng, {1, 5, 5, 3});
  Layer a = RandomConvLayer(&rng, "a", 3, 7, 3, 3, ConvGeometry{});
  Layer b = RandomFcLayer(&rng, "b", 3 * 3 * 7, 5);
  b.inputs = {"a"};
  net.layers = {a, b};
  const CompiledNetwork c = Compile(net, HwConfig::ForArray(4, 4));
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (const auto& [name, t] : c.tensors) {
    EXPECT_EQ(t.addr % 64, 0u) << name;
    EXPECT_EQ(t.bytes, NumElements(t.shape)) << name;
    spans.push_back({t.addr, t.addr + t.bytes});
  }
  for (const auto& [addr, bytes] : c.image) {
    EXPECT_EQ(addr % 64, 0u);
    spans.push_back({addr, addr + bytes.size()});
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i) {
    EXPECT_LE(spans[i - 1].second, spans[i].first);
  }
  EXPECT_GE(c.dram_used, spans.back().second);
  EXPECT_EQ(c.tensors.at("a").shape, (Shape{1, 3, 3, 7}));
  EXPECT_EQ(c.tensors.at("b").shape, (Shape{1, 5}));
  EXPECT_EQ(c.layers[0].macs, 9u * 7u * 27u);
  EXPECT_EQ(c.layers[1].macs, 63u * 5u);
}

void ExpectInputError(const Network& net, const HwConfig& hw,
                      const std::vector<std::string>& fragments) {
  try {
    Compile(net, hw);
    ADD_FAILURE() << "compiled " << DescribeLayer(net);
  } catch (const InputError& e) {
    for (const std::string& f : fragments) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
          << "'" << f << "' not in: " << e.what();
    }
  }
}

TEST(CompilerTest, RejectsLayersThatDoNotFitTheIsa) {
  SplitMix64 rng(8);
  const HwConfig hw = HwConfig::ForArray(4, 4);
  // A stride of 16 does not fit the 4-bit sx field (kernels and inputs
  // larger than their fields are split: WideKernelsAndInputsAreSplit).
  ConvGeometry s16;
  s16.stride_w = 16;
  ExpectInputError(OneLayerNetwork(&rng, {1, 1, 40, 1},
                                   RandomConvLayer(&rng, "wide", 1, 2, 1, 2,
                                                   s16)),
                   hw, {"layer 'wide' (conv)", "LOAD.sx = 16"});
  Layer bad = RandomFcLayer(&rng, "badq", 4, 3);
  bad.quant.multiplier[1] = 5;
  ExpectInputError(OneLayerNetwork(&rng, {1, 4}, bad), hw,
                   {"layer 'badq' (fc)", "output channel 1"});
  Layer zp = RandomFcLayer(&rng, "zp", 4, 3);
  zp.quant.out_zp = 200;
  ExpectInputError(OneLayerNetwork(&rng, {1, 4}, zp), hw,
                   {"layer 'zp'", "STORE.out_zp = 200"});
  HwConfig tiny_dram = hw;
  tiny_dram.dram_bytes = 4096;
  ExpectInputError(
      OneLayerNetwork(&rng, {1, 40, 40, 3},
                      RandomConvLayer(&rng, "big", 3, 4, 1, 1, ConvGeometry{})),
      tiny_dram, {"does not fit", "DRAM"});
  Layer orphan = RandomFcLayer(&rng, "orphan", 4, 3);
  orphan.inputs = {"nowhere"};
  ExpectInputError(OneLayerNetwork(&rng, {1, 4}, orphan), hw,
                   {"layer 'orphan'", "'nowhere'"});
  HwConfig odd = hw;
  odd.act_lines = 1000;
  ExpectInputError(
      OneLayerNetwork(&rng, {1, 4}, RandomFcLayer(&rng, "x", 4, 3)), odd,
      {"powers of two"});
}

// The ResNet-18 3x3 layers on the 16x16 array with a 16 B/cycle DRAM port:
// bit-exact, and the estimated array-busy fraction (timeline of the machine
// model: in-order engines, 8-deep queues, tokens) at least 90%. Prints the
// static balance of each layer (docs/compiler.md has the table).
TEST(CompilerTest, ResNet18LayersKeepThe16x16ArrayBusy) {
  struct Spec {
    int hw, c;
  };
  const Spec specs[] = {{56, 64}, {28, 128}, {14, 256}, {7, 512}};
  const HwConfig hw = HwConfig::ForArray(16, 16);
  SplitMix64 rng(18);
  ConvGeometry same;
  same.pad_top = same.pad_bottom = same.pad_left = same.pad_right = 1;
  std::printf(
      "layer            instrs  DRAM rd MB  DRAM wr MB  load cyc  array cyc  "
      "est cycles  busy\n");
  for (const Spec& s : specs) {
    const std::string name =
        "conv" + std::to_string(s.hw) + "x" + std::to_string(s.c);
    const Network net =
        OneLayerNetwork(&rng, {1, s.hw, s.hw, s.c},
                        RandomConvLayer(&rng, name, s.c, s.c, 3, 3, same));
    const RunResult r = ExpectMatchesGolden(net, hw);
    const PerfCounters& k = r.runs[0].counters;
    const ProgramStats st = AnalyzeProgram(r.compiled.layers[0].program, hw);
    const double busy = static_cast<double>(k[kCtrArrayBusy]) /
                        static_cast<double>(k[kCtrCycles]);
    std::printf(
        "%-16s %6llu  %10.2f  %10.2f  %8llu  %9llu  %10llu  %.3f\n",
        name.c_str(),
        static_cast<unsigned long long>(st.loads + st.gemms + st.stores),
        st.dram_read_bytes / 1e6, st.dram_write_bytes / 1e6,
        static_cast<unsigned long long>(st.load_cycles),
        static_cast<unsigned long long>(st.gemm_cycles),
        static_cast<unsigned long long>(k[kCtrCycles]), busy);
    EXPECT_GE(busy, 0.90) << name;
    EXPECT_LT(st.load_cycles, st.gemm_cycles) << name;
    EXPECT_EQ(k[kCtrArrayBusy] * 256u, k[kCtrMacsIssued]);
  }
}

}  // namespace
}  // namespace sparq
