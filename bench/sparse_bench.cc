#include "bench/sparse_bench.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_layer.h"
#include "golden/network.h"
#include "golden/random.h"
#include "sw/compiler.h"
#include "sw/sparse_format.h"

namespace sparq {
namespace {

struct Case {
  const char* name;
  int pixels_hw;  // conv: input height = width; fc: 0
  int cin, cout;
};

const Case kCases[] = {
    {"fc1024", 0, 1024, 1024},
    {"conv4_1x1", 14, 256, 256},
};

bool Keep(SplitMix64* rng, double p) {
  return static_cast<double>(rng->Next() >> 11) / 9007199254740992.0 < p;
}

Network MakeNetwork(const Case& c, double density, double zero_acts,
                    LayerEngine engine) {
  SplitMix64 rng(17);
  Network net = OneLayerNetwork(c.name, c.pixels_hw, c.cin, c.cout, 1, 0);
  Layer& l = net.layers.front();
  l.engine = engine;
  for (auto& v : net.input.data) {
    v = static_cast<int8_t>(rng.Uniform(-128, 127));
    if (Keep(&rng, zero_acts)) v = 0;
  }
  // Non-zero weights, each kept with probability `density` by the same
  // draw at every density: a sparser matrix prunes a denser one.
  SplitMix64 wr(23);
  for (auto& v : l.weights.data) {
    int8_t w = static_cast<int8_t>(wr.Uniform(-127, 127));
    if (w == 0) w = 1;
    v = Keep(&wr, density) ? w : 0;
  }
  SetUniformQuant(l, rng, 0, 3, 0.0001);
  return net;
}

// Lane-cycles that consumed a stream word: per vector and lane, one header
// per column plus the words of the columns with a non-zero activation, or
// with flagged streams every word of every column. The bench layers are 1x1
// with Cin a multiple of R, so the im2col columns are the input channels and
// every output fits one tile.
uint64_t LaneWork(const Network& net, int cols, bool flagged) {
  const Layer& l = net.layers[0];
  const int cout = l.weights.dim(0);
  const int cin = static_cast<int>(l.weights.size() / cout);
  std::vector<int8_t> t(static_cast<size_t>(cin) * cout);
  for (int n = 0; n < cout; ++n) {
    for (int k = 0; k < cin; ++k) t[k * cout + n] = l.weights.data[n * cin + k];
  }
  const int lanes = SparseLanes(cols);
  const SparseStreams s = PackSparse(t.data(), cout, cin, cout, lanes, flagged);
  const int64_t vectors = static_cast<int64_t>(net.input.size()) / cin;
  uint64_t work = 0;
  for (int64_t m = 0; m < vectors; ++m) {
    for (int k = 0; k < cin; ++k) {
      const bool active = net.input.data[m * cin + k] != 0;
      for (int p = 0; p < lanes; ++p) {
        work += flagged ? s.ColumnWords(p, k)
                        : 1 + (active ? s.col_words[p][k] : 0);
      }
    }
  }
  return work;
}

}  // namespace

bool RunSparseBench(const HwConfig& hw, bool model) {
  const double densities[] = {1.0, 0.5, 0.25, 0.1, 0.05};
  const double zero_acts[] = {0.0, 0.5};
  bool all_exact = true;
  std::printf(
      "\nsparse engine (%d lanes; %s cycles; vs 100%% = same engine, same "
      "activations, 100%% density; vs array = dense int8 on the array, same "
      "input):\n",
      SparseLanes(hw.cols), model ? "machine-model" : "RTL");
  std::printf("%-10s %7s %6s %10s %9s %10s %9s %9s %6s %6s\n", "layer",
              "density", "0-act", "cycles", "vs 100%", "array cyc", "vs array",
              "balance", "auto", "exact");
  for (const Case& c : kCases) {
    for (double za : zero_acts) {
      const OneLayerRun dense =
          RunOneLayer(MakeNetwork(c, 1.0, za, LayerEngine::kDense), hw, model);
      all_exact = all_exact && dense.exact;
      uint64_t base = 0;
      for (double d : densities) {
        const Network net = MakeNetwork(c, d, za, LayerEngine::kSparse);
        const OneLayerRun r = RunOneLayer(net, hw, model);
        all_exact = all_exact && r.exact;
        if (d == 1.0) base = r.cycles;
        bool flagged = false;
        const CompiledNetwork compiled = Compile(net, hw);
        for (const InstrWord& w : compiled.layers[0].program) {
          if (OpcodeOf(w) == Opcode::kSpmv && DecodeSpmv(w).flagged != 0) {
            flagged = true;
          }
        }
        const double work =
            static_cast<double>(LaneWork(net, hw.cols, flagged));
        const CompiledNetwork chosen =
            Compile(MakeNetwork(c, d, za, LayerEngine::kAuto), hw);
        const bool auto_sparse =
            chosen.layers[0].engine == LayerEngine::kSparse;
        const double idle = static_cast<double>(r.ctr[kCtrSparseLaneIdle]);
        std::printf(
            "%-10s %6.0f%% %5.0f%% %10llu %8.2fx %10llu %8.2fx %8.1f%% %6s %6s\n",
                    c.name, 100 * d, 100 * za,
                    static_cast<unsigned long long>(r.cycles),
                    static_cast<double>(base) / r.cycles,
                    static_cast<unsigned long long>(dense.cycles),
                    static_cast<double>(dense.cycles) / r.cycles,
                    100.0 * work / (work + idle), auto_sparse ? "sparse" : "dense",
                    r.exact ? "yes" : "NO");
        std::fflush(stdout);
      }
    }
  }
  return all_exact;
}

}  // namespace sparq
