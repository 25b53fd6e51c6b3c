// The sparse-engine table of `make bench` (docs/results.md, "Sparse engine"):
// FC 1024x1024 at batch 1 and ResNet-18 conv4_x's 1x1 form (14x14x256 ->
// 256) at weight densities 100/50/25/10/5 %, with and without 50 % zero
// activations, on the RTL: cycles, speedup over the same engine at 100 %
// density, speedup over dense int8 on the array, and lane load-balance
// efficiency; every output compared with golden.

#ifndef SPARQ_BENCH_SPARSE_BENCH_H_
#define SPARQ_BENCH_SPARSE_BENCH_H_

#include "sw/hw_config.h"

namespace sparq {

// Prints the table; returns false if any output differed from golden.
// model: the machine model instead of the RTL (its timeline estimate; fast).
bool RunSparseBench(const HwConfig& hw, bool model = false);

}  // namespace sparq

#endif  // SPARQ_BENCH_SPARSE_BENCH_H_
