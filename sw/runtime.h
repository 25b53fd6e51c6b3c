// Runs a compiled network on a Device: writes the DRAM image and the network
// input, submits each accelerator layer's program and runs it to idle, runs
// host layers through golden between them, and reads every layer's output
// back.

#ifndef SPARQ_SW_RUNTIME_H_
#define SPARQ_SW_RUNTIME_H_

#include <string>
#include <vector>

#include "golden/network.h"
#include "sw/compiler.h"
#include "sw/device.h"

namespace sparq {

struct LayerRun {
  std::string name;
  LayerKind kind = LayerKind::kConv;
  bool host = false;
  uint64_t macs = 0;
  PerfCounters counters;  // delta over this layer (zero for host layers)
  double seconds = 0;     // wall time of the layer on the device
  Tensor<int8_t> output;  // read back from DRAM
};

std::vector<LayerRun> RunNetwork(const Network& net, const CompiledNetwork& c,
                                 Device& dev);

}  // namespace sparq

#endif  // SPARQ_SW_RUNTIME_H_
