// RtlDevice over one verilated configuration of rtl/sparq_top.sv. A template
// because each configuration is verilated into its own class
// (Vsparq_top_RxC[_bits]); rtl_device_inst.cc.in instantiates it once per
// configuration, each in its own plugin.

#ifndef SPARQ_SIM_RTL_DEVICE_IMPL_H_
#define SPARQ_SIM_RTL_DEVICE_IMPL_H_

#include <verilated.h>
#include <verilated_fst_c.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "sim/dram_model.h"
#include "sim/rtl_device.h"

namespace sparq {

// Verilator gives a port of up to 64 bits an integer type and a wider one a
// VlWide array of 32-bit words; these copy either from or to 32-bit words,
// word 0 the least significant.
template <typename Port>
void PortFromWords(const std::vector<uint32_t>& w, Port& port) {
  if constexpr (std::is_integral_v<Port>) {
    uint64_t v = w[0];
    if (w.size() > 1) v |= static_cast<uint64_t>(w[1]) << 32;
    port = static_cast<Port>(v);
  } else {
    for (size_t i = 0; i < w.size(); ++i) port[i] = w[i];
  }
}

template <typename Port>
void PortToWords(const Port& port, std::vector<uint32_t>& w) {
  if constexpr (std::is_integral_v<Port>) {
    const uint64_t v = static_cast<uint64_t>(port);
    w[0] = static_cast<uint32_t>(v);
    if (w.size() > 1) w[1] = static_cast<uint32_t>(v >> 32);
  } else {
    for (size_t i = 0; i < w.size(); ++i) w[i] = port[i];
  }
}

template <typename VTop>
class RtlDeviceImpl final : public Device {
 public:
  RtlDeviceImpl(const HwConfig& hw, const RtlOptions& opts)
      : hw_(hw),
        opts_(opts),
        ctx_(std::make_unique<VerilatedContext>()),
        dram_(hw_),
        dram_out_(dram_.MakeOutputs()) {
    ctx_->fatalOnError(false);
    if (!opts_.trace_file.empty()) ctx_->traceEverOn(true);
    top_ = std::make_unique<VTop>(ctx_.get(), "TOP");
    // $time and the trace count 1 ns per cycle (the design has no timescale).
    ctx_->timeunit(-9);
    ctx_->timeprecision(-10);
    top_->clk_i = 0;
    top_->rst_ni = 0;
    top_->cmd_valid_i = 0;
    top_->dram_rd_req_ready_i = 0;
    top_->dram_rd_rsp_valid_i = 0;
    top_->dram_wr_ready_i = 0;
    for (int i = 0; i < 4; ++i) Tick();
    top_->rst_ni = 1;
    Tick();
    CheckConfigRegisters();
  }

  ~RtlDeviceImpl() override {
    // Verilator's scope teardown goes through the thread's current context,
    // which is the newest model's: this one must be current when another
    // device lived and died after it (localizing inside `sparq run`).
    Verilated::threadContextp(ctx_.get());
    if (tfp_) tfp_->close();
    top_->final();
    top_.reset();
  }

  RtlDeviceImpl(const RtlDeviceImpl&) = delete;
  RtlDeviceImpl& operator=(const RtlDeviceImpl&) = delete;

  std::string name() const override { return "rtl"; }
  const HwConfig& config() const override { return hw_; }

  void WriteDram(uint32_t addr, const uint8_t* src, size_t n) override {
    dram_.Write(addr, src, n);
  }
  void ReadDram(uint32_t addr, uint8_t* dst, size_t n) override {
    dram_.Read(addr, dst, n);
  }
  void Submit(const std::vector<InstrWord>& program) override {
    cmdq_.insert(cmdq_.end(), program.begin(), program.end());
  }

  void RunToIdle() override {
    Verilated::threadContextp(ctx_.get());  // see the destructor
    const uint64_t start = cycle_;
    int idle_seen = 0;
    // idle_o must hold for two consecutive cycles after the last command was
    // taken, so a command still travelling to its engine is not missed.
    while (idle_seen < 2) {
      Tick();
      if (cmdq_.empty() && top_->idle_o && dram_.Quiet()) {
        ++idle_seen;
      } else {
        idle_seen = 0;
      }
      if ((cycle_ & 1023) == 0 && ctx_->gotError()) {
        throw DeviceError("rtl: simulation error (assertion) at cycle " +
                          std::to_string(cycle_));
      }
      if (cycle_ - start > opts_.max_idle_wait) {
        throw DeviceError("rtl: not idle after " +
                          std::to_string(cycle_ - start) + " cycles (" +
                          std::to_string(cmdq_.size()) +
                          " commands not yet accepted)");
      }
    }
    if (ctx_->gotError()) {
      throw DeviceError("rtl: simulation error (assertion) before cycle " +
                        std::to_string(cycle_));
    }
    if (opts_.probe) opts_.probe->idle_at.push_back(cycle_);
  }

  PerfCounters ReadCounters() override {
    PerfCounters c;
    for (int i = 0; i < kNumCounters; ++i) c.v[static_cast<size_t>(i)] = ReadReg(i);
    return c;
  }

  uint64_t cycle() const { return cycle_; }

 private:
  uint64_t ReadReg(int sel) {
    static_assert(kCtrSelBits <= 8, "ctr_sel_i is verilated as 8 bits");
    top_->ctr_sel_i = static_cast<uint8_t>(sel);
    top_->eval();
    return top_->ctr_value_o;
  }

  void CheckConfigRegisters() {
    for (ConfigReg reg : kConfigRegs) {
      uint64_t want = 0;
      switch (reg) {
        case kCfgArrayRows:
          want = static_cast<uint64_t>(hw_.rows);
          break;
        case kCfgArrayCols:
          want = static_cast<uint64_t>(hw_.cols);
          break;
        case kCfgActLines:
          want = static_cast<uint64_t>(hw_.act_lines);
          break;
        case kCfgWgtLines:
          want = static_cast<uint64_t>(hw_.wgt_lines);
          break;
        case kCfgAccRows:
          want = static_cast<uint64_t>(hw_.acc_rows);
          break;
        case kCfgParamEntries:
          want = static_cast<uint64_t>(hw_.param_entries);
          break;
        case kCfgDramBits:
          want = static_cast<uint64_t>(hw_.dram_bits);
          break;
        case kCfgMagic:
          want = static_cast<uint64_t>(kMagicWord);
          break;
        case kCfgSparseLanes:  // one 16-bit WGT bank per lane
          want = static_cast<uint64_t>(hw_.cols / 2);
          break;
        case kCfgNmSparse:
          want = hw_.nm24 ? 1 : 0;
          break;
      }
      const uint64_t got = ReadReg(reg);
      if (got != want) {
        throw DeviceError("rtl: verilated sparq_top has " +
                          std::string(ConfigRegName(reg)) + " = " +
                          std::to_string(got) + " but HwConfig::ForArray(" +
                          std::to_string(hw_.rows) + ", " +
                          std::to_string(hw_.cols) + ") expects " +
                          std::to_string(want));
      }
    }
  }

  // Trace time in units of 100 ps: cycle c's low phase at c ns, its rising
  // edge at c + 0.5 ns.
  static constexpr uint64_t kTicksPerCycle = 10;

  void UpdateTrace() {
    if (opts_.trace_file.empty()) return;
    if (!tfp_ && !trace_done_ && cycle_ >= opts_.trace_from &&
        cycle_ <= opts_.trace_to) {
      tfp_ = std::make_unique<VerilatedFstC>();
      top_->trace(tfp_.get(), 99);
      tfp_->set_time_unit("1ns");
      tfp_->set_time_resolution("100ps");
      tfp_->open(opts_.trace_file.c_str());
    }
    if (tfp_ && cycle_ > opts_.trace_to) {
      tfp_->close();
      tfp_.reset();
      trace_done_ = true;
    }
  }

  // Records the DRAM bytes this rising edge writes and an accepted command.
  void Probe(const DramModel::Outputs& out, bool wr_ready, bool cmd_fire) {
    RtlProbe& p = *opts_.probe;
    if (cmd_fire) p.cmd_accepted.push_back(cycle_);
    if (!out.wr_valid || !wr_ready) return;
    const int bytes = dram_.beat_words() * 4;
    for (int i = 0; i < bytes; ++i) {
      if ((out.wr_strb[static_cast<size_t>(i / 32)] >> (i % 32)) & 1u) {
        const uint32_t word = out.wr_data[static_cast<size_t>(i / 4)];
        p.writes.push_back({cycle_, out.wr_addr + static_cast<uint32_t>(i),
                            static_cast<uint8_t>(word >> (8 * (i % 4)))});
      }
    }
  }

  // One clock cycle. Inputs change while the clock is low (the edge that is
  // not sampled); handshakes are those the rising edge sees.
  void Tick() {
    UpdateTrace();
    top_->clk_i = 0;
    const bool cmd_valid = !cmdq_.empty();
    top_->cmd_valid_i = cmd_valid;
    if (cmd_valid) {
      const InstrWord& w = cmdq_.front();
      for (int i = 0; i < kInstrWords; ++i) top_->cmd_data_i[i] = w[i];
    }
    const DramModel::Inputs& in = dram_.Drive();
    top_->dram_rd_req_ready_i = in.rd_req_ready;
    top_->dram_rd_rsp_valid_i = in.rd_rsp_valid;
    PortFromWords(in.rd_rsp_data, top_->dram_rd_rsp_data_i);
    top_->dram_wr_ready_i = in.wr_ready;
    top_->eval();
    if (tfp_) tfp_->dump(kTicksPerCycle * cycle_);
    ctx_->timeInc(kTicksPerCycle / 2);

    DramModel::Outputs& out = dram_out_;
    out.rd_req_valid = top_->dram_rd_req_valid_o;
    out.rd_req_addr = top_->dram_rd_req_addr_o;
    out.rd_rsp_ready = top_->dram_rd_rsp_ready_o;
    out.wr_valid = top_->dram_wr_valid_o;
    out.wr_addr = top_->dram_wr_addr_o;
    if (out.wr_valid) {
      PortToWords(top_->dram_wr_data_o, out.wr_data);
      PortToWords(top_->dram_wr_strb_o, out.wr_strb);
    }
    const bool cmd_fire = cmd_valid && top_->cmd_ready_o;
    if (opts_.probe) Probe(out, in.wr_ready, cmd_fire);

    top_->clk_i = 1;
    top_->eval();
    if (tfp_) tfp_->dump(kTicksPerCycle * cycle_ + kTicksPerCycle / 2);
    ctx_->timeInc(kTicksPerCycle / 2);

    if (cmd_fire) cmdq_.pop_front();
    dram_.Clock(out);
    ++cycle_;
  }

  HwConfig hw_;
  RtlOptions opts_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<VTop> top_;
  std::unique_ptr<VerilatedFstC> tfp_;
  bool trace_done_ = false;
  DramModel dram_;
  DramModel::Outputs dram_out_;  // reused every cycle: no allocation per tick
  std::deque<InstrWord> cmdq_;
  uint64_t cycle_ = 0;
};

}  // namespace sparq

#endif  // SPARQ_SIM_RTL_DEVICE_IMPL_H_
