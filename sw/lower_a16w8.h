// A16W8 layers on the array (docs/architecture.md, "A16W8 on the array").
// An int16 tensor lies in DRAM with each row of its last dimension planar
// (its low bytes, then its high bytes). The compiler lowers an a16w8 conv /
// fc as the int8 conv of the int16 elements with its own weights (stored
// once): every ACT fill is loaded from both planes, and a GEMM in mode A16W8
// streams each activation row's low-byte line (entering the array as
// u - 128) into ACC row 2p and its high-byte line into 2p + 1 against the
// same weight tile; a STORE with out_int16 combines the two with the 64-bit
// bias and writes the two planes of the int16 output.

#ifndef SPARQ_SW_LOWER_A16W8_H_
#define SPARQ_SW_LOWER_A16W8_H_

#include <cstdint>
#include <vector>

#include "golden/network.h"

namespace sparq {

// Most int16 taps (kh * kw * Cin_g, fc: inputs) of an output: each lane's
// int32 sum of int8 x int8 products stays exact below 2^16 taps.
constexpr int64_t kA16W8MaxTaps = int64_t{1} << 16;

// Throws InputError (without the layer prefix) when the a16w8 conv / fc
// has kA16W8MaxTaps taps per output or more.
void CheckA16W8Taps(const Layer& layer);

// An a16w8 fc whose input has more than one row of in_last elements (e.g. a
// flattened conv output, whose planes are per row) as a conv over one image
// per sample: 1 x rows pixels of in_last channels, a 1 x rows kernel, the
// same weights ([O][1][rows][in_last]).
Layer A16W8FcAsConv(const Layer& fc, int in_last);

// One PARAM record per output channel of an a16w8 layer: the bias (int64,
// or the int32 variant's sign-extended) plus 128 * sum of the channel's
// weights (the low byte enters lane 0 as u - 128), in Bias (bits 31..0) and
// BiasHi (63..32), M0, the shift and the Q15 multiplier Mult15.
// Throws InputError for a multiplier or shift outside the variant's range.
std::vector<uint8_t> PackA16W8Params(const Layer& layer, int cout);

}  // namespace sparq

#endif  // SPARQ_SW_LOWER_A16W8_H_
