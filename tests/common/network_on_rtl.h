// A compiled network on the verilated RTL and on the machine model, checked
// the same way by every end-to-end model test: every output element of
// every layer equal to golden's integer reference on both, and the given
// counters equal between the two (GoogleTest expectations).

#ifndef SPARQ_TESTS_COMMON_NETWORK_ON_RTL_H_
#define SPARQ_TESTS_COMMON_NETWORK_ON_RTL_H_

#include <initializer_list>
#include <vector>

#include "golden/network.h"
#include "sw/compiler.h"
#include "sw/hw_config.h"
#include "sw/runtime.h"

namespace sparq {

struct NetworkRuns {
  std::vector<LayerRun> rtl;
  std::vector<LayerRun> model;
};

// Runs `compiled` (of `net`, for `hw`) on both backends and checks every
// layer; `counters` (kCtr* indices) must be equal on every accelerator
// layer. Returns the runs for the caller's own checks (empty on a failed
// size check).
NetworkRuns ExpectNetworkMatchesOnRtlAndModel(
    const Network& net, const CompiledNetwork& compiled, const HwConfig& hw,
    std::initializer_list<int> counters);

}  // namespace sparq

#endif  // SPARQ_TESTS_COMMON_NETWORK_ON_RTL_H_
