// One case of the random regression (sparq_regress): a one-layer network
// drawn by tests/common/random_layers from a seed, and the hardware it runs
// on (array build plus DRAM latency and stall pattern, also drawn from the
// seed). Running it compiles the layer, runs it on the RTL and compares every
// output element with golden's reference. Shrinking walks to a smaller layer
// that still fails; a repro bundle writes the case as YAML + .npy that
// `sparq run` and `sparq_regress replay` read.

#ifndef SPARQ_SIM_REGRESS_REGRESS_CASE_H_
#define SPARQ_SIM_REGRESS_REGRESS_CASE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "golden/network.h"
#include "sim/localize.h"
#include "sw/hw_config.h"

namespace sparq {

struct RegressCase {
  uint64_t seed = 0;
  Network net;  // one conv or fc layer named "layer" reading "input"
  HwConfig hw;
};

// The dimensions a case draws. The modes (precision, sparsity) are drawn
// from their own stream of the seed after the layer, so a seed names the same
// layer shape with `modes` on or off.
struct RegressDims {
  int rows = 4;  // the array build
  int cols = 4;
  int dram_bits = 128;
  int max_channels = 24;  // per layer; larger arrays want more
  bool dram_timing = true;  // latency 1..63 and 0..35% stalls from the seed
  // One case in five a narrow precision the array runs (PrecisionOnAccelerator,
  // weights redrawn in its range); one in five pruned weights (density 0,
  // one non-zero, 5%..100%), half of those with about half of the activations
  // zero, on the sparse engine where it can take the layer.
  bool modes = true;
};

RegressCase DrawCase(uint64_t seed, const RegressDims& dims);

struct CaseOutcome {
  bool pass = true;
  bool invalid = false;   // the layer does not compile (InputError)
  bool device_error = false;  // the RTL faulted (assertion, timeout)
  std::string what;       // the mismatch or device error
  uint64_t rtl_cycles = 0;
  uint64_t outputs = 0;   // elements compared
};

// Compiles and runs `c` on the RTL (make_rtl) and compares every output
// element with golden.
CaseOutcome RunCase(const RegressCase& c, const RtlMaker& make_rtl);

// Greedy shrinking: applies reductions (batch, spatial size, channels, groups,
// kernel, stride, dilation, padding, DRAM timing) while the case still fails
// (`fails`), until none applies; at most `max_runs` candidate runs.
RegressCase Shrink(const RegressCase& c,
                   const std::function<bool(const RegressCase&)>& fails,
                   int max_runs, int* runs_used);

// The valid one-step reductions of `c` that Shrink tries (a shrunk case is
// one none of whose reductions still fails).
std::vector<RegressCase> Reductions(const RegressCase& c);

// MakeRtlDevice, or (path not empty) the device of that RTL plugin, e.g. a
// test build with an injected fault.
RtlMaker PluginMaker(const std::string& path);

// "conv in[1, 5, 5, 3] w[4, 3, 3, 3] ... on 4x4, DRAM latency 7, stall 0.1"
std::string DescribeCase(const RegressCase& c);

// Writes DIR/case.yaml (hardware, network input and the layer, its weights,
// bias and requantization) with input.npy, weights.npy and bias.npy beside
// it. The stall seed is not a YAML field: replays pass it as --seed.
void WriteCaseYaml(const RegressCase& c, const std::string& dir);

}  // namespace sparq

#endif  // SPARQ_SIM_REGRESS_REGRESS_CASE_H_
