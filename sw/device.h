// An executor of sparq programs: the machine model (sim/model_device.h) or the
// verilated RTL (sim/rtl_device.h).

#ifndef SPARQ_SW_DEVICE_H_
#define SPARQ_SW_DEVICE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sw/hw_config.h"
#include "sw/isa.h"

namespace sparq {

// One value per counter of isa.def, indexed by Counter (sw/isa.h).
struct PerfCounters {
  std::array<uint64_t, kNumCounters> v{};
  uint64_t operator[](int i) const { return v[static_cast<size_t>(i)]; }
  PerfCounters operator-(const PerfCounters& o) const;
};

// A device fault (program invalid, timeout, hardware assertion).
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Device {
 public:
  virtual ~Device() = default;
  virtual std::string name() const = 0;  // "model", "rtl"
  virtual const HwConfig& config() const = 0;
  virtual void WriteDram(uint32_t addr, const uint8_t* src, size_t n) = 0;
  virtual void ReadDram(uint32_t addr, uint8_t* dst, size_t n) = 0;
  // Queues instructions; they execute during RunToIdle.
  virtual void Submit(const std::vector<InstrWord>& program) = 0;
  // Executes everything submitted; throws DeviceError on an invalid program
  // or when the device does not become idle.
  virtual void RunToIdle() = 0;
  virtual PerfCounters ReadCounters() = 0;
};

}  // namespace sparq

#endif  // SPARQ_SW_DEVICE_H_
