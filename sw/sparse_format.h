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
//
// The flagged variant (Spmv flagged = 1) has no header words: bit
// kSparseLastBit of a column's last word ends the column, and an empty
// column is one word kSparseEmptyColumn (value 0, rel 0, last). It saves one
// word per lane and column; a lane can no longer jump over a column whose
// activation is zero (it walks the column's words without effect).

#ifndef SPARQ_SW_SPARSE_FORMAT_H_
#define SPARQ_SW_SPARSE_FORMAT_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "sw/isa.h"

namespace sparq {

constexpr int kSparseRelMax = (1 << kSparseRelBits) - 1;
constexpr int kSparseLastBit = 8 + kSparseRelBits;  // flagged streams only
constexpr uint16_t kSparseEmptyColumn = uint16_t{1} << kSparseLastBit;
static_assert(kSparseLastBit <= 15, "an entry word is 16 bits");

// Lanes of the engine on a C-column array (one 16-bit bank per lane).
inline int SparseLanes(int cols) { return cols / 2; }

struct SparseStreams {
  int lanes = 0;
  int k_cols = 0, n_cols = 0;
  bool flagged = false;
  std::vector<std::vector<uint16_t>> words;  // per lane
  // Per lane, entry and padding words of column k (an empty column: 0; its
  // flagged marker word is counted by ColumnWords only).
  std::vector<std::vector<int>> col_words;

  // Words lane p spends on column k in the stream: header + entries, or the
  // flagged column's words (at least one).
  int ColumnWords(int p, int k) const {
    const int e = col_words[static_cast<size_t>(p)][static_cast<size_t>(k)];
    return flagged ? std::max(e, 1) : 1 + e;
  }
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
                         int lanes, bool flagged = false);

// Decodes the streams back into a dense k_cols x n_cols matrix (row-major);
// throws std::invalid_argument when a stream is malformed (position past
// kSparseLaneOuts or n_cols, stream too short).
std::vector<int8_t> UnpackSparse(const std::vector<std::vector<uint16_t>>& words,
                                 int k_cols, int n_cols, int lanes,
                                 bool flagged = false);

}  // namespace sparq

#endif  // SPARQ_SW_SPARSE_FORMAT_H_
