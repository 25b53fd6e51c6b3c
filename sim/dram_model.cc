#include "sim/dram_model.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "sw/device.h"

namespace sparq {

void DramModel::FreeDeleter::operator()(uint8_t* p) const { std::free(p); }

DramModel::DramModel(uint64_t bytes, int beat_bytes, int latency,
                     double stall_prob, uint32_t seed)
    // calloc: the OS maps zero pages lazily, so a large DRAM costs only what
    // a program touches.
    : mem_(static_cast<uint8_t*>(std::calloc(bytes, 1))),
      bytes_(bytes),
      beat_bytes_(beat_bytes),
      latency_(latency < 1 ? 1 : latency),
      stall_prob_(stall_prob),
      rng_(seed),
      stall_(stall_prob > 0 ? stall_prob : 0.0) {
  if (!mem_) throw DeviceError("dram: cannot allocate " + std::to_string(bytes));
}

void DramModel::Write(uint32_t addr, const uint8_t* src, size_t n) {
  if (addr + static_cast<uint64_t>(n) > bytes_) {
    throw DeviceError("dram: host write of " + std::to_string(n) +
                      " bytes at " + std::to_string(addr) + " is out of range");
  }
  std::memcpy(mem_.get() + addr, src, n);
}

void DramModel::Read(uint32_t addr, uint8_t* dst, size_t n) const {
  if (addr + static_cast<uint64_t>(n) > bytes_) {
    throw DeviceError("dram: host read of " + std::to_string(n) +
                      " bytes at " + std::to_string(addr) + " is out of range");
  }
  std::memcpy(dst, mem_.get() + addr, n);
}

void DramModel::CheckBeat(uint32_t addr, const char* what) const {
  if (addr % static_cast<uint32_t>(beat_bytes_) != 0 ||
      addr + static_cast<uint64_t>(beat_bytes_) > bytes_) {
    throw DeviceError(std::string("dram: ") + what + " at address " +
                      std::to_string(addr) + " is unaligned or out of range");
  }
}

DramModel::Inputs DramModel::Drive() {
  Inputs in;
  in.rd_req_ready = stall_prob_ <= 0 || !stall_(rng_);
  in.wr_ready = stall_prob_ <= 0 || !stall_(rng_);
  if (!pending_.empty() && pending_.front().ready_cycle <= cycle_) {
    in.rd_rsp_valid = true;
    std::memcpy(in.rd_rsp_data.data(), mem_.get() + pending_.front().addr,
                static_cast<size_t>(beat_bytes_));
  }
  driven_ = in;
  return in;
}

void DramModel::Clock(const Outputs& o) {
  if (driven_.rd_rsp_valid && o.rd_rsp_ready) {
    pending_.pop_front();
    ++beats_read_;
  }
  if (o.rd_req_valid && driven_.rd_req_ready) {
    CheckBeat(o.rd_req_addr, "read");
    pending_.push_back({cycle_ + static_cast<uint64_t>(latency_), o.rd_req_addr});
  }
  if (o.wr_valid && driven_.wr_ready) {
    CheckBeat(o.wr_addr, "write");
    const auto* data = reinterpret_cast<const uint8_t*>(o.wr_data.data());
    for (int i = 0; i < beat_bytes_; ++i) {
      if ((o.wr_strb >> i) & 1u) mem_.get()[o.wr_addr + static_cast<uint32_t>(i)] = data[i];
    }
    ++beats_written_;
  }
  ++cycle_;
}

}  // namespace sparq
