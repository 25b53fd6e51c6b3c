// Simulated cycles per second of the verilated 16x16 sparq_gemm_engine
// (Verilator -O3, no trace), streaming back-to-back GEMMs of 224 rows:
//   engine only   the model with a minimal driver (instruction always valid,
//                 tokens always there, SRAM data of the previous read)
//   with testbench the checking testbench of gemm_engine_test
//   (gemm_engine_tb.h)
//
// Rates are simulated cycles per second of process CPU time, which the other
// jobs of a shared machine disturb less than wall time.
//
// Usage: gemm_engine_bench [cycles [engine|tb]]   (default 2000000, both)

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "Vgemm_engine_16x16.h"
#include "tests/rtl/gemm_engine/gemm_engine_tb.h"

namespace sparq {
namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

GemmInstr Tile(int i) {
  GemmInstr g;
  g.m_rows = 224;
  g.act_base = (i * 97) % 4096;
  g.act_stride = 1;
  g.wgt_base = (16 * i) % 4096;
  g.acc_base = (i % 4) * 224;
  g.accumulate = i >= 4;
  g.pop_prev = 1;
  g.push_next = 1;
  g.k_valid = 16;
  g.n_valid = 16;
  return g;
}

double EngineOnly(int64_t cycles, uint64_t* rows) {
  auto ctx = std::make_unique<VerilatedContext>();
  auto m = std::make_unique<Vgemm_engine_16x16>(ctx.get(), "bench");
  const InstrWord word = Encode(Tile(1));
  PutBytes(&m->instr_data_i, word.data(), kInstrBits / 8);
  m->rst_ni = 0;
  m->clk_i = 0;
  m->eval();
  m->clk_i = 1;
  m->eval();
  m->clk_i = 0;
  m->rst_ni = 1;
  m->eval();
  m->instr_valid_i = 1;
  m->l2c_avail_i = 1;
  m->s2c_avail_i = 1;
  m->acc_re_i = 0;
  uint32_t lfsr = 0xace1u;
  const double t0 = CpuSeconds();
  for (int64_t c = 0; c < cycles; ++c) {
    m->clk_i = 0;
    m->eval();
    *rows += m->evt_row_issued_o;
    m->clk_i = 1;
    m->eval();
    // Fresh SRAM data now and then, so the datapath sees changing operands.
    lfsr = (lfsr >> 1) ^ (-(lfsr & 1u) & 0xb400u);
    m->act_rdata_i[lfsr & 3] = lfsr * 2654435761u;
    m->wgt_rdata_i[(lfsr >> 2) & 3] = lfsr * 40503u;
  }
  const double s = CpuSeconds() - t0;
  m->final();
  return cycles / s;
}

double WithTestbench(int64_t cycles, uint64_t* rows) {
  GemmEngineTb<Vgemm_engine_16x16> tb(TbShape{16, 16}, 1);
  std::vector<GemmInstr> prog;
  const int64_t tiles = cycles / 224 + 1;
  for (int64_t i = 0; i < tiles; ++i) prog.push_back(Tile(static_cast<int>(i)));
  tb.Submit(prog, TbTraffic{});
  const double t0 = CpuSeconds();
  if (!tb.RunToIdle(cycles * 2)) {
    std::fprintf(stderr, "testbench error: %s\n", tb.error().c_str());
    std::exit(1);
  }
  const double s = CpuSeconds() - t0;
  *rows = tb.rows_issued();
  return tb.cycle() / s;
}

}  // namespace
}  // namespace sparq

int main(int argc, char** argv) {
  const int64_t cycles = argc > 1 ? std::atoll(argv[1]) : 2'000'000;
  const std::string mode = argc > 2 ? argv[2] : "";
  uint64_t rows = 0;
  if (mode.empty() || mode == "engine") {
    const double engine = sparq::EngineOnly(cycles, &rows);
    std::printf(
        "16x16 engine only:    %.3f M cycles/s (%lld cycles, %.4f "
        "rows/cycle)\n",
        engine / 1e6, static_cast<long long>(cycles),
        static_cast<double>(rows) / cycles);
  }
  if (mode.empty() || mode == "tb") {
    const double tb = sparq::WithTestbench(cycles, &rows);
    std::printf("16x16 with testbench: %.3f M cycles/s\n", tb / 1e6);
  }
  return 0;
}
