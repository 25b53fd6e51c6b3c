// Packed operand formats of the low-precision modes (docs/architecture.md,
// "Packed formats"):
//   int4     two per byte, element 2i in the low nibble, 2i+1 in the high
//            one, two's complement (read back sign-extended); an odd count
//            leaves the last high nibble zero.
//   ternary  four per byte, element 4i+j in bits [2j+1:2j]: 00 = 0,
//            01 = +1, 11 = -1 (10 is never written and reads as 0).
//   binary   eight per byte, element 8i+j in bit j: 1 = +1, 0 = -1; unused
//            high bits of the last byte are zero.
// And the weight byte of one PE in a GEMM mode: lane l of an A8W4 byte is
// int4 element l, of an A8W2 byte ternary element l, of an A8W8 byte the byte.

#ifndef SPARQ_SW_PACKING_H_
#define SPARQ_SW_PACKING_H_

#include <cstdint>
#include <vector>

#include "golden/int4.h"  // PackInt4 / UnpackInt4: the one int4 packing
#include "golden/precision.h"

namespace sparq {

std::vector<uint8_t> PackTernary(const std::vector<int8_t>& v);
std::vector<int8_t> UnpackTernary(const std::vector<uint8_t>& bytes, size_t n);
std::vector<uint8_t> PackBinary(const std::vector<int8_t>& v);
std::vector<int8_t> UnpackBinary(const std::vector<uint8_t>& bytes, size_t n);

// An int4 activation tensor in DRAM (docs/architecture.md, "Packed
// formats"): each row of `row_len` elements (the last dimension: a pixel's
// channels) packed on its own into ceil(row_len / 2) bytes, so that every
// pixel starts on a byte. Throws InputError for a value outside [-8, 7].
std::vector<uint8_t> PackInt4Rows(const int8_t* v, size_t n, size_t row_len);
// The inverse, `n` elements (a multiple of row_len) into `out`.
void UnpackInt4Rows(const uint8_t* bytes, size_t n, size_t row_len,
                     int8_t* out);

// An int16 activation tensor (A16W8) in DRAM (docs/architecture.md, "A16W8
// on the array"): each row of the last dimension (a pixel's channels) is
// planar, its low bytes first, then its high bytes. `bytes` holds the
// tensor as golden does (little-endian int16 pairs, golden/network.h), `n`
// bytes in rows of `row_bytes` (twice the row's int16 elements, even).
std::vector<uint8_t> PlanarInt16Rows(const int8_t* bytes, size_t n,
                                     size_t row_bytes);
// The inverse: planar rows back to little-endian pairs, `n` bytes into `out`.
void UnplanarInt16Rows(const uint8_t* planar, size_t n, size_t row_bytes,
                       int8_t* out);
// Bytes of `n` elements in rows of row_len packed as above.
size_t Int4RowsBytes(size_t n, size_t row_len);

// A binary activation tensor in DRAM, the same way: each row of `row_len`
// elements packed on its own into ceil(row_len / 8) bytes (element 8i+j of
// the row in bit j of byte i, 1 = +1, unused high bits 0). Throws
// InputError for a value other than -1 and +1.
std::vector<uint8_t> PackBinaryRows(const int8_t* v, size_t n, size_t row_len);
void UnpackBinaryRows(const uint8_t* bytes, size_t n, size_t row_len,
                      int8_t* out);
size_t BinaryRowsBytes(size_t n, size_t row_len);

// The GEMM `mode` field of a precision the array runs; throws InputError for
// one it does not.
int GemmModeOf(Precision p);
// Psum lanes (output channels per PE, ACC rows per activation row) of a GEMM
// mode: 1, 2 or 4; 0 for an unknown mode.
int GemmModeLanes(int mode);
// One PE weight byte from the lane values w[0 .. lanes) of `mode` (values in
// the mode's range; asserted).
uint8_t PackWeightByte(int mode, const int8_t* w);
// Lane `lane` of a PE weight byte, as the PE multiplies it.
int DecodeWeightLane(int mode, uint8_t byte, int lane);

}  // namespace sparq

#endif  // SPARQ_SW_PACKING_H_
