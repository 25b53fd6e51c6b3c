// The compressed weight format of the unstructured sparse engine
// (rtl/sparq_sparse_engine.sv; docs/sparse.md, "Lane streams"): packing from a
// dense int8 weight tile, and decoding back (the tests' independent check of
// the format).
//
// A tile is a K x N int8 matrix (column k = one activation, output n). Lane p
// of P lanes owns outputs n = j*P + p, j < kSparseLaneOuts. Its stream holds,
// for every column k in order, a header word (the number of entry words that
// follow for this column) and the entry words {rel, value}: bits [7:0] the
// int8 weight, bits [8, 8+kSparseRelBits) the number of this lane's zero
// outputs between the previous entry (or the column start) and this one. A
// run longer than rel can express is bridged by padding words: value 0, rel
// at its maximum, each covering 2^kSparseRelBits positions. Stream words sit
// in WGT lines: line wgt_base + i holds word i of lane p in bytes [2p, 2p+1],
// little-endian.

#ifndef SPARQ_SW_SPARSE_FORMAT_H_
#define SPARQ_SW_SPARSE_FORMAT_H_

#include <cstdint>
#include <vector>

#include "sw/isa.h"

namespace sparq {

constexpr int kSparseRelMax = (1 << kSparseRelBits) - 1;

// Lanes of the engine on a C-column array (one 16-bit bank per lane).
inline int SparseLanes(int cols) { return cols / 2; }

struct SparseStreams {
  int lanes = 0;
  int k_cols = 0, n_cols = 0;
  std::vector<std::vector<uint16_t>> words;  // per lane
  std::vector<std::vector<int>> col_words;   // per lane, words of column k
  int64_t nonzeros = 0;
  int64_t padding = 0;  // padding words

  int max_words() const;  // longest lane stream = WGT lines of the tile
  // WGT lines of `line_bytes` (= C) bytes, every lane's stream padded with
  // zero words to max_words().
  std::vector<uint8_t> Lines(int line_bytes) const;
};

// Packs w (k_cols x n_cols, element (k, n) at w[k * ldw + n]); n_cols <=
// lanes * kSparseLaneOuts.
SparseStreams PackSparse(const int8_t* w, int64_t ldw, int k_cols, int n_cols,
                         int lanes);

// Decodes the streams back into a dense k_cols x n_cols matrix (row-major);
// throws std::invalid_argument when a stream is malformed (position past
// kSparseLaneOuts or n_cols, stream too short).
std::vector<int8_t> UnpackSparse(const std::vector<std::vector<uint16_t>>& words,
                                 int k_cols, int n_cols, int lanes);

}  // namespace sparq

#endif  // SPARQ_SW_SPARSE_FORMAT_H_
