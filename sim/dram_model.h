// Cycle model of the accelerator's external DRAM port: a byte array served in
// beats of HwConfig::dram_bits (any multiple of 32 from 64 up), read latency,
// in-order responses, and random not-ready cycles on both request channels.
// The stall pattern comes from SplitMix64 (golden/random.h), so a seed replays
// the same run with every compiler and standard library.

#ifndef SPARQ_SIM_DRAM_MODEL_H_
#define SPARQ_SIM_DRAM_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "golden/random.h"
#include "sw/hw_config.h"

namespace sparq {

class DramModel {
 public:
  // Data words are 32-bit little-endian pieces of a beat, as Verilator lays
  // out a wide port; strobe bit i (word i / 32, bit i % 32) enables byte i.
  struct Inputs {  // driven into the design for the coming cycle
    bool rd_req_ready = false;
    bool rd_rsp_valid = false;
    std::vector<uint32_t> rd_rsp_data;  // beat_words()
    bool wr_ready = false;
  };
  struct Outputs {  // sampled from the design at the rising edge
    bool rd_req_valid = false;
    uint32_t rd_req_addr = 0;
    bool rd_rsp_ready = false;
    bool wr_valid = false;
    uint32_t wr_addr = 0;
    std::vector<uint32_t> wr_data;  // beat_words()
    std::vector<uint32_t> wr_strb;  // strobe_words()
  };

  // Size, beat width, latency, stall probability and seed from `hw`. Throws
  // InputError when dram_bits is not a multiple of 32 from 64 up.
  explicit DramModel(const HwConfig& hw);
  DramModel(const DramModel&) = delete;
  DramModel& operator=(const DramModel&) = delete;

  int beat_words() const { return beat_bytes_ / 4; }
  int strobe_words() const { return (beat_bytes_ + 31) / 32; }
  // Outputs with data and strobe sized for this port, for the harness to fill.
  Outputs MakeOutputs() const;

  // Host (backdoor) access; throws DeviceError when out of range.
  void Write(uint32_t addr, const uint8_t* src, size_t n);
  void Read(uint32_t addr, uint8_t* dst, size_t n) const;

  // Before the rising edge; the reference stays valid until the next call.
  const Inputs& Drive();
  void Clock(const Outputs& o);  // after it; throws DeviceError on a bad access
  bool Quiet() const { return pending_.empty(); }

 private:
  struct Pending {
    uint64_t ready_cycle;
    uint32_t addr;
  };
  void CheckBeat(uint32_t addr, const char* what) const;

  struct FreeDeleter {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, FreeDeleter> mem_;
  uint64_t bytes_;
  int beat_bytes_;
  int latency_;
  double stall_prob_;
  SplitMix64 rng_;
  std::deque<Pending> pending_;
  Inputs driven_;
  uint64_t cycle_ = 0;
};

}  // namespace sparq

#endif  // SPARQ_SIM_DRAM_MODEL_H_
