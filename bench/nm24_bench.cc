#include "bench/nm24_bench.h"

#include <cstdio>
#include <vector>

#include "bench/bench_layer.h"
#include "golden/network.h"
#include "golden/random.h"
#include "sw/compiler.h"

namespace sparq {
namespace {

struct Case {
  const char* name;
  int hw;  // conv: input height = width; fc: 0
  int cin, cout, k, pad;
};

// ResNet-18 conv3_x (3x3), an FC 1024x1024 at batch 1, the 1x1 conv of
// conv4_x.
const Case kCases[] = {
    {"conv3_x", 28, 128, 128, 3, 1},
    {"fc1024", 0, 1024, 1024, 1, 0},
    {"conv4_1x1", 14, 256, 256, 1, 0},
};

// Random non-zero weights (a8w4: int4), then two of every aligned group of
// 4 input channels kept (positions drawn per group).
Network MakeNetwork(const Case& c, LayerEngine engine, Precision precision) {
  SplitMix64 rng(29);
  Network net = OneLayerNetwork(c.name, c.hw, c.cin, c.cout, c.k, c.pad);
  Layer& l = net.layers.front();
  l.engine = engine;
  l.precision = precision;
  const bool w4 = precision == Precision::kA8W4;
  for (auto& v : net.input.data)
    v = static_cast<int8_t>(rng.Uniform(-128, 127));
  for (size_t g = 0; g < l.weights.size(); g += 4) {
    const int a = static_cast<int>(rng.Uniform(0, 3));
    const int b = (a + 1 + static_cast<int>(rng.Uniform(0, 2))) % 4;
    for (int j = 0; j < 4; ++j) {
      int8_t w =
          static_cast<int8_t>(w4 ? rng.Uniform(-8, 7) : rng.Uniform(-127, 127));
      if (w == 0) w = 1;
      l.weights.data[g + j] = (j == a || j == b) ? w : 0;
    }
  }
  SetUniformQuant(l, rng, 5, 3, w4 ? 0.0016 : 0.0001);
  return net;
}

}  // namespace

bool RunNm24Bench(const HwConfig& hw, bool model) {
  std::printf(
      "\n2:4 on the array (GEMM modes N24W8 / N24W4; %s cycles; the same "
      "2:4-pruned weights run dense (A8W8 / A8W4) and in the 2:4 mode):\n",
      model ? "machine-model" : "RTL");
  std::printf("%-10s %5s %10s %10s %8s %10s %10s %6s %6s\n", "layer", "prec",
              "dense cyc", "2:4 cyc", "speedup", "dense wgtB", "2:4 wgtB",
              "auto", "exact");
  bool all_exact = true;
  for (const Case& c : kCases) {
    for (Precision p : {Precision::kA8W8, Precision::kA8W4}) {
      const OneLayerRun d = RunOneLayer(MakeNetwork(c, LayerEngine::kDense, p), hw, model);
      const OneLayerRun n = RunOneLayer(MakeNetwork(c, LayerEngine::kNm24, p), hw, model);
      const CompiledNetwork chosen =
          Compile(MakeNetwork(c, LayerEngine::kAuto, p), hw);
      all_exact = all_exact && d.exact && n.exact;
      std::printf(
          "%-10s %5s %10llu %10llu %7.2fx %10llu %10llu %6s %6s\n", c.name,
          PrecisionName(p), static_cast<unsigned long long>(d.cycles),
          static_cast<unsigned long long>(n.cycles),
          static_cast<double>(d.cycles) / n.cycles,
          static_cast<unsigned long long>(d.largest_constant),
          static_cast<unsigned long long>(n.largest_constant),
          chosen.layers[0].engine == LayerEngine::kNm24 ? "2:4" : "dense",
          d.exact && n.exact ? "yes" : "NO");
      std::fflush(stdout);
    }
  }
  return all_exact;
}

}  // namespace sparq
