#include "sw/cost_model.h"

#include <algorithm>

namespace sparq {

int LoadLineBytes(const LoadInstr& i, const HwConfig& hw) {
  switch (static_cast<LoadBuf>(i.buf)) {
    case LoadBuf::kAct:
      return hw.rows;
    case LoadBuf::kWgt:
      return hw.cols;
    case LoadBuf::kParam:
      return kParamBytes;
  }
  return 0;
}

// The load engine generates one line per cycle and requests the beats that
// hold its valid bytes; a line starting in the beat requested last reuses it,
// a line needing two fresh beats takes two cycles. Out-of-bounds lines cost a
// cycle and no beat. A dense LOAD costs the same per piece (WalkDensePieces).
InstrCost LoadCost(const LoadInstr& i, const HwConfig& hw) {
  InstrCost c;
  const int lb = LoadLineBytes(i, hw);
  if (lb == 0) return c;
  const int64_t beat = hw.dram_beat_bytes();
  int64_t last_beat = -1;
  uint64_t cycles = 0;
  auto piece = [&](bool in, int64_t addr, int valid) {
    if (!in || valid == 0) {
      ++cycles;
      return;
    }
    const int64_t first = addr / beat;
    const int64_t last = (addr + valid - 1) / beat;
    const uint64_t fresh =
        static_cast<uint64_t>(last - first + 1) - (first == last_beat ? 1 : 0);
    cycles += std::max<uint64_t>(1, fresh);
    c.dram_beats += fresh;
    last_beat = last;
  };
  if (i.dense) {
    WalkDensePieces(i, lb, [&](uint64_t, int, bool in, int64_t addr, int n) {
      piece(in, addr, n);
    });
  } else {
    WalkLoadLines(i, lb, [&](uint64_t, bool in, int64_t addr, int valid) {
      piece(in, addr, valid);
    });
  }
  c.busy = kLoadSetupCycles + cycles;
  c.latency = c.dram_beats > 0 ? static_cast<uint64_t>(hw.dram_latency) : 1;
  return c;
}

// Rows issue one per cycle; the next tile's weights preload behind the
// current wavefront, which takes C cycles, so a GEMM shorter than that
// waits for its bank. Results leave the array R + C cycles after issue.
InstrCost GemmCost(const GemmInstr& i, const HwConfig& hw) {
  InstrCost c;
  c.rows = static_cast<uint64_t>(std::max<int64_t>(i.m_rows, 0));
  c.busy = std::max<uint64_t>(c.rows, static_cast<uint64_t>(hw.cols));
  c.weight_stall = c.busy - c.rows;
  c.latency = static_cast<uint64_t>(hw.rows + hw.cols);
  return c;
}

// One PARAM record per cycle, then one pixel per cycle (two when its bytes
// cross a beat boundary).
InstrCost StoreCost(const StoreInstr& i, const HwConfig& hw) {
  InstrCost c;
  const int64_t beat = hw.dram_beat_bytes();
  const int64_t n = std::max<int64_t>(i.n_bytes, 0);
  uint64_t cycles = static_cast<uint64_t>(n);
  for (int64_t y = 0; y < i.ny; ++y) {
    for (int64_t x = 0; x < i.nx; ++x) {
      const int64_t a = i.dram_base + y * i.row_stride + x * i.pix_stride;
      const uint64_t beats =
          n == 0 ? 1 : static_cast<uint64_t>((a + n - 1) / beat - a / beat + 1);
      cycles += beats;
      c.dram_beats += n == 0 ? 0 : beats;
    }
  }
  c.busy = cycles;
  c.latency = kStoreDrainCycles;
  return c;
}

InstrCost DwconvCost(const DwconvInstr& i, const HwConfig& hw) {
  (void)hw;
  InstrCost c;
  const uint64_t pixels =
      static_cast<uint64_t>(std::max<int64_t>(i.in_h, 0)) *
      static_cast<uint64_t>(std::max<int64_t>(i.in_w, 0));
  // The weight box is read beside the walk when the first output pixel is
  // far enough into it (rtl/sparq_dw_unit.sv), else first.
  const int64_t taps = kDwMaxKernel * kDwMaxKernel;
  const bool beside = (i.kh - 1) * i.in_w + i.kw - 1 >= taps - 1;
  c.busy = (beside ? 0 : static_cast<uint64_t>(taps)) + 1 + pixels;
  c.latency = kDwPipeCycles;
  return c;
}

ProgramStats AnalyzeProgram(const std::vector<InstrWord>& program,
                            const HwConfig& hw) {
  ProgramStats s;
  const uint64_t beat = static_cast<uint64_t>(hw.dram_beat_bytes());
  for (const InstrWord& w : program) {
    switch (OpcodeOf(w)) {
      case Opcode::kLoad: {
        const LoadInstr l = DecodeLoad(w);
        const InstrCost c = LoadCost(l, hw);
        ++s.loads;
        s.load_cycles += c.busy;
        s.dram_read_bytes += c.dram_beats * beat;
        if (l.buf >= 0 && l.buf < 3) {
          s.dram_read_bytes_buf[l.buf] += c.dram_beats * beat;
        }
        break;
      }
      case Opcode::kGemm: {
        const InstrCost c = GemmCost(DecodeGemm(w), hw);
        ++s.gemms;
        s.gemm_cycles += c.busy;
        s.array_rows += c.rows;
        break;
      }
      case Opcode::kSpmv: {
        // The stream lengths live in DRAM, not in the instruction: a lower
        // bound (one header per column, the drain) counted as compute.
        const SpmvInstr i = DecodeSpmv(w);
        ++s.gemms;
        s.gemm_cycles += static_cast<uint64_t>(i.m_rows) *
                         static_cast<uint64_t>(i.k_cols + i.n_groups + 5);
        break;
      }
      case Opcode::kStore: {
        const InstrCost c = StoreCost(DecodeStore(w), hw);
        ++s.stores;
        s.store_cycles += c.busy;
        s.dram_write_bytes += c.dram_beats * beat;
        break;
      }
      case Opcode::kDwconv: {
        ++s.dwconvs;
        s.dw_cycles += DwconvCost(DecodeDwconv(w), hw).busy;
        break;
      }
    }
  }
  return s;
}

}  // namespace sparq
