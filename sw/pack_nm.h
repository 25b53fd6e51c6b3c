// 2:4 structured-sparse weight tiles for the array's GEMM mode N24W8
// (docs/architecture.md, "N:M structured sparsity").
//
// A dense tile covers 2R K positions (rows) x C output channels; K group g
// is rows 4g .. 4g+3 (R/2 groups). Array rows 2g and 2g+1 hold, per column,
// the group's first and second non-zero weight and its 2-bit position in
// the group (an unused slot: weight 0, index 0). In WGT SRAM a tile is 5R/4
// lines of C bytes: for every 4 array rows 4i .. 4i+3 an index line (byte c,
// bits [2q+1:2q] = the index of array row 4i+q in column c) followed by the
// 4 value lines (byte c = the weight of that array row in column c).
//
// GEMM mode N24W4 (int4 weights, every kept weight in [-8, 7]): the same
// rows, indices and index lines, but 2 value lines per 4 array rows, byte c
// of value line p holding rows 4i+2p (low nibble) and 4i+2p+1 (high nibble)
// of column c: 3R/4 lines per tile.

#ifndef SPARQ_SW_PACK_NM_H_
#define SPARQ_SW_PACK_NM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "golden/network.h"

namespace sparq {

constexpr int kNmN = 2;  // non-zeros kept per group
constexpr int kNmM = 4;  // K positions per group

// WGT lines of one N24W8 tile on an array of `rows` rows (a multiple of 4).
inline int Nm24TileLines(int rows) { return rows + rows / 4; }

// Packs a dense tile of 2 * rows K positions x cols (row-major, dense[k *
// cols + c]) into Nm24TileLines(rows) * cols bytes. Throws InputError naming
// the group and column when a group holds more than 2 non-zeros.
std::vector<uint8_t> PackNm24Tile(const int8_t* dense, int rows, int cols);

// The inverse: the dense 2 * rows x cols tile of a packed one.
std::vector<int8_t> UnpackNm24Tile(const uint8_t* packed, int rows, int cols);

// WGT lines of one N24W4 tile on an array of `rows` rows (a multiple of 4).
inline int Nm24W4TileLines(int rows) { return 3 * rows / 4; }

// As PackNm24Tile, in the N24W4 layout (Nm24W4TileLines(rows) * cols
// bytes). Throws InputError also when a weight lies outside [-8, 7].
std::vector<uint8_t> PackNm24W4Tile(const int8_t* dense, int rows, int cols);

// The inverse of PackNm24W4Tile.
std::vector<int8_t> UnpackNm24W4Tile(const uint8_t* packed, int rows,
                                     int cols);

// Empty when every aligned group of 4 input channels of every output
// channel and tap of a conv / fc layer holds at most 2 non-zeros (conv
// weights [O][kh][kw][Cin_g], fc [O][in]); else the first group that does
// not, e.g. "output channel 3, tap (0, 1), input channels 4..7: 3 non-zeros".
std::string Nm24Violation(const Layer& layer);

}  // namespace sparq

#endif  // SPARQ_SW_PACK_NM_H_
