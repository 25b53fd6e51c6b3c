// Binary (A1W1) layers as binary hardware computes them: activations and
// weights in {-1, +1} packed as bits (1 = +1), dot = 2 * popcount(xnor) - K.
// The one XNOR reference: the compression library (golden/compress) and the
// layer reference (RunLayerReference, precision a1w1) both use it. Padded
// taps contribute 0. The array's A1W1 mode matches it (docs/architecture.md,
// "Padding (binary and ternary convs)").

#ifndef SPARQ_GOLDEN_BINARY_H_
#define SPARQ_GOLDEN_BINARY_H_

#include <cstdint>
#include <vector>

#include "golden/layers.h"
#include "golden/tensor.h"

namespace sparq {

// Packs n values of {-1, +1} into 64-bit words, bit i of word i / 64.
std::vector<uint64_t> PackSigns(const int8_t* values, int n);

// Conv accumulators of ±1 input (NHWC) and ±1 weights (OHWI), padding taps
// skipped: equals Conv2dAccInt32(input, weights, zero bias, geom, 0) for
// ±1 tensors.
Tensor<int32_t> BinaryConv2dAccXnor(const Tensor<int8_t>& input,
                                    const Tensor<int8_t>& weights,
                                    const ConvGeometry& geom);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_BINARY_H_
