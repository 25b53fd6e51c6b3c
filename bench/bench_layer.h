// make bench: the one-layer networks the engine tables (2:4, unstructured
// sparsity) are measured on, and running one on a device against golden.

#ifndef SPARQ_BENCH_BENCH_LAYER_H_
#define SPARQ_BENCH_BENCH_LAYER_H_

#include <cstdint>

#include "golden/network.h"
#include "golden/random.h"
#include "sw/device.h"
#include "sw/hw_config.h"

namespace sparq {

// A network `name` of one layer "layer" reading "input": a conv when hw > 0
// (input 1 x hw x hw x cin, a k x k kernel, `pad` on every side, stride 1),
// else an fc (input 1 x cin). Input and weights are allocated, not filled.
Network OneLayerNetwork(const char* name, int hw, int cin, int cout, int k,
                        int pad);

// Per-channel requantization with the same real multiplier `scale` for
// every output channel, the given zero points, the whole int8 range; the
// bias is drawn from [-20000, 20000] by `rng`.
void SetUniformQuant(Layer& l, SplitMix64& rng, int in_zp, int out_zp,
                     double scale);

struct OneLayerRun {
  PerfCounters ctr;
  uint64_t cycles = 0;
  uint64_t largest_constant = 0;  // bytes of the largest DRAM image entry
  bool exact = false;             // every output element equals golden's
};

// Compiles `net` for hw and runs it on the machine model or the RTL.
OneLayerRun RunOneLayer(const Network& net, const HwConfig& hw, bool model);

}  // namespace sparq

#endif  // SPARQ_BENCH_BENCH_LAYER_H_
