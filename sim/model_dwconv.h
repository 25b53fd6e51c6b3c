// The depthwise unit's arithmetic for the machine model (DWCONV semantics:
// docs/architecture.md, "DWCONV"): kept apart from model_device.cc, which
// validates the instruction, takes its tokens and times it.

#ifndef SPARQ_SIM_MODEL_DWCONV_H_
#define SPARQ_SIM_MODEL_DWCONV_H_

#include <cstdint>

#include "sw/isa.h"

namespace sparq {

// Output grid of a DWCONV: ((in_h - kh) / sy + 1) x ((in_w - kw) / sx + 1).
int64_t DwconvOutRows(const DwconvInstr& i);
int64_t DwconvOutCols(const DwconvInstr& i);

// Executes a validated DWCONV on the SRAM images (grid pixels outside the
// valid_h x valid_w ACT rectangle read the byte `pad`): act (lines of R int8), wgt
// (lines of C int8), acc (rows of C int32). Writes ACC rows
// acc_base .. acc_base + out_rows * out_cols - 1: lanes 0..R-1 get the sums
// (int32, wrapping), columns R..C-1 zero.
void DwconvExecute(const DwconvInstr& i, int rows, int cols, const int8_t* act,
                   const int8_t* wgt, int32_t* acc);

}  // namespace sparq

#endif  // SPARQ_SIM_MODEL_DWCONV_H_
