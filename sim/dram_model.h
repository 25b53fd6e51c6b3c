// Cycle model of the accelerator's external DRAM port: a byte array served in
// beats, read latency, in-order responses, and random not-ready cycles on both
// request channels (seeded, so a failing run can be replayed).

#ifndef SPARQ_SIM_DRAM_MODEL_H_
#define SPARQ_SIM_DRAM_MODEL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>

namespace sparq {

class DramModel {
 public:
  static constexpr int kBeatWords = 4;  // 128-bit port

  struct Inputs {  // driven into the design for the coming cycle
    bool rd_req_ready = false;
    bool rd_rsp_valid = false;
    std::array<uint32_t, kBeatWords> rd_rsp_data{};
    bool wr_ready = false;
  };
  struct Outputs {  // sampled from the design at the rising edge
    bool rd_req_valid = false;
    uint32_t rd_req_addr = 0;
    bool rd_rsp_ready = false;
    bool wr_valid = false;
    uint32_t wr_addr = 0;
    std::array<uint32_t, kBeatWords> wr_data{};
    uint32_t wr_strb = 0;
  };

  DramModel(uint64_t bytes, int beat_bytes, int latency, double stall_prob,
            uint32_t seed);
  DramModel(const DramModel&) = delete;
  DramModel& operator=(const DramModel&) = delete;

  // Host (backdoor) access; throws DeviceError when out of range.
  void Write(uint32_t addr, const uint8_t* src, size_t n);
  void Read(uint32_t addr, uint8_t* dst, size_t n) const;

  Inputs Drive();               // before the rising edge
  void Clock(const Outputs& o);  // after it; throws DeviceError on a bad access
  bool Quiet() const { return pending_.empty(); }

  uint64_t beats_read() const { return beats_read_; }
  uint64_t beats_written() const { return beats_written_; }

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
  std::mt19937 rng_;
  std::bernoulli_distribution stall_;
  std::deque<Pending> pending_;
  Inputs driven_;
  uint64_t cycle_ = 0;
  uint64_t beats_read_ = 0;
  uint64_t beats_written_ = 0;
};

}  // namespace sparq

#endif  // SPARQ_SIM_DRAM_MODEL_H_
