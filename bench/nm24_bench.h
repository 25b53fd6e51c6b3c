// make bench: the array's 2:4 mode (GEMM mode N24W8) against dense int8 on
// the same 2:4-pruned layers (docs/sparse.md, "N:M structured sparsity").

#ifndef SPARQ_BENCH_NM24_BENCH_H_
#define SPARQ_BENCH_NM24_BENCH_H_

#include "sw/hw_config.h"

namespace sparq {

// Prints the table; false when an output differs from golden's.
bool RunNm24Bench(const HwConfig& hw, bool model = false);

}  // namespace sparq

#endif  // SPARQ_BENCH_NM24_BENCH_H_
