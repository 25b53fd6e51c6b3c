// First-divergence localization of an RTL mismatch. The same compiled network
// runs on the machine model (which reports the instruction behind every DRAM
// byte it writes) and on the RTL (whose harness records every DRAM byte write
// with its cycle, RtlProbe). The k-th write of an address on one executor is
// paired with the k-th write of that address on the other; the first
// instruction, in program order, owning a pair that differs is the first
// divergence. Its RTL cycle window runs from the cycle the instruction entered
// the command queue to its last DRAM write, and a trace of that window (FST and
// a GTKWave layout that opens on it) can be written.

#ifndef SPARQ_SIM_LOCALIZE_H_
#define SPARQ_SIM_LOCALIZE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "golden/network.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/device.h"

namespace sparq {

// Makes the RTL device (MakeRtlDevice, or a test build's plugin).
using RtlMaker = std::function<std::unique_ptr<Device>(const HwConfig&,
                                                       const RtlOptions&)>;

struct Divergence {
  bool found = false;           // false: every DRAM write agrees
  bool model_matches_golden = false;
  std::string layer;            // accelerator layer whose program diverges
  size_t instr = 0;             // index in that layer's program
  std::string disasm;           // the instruction, disassembled
  uint32_t addr = 0;            // its first differing DRAM byte
  int expected = 0;             // model's value (-1: the model never wrote it)
  int got = 0;                  // RTL's value (-1: the RTL never wrote it)
  uint64_t bad_cycle = 0;       // RTL cycle of that byte's write
  uint64_t bytes_differing = 0;  // differing writes of this instruction
  uint64_t window_from = 0;     // RTL cycles: accepted ... last DRAM write
  uint64_t window_to = 0;
};

// Reruns `net` on the model and the RTL and compares their DRAM writes
// instruction by instruction.
Divergence Localize(const Network& net, const CompiledNetwork& compiled,
                    const HwConfig& hw, const RtlMaker& make_rtl);

// "layer conv1, instruction 17 (STORE ...) writes DRAM 0x00012345 = 12 on the
// RTL, 13 on the model, at cycle 4711; window cycles 4600..4800"
std::string DescribeDivergence(const Divergence& d);

// The GTKWave layout (rtl/sparq.gtkw with this build's bus widths) that opens
// `fst` zoomed on [from, to] with a marker at `marker` (cycles), instruction
// words shown through `filter_command` (e.g. "/path/sparq disasm --filter").
std::string WindowLayout(const std::string& fst, const HwConfig& hw,
                         uint64_t from, uint64_t to, uint64_t marker,
                         const std::string& filter_command);

// Reruns the RTL with tracing on only inside d's window and writes
// DIR/mismatch.fst and DIR/mismatch.gtkw (DIR is created).
void WriteDivergenceTrace(const Network& net, const CompiledNetwork& compiled,
                          const HwConfig& hw, const RtlMaker& make_rtl,
                          const Divergence& d, const std::string& dir,
                          const std::string& filter_command);

// "SPARQ run CONFIG --backend rtl --dram-latency L --dram-stall P --seed S":
// the run whose cycles the divergence's window counts.
std::string RtlRunCommand(const std::string& sparq, const std::string& config,
                          const HwConfig& hw);

// Localizes a mismatch that `sparq run` found, prints what it found, the
// window's trace command, and writes DIR/mismatch.{fst,gtkw} (`sparq run
// --trace-on-mismatch DIR`). Returns the divergence.
Divergence ReportDivergence(const Network& net, const CompiledNetwork& compiled,
                            const HwConfig& hw, const RtlMaker& make_rtl,
                            const std::string& run_command,
                            const std::string& dir,
                            const std::string& filter_command,
                            std::ostream& out);

// "<this sparq binary> disasm --filter", from /proc/self/exe (`sparq` names
// the binary when the caller is another tool beside it).
std::string DisasmFilterCommand(const std::string& sparq = "");

}  // namespace sparq

#endif  // SPARQ_SIM_LOCALIZE_H_
