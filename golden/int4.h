// Packed int4 tensors as TFLite and CMSIS-NN store them: two elements per
// byte, element 2i in the low nibble and element 2i+1 in the high nibble, each
// a two's-complement 4-bit value in [-8, 7]. A tensor is packed as one flat
// sequence in row-major order (not row by row), so an odd element count leaves
// the high nibble of the last byte unused; PackInt4 writes it as 0 and
// UnpackInt4 ignores it.

#ifndef SPARQ_GOLDEN_INT4_H_
#define SPARQ_GOLDEN_INT4_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sparq {

// Bytes needed for `count` packed int4 elements: ceil(count / 2).
inline size_t PackedInt4Bytes(size_t count) { return (count + 1) / 2; }

// Sign-extends `count` elements. Throws InputError unless packed holds
// exactly PackedInt4Bytes(count) bytes.
std::vector<int8_t> UnpackInt4(const std::vector<uint8_t>& packed,
                               size_t count);

// Throws InputError naming the first element outside [-8, 7].
std::vector<uint8_t> PackInt4(const std::vector<int8_t>& values);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_INT4_H_
