// Lowers depthwise convolutions (groups == Cin, channel multiplier a power of
// two) to the depthwise unit's DWCONV instruction (docs/compiler.md,
// "Depthwise layers"); compiler.cc calls it for the layers it accepts and
// lowers every other conv to GEMMs.

#ifndef SPARQ_SW_LOWER_DEPTHWISE_H_
#define SPARQ_SW_LOWER_DEPTHWISE_H_

#include <cstdint>
#include <vector>

#include "golden/network.h"
#include "sw/hw_config.h"
#include "sw/isa.h"

namespace sparq {

// True when `layer` (a conv with input NHWC `in` and output `out`) runs on
// the depthwise unit of `hw`: groups == Cin > 1, Cout = m * Cin with m a power
// of two dividing R (m <= 8), kernel at most DwMaxKernel square, stride and
// dilation not both above 1 on one axis, C >= R, and the weights and PARAM
// records fit their SRAMs.
bool UsesDepthwiseUnit(const Layer& layer, const Shape& in, const Shape& out,
                       const HwConfig& hw);

// A chained depthwise layer (compiler.cc plans it; docs/compiler.md,
// "Chaining"): its input may already be in ACT, written there by the
// previous layer's STOREs (act_write), and its constants may already be in
// WGT / PARAM, loaded by the previous layer's program.
struct DwChain {
  // >= 0: input pixel (n, y, x) of line group l (R channels) is ACT line
  // act_line + l * group_stride + (n * H + y) * row_stride + x, and the
  // program loads no input.
  int64_t act_line = -1;
  int64_t row_stride = 0;
  int64_t group_stride = 0;
  // Block 0's weight box starts at WGT line wgt_line, channel 0's record is
  // PARAM record param_rec; consts_loaded: they are there already.
  int64_t wgt_line = 0;
  int64_t param_rec = 0;
  bool consts_loaded = false;
};

class DepthwiseLowering {
 public:
  DepthwiseLowering(const Layer& layer, const Shape& in, const Shape& out,
                    const HwConfig& hw, uint32_t in_addr, uint32_t out_addr,
                    const DwChain& chain = DwChain());

  bool pair() const { return pair_; }
  int records() const { return records_; }

  uint64_t weight_bytes() const;  // DwMaxKernel^2 WGT lines per block
  uint64_t param_bytes() const;   // one PARAM record per ACC column used
  std::vector<uint8_t> PackWeights() const;
  std::vector<uint8_t> PackParams() const;
  std::vector<InstrWord> Emit(uint32_t wgt_addr, uint32_t param_addr) const;

 private:
  const Layer& layer_;
  HwConfig hw_;
  uint32_t in_addr_, out_addr_;
  DwChain chain_;
  int images_, h_, w_, cin_, oh_, ow_, cout_, kh_, kw_;
  int mult_;     // channel multiplier Cout / Cin
  int blocks_;   // output blocks of R channels
  bool pair_;    // two pixels of R/2 channels per ACT line and ACC row
  int records_;  // PARAM records (pair mode: the Cout records twice)
};

}  // namespace sparq

#endif  // SPARQ_SW_LOWER_DEPTHWISE_H_
