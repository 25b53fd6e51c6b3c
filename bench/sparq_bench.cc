// make bench: simulated cycles per second of the 16x16 RTL build on the
// default layer (ResNet-18 conv2_x), and array utilization of the ResNet-18
// 3x3 stride-1 layers conv2_x..conv5_x measured by the RTL's counters.
//
//   sparq_bench [--layers conv2_x,conv5_x] [--dram-latency N] [--dram-stall P]
//               [--json FILE]

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "golden/network.h"
#include "golden/requant.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/runtime.h"

namespace sparq {
namespace {

struct ResNetLayer {
  const char* name;
  int hw;
  int channels;
};

// The 3x3, stride-1, pad-1 convolutions of ResNet-18's four stages.
const ResNetLayer kLayers[] = {
    {"conv2_x", 56, 64},
    {"conv3_x", 28, 128},
    {"conv4_x", 14, 256},
    {"conv5_x", 7, 512},
};

Network MakeConvNetwork(const ResNetLayer& l, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> i8(-128, 127);
  std::uniform_int_distribution<int> w8(-127, 127);
  Network net;
  net.name = l.name;
  net.input = Tensor<int8_t>({1, l.hw, l.hw, l.channels});
  for (auto& v : net.input.data) v = static_cast<int8_t>(i8(rng));
  Layer conv;
  conv.name = l.name;
  conv.kind = LayerKind::kConv;
  conv.inputs = {"input"};
  conv.weights = Tensor<int8_t>({l.channels, 3, 3, l.channels});
  for (auto& v : conv.weights.data) v = static_cast<int8_t>(w8(rng));
  conv.bias.assign(static_cast<size_t>(l.channels), 0);
  std::uniform_int_distribution<int> b32(-20000, 20000);
  for (auto& v : conv.bias) v = b32(rng);
  conv.geom.pad_top = conv.geom.pad_left = conv.geom.pad_bottom =
      conv.geom.pad_right = 1;
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

}  // namespace
}  // namespace sparq

int main(int argc, char** argv) {
  using namespace sparq;
  std::string only;
  std::string json;
  RtlOptions opts;
  opts.dram_latency = 40;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "sparq_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--layers") {
      only = next();
    } else if (a == "--dram-latency") {
      opts.dram_latency = std::atoi(next().c_str());
    } else if (a == "--dram-stall") {
      opts.dram_stall_prob = std::atof(next().c_str());
    } else if (a == "--json") {
      json = next();
    } else {
      std::fprintf(stderr,
                   "usage: sparq_bench [--layers a,b] [--dram-latency N] "
                   "[--dram-stall P] [--json FILE]\n");
      return 2;
    }
  }

  const HwConfig hw = HwConfig::ForArray(16, 16);
  const double pe = hw.rows * hw.cols;
  std::printf("sparq bench: 16x16 RTL, DRAM %d bits/cycle, latency %d, stall %.2f\n\n",
              hw.dram_bits, opts.dram_latency, opts.dram_stall_prob);
  std::printf("%-8s %12s %10s %8s %8s %8s %12s %12s %6s\n", "layer", "MACs",
              "cycles", "busy %", "util %", "wall s", "cycles/s", "cycles/cpu-s",
              "exact");
  std::vector<Measured> rows;
  bool all_exact = true;
  for (const ResNetLayer& l : kLayers) {
    if (!only.empty() && only.find(l.name) == std::string::npos) continue;
    Network net = MakeConvNetwork(l, 7);
    CompiledNetwork c = Compile(net, hw);
    auto ref = RunNetworkReference(net);
    auto dev = MakeRtlDevice(16, 16, opts);
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
  if (!json.empty()) {
    std::ofstream f(json);
    f << "{\"array\": [16, 16], \"dram_latency\": " << opts.dram_latency
      << ", \"layers\": [";
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
    f << "]}\n";
  }
  return all_exact ? 0 : 1;
}
