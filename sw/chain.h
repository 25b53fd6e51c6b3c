// Network-level chaining (docs/compiler.md, "Chaining"): an accelerator
// layer whose only consumer is the next layer, a depthwise layer on the
// depthwise unit, also writes its output into the ACT SRAM (STORE
// act_write) and prefetches the depthwise layer's weights and PARAM
// records, so that the depthwise layer's program loads nothing.

#ifndef SPARQ_SW_CHAIN_H_
#define SPARQ_SW_CHAIN_H_

#include <cstdint>
#include <vector>

#include "golden/network.h"
#include "sw/compiler.h"

namespace sparq {

// What compiler.cc records about a layer it lowered to the depthwise unit
// (`dw` false for every other layer).
struct DwLayerInfo {
  bool dw = false;
  Shape in, out;
  uint32_t in_addr = 0, out_addr = 0;
  uint32_t wgt_addr = 0, param_addr = 0;  // its constants in DRAM
};

// The highest SRAM line (record) + 1 that a program's LOADs write, per LOAD
// buffer (index: LoadBuf value). A program that does not start from data
// another program left in ACT reads only lines it loaded.
struct SramFootprint {
  int64_t written[3] = {0, 0, 0};
};
SramFootprint FootprintOf(const std::vector<InstrWord>& program);

// Chains every pair of layers that qualifies (layer i+1 depthwise on the
// unit outside pair mode, reading only layer i's int8 output, which nothing
// else reads; layer i's STOREs map one-to-one onto ACT lines; the lines and
// constants fit above what layer i's program uses): rewrites both programs
// in c. `info` has one entry per layer of net.
void ChainLayers(const Network& net, const std::vector<DwLayerInfo>& info,
                 CompiledNetwork* c);

}  // namespace sparq

#endif  // SPARQ_SW_CHAIN_H_
