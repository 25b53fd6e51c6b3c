#include "sim/dram_model.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "golden/errors.h"
#include "sw/device.h"

namespace sparq {

void DramModel::FreeDeleter::operator()(uint8_t* p) const { std::free(p); }

DramModel::DramModel(const HwConfig& hw)
    // calloc: the OS maps zero pages lazily, so a large DRAM costs only what
    // a program touches.
    : mem_(static_cast<uint8_t*>(std::calloc(hw.dram_bytes, 1))),
      bytes_(hw.dram_bytes),
      beat_bytes_(hw.dram_beat_bytes()),
      latency_(hw.dram_latency < 1 ? 1 : hw.dram_latency),
      stall_prob_(hw.dram_stall),
      rng_(hw.dram_stall_seed) {
  if (hw.dram_bits < 64 || hw.dram_bits % 32 != 0) {
    throw InputError("dram: expected a port width that is a multiple of 32 "
                     "bits from 64 up, got " + std::to_string(hw.dram_bits));
  }
  if (!mem_) {
    throw DeviceError("dram: cannot allocate " + std::to_string(hw.dram_bytes));
  }
  driven_.rd_rsp_data.assign(static_cast<size_t>(beat_words()), 0);
}

DramModel::Outputs DramModel::MakeOutputs() const {
  Outputs o;
  o.wr_data.assign(static_cast<size_t>(beat_words()), 0);
  o.wr_strb.assign(static_cast<size_t>(strobe_words()), 0);
  return o;
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

const DramModel::Inputs& DramModel::Drive() {
  // Two draws per cycle (read channel, then write channel) whether or not
  // they are used, so the pattern depends only on the seed and the cycle.
  const bool rd_stall = stall_prob_ > 0 && rng_.Bernoulli(stall_prob_);
  const bool wr_stall = stall_prob_ > 0 && rng_.Bernoulli(stall_prob_);
  driven_.rd_req_ready = !rd_stall;
  driven_.wr_ready = !wr_stall;
  driven_.rd_rsp_valid =
      !pending_.empty() && pending_.front().ready_cycle <= cycle_;
  if (driven_.rd_rsp_valid) {
    // Little-endian host: word i of the beat is bytes 4i..4i+3.
    std::memcpy(driven_.rd_rsp_data.data(), mem_.get() + pending_.front().addr,
                static_cast<size_t>(beat_bytes_));
  }
  return driven_;
}

void DramModel::Clock(const Outputs& o) {
  if (driven_.rd_rsp_valid && o.rd_rsp_ready) pending_.pop_front();
  if (o.rd_req_valid && driven_.rd_req_ready) {
    CheckBeat(o.rd_req_addr, "read");
    pending_.push_back({cycle_ + static_cast<uint64_t>(latency_), o.rd_req_addr});
  }
  if (o.wr_valid && driven_.wr_ready) {
    CheckBeat(o.wr_addr, "write");
    const auto* data = reinterpret_cast<const uint8_t*>(o.wr_data.data());
    uint8_t* dst = mem_.get() + o.wr_addr;
    for (int i = 0; i < beat_bytes_; ++i) {
      if ((o.wr_strb[static_cast<size_t>(i / 32)] >> (i % 32)) & 1u) {
        dst[i] = data[i];
      }
    }
  }
  ++cycle_;
}

}  // namespace sparq
