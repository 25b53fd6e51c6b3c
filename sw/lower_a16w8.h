// A16W8 layers on the array (docs/architecture.md, "A16W8 on the array").
// The compiler lowers an a16w8 conv / fc as the int8 conv of its byte view:
// an int16 input channel is two K-adjacent byte channels (low byte first,
// as the tensor lies in DRAM), both multiplied by the channel's weight, and
// the GEMM mode A16W8 sums the low bytes (as u - 128) into lane 0 and the
// high bytes into lane 1; a STORE with out_int16 combines the lanes with the
// 64-bit bias and writes int16.

#ifndef SPARQ_SW_LOWER_A16W8_H_
#define SPARQ_SW_LOWER_A16W8_H_

#include <cstdint>
#include <vector>

#include "golden/network.h"

namespace sparq {

// Most int16 taps (kh * kw * Cin_g, fc: inputs) of an output: each lane's
// int32 sum of int8 x int8 products stays exact below 2^16 taps.
constexpr int64_t kA16W8MaxTaps = int64_t{1} << 16;

// The byte view of an a16w8 conv / fc layer: weights [O][kh][kw][2*Cin_g]
// (fc: [O][2*in]) with byte channel 2i and 2i+1 both holding w[..][i]; every
// other field copied. Throws InputError (without the layer prefix) when the
// layer has kA16W8MaxTaps taps or more.
Layer A16W8ByteLayer(const Layer& layer);

// One PARAM record per output channel of the byte-view layer: the bias
// (int64, or the int32 variant's sign-extended) plus 128 * sum of the
// channel's weights (the low byte enters lane 0 as u - 128), in Bias (bits
// 31..0) and BiasHi (63..32), M0, the shift and the Q15 multiplier Mult15.
// Throws InputError for a multiplier or shift outside the variant's range.
std::vector<uint8_t> PackA16W8Params(const Layer& byte_layer, int cout);

}  // namespace sparq

#endif  // SPARQ_SW_LOWER_A16W8_H_
