// The machine model's execution of one Spmv instruction (the unstructured
// sparse engine, docs/sparse.md): walks every lane's stream in the WGT SRAM
// exactly as rtl/sparq_sparse_engine.sv does, accumulates into the ACC SRAM,
// and returns the exact sparse counters and the engine's cycle estimate.

#ifndef SPARQ_SIM_MODEL_SPMV_H_
#define SPARQ_SIM_MODEL_SPMV_H_

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "sw/hw_config.h"
#include "sw/isa.h"

namespace sparq {

struct SpmvOutcome {
  uint64_t zero_weights = 0;  // counter sparse_zero_weights
  uint64_t zero_acts = 0;     // counter sparse_zero_acts
  uint64_t meta_words = 0;    // counter sparse_meta_words
  uint64_t lane_idle = 0;     // estimate of sparse_lane_idle
  uint64_t busy = 0;          // estimated engine cycles
  int64_t wgt_lines = 0;      // WGT lines read (longest lane stream walked)
};

// A malformed instruction or stream (position outside the tile, stream
// leaving the WGT SRAM, a field out of range).
class SpmvFault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// act: ACT SRAM (act_lines x R), wgt: WGT SRAM (wgt_lines x C), acc: ACC SRAM
// (acc_rows x C). held: the lane sums a lane_hold Spmv left in the engine
// (empty when none; lane_keep starts from them, lane_hold sets them).
// Checks every address before touching memory.
SpmvOutcome ExecSpmv(const SpmvInstr& i, const HwConfig& hw,
                     const int8_t* act, const int8_t* wgt, int32_t* acc,
                     std::vector<int32_t>* held);

// ACT lines one vector of the instruction reads.
inline int64_t SpmvActLines(const SpmvInstr& i, const HwConfig& hw) {
  return (i.k_cols + hw.rows - 1) / hw.rows;
}

}  // namespace sparq

#endif  // SPARQ_SIM_MODEL_SPMV_H_
