// make bench: simulated cycles per second of an RTL build (default the 16x16
// on a 128-bit port) on ResNet-18 layers, and the array utilization of the
// 3x3 stride-1 layers conv2_x..conv5_x measured by the RTL's counters, then
// whole networks (person_detect, ds_cnn_s: bench_networks.h) per layer.
//
//   sparq_bench [--array RxC] [--dram-bits N] [--dram-latency N]
//               [--dram-stall P] [--seed S] [--layers conv2_x,conv5_x]
//               [--networks person_detect,ds_cnn_s|none] [--json FILE]
//
// The options name the same HwConfig fields as `sparq run`'s YAML and flags.

#include <time.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench_networks.h"
#include "bench/nm24_bench.h"
#include "bench/sparse_bench.h"
#include "golden/errors.h"
#include "golden/network.h"
#include "golden/random.h"
#include "bench/mode_table.h"
#include "golden/requant.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/runtime.h"

namespace sparq {
namespace {

struct ResNetLayer {
  const char* name;
  int hw;
  int channels;      // output channels
  int cin = 0;       // 0: channels
  int kernel = 3;
  int stride = 1;
};

// The 3x3, stride-1, pad-1 convolutions of ResNet-18's four stages, and its
// first layer (7x7 stride 2 on three channels: a dense im2col gather).
const ResNetLayer kLayers[] = {
    {"conv2_x", 56, 64},
    {"conv3_x", 28, 128},
    {"conv4_x", 14, 256},
    {"conv5_x", 7, 512},
    {"conv1", 224, 64, 3, 7, 2},
};

Network MakeConvNetwork(const ResNetLayer& l, uint64_t seed) {
  SplitMix64 rng(seed);
  Network net;
  net.name = l.name;
  const int cin = l.cin > 0 ? l.cin : l.channels;
  net.input = Tensor<int8_t>({1, l.hw, l.hw, cin});
  for (auto& v : net.input.data) v = static_cast<int8_t>(rng.Uniform(-128, 127));
  Layer conv;
  conv.name = l.name;
  conv.kind = LayerKind::kConv;
  conv.inputs = {"input"};
  conv.weights = Tensor<int8_t>({l.channels, l.kernel, l.kernel, cin});
  for (auto& v : conv.weights.data) v = static_cast<int8_t>(rng.Uniform(-127, 127));
  conv.bias.assign(static_cast<size_t>(l.channels), 0);
  for (auto& v : conv.bias) v = static_cast<int32_t>(rng.Uniform(-20000, 20000));
  conv.geom.pad_top = conv.geom.pad_left = conv.geom.pad_bottom =
      conv.geom.pad_right = l.kernel / 2;
  conv.geom.stride_h = conv.geom.stride_w = l.stride;
  conv.quant.in_zp = -3;
  conv.quant.out_zp = 5;
  conv.quant.act_min = -128;
  conv.quant.act_max = 127;
  for (int c = 0; c < l.channels; ++c) {
    int32_t m;
    int s;
    QuantizeMultiplier(0.00005 * (1.0 + 0.01 * c), &m, &s);
    conv.quant.multiplier.push_back(m);
    conv.quant.shift.push_back(s);
  }
  net.layers.push_back(std::move(conv));
  return net;
}

// Process CPU time: on a shared machine it tracks simulation speed better
// than wall time.
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Measured {
  std::string name;
  double cpu_seconds = 0;
  uint64_t cycles = 0;
  uint64_t busy = 0;
  uint64_t useful = 0;
  double seconds = 0;
  bool exact = false;
  PerfCounters ctr;
};

// "RxC" -> rows, cols; throws InputError naming the option otherwise.
void ParseArray(const std::string& spec, HwConfig* hw) {
  const size_t x = spec.find('x');
  const auto number = [](const std::string& t) {
    return !t.empty() && t.size() < 6 &&
           t.find_first_not_of("0123456789") == std::string::npos;
  };
  if (x == std::string::npos || !number(spec.substr(0, x)) ||
      !number(spec.substr(x + 1))) {
    throw InputError("--array: expected RxC (e.g. 16x16), got '" + spec + "'");
  }
  hw->rows = std::stoi(spec.substr(0, x));
  hw->cols = std::stoi(spec.substr(x + 1));
}

}  // namespace
}  // namespace sparq

int main(int argc, char** argv) {
  using namespace sparq;
  CLI::App app{"sparq_bench: simulated cycles/s and array utilization of an "
               "RTL build on ResNet-18 layers"};
  std::string array = "16x16";
  int dram_bits = 128;
  // A slower DRAM than `sparq run`'s default 20 cycles, so the figures show
  // the array staying busy behind a realistic memory latency.
  int dram_latency = 40;
  double dram_stall = 0.0;
  uint64_t seed = 1;
  std::string only;
  std::string networks = "person_detect,ds_cnn_s";
  std::string json;
  app.add_option("--array", array, "Array size RxC (default 16x16)");
  app.add_option("--dram-bits", dram_bits, "DRAM port width in bits (default 128)")
      ->check(CLI::Range(64, 1 << 16));
  app.add_option("--dram-latency", dram_latency,
                 "DRAM read latency in cycles (default 40)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--dram-stall", dram_stall,
                 "Probability per cycle that the DRAM port stalls (default 0)")
      ->check(CLI::Range(0.0, 0.999));
  app.add_option("--seed", seed, "SplitMix64 seed of the DRAM stall pattern");
  app.add_option("--layers", only, "Only these layers, e.g. conv2_x,conv5_x");
  app.add_option("--networks", networks,
                 "Whole networks to run after the layers (default "
                 "person_detect,ds_cnn_s; none: skip)");
  app.add_option("--json", json, "Write the figures as JSON to this file");
  bool sparse_only = false, no_sparse = false, sparse_model = false;
  app.add_flag("--sparse-only", sparse_only, "Only the sparse-engine table");
  app.add_flag("--no-sparse", no_sparse, "Skip the sparse-engine table");
  app.add_flag("--sparse-model", sparse_model,
               "Sparse-engine and 2:4 tables on the machine model, not the RTL");
  bool modes_only = false;
  app.add_flag("--modes-only", modes_only, "Only the precision-mode table");
  bool nm24_only = false;
  app.add_flag("--nm24-only", nm24_only,
               "Only the 2:4 table (the array's N24W8 mode against dense)");
  CLI11_PARSE(app, argc, argv);

  HwConfig hw;
  try {
    ParseArray(array, &hw);
  } catch (const InputError& e) {
    std::fprintf(stderr, "sparq_bench: error: %s\n", e.what());
    return 2;
  }
  hw = HwConfig::ForArray(hw.rows, hw.cols, dram_bits);
  hw.dram_latency = dram_latency;
  hw.dram_stall = dram_stall;
  hw.dram_stall_seed = seed;
  const double pe = hw.rows * hw.cols;
  try {
    // An unbuilt configuration fails before any output.
    if (!((sparse_only || nm24_only) && sparse_model)) MakeRtlDevice(hw);
  } catch (const InputError& e) {
    std::fprintf(stderr, "sparq_bench: error: %s\n", e.what());
    return 2;
  }
  std::printf("sparq bench: %s RTL, %s\n%s\n\n", hw.BuildName().c_str(),
              hw.TimingString().c_str(), hw.ToString().c_str());
  std::printf("%-8s %12s %10s %8s %8s %8s %12s %12s %6s\n", "layer", "MACs",
              "cycles", "busy %", "util %", "wall s", "cycles/s", "cycles/cpu-s",
              "exact");
  std::vector<Measured> rows;
  bool all_exact = true;
  for (const ResNetLayer& l : kLayers) {
    if (sparse_only || modes_only || nm24_only) break;
    if (!only.empty() && only.find(l.name) == std::string::npos) continue;
    Network net = MakeConvNetwork(l, 7);
    CompiledNetwork c = Compile(net, hw);
    auto ref = RunNetworkReference(net);
    std::unique_ptr<Device> dev = MakeRtlDevice(hw);
    auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = CpuSeconds();
    std::vector<LayerRun> runs = RunNetwork(net, c, *dev);
    const double cpu = CpuSeconds() - cpu0;
    double secs = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - t0).count();
    const LayerRun& r = runs.back();
    Measured m;
    m.name = l.name;
    m.ctr = r.counters;
    m.cycles = r.counters[kCtrCycles];
    m.busy = r.counters[kCtrArrayBusy];
    m.useful = r.counters[kCtrUsefulMacs];
    m.seconds = r.seconds > 0 ? r.seconds : secs;
    m.cpu_seconds = cpu;
    m.exact = r.output.data == ref.at(l.name).data;
    all_exact = all_exact && m.exact;
    std::printf("%-8s %12llu %10llu %8.2f %8.2f %8.2f %12.0f %12.0f %6s\n",
                l.name, static_cast<unsigned long long>(r.macs),
                static_cast<unsigned long long>(m.cycles),
                100.0 * m.busy / m.cycles, 100.0 * m.useful / (m.cycles * pe),
                m.seconds, m.cycles / m.seconds, m.cycles / m.cpu_seconds,
                m.exact ? "yes" : "NO");
    rows.push_back(m);
  }
  std::printf("\nstall cycles by cause:\n");
  for (const Measured& m : rows) {
    std::printf("  %-8s", m.name.c_str());
    for (int i = kCtrStallGemmLoad; i <= kCtrStallStoreTokens; ++i) {
      std::printf(" %s=%llu", CounterName(i),
                  static_cast<unsigned long long>(m.ctr[i]));
    }
    std::printf("\n");
  }
  std::vector<std::string> net_names;
  for (size_t p = 0; !sparse_only && !modes_only && !nm24_only &&
                     networks != "none" &&
                     p < networks.size();) {
    const size_t comma = std::min(networks.find(',', p), networks.size());
    if (comma > p) net_names.push_back(networks.substr(p, comma - p));
    p = comma + 1;
  }
  std::vector<NetworkFigures> nets;
  try {
    nets = BenchNetworks(hw, net_names);
  } catch (const InputError& e) {
    std::fprintf(stderr, "sparq_bench: error: %s\n", e.what());
    return 2;
  }
  for (const NetworkFigures& n : nets) all_exact = all_exact && n.exact;
  if (!no_sparse && !modes_only && !nm24_only) {
    all_exact = RunSparseBench(hw, sparse_model) && all_exact;
  }
  if (only.empty() && !modes_only && !sparse_only) {
    all_exact = RunNm24Bench(hw, sparse_model) && all_exact;
  }
  if (only.empty() && !sparse_only && !nm24_only) {
    all_exact = PrintModeTable(hw) && all_exact;
  }
  if (!json.empty()) {
    std::ofstream f(json);
    f << "{\"array\": [" << hw.rows << ", " << hw.cols
      << "], \"dram_bits\": " << hw.dram_bits
      << ", \"dram_latency\": " << hw.dram_latency
      << ", \"dram_stall\": " << hw.dram_stall
      << ", \"dram_stall_seed\": " << hw.dram_stall_seed << ", \"layers\": [";
    for (size_t i = 0; i < rows.size(); ++i) {
      const Measured& m = rows[i];
      f << (i ? ", " : "") << "{\"name\": \"" << m.name
        << "\", \"cycles\": " << m.cycles << ", \"array_busy\": " << m.busy
        << ", \"utilization\": " << m.useful / (m.cycles * pe)
        << ", \"seconds\": " << m.seconds
        << ", \"cycles_per_second\": " << m.cycles / m.seconds
        << ", \"cycles_per_cpu_second\": " << m.cycles / m.cpu_seconds
        << ", \"bit_exact\": " << (m.exact ? "true" : "false") << "}";
    }
    f << "], \"networks\": [";
    for (size_t i = 0; i < nets.size(); ++i) {
      const NetworkFigures& n = nets[i];
      f << (i ? ", " : "") << "{\"name\": \"" << n.name
        << "\", \"cycles\": " << n.cycles
        << ", \"useful_macs\": " << n.useful_macs << ", \"utilization\": "
        << n.useful_macs / (static_cast<double>(n.cycles) * pe)
        << ", \"bit_exact\": " << (n.exact ? "true" : "false") << "}";
    }
    f << "]}\n";
  }
  return all_exact ? 0 : 1;
}
