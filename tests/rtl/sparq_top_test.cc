// rtl/sparq_top.sv (4x4 array) with a behavioural DRAM: the system around the
// array. A LOAD / GEMM / STORE program that needs every token queue (a LOAD
// overwriting lines a GEMM still reads, a GEMM overwriting rows a STORE
// still drains) must produce the reference DRAM image, the counters must
// count what the program issued, and the dispatcher must hold the host back
// when a queue is full. Layer-level RTL == golden checks live in
// tests/rtl/e2e.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <vector>

#include "Vsparq_top_4x4.h"
#include "golden/random.h"
#include "golden/requant.h"
#include "tests/rtl/rtl_test_util.h"
#include "verilated.h"

namespace sparq {
namespace {

constexpr int kR = 4;
constexpr int kC = 4;
constexpr int kBeat = 16;
constexpr size_t kDramBytes = 1 << 20;

class TopBench : public rtltest::BlockBench<Vsparq_top_4x4> {
 public:
  TopBench(int latency, double stall, uint32_t seed)
      : latency_(latency), stall_(stall), rng_(seed), dram_(kDramBytes) {
    SplitMix64 fill(seed * 3 + 1);
    for (auto& b : dram_) b = static_cast<uint8_t>(fill.Next());
    Reset();
  }

  std::vector<uint8_t>& dram() { return dram_; }
  void Submit(const InstrWord& w) { cmds_.push_back(w); }

  uint64_t Counter(int sel) {
    top().ctr_sel_i = static_cast<uint8_t>(sel);
    top().eval();
    return top().ctr_value_o;
  }

  uint64_t cycles_since_reset() const { return cycle(); }
  bool saw_cmd_backpressure() const { return saw_backpressure_; }
  bool busy_while_pending() const { return busy_while_pending_; }

 private:
  void Drive() override {
    Vsparq_top_4x4& m = top();
    m.cmd_valid_i = !cmds_.empty();
    if (!cmds_.empty()) {
      for (int i = 0; i < kInstrWords; ++i) m.cmd_data_i[i] = cmds_.front()[i];
    }
    m.ctr_sel_i = 11;  // instrs retired
    m.dram_rd_req_ready_i = !Chance();
    m.dram_wr_ready_i = !Chance();
    if (!rsp_shown_ && !pending_.empty() && pending_.front().ready <= cycle()) rsp_shown_ = true;
    m.dram_rd_rsp_valid_i = rsp_shown_;
    if (rsp_shown_) {
      rtltest::BytesToWide(&dram_[pending_.front().addr], kBeat, m.dram_rd_rsp_data_i);
    }
  }

  void Sample() override {
    Vsparq_top_4x4& m = top();
    if (m.cmd_valid_i && !m.cmd_ready_o) saw_backpressure_ = true;
    // idle_o must stay low until every accepted instruction has retired.
    if (m.idle_o && accepted_ > m.ctr_value_o) busy_while_pending_ = false;
    if (m.dram_rd_req_valid_o && m.dram_rd_req_ready_i) {
      const uint32_t addr = m.dram_rd_req_addr_o;
      EXPECT_EQ(addr % kBeat, 0u);
      pending_.push_back({cycle() + static_cast<uint64_t>(latency_), static_cast<uint32_t>(addr % kDramBytes)});
    }
    if (rsp_shown_ && m.dram_rd_rsp_ready_o) {
      pending_.pop_front();
      rsp_shown_ = false;
    }
    if (m.dram_wr_valid_o && m.dram_wr_ready_i) {
      const uint32_t addr = m.dram_wr_addr_o;
      EXPECT_EQ(addr % kBeat, 0u);
      for (int i = 0; i < kBeat; ++i) {
        if ((m.dram_wr_strb_o >> i) & 1u) {
          dram_[(addr + static_cast<uint32_t>(i)) % kDramBytes] =
              rtltest::WideByte(m.dram_wr_data_o, i);
        }
      }
    }
    if (m.cmd_valid_i && m.cmd_ready_o) {
      cmds_.pop_front();
      ++accepted_;
    }
  }

  bool Idle() const override { return cmds_.empty() && top().idle_o && pending_.empty(); }

  bool Chance() { return stall_ > 0 && rng_.Bernoulli(stall_); }

  struct Pending {
    uint64_t ready;
    uint32_t addr;
  };

  int latency_;
  double stall_;
  SplitMix64 rng_;
  std::vector<uint8_t> dram_;
  std::deque<InstrWord> cmds_;
  std::deque<Pending> pending_;
  bool rsp_shown_ = false;
  bool saw_backpressure_ = false;
  uint64_t accepted_ = 0;
  bool busy_while_pending_ = true;
};

LoadInstr Load(int buf, uint32_t dram_base, int sram_base, int lines, int pix_stride,
               int seg_bytes, int pixels) {
  LoadInstr in;
  in.buf = buf;
  in.dram_base = dram_base;
  in.sram_base = sram_base;
  in.ny = in.kh = in.kw = in.h = 1;
  in.nx = in.w = pixels;
  in.sy = in.sx = in.dy = in.dx = 1;
  in.nl = lines;
  in.pix_stride = pix_stride;
  in.seg_bytes = seg_bytes;
  return in;
}

GemmInstr Gemm(int act_base, int m_rows, int wgt_base, int acc_base, bool accumulate) {
  GemmInstr g;
  g.act_base = act_base;
  g.act_stride = 1;
  g.m_rows = m_rows;
  g.wgt_base = wgt_base;
  g.acc_base = acc_base;
  g.accumulate = accumulate;
  g.k_valid = kR;
  g.n_valid = kC;
  return g;
}

TEST(SparqTopTest, ConfigRegistersDescribeTheBuild) {
  TopBench bench(1, 0.0, 1);
  const uint64_t want[8] = {4, 4, 2048 * 4, 512 * 4, 256 * 4, 2048, 128, 0x53505251};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(bench.Counter(24 + i), want[i]) << "sel " << 24 + i;
  EXPECT_EQ(bench.Counter(kCfgNmSparse), 1u);  // the 2:4 mode is built
}

// Out = requant(A[M x 8] * W[8 x 4]) in two K tiles that reuse the same SRAM
// lines, then out2 = requant of the second tile alone written over ACC rows
// the first STORE drains.
TEST(SparqTopTest, TokenOrderedProgramMatchesReference) {
  constexpr int kM = 37;
  constexpr int kK = 8;
  constexpr uint32_t kAct = 0x1000, kWgt = 0x2000, kPrm = 0x3000;
  constexpr uint32_t kOut1 = 0x4003, kOut2 = 0x5000;
  constexpr int kAccBase = 7;
  constexpr int32_t kZp = -5;
  TopBench bench(25, 0.3, 2);
  std::vector<uint8_t>& dram = bench.dram();
  SplitMix64 rng(11);
  const auto next = [&rng] { return static_cast<uint32_t>(rng.Next()); };
  int32_t bias[kC], mult[kC];
  int shift[kC];
  for (int c = 0; c < kC; ++c) {
    bias[c] = static_cast<int32_t>(next() % 2001) - 1000;
    mult[c] = static_cast<int32_t>((1u << 30) + (next() & ((1u << 29) - 1)));
    shift[c] = -static_cast<int>(next() % 6);
    std::memcpy(&dram[kPrm + 16 * c], &bias[c], 4);
    std::memcpy(&dram[kPrm + 16 * c + 4], &mult[c], 4);
    dram[kPrm + 16 * c + 8] = static_cast<uint8_t>(shift[c]);
    std::memset(&dram[kPrm + 16 * c + 9], 0, 7);
  }

  std::vector<InstrWord> prog;
  prog.push_back(Encode(Load(2, kPrm, 5, kC, 16 * kC, 16 * kC, 1)));
  for (int kt = 0; kt < kK / kR; ++kt) {
    // Both tiles use ACT lines 100.. and WGT lines 10..: the second LOAD of
    // activations must wait for the first GEMM (c2l).
    LoadInstr a = Load(0, kAct + kt * kR, 100, 1, kK, kR, kM);
    a.pop_next = kt > 0;
    prog.push_back(Encode(a));
    LoadInstr w = Load(1, kWgt + kt * kR * kC, 10, kR, kR * kC, kR * kC, 1);
    w.push_next = 1;
    prog.push_back(Encode(w));
    GemmInstr g = Gemm(100, kM, 10, kAccBase, kt > 0);
    g.pop_prev = 1;
    g.push_prev = kt == 0;
    g.push_next = kt > 0;
    prog.push_back(Encode(g));
  }
  StoreInstr s1;
  s1.pop_prev = 1;
  s1.push_prev = 1;
  s1.acc_base = kAccBase;
  s1.dram_base = kOut1;
  s1.ny = 1;
  s1.nx = kM;
  s1.pix_stride = kC + 1;
  s1.n_bytes = kC;
  s1.param_base = 5;
  s1.out_zp = kZp;
  s1.act_min = -128;
  s1.act_max = 127;
  prog.push_back(Encode(s1));
  GemmInstr g2 = Gemm(100, kM, 10, kAccBase, false);
  g2.pop_next = 1;
  g2.push_next = 1;
  g2.n_valid = 3;
  prog.push_back(Encode(g2));
  StoreInstr s2 = s1;
  s2.push_prev = 0;
  s2.dram_base = kOut2;
  s2.pix_stride = kC;
  prog.push_back(Encode(s2));

  std::vector<uint8_t> want = dram;
  for (int m = 0; m < kM; ++m) {
    for (int c = 0; c < kC; ++c) {
      int32_t full = 0, tile1 = 0;
      for (int k = 0; k < kK; ++k) {
        const int32_t p = static_cast<int8_t>(dram[kAct + m * kK + k]) *
                          static_cast<int8_t>(dram[kWgt + k * kC + c]);
        full += p;
        if (k >= kR) tile1 += p;
      }
      want[kOut1 + m * (kC + 1) + c] = static_cast<uint8_t>(
          RequantizeOne(WrapAdd(full, bias[c]), mult[c], shift[c], kZp, -128, 127));
      want[kOut2 + m * kC + c] = static_cast<uint8_t>(
          RequantizeOne(WrapAdd(tile1, bias[c]), mult[c], shift[c], kZp, -128, 127));
    }
  }

  for (const InstrWord& w : prog) bench.Submit(w);
  ASSERT_TRUE(bench.RunToIdle(50000));
  int mismatches = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (dram[i] != want[i] && ++mismatches <= 5) {
      ADD_FAILURE() << "DRAM byte 0x" << std::hex << i << std::dec << ": rtl " << int{dram[i]}
                    << ", reference " << int{want[i]};
    }
  }
  EXPECT_EQ(mismatches, 0);

  EXPECT_EQ(bench.Counter(0), bench.cycles_since_reset());
  EXPECT_EQ(bench.Counter(1), 3u * kM);                       // array_busy (rows)
  EXPECT_EQ(bench.Counter(2), 3u * kM * kR * kC);             // macs_issued
  EXPECT_EQ(bench.Counter(3), 2u * kM * kR * kC + kM * kR * 3);  // useful_macs
  EXPECT_EQ(bench.Counter(11), prog.size());                  // instrs
  EXPECT_TRUE(bench.busy_while_pending());
}

TEST(SparqTopTest, FullQueueHoldsTheHostBack) {
  TopBench bench(40, 0.0, 3);
  constexpr int kLoads = 20;
  for (int i = 0; i < kLoads; ++i) {
    bench.Submit(Encode(Load(2, 0x100 + 16 * i, i, 1, 16, 16, 1)));
  }
  ASSERT_TRUE(bench.RunToIdle(20000));
  EXPECT_TRUE(bench.saw_cmd_backpressure());
  EXPECT_TRUE(bench.busy_while_pending());
  EXPECT_EQ(bench.Counter(11), static_cast<uint64_t>(kLoads));
  EXPECT_EQ(bench.Counter(1), 0u);
}

}  // namespace
}  // namespace sparq
