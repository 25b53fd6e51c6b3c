// The verilated accelerator behind the Device interface: clock loop, DRAM
// model with latency and random stalls, command queue driver, FST tracing.

#ifndef SPARQ_SIM_RTL_DEVICE_H_
#define SPARQ_SIM_RTL_DEVICE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sw/device.h"

namespace sparq {

struct RtlOptions {
  int dram_latency = 20;         // cycles from read request to data
  double dram_stall_prob = 0.0;  // per cycle, DRAM port not ready
  uint32_t seed = 1;             // stall pattern
  std::string trace_file;        // FST; empty = no tracing
  uint64_t trace_from = 0;       // first traced cycle
  uint64_t trace_to = UINT64_MAX;
  uint64_t max_idle_wait = 200000000;  // cycles before RunToIdle gives up
};

// Array sizes this binary has a verilated model for, e.g. {{4,4},{16,16}}.
std::vector<std::pair<int, int>> BuiltRtlArrays();

// Throws InputError saying how to build the simulator when rows x cols was not
// verilated into this binary.
std::unique_ptr<Device> MakeRtlDevice(int rows, int cols,
                                      const RtlOptions& opts);

}  // namespace sparq

#endif  // SPARQ_SIM_RTL_DEVICE_H_
