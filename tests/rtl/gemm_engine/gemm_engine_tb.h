// Testbench for the verilated sparq_gemm_engine: behavioural ACT/WGT SRAMs,
// token queues, an instruction-queue driver and monitors that check every
// handshake against the submitted program as it happens, plus the reference
// (program-order execution of GEMM semantics, docs/architecture.md) that the
// ACC contents read back through the store port are compared with.
//
// Clocking: inputs change while the clock is low; outputs are sampled just
// before the rising edge; SRAM read data appears after the edge following the
// read (like rtl/sparq_sram.sv). In cycles after no read, the read-data inputs
// carry random bytes, so the engine cannot depend on SRAM outputs holding.

#ifndef SPARQ_TESTS_RTL_GEMM_ENGINE_GEMM_ENGINE_TB_H_
#define SPARQ_TESTS_RTL_GEMM_ENGINE_GEMM_ENGINE_TB_H_

#include <verilated.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "golden/random.h"
#include "sw/isa.h"
#include "tests/rtl/rtl_test_util.h"

namespace sparq {

struct TbShape {
  int rows;
  int cols;
  // Depths as sparq_gemm_engine's defaults (HwConfig::ForArray).
  int act_lines() const { return 2048 * rows; }
  int wgt_lines() const { return 512 * rows; }
  int acc_rows() const { return 256 * rows; }
};

// How the environment feeds the engine.
struct TbTraffic {
  double gap_prob = 0.0;    // chance that an instruction is offered late...
  int max_gap = 0;          // ...by 1..max_gap cycles after the previous one
  double token_prob = 1.0;  // 1: tokens always there; else per-cycle chance
                            // that one more l2c (and s2c) token is released
};

// Program-order GEMM semantics on int32 accumulators (wrapping). Rows that
// were accumulated onto without ever being overwritten are undefined (the ACC
// SRAM is not reset) and are excluded from comparisons.
class GemmReference {
 public:
  GemmReference(const TbShape& shape, const std::vector<int8_t>* act,
                const std::vector<int8_t>* wgt)
      : shape_(shape),
        act_(act),
        wgt_(wgt),
        acc_(static_cast<size_t>(shape.acc_rows()) * shape.cols, 0),
        defined_(shape.acc_rows(), false) {}

  void Apply(const GemmInstr& g) {
    const int rows = shape_.rows, cols = shape_.cols;
    for (int64_t m = 0; m < g.m_rows; ++m) {
      const int8_t* a = &(*act_)[(g.act_base + m * g.act_stride) * rows];
      const int64_t row = g.acc_base + m;
      for (int c = 0; c < cols; ++c) {
        uint32_t s = 0;
        for (int r = 0; r < rows; ++r) {
          const int8_t w = (*wgt_)[(g.wgt_base + r) * cols + c];
          s += static_cast<uint32_t>(int32_t{a[r]} * int32_t{w});
        }
        uint32_t& dst = acc_[row * cols + c];
        dst = (g.accumulate ? dst : 0u) + s;
      }
      if (!g.accumulate) defined_[row] = true;
    }
  }

  uint32_t acc(int row, int col) const { return acc_[row * shape_.cols + col]; }
  bool defined(int row) const { return defined_[row]; }

 private:
  TbShape shape_;
  const std::vector<int8_t>* act_;
  const std::vector<int8_t>* wgt_;
  std::vector<uint32_t> acc_;
  std::vector<bool> defined_;
};

// Copies n little-endian bytes into a verilated port (integer or VlWide).
template <typename T>
void PutBytes(T* port, const void* src, int n) {
  if constexpr (std::is_integral_v<T>) {
    T v = 0;
    std::memcpy(&v, src, n);
    *port = v;
  } else {
    std::memcpy(port->data(), src, n);
  }
}

template <typename T>
uint32_t GetWord(const T& port, int i) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<uint32_t>(static_cast<uint64_t>(port) >> (32 * i));
  } else {
    return port.at(i);
  }
}

template <class Model>
class GemmEngineTb : public rtltest::BlockBench<Model> {
 public:
  // Observations per submitted instruction (cycles count from reset release).
  struct InstrLog {
    int64_t accepted = -1;
    int64_t l2c_pop = -1;
    int64_t s2c_pop = -1;
    int64_t first_wgt_read = -1;
    int64_t first_row = -1;
    int64_t last_row = -1;
    int64_t done = -1;
  };

  GemmEngineTb(const TbShape& shape, uint32_t seed)
      : shape_(shape),
        rng_(seed),
        act_(static_cast<size_t>(shape.act_lines()) * shape.rows),
        wgt_(static_cast<size_t>(shape.wgt_lines()) * shape.cols) {
    FillRandom(&act_);
    FillRandom(&wgt_);
    this->Reset();
  }

  std::vector<int8_t>& act() { return act_; }
  std::vector<int8_t>& wgt() { return wgt_; }
  SplitMix64& rng() { return rng_; }
  const std::string& error() const { return error_; }
  const std::vector<InstrLog>& log() const { return log_; }

  // Event counters as the engine reported them.
  uint64_t rows_issued() const { return rows_issued_; }
  uint64_t useful_macs() const { return useful_macs_; }
  uint64_t stall_load() const { return stall_load_; }
  uint64_t stall_store() const { return stall_store_; }
  uint64_t stall_weights() const { return stall_weights_; }
  // Pairs of rows issued in consecutive cycles (resp. two cycles apart) with
  // the same ACC row, the second accumulating: the read-modify-write hazards.
  uint64_t rmw_adjacent() const { return rmw_adjacent_; }
  uint64_t rmw_gap2() const { return rmw_gap2_; }

  // Called when instruction i signals done; may return the ACC row to read
  // through the store port in that very cycle, with its expected contents.
  using PushProbe =
      std::function<bool(int i, int* row, std::vector<uint32_t>* expect)>;
  void set_push_probe(PushProbe p) { probe_ = std::move(p); }

  // Appends instructions to the queue the engine is fed from.
  void Submit(const std::vector<GemmInstr>& instrs, const TbTraffic& traffic) {
    traffic_ = traffic;
    for (const GemmInstr& g : instrs) {
      program_.push_back(g);
      words_.push_back(Encode(g));
      log_.emplace_back();
      if (g.pop_prev) ++l2c_budget_;
      if (g.pop_next) ++s2c_budget_;
    }
  }

  // Clocks until every submitted instruction is done and busy_o is low.
  // False (with error()) on the first failed check or after max_cycles.
  bool RunToIdle(int64_t max_cycles) {
    if (!rtltest::BlockBench<Model>::RunToIdle(
            static_cast<uint64_t>(max_cycles))) {
      if (this->assertion_failed()) Fail("RTL assertion failed");
      Fail("timeout: " + std::to_string(done_count_) + " of " +
           std::to_string(program_.size()) + " instructions done");
    }
    return error_.empty();
  }

  // One ACC row through the store port (engine idle).
  std::vector<uint32_t> ReadAccRow(int row) {
    store_row_ = row;
    this->Tick();
    store_row_ = -1;
    std::vector<uint32_t> out(shape_.cols);
    for (int c = 0; c < shape_.cols; ++c)
      out[c] = GetWord(this->top().acc_rdata_o, c);
    return out;
  }

  // Reads back every ACC row the reference defines and compares every column.
  // Returns the number of rows compared, -1 (with error()) at the first
  // mismatch.
  int64_t CompareAcc(const GemmReference& ref) {
    int64_t compared = 0;
    for (int row = 0; row < shape_.acc_rows(); ++row) {
      if (!ref.defined(row)) continue;
      const std::vector<uint32_t> got = ReadAccRow(row);
      for (int c = 0; c < shape_.cols; ++c) {
        if (got[c] != ref.acc(row, c)) {
          Fail("ACC[" + std::to_string(row) + "][" + std::to_string(c) +
               "] = " + std::to_string(static_cast<int32_t>(got[c])) +
               ", expected " +
               std::to_string(static_cast<int32_t>(ref.acc(row, c))));
          return -1;
        }
      }
      ++compared;
    }
    return compared;
  }

 private:
  int64_t Now() const { return static_cast<int64_t>(this->cycle()); }

  void FillRandom(std::vector<int8_t>* mem) {
    for (int8_t& b : *mem) b = static_cast<int8_t>(rng_.Uniform(-128, 127));
  }

  void Fail(const std::string& what) {
    if (error_.empty()) error_ = "cycle " + std::to_string(Now()) + ": " + what;
  }

  void PutGarbage(std::vector<uint8_t>* buf) {
    for (uint8_t& b : *buf) b = static_cast<uint8_t>(rng_.Next());
  }

  // Done, or stopped at a failed check (RunToIdle reports which).
  bool Idle() const override {
    return !error_.empty() ||
           (done_count_ == program_.size() && !this->top().busy_o);
  }

  // Inputs (clock low). store_row_ >= 0 drives the store read port.
  void Drive() override {
    Model& m = this->top();
    offer_ = head_ < words_.size() && gap_left_ == 0;
    m.instr_valid_i = offer_;
    if (offer_) PutBytes(&m.instr_data_i, words_[head_].data(), kInstrBits / 8);
    if (traffic_.token_prob >= 1.0) {
      l2c_count_ = std::max<int64_t>(l2c_count_, 1);
      s2c_count_ = std::max<int64_t>(s2c_count_, 1);
    }
    m.l2c_avail_i = l2c_count_ > 0;
    m.s2c_avail_i = s2c_count_ > 0;
    m.acc_re_i = store_row_ >= 0;
    m.acc_raddr_i = store_row_ >= 0 ? store_row_ : 0;
    m.acc_ext_we_i = 0;  // sparse / depthwise row port (sparq_top), unused here
  }

  // Outputs of this cycle, checked before the rising edge.
  void Sample() override {
    Model& m = this->top();
    const bool offer = offer_;
    const int64_t now = Now();
    // An instruction accepted in an earlier cycle and not yet done must keep
    // busy_o high (the queue no longer holds it).
    if (head_ > done_count_ && !m.busy_o)
      Fail("busy_o low with an instruction in flight");
    if (m.l2c_pop_o) OnPop(&l2c_count_, &l2c_next_, true, offer);
    if (m.s2c_pop_o) OnPop(&s2c_count_, &s2c_next_, false, offer);
    const size_t head_now = head_;
    if (offer && m.instr_ready_o) {
      log_[head_].accepted = now;
      ++head_;
      if (traffic_.gap_prob > 0 && Chance(traffic_.gap_prob)) {
        gap_left_ = 1 + static_cast<int>(rng_.Next() % traffic_.max_gap);
      }
    } else if (!offer && m.instr_ready_o) {
      Fail("instr_ready_o without instr_valid_i");
    }
    wgt_re_ = m.wgt_re_o;
    wgt_addr_ = m.wgt_raddr_o;
    if (wgt_re_) OnWgtRead(wgt_addr_);
    act_re_ = m.act_re_o;
    act_addr_ = m.act_raddr_o;
    const uint64_t macs = m.evt_useful_macs_o;
    if (act_re_) OnRowIssue(act_addr_, macs);
    if (m.evt_row_issued_o != act_re_)
      Fail("evt_row_issued_o differs from act_re_o");
    if (!act_re_ && macs != 0) Fail("evt_useful_macs_o without a row issued");
    // No row issued with an instruction offered: exactly one stall cause,
    // the first of l2c, s2c (not taken before this cycle) and weights.
    int expect_stall = 0;  // 1 load, 2 store, 3 weights
    if (offer && !act_re_) {
      const GemmInstr& g = program_[head_now];
      const InstrLog& lg = log_[head_now];
      if (g.pop_prev && (lg.l2c_pop < 0 || lg.l2c_pop == now)) {
        expect_stall = 1;
      } else if (g.pop_next && (lg.s2c_pop < 0 || lg.s2c_pop == now)) {
        expect_stall = 2;
      } else {
        expect_stall = 3;
      }
    }
    if (m.evt_stall_load_o != (expect_stall == 1) ||
        m.evt_stall_store_o != (expect_stall == 2) ||
        m.evt_stall_weights_o != (expect_stall == 3)) {
      Fail("stall events " + std::to_string(m.evt_stall_load_o) +
           std::to_string(m.evt_stall_store_o) +
           std::to_string(m.evt_stall_weights_o) + ", expected cause " +
           std::to_string(expect_stall));
    }
    stall_load_ += m.evt_stall_load_o;
    stall_store_ += m.evt_stall_store_o;
    stall_weights_ += m.evt_stall_weights_o;
    if (m.evt_instr_done_o) {
      OnDone(m.c2l_push_o, m.c2s_push_o);
    } else if (m.c2l_push_o || m.c2s_push_o) {
      Fail("token pushed outside evt_instr_done_o");
    }

    // A done instruction's last row, read in the cycle it signals done.
    probe_row_ = -1;
    if (m.evt_instr_done_o && probe_ &&
        probe_(static_cast<int>(done_count_ - 1), &probe_row_,
               &probe_expect_)) {
      if (store_row_ >= 0) Fail("store port already busy");
      m.acc_re_i = 1;
      m.acc_raddr_i = probe_row_;
      m.eval();
    }
  }

  // After the rising edge: the probed row, and the SRAM read data of this
  // cycle's reads (garbage after no read).
  void AfterEdge() override {
    Model& m = this->top();
    const int rows = shape_.rows, cols = shape_.cols;
    if (probe_row_ >= 0) {
      for (int c = 0; c < cols; ++c) {
        if (GetWord(m.acc_rdata_o, c) != probe_expect_[c]) {
          Fail("ACC[" + std::to_string(probe_row_) + "][" + std::to_string(c) +
               "] not yet final when instruction " +
               std::to_string(done_count_ - 1) + " pushed its tokens");
          break;
        }
      }
    }
    act_line_.resize(rows);
    wgt_line_.resize(cols);
    if (act_re_ && act_addr_ < static_cast<uint32_t>(shape_.act_lines())) {
      std::memcpy(act_line_.data(),
                  &act_[static_cast<size_t>(act_addr_) * rows], rows);
    } else {
      PutGarbage(&act_line_);
    }
    if (wgt_re_ && wgt_addr_ < static_cast<uint32_t>(shape_.wgt_lines())) {
      std::memcpy(wgt_line_.data(),
                  &wgt_[static_cast<size_t>(wgt_addr_) * cols], cols);
    } else {
      PutGarbage(&wgt_line_);
    }
    PutBytes(&m.act_rdata_i, act_line_.data(), rows);
    PutBytes(&m.wgt_rdata_i, wgt_line_.data(), cols);
    if (traffic_.token_prob < 1.0) {
      if (l2c_budget_ > 0 && Chance(traffic_.token_prob)) {
        ++l2c_count_;
        --l2c_budget_;
      }
      if (s2c_budget_ > 0 && Chance(traffic_.token_prob)) {
        ++s2c_count_;
        --s2c_budget_;
      }
    }
    if (gap_left_ > 0) --gap_left_;
  }

  bool Chance(double p) { return rng_.Bernoulli(p); }

  // The k-th pop of a queue belongs to the k-th instruction with that flag,
  // which must be the one at the head of the queue.
  void OnPop(int64_t* count, size_t* next, bool l2c, bool offer) {
    const std::string queue = l2c ? "l2c" : "s2c";
    if (*count <= 0) Fail(queue + " popped while empty");
    --*count;
    while (*next < program_.size() &&
           !(l2c ? program_[*next].pop_prev : program_[*next].pop_next)) {
      ++*next;
    }
    if (*next >= program_.size()) {
      Fail(queue + " popped with no instruction owning it");
      return;
    }
    if (!offer || *next != head_) {
      Fail(queue + " popped for instruction " + std::to_string(*next) +
           " while " + std::to_string(head_) + " is at the head");
    }
    (l2c ? log_[*next].l2c_pop : log_[*next].s2c_pop) = Now();
    ++*next;
  }

  void OnWgtRead(uint32_t addr) {
    if (wgt_instr_ >= program_.size()) {
      Fail("weight read with no instruction left");
      return;
    }
    const GemmInstr& g = program_[wgt_instr_];
    InstrLog& lg = log_[wgt_instr_];
    if (addr != static_cast<uint32_t>(g.wgt_base + wgt_line_idx_)) {
      Fail("instruction " + std::to_string(wgt_instr_) + " weight line " +
           std::to_string(wgt_line_idx_) + " read at " + std::to_string(addr) +
           ", expected " + std::to_string(g.wgt_base + wgt_line_idx_));
    }
    if (wgt_line_idx_ == 0) {
      lg.first_wgt_read = Now();
      if ((g.pop_prev && (lg.l2c_pop < 0 || lg.l2c_pop >= Now())) ||
          (g.pop_next && (lg.s2c_pop < 0 || lg.s2c_pop >= Now()))) {
        Fail("instruction " + std::to_string(wgt_instr_) +
             " read its weights before taking its tokens");
      }
    }
    if (++wgt_line_idx_ == shape_.rows) {
      wgt_line_idx_ = 0;
      ++wgt_instr_;
    }
  }

  void OnRowIssue(uint32_t addr, uint64_t macs) {
    ++rows_issued_;
    useful_macs_ += macs;
    if (row_instr_ >= program_.size()) {
      Fail("activation read with no instruction left");
      return;
    }
    const GemmInstr& g = program_[row_instr_];
    InstrLog& lg = log_[row_instr_];
    const int64_t expect = g.act_base + row_idx_ * g.act_stride;
    if (addr != expect) {
      Fail("instruction " + std::to_string(row_instr_) + " row " +
           std::to_string(row_idx_) + " read ACT line " + std::to_string(addr) +
           ", expected " + std::to_string(expect));
    }
    if (macs != static_cast<uint64_t>(g.k_valid * g.n_valid)) {
      Fail("evt_useful_macs_o is not k_valid * n_valid");
    }
    if (row_idx_ == 0) {
      lg.first_row = Now();
      if (lg.first_wgt_read < 0 || lg.first_wgt_read >= Now()) {
        Fail("instruction " + std::to_string(row_instr_) +
             " streamed before its weights");
      }
    }
    const int64_t acc_row = g.acc_base + row_idx_;
    if (g.accumulate && acc_row == prev_acc_row_[0] &&
        prev_issue_[0] == Now() - 1)
      ++rmw_adjacent_;
    if (g.accumulate && acc_row == prev_acc_row_[1] &&
        prev_issue_[1] == Now() - 2)
      ++rmw_gap2_;
    prev_acc_row_[1] = prev_acc_row_[0];
    prev_issue_[1] = prev_issue_[0];
    prev_acc_row_[0] = acc_row;
    prev_issue_[0] = Now();
    if (++row_idx_ == g.m_rows) {
      lg.last_row = Now();
      row_idx_ = 0;
      ++row_instr_;
    }
  }

  void OnDone(bool c2l, bool c2s) {
    if (done_count_ >= program_.size()) {
      Fail("evt_instr_done_o with no instruction left");
      return;
    }
    const GemmInstr& g = program_[done_count_];
    InstrLog& lg = log_[done_count_];
    lg.done = Now();
    // Column C-1 of the last row cannot have left an R-deep array earlier.
    if (lg.last_row < 0 || Now() - lg.last_row < shape_.rows + shape_.cols) {
      Fail("instruction " + std::to_string(done_count_) + " done too early");
    }
    if (c2l != static_cast<bool>(g.push_prev) ||
        c2s != static_cast<bool>(g.push_next)) {
      Fail("instruction " + std::to_string(done_count_) +
           " pushed the wrong tokens");
    }
    ++done_count_;
  }

  TbShape shape_;
  SplitMix64 rng_;
  std::vector<int8_t> act_, wgt_;
  std::vector<uint8_t> act_line_, wgt_line_;
  TbTraffic traffic_;
  PushProbe probe_;

  // Between the phases of one cycle.
  int store_row_ = -1;
  bool offer_ = false;
  bool act_re_ = false, wgt_re_ = false;
  uint32_t act_addr_ = 0, wgt_addr_ = 0;
  int probe_row_ = -1;
  std::vector<uint32_t> probe_expect_;

  std::vector<GemmInstr> program_;
  std::vector<InstrWord> words_;
  std::vector<InstrLog> log_;
  size_t head_ = 0;
  int gap_left_ = 0;
  int64_t l2c_count_ = 0, s2c_count_ = 0;
  int64_t l2c_budget_ = 0, s2c_budget_ = 0;
  size_t l2c_next_ = 0, s2c_next_ = 0;
  size_t wgt_instr_ = 0, row_instr_ = 0, done_count_ = 0;
  int wgt_line_idx_ = 0;
  int64_t row_idx_ = 0;
  int64_t prev_acc_row_[2] = {-1, -1};
  int64_t prev_issue_[2] = {-10, -10};

  std::string error_;
  uint64_t rows_issued_ = 0, useful_macs_ = 0;
  uint64_t stall_load_ = 0, stall_store_ = 0, stall_weights_ = 0;
  uint64_t rmw_adjacent_ = 0, rmw_gap2_ = 0;
};

}  // namespace sparq

#endif  // SPARQ_TESTS_RTL_GEMM_ENGINE_GEMM_ENGINE_TB_H_
