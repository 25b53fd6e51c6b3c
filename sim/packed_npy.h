// The packed .npy form of a narrow weight tensor (docs/yaml.md, "Tensor
// sources"): a one-dimensional uint8 array of ceil(count / k) bytes holding
// the tensor's elements, flattened in row-major order, in the packed format
// of its precision (docs/architecture.md, "Packed formats"): k = 2 for int4
// (a8w4, a4w4), 4 for ternary (a8w2), 8 for binary (a1w1). The logical shape
// comes from the layer. Bits after the last element are 0.

#ifndef SPARQ_SIM_PACKED_NPY_H_
#define SPARQ_SIM_PACKED_NPY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "golden/precision.h"
#include "golden/tensor.h"

namespace sparq {

// Elements per byte of the precision's packed weight form; 0 when it has
// none (a8w8, a16w8).
int PackedWeightsPerByte(Precision p);

// The packed form of `w` (values in the precision's range; asserted).
Tensor<uint8_t> PackWeightsNpy(Precision p, const Tensor<int8_t>& w);

// The `count` elements of a packed form. Throws InputError (the message
// says what was expected, without a file name) when the shape is not
// [ceil(count / k)], a ternary code is the unused 10, or a bit after the
// last element is set.
std::vector<int8_t> UnpackWeightsNpy(Precision p, const Tensor<uint8_t>& packed,
                                     size_t count);

}  // namespace sparq

#endif  // SPARQ_SIM_PACKED_NPY_H_
