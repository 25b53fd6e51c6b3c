#include "sw/compiler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "golden/layers.h"
#include "golden/network.h"
#include "golden/errors.h"
#include "golden/requant.h"
#include "sim/model_device.h"
#include "sw/cost_model.h"
#include "sw/runtime.h"

namespace sparq {
namespace {

int Uniform(std::mt19937* rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(*rng);
}

Tensor<int8_t> RandomTensor(std::mt19937* rng, const Shape& shape) {
  Tensor<int8_t> t(shape);
  for (int8_t& v : t.data) v = static_cast<int8_t>(Uniform(rng, -128, 127));
  return t;
}

// Quantization that keeps most outputs inside the clamp, so the comparison
// sees real values rather than saturated ones.
QuantParams RandomQuant(std::mt19937* rng, int channels, int reduction) {
  QuantParams q;
  q.in_zp = Uniform(rng, -128, 127);
  q.out_zp = Uniform(rng, -60, 60);
  switch (Uniform(rng, 0, 3)) {
    case 0:
      q.act_min = q.out_zp;  // ReLU
      break;
    case 1:
      q.act_min = q.out_zp;  // ReLU6-like
      q.act_max = std::min(127, q.out_zp + 60);
      break;
    default:
      break;
  }
  const double spread =
      128.0 * 80.0 * std::sqrt(static_cast<double>(reduction));
  for (int c = 0; c < channels; ++c) {
    int32_t m;
    int s;
    QuantizeMultiplier(
        std::uniform_real_distribution<double>(0.2, 1.0)(*rng) * 60.0 / spread,
        &m, &s);
    q.multiplier.push_back(m);
    q.shift.push_back(s);
  }
  return q;
}

std::vector<int32_t> RandomBias(std::mt19937* rng, int channels,
                                int reduction) {
  std::vector<int32_t> b;
  if (Uniform(rng, 0, 9) == 0) return b;  // no bias tensor
  const int range = static_cast<int>(4000 * std::sqrt(reduction));
  for (int c = 0; c < channels; ++c) b.push_back(Uniform(rng, -range, range));
  return b;
}

Layer ConvLayer(std::mt19937* rng, const std::string& name, int cin, int cout,
                int kh, int kw, const ConvGeometry& geom) {
  Layer l;
  l.name = name;
  l.kind = LayerKind::kConv;
  l.inputs = {"input"};
  l.geom = geom;
  l.weights = RandomTensor(rng, {cout, kh, kw, cin / geom.groups});
  l.bias = RandomBias(rng, cout, kh * kw * cin / geom.groups);
  l.quant = RandomQuant(rng, cout, kh * kw * cin / geom.groups);
  return l;
}

Layer FcLayer(std::mt19937* rng, const std::string& name, int in, int out) {
  Layer l;
  l.name = name;
  l.kind = LayerKind::kFc;
  l.inputs = {"input"};
  l.weights = RandomTensor(rng, {out, in});
  l.bias = RandomBias(rng, out, in);
  l.quant = RandomQuant(rng, out, in);
  return l;
}

Network OneLayer(std::mt19937* rng, const Shape& input, Layer layer) {
  Network net;
  net.name = layer.name;
  net.input = RandomTensor(rng, input);
  net.layers.push_back(std::move(layer));
  return net;
}

std::string Describe(const Network& net) {
  const Layer& l = net.layers[0];
  std::string s = l.name + " input " + ShapeToString(net.input.shape) +
                  " weights " + ShapeToString(l.weights.shape);
  if (l.kind == LayerKind::kConv) {
    const ConvGeometry& g = l.geom;
    char buf[160];
    std::snprintf(buf, sizeof(buf),
                  " stride %dx%d pad t%d l%d b%d r%d dil %dx%d groups %d",
                  g.stride_h, g.stride_w, g.pad_top, g.pad_left, g.pad_bottom,
                  g.pad_right, g.dilation_h, g.dilation_w, g.groups);
    s += buf;
  }
  return s;
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
  SCOPED_TRACE(Describe(net) + " on " + hw.ToString());
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
      EXPECT_EQ(c[kCtrUsefulMacs], r.runs[n].macs) << layer.name;
      EXPECT_EQ(c[kCtrInstrs], r.compiled.layers[n].program.size());
      EXPECT_GE(c[kCtrMacsIssued], c[kCtrUsefulMacs]);
    }
  }
  return r;
}

// A random conv with everything the lowering must handle: sizes that are
// not multiples of the array, stride, asymmetric padding, dilation, groups,
// depthwise, batch, zero points and clamps.
Network RandomConvNetwork(std::mt19937* rng, int index) {
  for (;;) {
    ConvGeometry g;
    int cin, cout;
    switch (Uniform(rng, 0, 5)) {
      case 0:  // depthwise, channel multiplier 1 or 2
        cin = Uniform(rng, 1, 12);
        g.groups = cin;
        cout = cin * Uniform(rng, 1, 2);
        break;
      case 1:  // grouped
        g.groups = Uniform(rng, 2, 3);
        cin = g.groups * Uniform(rng, 1, 7);
        cout = g.groups * Uniform(rng, 1, 7);
        break;
      default:
        cin = Uniform(rng, 1, 13);
        cout = Uniform(rng, 1, 13);
        break;
    }
    const int kh = Uniform(rng, 1, 4), kw = Uniform(rng, 1, 4);
    g.stride_h = Uniform(rng, 1, 3);
    g.stride_w = Uniform(rng, 1, 3);
    g.dilation_h = Uniform(rng, 1, 2);
    g.dilation_w = Uniform(rng, 1, 2);
    g.pad_top = Uniform(rng, 0, 2);
    g.pad_bottom = Uniform(rng, 0, 2);
    g.pad_left = Uniform(rng, 0, 3);
    g.pad_right = Uniform(rng, 0, 2);
    const int h = Uniform(rng, 1, 12), w = Uniform(rng, 1, 12);
    const int batch = Uniform(rng, 0, 4) == 0 ? 2 : 1;
    if (ConvOutSize(h, kh, g.stride_h, g.pad_top, g.pad_bottom, g.dilation_h) <
            1 ||
        ConvOutSize(w, kw, g.stride_w, g.pad_left, g.pad_right, g.dilation_w) <
            1) {
      continue;
    }
    return OneLayer(
        rng, {batch, h, w, cin},
        ConvLayer(rng, "conv" + std::to_string(index), cin, cout, kh, kw, g));
  }
}

Network RandomFcNetwork(std::mt19937* rng, int index) {
  const int batch = Uniform(rng, 1, 3);
  Shape in;
  if (Uniform(rng, 0, 1) == 0) {
    in = {batch, Uniform(rng, 1, 40)};
  } else {
    in = {batch, Uniform(rng, 1, 3), Uniform(rng, 1, 3), Uniform(rng, 1, 7)};
  }
  const int features = static_cast<int>(NumElements(in)) / batch;
  return OneLayer(rng, in,
                  FcLayer(rng, "fc" + std::to_string(index), features,
                          Uniform(rng, 1, 20)));
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
  std::mt19937 rng(20240601);
  const HwConfig hw = SmallDram(HwConfig::ForArray(4, 4));
  uint64_t clamped = 0, outputs = 0;
  for (int n = 0; n < 120; ++n) {
    const Network net =
        n % 5 == 4 ? RandomFcNetwork(&rng, n) : RandomConvNetwork(&rng, n);
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
  std::mt19937 rng(77);
  const HwConfig hw = TinyHw();
  for (int n = 0; n < 80; ++n) {
    const Network net =
        n % 4 == 3 ? RandomFcNetwork(&rng, n) : RandomConvNetwork(&rng, n);
    ExpectMatchesGolden(net, hw);
    if (HasFailure()) break;
  }
}

TEST(CompilerTest, RandomLayersMatchGoldenOn16x16) {
  std::mt19937 rng(99);
  const HwConfig hw = SmallDram(HwConfig::ForArray(16, 16));
  for (int n = 0; n < 12; ++n) {
    const Network net =
        n % 4 == 3 ? RandomFcNetwork(&rng, n) : RandomConvNetwork(&rng, n);
    ExpectMatchesGolden(net, hw);
    if (HasFailure()) break;
  }
}

// Counts the instructions of a program by kind and target buffer.
struct Census {
  int act_loads = 0, wgt_loads = 0, param_loads = 0, gemms = 0, stores = 0;
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
    }
  }
  return c;
}

TEST(CompilerTest, LargeLayersTileAndReloadOn4x4) {
  std::mt19937 rng(5);
  const HwConfig hw = SmallDram(HwConfig::ForArray(4, 4));
  ConvGeometry same;
  same.pad_top = same.pad_bottom = same.pad_left = same.pad_right = 1;

  // 676 output pixels of 36 ACT lines: 113 fit an ACT half, so M tiles of
  // 4 whole rows (7 of them), each stored per N tile.
  Network net = OneLayer(&rng, {1, 26, 26, 16},
                         ConvLayer(&rng, "m_tiles", 16, 12, 3, 3, same));
  RunResult r = ExpectMatchesGolden(net, hw);
  Census c = Count(r.compiled.layers[0].program);
  EXPECT_EQ(c.act_lines, 676 * 36);  // every pixel gathered once
  EXPECT_GE(c.act_loads, 7);
  EXPECT_EQ(c.stores, 3 * 7);
  EXPECT_GT(c.max_m_rows, hw.cols);

  // 297 K tiles per N tile, 256 per WGT half: two fills per N tile.
  net = OneLayer(&rng, {1, 2, 6, 130},
                 ConvLayer(&rng, "k_groups", 130, 6, 3, 3, same));
  r = ExpectMatchesGolden(net, hw);
  c = Count(r.compiled.layers[0].program);
  EXPECT_EQ(c.wgt_loads, 2 * 2);

  // An im2col row of 9 * 475 lines exceeds half the ACT SRAM: chunks of
  // 455 + 20 lines per tap, one pixel per M tile, ACT refilled per
  // (pixel, N tile, chunk) and accumulated in ACC across the chunks.
  net = OneLayer(&rng, {1, 3, 3, 1900},
                 ConvLayer(&rng, "chunked", 1900, 5, 3, 3, same));
  r = ExpectMatchesGolden(net, hw);
  c = Count(r.compiled.layers[0].program);
  EXPECT_EQ(c.act_loads, 9 * 2 * 2);

  // 20000 features: chunked FC with a batch of 2.
  net = OneLayer(&rng, {2, 20000}, FcLayer(&rng, "fc_chunked", 20000, 6));
  ExpectMatchesGolden(net, hw);

  // 2100 output channels > 2048 PARAM records: ranges of 1024 in alternating
  // halves, the third one waiting for the first one's stores.
  net = OneLayer(&rng, {1, 8}, FcLayer(&rng, "fc_params", 8, 2100));
  r = ExpectMatchesGolden(net, hw);
  c = Count(r.compiled.layers[0].program);
  EXPECT_EQ(c.param_loads, 3);

  // Grouped conv with 2 x 1100 outputs: PARAM ranges per group.
  ConvGeometry grouped;
  grouped.groups = 2;
  net = OneLayer(&rng, {1, 2, 3, 4},
                 ConvLayer(&rng, "grouped_params", 4, 2200, 1, 1, grouped));
  r = ExpectMatchesGolden(net, hw);
  c = Count(r.compiled.layers[0].program);
  EXPECT_EQ(c.param_loads, 4);
}

TEST(CompilerTest, PlacesTensorsAlignedAndApart) {
  std::mt19937 rng(3);
  Network net;
  net.input = RandomTensor(&rng, {1, 5, 5, 3});
  Layer a = ConvLayer(&rng, "a", 3, 7, 3, 3, ConvGeometry{});
  Layer b = FcLayer(&rng, "b", 3 * 3 * 7, 5);
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
    ADD_FAILURE() << "compiled " << Describe(net);
  } catch (const InputError& e) {
    for (const std::string& f : fragments) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
          << "'" << f << "' not in: " << e.what();
    }
  }
}

TEST(CompilerTest, RejectsLayersThatDoNotFitTheIsa) {
  std::mt19937 rng(8);
  const HwConfig hw = HwConfig::ForArray(4, 4);
  // kw = 16 does not fit the 4-bit kw field.
  ExpectInputError(
      OneLayer(&rng, {1, 1, 20, 1},
               ConvLayer(&rng, "wide", 1, 2, 1, 16, ConvGeometry{})),
      hw, {"layer 'wide' (conv)", "LOAD.kw = 16"});
  // An input 5000 pixels wide does not fit the 12-bit w field.
  ExpectInputError(
      OneLayer(&rng, {1, 1, 5000, 1},
               ConvLayer(&rng, "long", 1, 1, 1, 1, ConvGeometry{})),
      hw, {"layer 'long'", "LOAD.w = 5000"});
  Layer bad = FcLayer(&rng, "badq", 4, 3);
  bad.quant.multiplier[1] = 5;
  ExpectInputError(OneLayer(&rng, {1, 4}, bad), hw,
                   {"layer 'badq' (fc)", "output channel 1"});
  Layer zp = FcLayer(&rng, "zp", 4, 3);
  zp.quant.out_zp = 200;
  ExpectInputError(OneLayer(&rng, {1, 4}, zp), hw,
                   {"layer 'zp'", "STORE.out_zp = 200"});
  HwConfig tiny_dram = hw;
  tiny_dram.dram_bytes = 4096;
  ExpectInputError(OneLayer(&rng, {1, 40, 40, 3},
                            ConvLayer(&rng, "big", 3, 4, 1, 1, ConvGeometry{})),
                   tiny_dram, {"does not fit", "DRAM"});
  Layer orphan = FcLayer(&rng, "orphan", 4, 3);
  orphan.inputs = {"nowhere"};
  ExpectInputError(OneLayer(&rng, {1, 4}, orphan), hw,
                   {"layer 'orphan'", "'nowhere'"});
  HwConfig odd = hw;
  odd.act_lines = 1000;
  ExpectInputError(OneLayer(&rng, {1, 4}, FcLayer(&rng, "x", 4, 3)), odd,
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
  std::mt19937 rng(18);
  ConvGeometry same;
  same.pad_top = same.pad_bottom = same.pad_left = same.pad_right = 1;
  std::printf(
      "layer            instrs  DRAM rd MB  DRAM wr MB  load cyc  array cyc  "
      "est cycles  busy\n");
  for (const Spec& s : specs) {
    const std::string name =
        "conv" + std::to_string(s.hw) + "x" + std::to_string(s.c);
    const Network net = OneLayer(&rng, {1, s.hw, s.hw, s.c},
                                 ConvLayer(&rng, name, s.c, s.c, 3, 3, same));
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
