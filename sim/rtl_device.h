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

// What the harness saw on the design's ports, for localizing a mismatch to
// an instruction and a cycle window (sim/localize.h). Cycles count from the
// device's construction, as --trace-from/--trace-to do.
struct RtlProbe {
  struct ByteWrite {
    uint64_t cycle;  // rising edge that accepted the beat
    uint32_t addr;
    uint8_t value;
  };
  std::vector<ByteWrite> writes;      // every strobed DRAM byte, in order
  std::vector<uint64_t> cmd_accepted;  // per submitted instruction
  std::vector<uint64_t> idle_at;       // cycle at the end of each RunToIdle
};

// Simulation options that are not hardware (the DRAM timing is in HwConfig).
// Trace time: one cycle is 1 ns (cycle c spans [c, c+1) ns, its rising edge
// at c + 0.5 ns); the FST is open, and costs time, only inside
// [trace_from, trace_to].
struct RtlOptions {
  std::string trace_file;        // FST; empty = no tracing
  uint64_t trace_from = 0;       // first traced cycle
  uint64_t trace_to = UINT64_MAX;
  uint64_t max_idle_wait = 200000000;  // cycles before RunToIdle gives up
  RtlProbe* probe = nullptr;     // filled while the device runs when set
};

// The parameters a verilated build fixes. Named like HwConfig::BuildName():
// "RxC" for the 128-bit port, "RxC@bits" otherwise, plus "-nonm" without
// the 2:4 mode (nm24 false: sparq_top NmSparse = 0).
struct RtlBuild {
  int rows = 0;
  int cols = 0;
  int dram_bits = 128;
  bool nm24 = true;
  HwConfig Hw() const {
    HwConfig hw = HwConfig::ForArray(rows, cols, dram_bits);
    hw.nm24 = nm24;
    return hw;
  }
  std::string Name() const { return Hw().BuildName(); }
  bool operator==(const RtlBuild& o) const {
    return rows == o.rows && cols == o.cols && dram_bits == o.dram_bits &&
           nm24 == o.nm24;
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
