#include "bench/bench_networks.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "golden/errors.h"
#include "golden/network.h"
#include "sim/cmd_import.h"
#include "sim/network_yaml.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/cost_model.h"
#include "sw/runtime.h"
#include "tests/common/build_paths.h"

namespace sparq {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

RunConfig LoadBenchNetwork(const std::string& name) {
  const std::string root = SPARQ_SOURCE_DIR;
  if (name == "person_detect") {
    return LoadTfliteRunConfig(root + "/tests/data/tflite/person_detect.tflite",
                               "");
  }
  if (name == "ds_cnn_s") {
    return LoadRunConfig(root + "/tests/data/ds_cnn_s/ds_cnn_s.yaml");
  }
  throw InputError("--networks: expected person_detect or ds_cnn_s, got '" +
                   name + "'");
}

bool IsDepthwise(const Layer& l) {
  return l.kind == LayerKind::kConv && l.geom.groups > 1 &&
         l.weights.dim(3) == 1;
}

// What the array's shape allows a layer: the fraction of the R x C MACs of
// its K and N tiles that carry data, K = kh*kw*Cin_g, N = Cout_g. A
// depthwise layer runs on the depthwise unit (R lanes, kh*kw MACs each, one
// input pixel per cycle): kh*kw/C of the array's MACs per cycle, times the
// lanes its channels fill (N = Cout; R/2 channels fill all R lanes in pair
// mode), divided by the input pixels per output (sy*sx; the two-pixel walk
// of a stride-2 row with an odd kw reads two pixels per cycle: sy).
double ShapeAllows(const Layer& l, const HwConfig& hw) {
  int64_t k = 0, n = 0;
  if (IsDepthwise(l)) {
    const int64_t kh = l.weights.dim(1), kw = l.weights.dim(2);
    n = l.weights.dim(0);
    const bool pair = 2 * n == hw.rows && kw == 3 && l.geom.stride_w == 1;
    const bool px2 = !pair && l.geom.stride_w == 2 && kw % 2 == 1;
    const int64_t lanes = pair ? hw.rows : n;
    return static_cast<double>(kh * kw) / hw.cols *
           static_cast<double>(lanes) / (hw.rows * CeilDiv(lanes, hw.rows)) /
           (l.geom.stride_h * (px2 ? 1 : l.geom.stride_w));
  }
  if (l.kind == LayerKind::kConv) {
    k = static_cast<int64_t>(l.weights.dim(1)) * l.weights.dim(2) *
        l.weights.dim(3);
    n = l.weights.dim(0) / l.geom.groups;
  } else {
    n = l.weights.dim(0);
    k = static_cast<int64_t>(l.weights.size()) / n;
  }
  return static_cast<double>(k) / (hw.rows * CeilDiv(k, hw.rows)) *
         static_cast<double>(n) / (hw.cols * CeilDiv(n, hw.cols));
}

std::string ShapeOf(const Layer& l) {
  if (l.kind != LayerKind::kConv) {
    return std::to_string(l.weights.size() / l.weights.dim(0)) + "->" +
           std::to_string(l.weights.dim(0));
  }
  std::string s = std::to_string(l.weights.dim(1)) + "x" +
                  std::to_string(l.weights.dim(2)) + "x" +
                  std::to_string(l.weights.dim(3)) + "->" +
                  std::to_string(l.weights.dim(0));
  if (l.geom.stride_h > 1 || l.geom.stride_w > 1) {
    s += " s" + std::to_string(l.geom.stride_h);
  }
  if (l.geom.groups > 1) s += " dw";
  return s;
}

}  // namespace

std::vector<NetworkFigures> BenchNetworks(
    const HwConfig& hw, const std::vector<std::string>& names) {
  std::vector<NetworkFigures> out;
  const double pe = hw.rows * hw.cols;
  for (const std::string& name : names) {
    const RunConfig cfg = LoadBenchNetwork(name);
    const CompiledNetwork compiled = Compile(cfg.net, hw);
    const auto ref = RunNetworkReference(cfg.net);
    std::unique_ptr<Device> dev = MakeRtlDevice(hw);
    const std::vector<LayerRun> runs = RunNetwork(cfg.net, compiled, *dev);
    NetworkFigures f;
    f.name = name;
    f.exact = true;
    std::printf("\n%s (%zu layers) on %s, accelerator layers:\n", name.c_str(),
                runs.size(), hw.BuildName().c_str());
    std::printf("%-16s %-18s %11s %9s %8s %8s %8s %8s %8s %8s %6s %6s\n",
                "layer", "shape", "MACs", "cycles", "MACs/cy", "util %",
                "allows %", "of it %", "rd beats", "dw walk", "instrs",
                "exact");
    for (size_t i = 0; i < runs.size(); ++i) {
      const LayerRun& r = runs[i];
      const bool exact = r.output.data == ref.at(r.name).data;
      f.exact = f.exact && exact;
      if (r.host) continue;
      const Layer& l = cfg.net.layers[i];
      const uint64_t cycles = r.counters[kCtrCycles];
      const uint64_t useful = r.counters[kCtrUsefulMacs];
      f.cycles += cycles;
      f.useful_macs += useful;
      const double util = useful / (static_cast<double>(cycles) * pe);
      const double allows = ShapeAllows(l, hw);
      // DRAM beats read, the depthwise unit's walk cycles (one grid pixel
      // per cycle, weight box reads included) and instructions: set against
      // the cycles, they say what binds the layer.
      const ProgramStats st = AnalyzeProgram(compiled.layers[i].program, hw);
      std::printf(
          "%-16s %-18s %11llu %9llu %8.2f %8.2f %8.2f %8.1f %8llu %8llu %6zu "
          "%6s\n",
          r.name.c_str(), ShapeOf(l).c_str(),
          static_cast<unsigned long long>(r.macs),
          static_cast<unsigned long long>(cycles),
          static_cast<double>(useful) / cycles, 100.0 * util, 100.0 * allows,
          100.0 * util / allows,
          static_cast<unsigned long long>(st.dram_read_bytes /
                                          hw.dram_beat_bytes()),
          static_cast<unsigned long long>(st.dw_cycles),
          compiled.layers[i].program.size(), exact ? "yes" : "NO");
    }
    std::printf("%-16s %-18s %11llu %9llu %8.2f %8.2f %8s %8s %8s %8s %6s %6s\n",
                "network", "", static_cast<unsigned long long>(f.useful_macs),
                static_cast<unsigned long long>(f.cycles),
                static_cast<double>(f.useful_macs) / f.cycles,
                100.0 * f.useful_macs / (static_cast<double>(f.cycles) * pe), "",
                "", "", "", "", f.exact ? "yes" : "NO");
    out.push_back(f);
  }
  return out;
}

}  // namespace sparq
