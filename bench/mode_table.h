// The precision-mode table of `make bench`: ResNet-18 conv3_x and an FC
// 1024x1024 at batch 1 in every mode the array runs, on the RTL.

#ifndef SPARQ_BENCH_MODE_TABLE_H_
#define SPARQ_BENCH_MODE_TABLE_H_

#include "sw/hw_config.h"

namespace sparq {

// Prints the table; false when an output differs from golden.
bool PrintModeTable(const HwConfig& hw);

}  // namespace sparq

#endif  // SPARQ_BENCH_MODE_TABLE_H_
