#include "bench/mode_table.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "golden/int16_layers.h"
#include "golden/network.h"
#include "golden/precision.h"
#include "golden/random.h"
#include "golden/requant.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/cost_model.h"
#include "sw/runtime.h"

namespace sparq {
namespace {

// A layer with weights drawn inside `p`'s range and multipliers scaled to
// its dot products, so the outputs are requantized values, not the clamp.
Network MakeLayer(bool fc, Precision p, uint64_t seed) {
  SplitMix64 rng(seed);
  int lo = 0, hi = 0;
  WeightRange(p, &lo, &hi);
  Network net;
  Layer l;
  l.kind = fc ? LayerKind::kFc : LayerKind::kConv;
  l.name = fc ? "fc1024" : "conv3_x";
  l.inputs = {"input"};
  l.precision = p;
  int cout = 0;
  if (fc) {
    net.input = Tensor<int8_t>({1, 1024});
    l.weights = Tensor<int8_t>({1024, 1024});
    cout = 1024;
  } else {
    net.input = Tensor<int8_t>({1, 28, 28, 128});
    l.weights = Tensor<int8_t>({128, 3, 3, 128});
    l.geom.pad_top = l.geom.pad_left = l.geom.pad_bottom = l.geom.pad_right =
        1;
    cout = 128;
  }
  net.name = l.name;
  // A4W4: int4 activations, zero points and outputs. A1W1: +-1 activations
  // and weights, input zero point 0.
  const bool a4 = p == Precision::kA4W4;
  const bool a1 = p == Precision::kA1W1;
  const int a_lo = a4 ? -8 : -128, a_hi = a4 ? 7 : 127;
  for (auto& v : net.input.data) {
    v = static_cast<int8_t>(a1 ? 2 * rng.Uniform(0, 1) - 1
                               : rng.Uniform(a_lo, a_hi));
  }
  for (auto& v : l.weights.data) {
    v = static_cast<int8_t>(a1 ? 2 * rng.Uniform(0, 1) - 1
                               : rng.Uniform(lo, hi));
  }
  l.quant.in_zp = a1 ? 0 : -3;
  l.quant.out_zp = a4 ? 1 : 5;
  if (a4) {
    l.quant.act_min = -8;
    l.quant.act_max = 7;
  }
  const double k = static_cast<double>(l.weights.size()) / cout;
  const double w_rms = a1 ? 1.0 : hi >= 127 ? 73.0 : hi >= 7 ? 4.6 : 0.8;
  const double a_rms = a1 ? 1.0 : a4 ? 4.6 : 74.0;
  const double out_rms = a4 ? 4.0 : 40.0;
  for (int c = 0; c < cout; ++c) {
    int32_t m;
    int s;
    QuantizeMultiplier(out_rms / (a_rms * w_rms * std::sqrt(k)), &m, &s);
    l.quant.multiplier.push_back(m);
    l.quant.shift.push_back(s);
  }
  net.layers.push_back(std::move(l));
  return net;
}

// The A16W8 layer of the same shape: int16 activations (held as their
// bytes, golden/network.h), int8 weights, an int64 bias, multipliers scaled
// to the int16 dot products.
Network MakeA16W8Layer(bool fc, uint64_t seed) {
  Network net = MakeLayer(fc, Precision::kA8W8, seed);
  SplitMix64 rng(seed + 16);
  Layer& l = net.layers.front();
  l.precision = Precision::kA16W8;
  Tensor<int16_t> x(net.input.shape);
  for (auto& v : x.data) v = static_cast<int16_t>(rng.Uniform(-32768, 32767));
  net.input = Int16ToBytes(x);
  const int cout = l.weights.dim(0);
  const double k = static_cast<double>(l.weights.size()) / cout;
  l.quant = QuantParams{};
  l.quant.act_min = -32768;
  l.quant.act_max = 32767;
  for (int c = 0; c < cout; ++c) {
    int32_t m;
    int s;
    QuantizeMultiplier(4000.0 / (18900.0 * 73.0 * std::sqrt(k)), &m, &s);
    l.quant.multiplier.push_back(m);
    l.quant.shift.push_back(s);
    l.bias64.push_back(static_cast<int64_t>(rng.Uniform(-1000000, 1000000)));
  }
  l.bias.clear();
  return net;
}

}  // namespace

bool PrintModeTable(const HwConfig& hw) {
  std::printf(
      "\nprecision modes (%s RTL, %s): speedup = A8W8 cycles / cycles\n",
      hw.BuildName().c_str(), hw.TimingString().c_str());
  std::printf("%-8s %-6s %10s %10s %12s %12s %12s %8s %6s\n", "layer", "mode",
              "cycles", "MACs", "MACs/cycle", "wgt bytes", "act bytes",
              "speedup", "exact");
  bool all_exact = true;
  for (bool fc : {false, true}) {
    uint64_t base_cycles = 0;
    for (Precision p :
         {Precision::kA8W8, Precision::kA8W4, Precision::kA8W2,
          Precision::kA4W4, Precision::kA1W1, Precision::kA16W8}) {
      const Network net = p == Precision::kA16W8 ? MakeA16W8Layer(fc, 11)
                                                 : MakeLayer(fc, p, 11);
      const CompiledNetwork c = Compile(net, hw);
      const auto ref = RunNetworkReference(net);
      std::unique_ptr<Device> dev = MakeRtlDevice(hw);
      const std::vector<LayerRun> runs = RunNetwork(net, c, *dev);
      const LayerRun& r = runs.back();
      const ProgramStats st = AnalyzeProgram(c.layers.back().program, hw);
      const uint64_t cycles = r.counters[kCtrCycles];
      if (p == Precision::kA8W8) base_cycles = cycles;
      const bool exact = r.output.data == ref.at(net.layers[0].name).data;
      all_exact = all_exact && exact;
      std::printf(
          "%-8s %-6s %10llu %10llu %12.1f %12llu %12llu %7.2fx %6s\n",
          net.layers[0].name.c_str(), PrecisionName(p),
          static_cast<unsigned long long>(cycles),
          static_cast<unsigned long long>(r.counters[kCtrUsefulMacs]),
          static_cast<double>(r.counters[kCtrUsefulMacs]) / cycles,
          static_cast<unsigned long long>(
              st.dram_read_bytes_buf[static_cast<int>(LoadBuf::kWgt)]),
          static_cast<unsigned long long>(
              st.dram_read_bytes_buf[static_cast<int>(LoadBuf::kAct)]),
          static_cast<double>(base_cycles) / cycles, exact ? "yes" : "NO");
    }
  }
  std::printf(
      "(wgt / act bytes: DRAM beats read by the WGT / ACT loads, times the "
      "beat size; A16W8 MACs are int16 x int8, each two int8 x int8 PE "
      "products)\n");
  return all_exact;
}

}  // namespace sparq
