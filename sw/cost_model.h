// Static cost of sparq instructions: the LOAD line walk (the address rule of
// docs/architecture.md, shared by the machine model and the static analysis
// so both see the same lines) and cycle estimates of each engine, matching
// the RTL engines' documented throughput (docs/compiler.md, "Cost model").
// Estimates, not measurements: the RTL counters give real cycles.

#ifndef SPARQ_SW_COST_MODEL_H_
#define SPARQ_SW_COST_MODEL_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "sw/hw_config.h"
#include "sw/isa.h"

namespace sparq {

// Fixed latencies of the estimate, taken from the RTL engine headers. The
// DRAM read latency is the configured one (HwConfig::dram_latency).
constexpr int kLoadSetupCycles = 7;   // per LOAD: stride products
constexpr int kLoadKeptSetupCycles = 2;  // the steps kept: the base only
constexpr int kStoreDrainCycles = 4;  // ACC read, requant, FIFO, aligner

// Bytes per SRAM line of a LOAD target (R, C or 16), 0 for an unknown buf.
int LoadLineBytes(const LoadInstr& i, const HwConfig& hw);

// Calls f(line, in_bounds, dram_addr, valid_bytes) for every SRAM line of a
// LOAD in loop order; `line` counts from 0 (SRAM line sram_base + line).
// dram_addr is meaningful only when in_bounds. Computed in 64 bits so that
// an address outside the 32-bit space is visible to the caller.
template <typename F>
void WalkLoadLines(const LoadInstr& i, int line_bytes, F&& f) {
  const int64_t lb = line_bytes;
  uint64_t line = 0;
  for (int64_t y = 0; y < i.ny; ++y) {
    for (int64_t x = 0; x < i.nx; ++x) {
      for (int64_t ky = 0; ky < i.kh; ++ky) {
        const int64_t ih = i.iy0 + y * i.sy + ky * i.dy;
        for (int64_t kx = 0; kx < i.kw; ++kx) {
          const int64_t iw = i.ix0 + x * i.sx + kx * i.dx;
          const bool in = ih >= 0 && ih < i.h && iw >= 0 && iw < i.w;
          const int64_t pix =
              in ? i.dram_base + (ih * i.w + iw) * i.pix_stride : 0;
          for (int64_t l = 0; l < i.nl; ++l) {
            const int64_t rest = i.seg_bytes - l * lb;
            // A line wholly beyond the segment (the second line of an
            // N24W8 activation row pair) is all zero.
            const int valid =
                static_cast<int>(rest < lb ? (rest > 0 ? rest : 0) : lb);
            f(line++, in, pix + l * lb, valid);
          }
        }
      }
    }
  }
}

struct InstrCost {
  uint64_t busy = 0;          // cycles the engine is occupied
  uint64_t latency = 0;       // further cycles until its last write lands
  uint64_t dram_beats = 0;    // beats read (LOAD) or written (STORE)
  uint64_t rows = 0;          // GEMM: activation rows issued
  uint64_t weight_stall = 0;  // GEMM: cycles waiting for the weight preload
  uint64_t pre = 0;           // of busy: may run before its tokens arrive
};

// steps_kept: the load engine still holds the instruction's steps
// (LoadStepKeep) and computes only its base address.
InstrCost LoadCost(const LoadInstr& i, const HwConfig& hw,
                   bool steps_kept = false);

// The load engine keeps the steps of its last full setup
// (docs/architecture.md, "LOAD"): a LOAD with the same pix_stride, w, sy,
// dy, sx and dx sets up in kLoadKeptSetupCycles. A plain copy of one pixel
// computes none and keeps the previous ones.
class LoadStepKeep {
 public:
  bool Take(const LoadInstr& i);

 private:
  bool valid_ = false;
  std::array<int64_t, 6> key_{};
};
InstrCost GemmCost(const GemmInstr& i, const HwConfig& hw);
// params_kept: the STORE engine still holds the records (StoreParamKeep)
// and reads none.
InstrCost StoreCost(const StoreInstr& i, const HwConfig& hw,
                    bool params_kept = false);

// The STORE engine keeps the PARAM records of the last two STOREs that read
// them, one per bank (docs/architecture.md, "STORE"): a STORE of the same
// param_base and at most as many lanes reads none while no PARAM write came
// between. Tracked
// here in program order (the RTL sees the writes as they happen).
class StoreParamKeep {
 public:
  // Whether i finds its records kept; notes i's records otherwise.
  bool Take(const StoreInstr& i, const HwConfig& hw);
  void ParamWritten() {
    for (Bank& b : banks_) b.valid = false;
  }

 private:
  // The store engine's two banks of lane registers (docs/architecture.md,
  // "STORE"); run_ is the last started STORE's.
  struct Bank {
    bool valid = false;
    int64_t base = 0;
    int64_t lanes = 0;
  };
  std::array<Bank, 2> banks_{};
  int run_ = 0;
};
// The depthwise unit (rtl/sparq_dw_unit.sv): DwMaxKernel^2 weight reads
// beside the input walk (which waits for them only when its first output
// comes earlier), one walk step per cycle; the next DWCONV is taken in the
// last step, and the tokens are pushed kDwPipeCycles - 1 cycles after it,
// the cycle after the last ACC write.
constexpr int kDwPipeCycles = 5;
InstrCost DwconvCost(const DwconvInstr& i, const HwConfig& hw);

// The depthwise unit's walk over a DWCONV's grid (docs/architecture.md, "The
// depthwise unit"): in walk order (rev: from the bottom-right pixel), the
// leading pad rows and columns that no output needs walked are skipped (the
// unit presets its row buffers and window with the pad byte instead), at most
// kh - 1 rows and kw - 1 columns; px2 reads two pixels per step.
struct DwconvWalk {
  int64_t skip_rows = 0, skip_cols = 0;
  int64_t rows = 0;       // walked rows
  int64_t steps = 0;      // walk steps per row
  int64_t first_out = 0;  // walk steps before the first output's step
  bool odd = false;       // px2 with an odd skip: outputs end on the right pixel
};
DwconvWalk DwconvWalkOf(const DwconvInstr& i);

// Per-engine sums over a program, for the static DRAM-vs-compute balance.
struct ProgramStats {
  uint64_t loads = 0, gemms = 0, stores = 0;
  uint64_t load_cycles = 0;       // sum of LOAD busy cycles
  uint64_t gemm_cycles = 0;       // sum of GEMM busy cycles
  uint64_t store_cycles = 0;      // sum of STORE busy cycles
  uint64_t dwconvs = 0;           // DWCONV instructions (compute queue)
  uint64_t dw_cycles = 0;         // sum of DWCONV busy cycles
  uint64_t array_rows = 0;        // sum of m_rows
  uint64_t dram_read_bytes = 0;   // beats * beat bytes
  // dram_read_bytes by LOAD target buffer (index: LoadBuf value).
  uint64_t dram_read_bytes_buf[3] = {0, 0, 0};
  uint64_t dram_write_bytes = 0;  // beats * beat bytes
};
ProgramStats AnalyzeProgram(const std::vector<InstrWord>& program,
                            const HwConfig& hw);

}  // namespace sparq

#endif  // SPARQ_SW_COST_MODEL_H_
