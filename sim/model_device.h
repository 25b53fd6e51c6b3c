// The instruction-level machine model: a Device that executes sparq programs
// one instruction at a time in program order, bit-exactly per
// docs/architecture.md, on golden's integer kernels (GemmInt8Int32,
// RequantizeOne).
//
// It is also the validity checker of programs: RunToIdle throws DeviceError
// naming the instruction (index within the instructions submitted since the
// last RunToIdle, and its disassembly) when a token counter would be popped
// empty, a counter is non-zero at the end, an address leaves its SRAM or the
// DRAM, a token flag that does not apply to the engine is set, a count field
// is zero, n_bytes > C, k_valid > R, n_valid > C, or a PARAM record used by a
// STORE is not a valid TFLite multiplier/shift, or (ModelOptions::check_races)
// when two engines access an SRAM line in conflict (write/read, read/write,
// write/write) without a chain of tokens ordering them, i.e. when the
// concurrent RTL could produce a different result. After an error the remaining
// instructions are dropped and the token counters are reset, so the device can
// run the next program.
//
// Counters: instrs, array_busy (rows issued), macs_issued and useful_macs are
// exact. cycles and the stall / idle counters come from a timeline estimate:
// three in-order engines behind an in-order dispatcher with
// kEngineQueueDepth-deep queues, tokens carrying the time they were pushed,
// and the per-instruction costs of sw/cost_model.h. The DRAM has separate
// read and write channels and no contention is modelled, so
// stall_load_dram and stall_store_dram stay zero (docs/compiler.md).

#ifndef SPARQ_SIM_MODEL_DEVICE_H_
#define SPARQ_SIM_MODEL_DEVICE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "sw/device.h"
#include "sw/hw_config.h"

namespace sparq {

struct ModelOptions {
  // Also reject programs whose SRAM accesses by different engines are not
  // ordered by token chains (they would race on the concurrent RTL even
  // though program order hides it).
  bool check_races = true;
  // Called for every DRAM write an instruction makes (`instr` indexes the
  // instructions submitted since the last RunToIdle), for localizing an RTL
  // mismatch to the instruction that wrote the first differing byte.
  std::function<void(size_t instr, uint64_t addr, const uint8_t* data,
                     size_t n)>
      on_dram_write;
};

std::unique_ptr<Device> MakeModelDevice(const HwConfig& hw);
std::unique_ptr<Device> MakeModelDevice(const HwConfig& hw,
                                        const ModelOptions& opts);

}  // namespace sparq

#endif  // SPARQ_SIM_MODEL_DEVICE_H_
