// The verilated accelerator behind the Device interface: clock loop, DRAM
// model with latency and random stalls, command queue driver, FST tracing.
//
// Each verilated configuration (array size and DRAM width) is a plugin,
// sparq_rtl_<R>x<C>[_<bits>].so next to the sparq binary's build folder,
// loaded on first use; so a binary links no Verilator code and builds only the
// configurations that are asked for (CMake SPARQ_RTL_CONFIGS).

#ifndef SPARQ_SIM_RTL_DEVICE_H_
#define SPARQ_SIM_RTL_DEVICE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sw/device.h"
#include "sw/hw_config.h"

namespace sparq {

// Simulation options that are not hardware (the DRAM timing is in HwConfig).
struct RtlOptions {
  std::string trace_file;        // FST; empty = no tracing
  uint64_t trace_from = 0;       // first traced cycle
  uint64_t trace_to = UINT64_MAX;
  uint64_t max_idle_wait = 200000000;  // cycles before RunToIdle gives up
};

// The parameters a verilated build fixes. Named like HwConfig::BuildName():
// "RxC" for the 128-bit port, "RxC@bits" otherwise.
struct RtlBuild {
  int rows = 0;
  int cols = 0;
  int dram_bits = 128;
  std::string Name() const {
    return HwConfig::ForArray(rows, cols, dram_bits).BuildName();
  }
};

// The builds whose plugin exists in this build tree, e.g. {{4,4},{16,16}}.
std::vector<RtlBuild> BuiltRtlArrays();

// Throws InputError saying how to build the simulator when hw's array size
// and DRAM width were not verilated (not configured, or the plugin not built).
std::unique_ptr<Device> MakeRtlDevice(const HwConfig& hw,
                                      const RtlOptions& opts = RtlOptions{});

}  // namespace sparq

#endif  // SPARQ_SIM_RTL_DEVICE_H_
