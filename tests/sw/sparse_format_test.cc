// The lane-stream format of the sparse engine (sw/sparse_format.h): packing
// then decoding gives back the matrix, for random densities and for the
// layouts that need padding words and empty columns; the packed words follow
// the documented encoding.

#include "sw/sparse_format.h"

#include <gtest/gtest.h>

#include <vector>

#include "golden/random.h"
#include "tests/common/random_layers.h"

namespace sparq {
namespace {

std::vector<int8_t> RandomSparse(SplitMix64* rng, int k, int n, double d) {
  std::vector<int8_t> w(static_cast<size_t>(k) * n, 0);
  for (int8_t& v : w) {
    if (Coin(rng, d)) v = static_cast<int8_t>(RandInt(rng, -128, 127));
  }
  return w;
}

TEST(SparseFormatTest, RoundTripsRandomMatrices) {
  SplitMix64 rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    const int lanes = 1 << RandInt(&rng, 0, 3);
    const int k = RandInt(&rng, 1, 40);
    const int n = RandInt(&rng, 1, lanes * kSparseLaneOuts);
    const double d = RandReal(&rng, 0.0, 1.0);
    const std::vector<int8_t> w = RandomSparse(&rng, k, n, d);
    int64_t nz = 0;
    for (int8_t v : w) nz += v != 0;
    for (bool flagged : {false, true}) {
      const SparseStreams s = PackSparse(w.data(), n, k, n, lanes, flagged);
      EXPECT_EQ(UnpackSparse(s.words, k, n, lanes, flagged), w)
          << "trial " << trial << " flagged " << flagged;
      EXPECT_EQ(s.nonzeros, nz);
      // Stream length: the columns' words, as ColumnWords counts them.
      for (int p = 0; p < lanes; ++p) {
        size_t words = 0;
        for (int kk = 0; kk < k; ++kk) words += s.ColumnWords(p, kk);
        EXPECT_EQ(s.words[p].size(), words);
      }
    }
  }
}

TEST(SparseFormatTest, EncodesHeadersEntriesAndPadding) {
  // One lane, one column: non-zeros at positions 2 and 2 + 1 + 70.
  std::vector<int8_t> w(100, 0);
  w[2] = -3;
  w[73] = 5;
  const SparseStreams s = PackSparse(w.data(), 100, 1, 100, 1);
  // header 3; entry rel 2; padding (rel 63, value 0) covering positions 3..66;
  // entry rel 73 - 67 = 6.
  const std::vector<uint16_t> want = {3, (2 << 8) | 0xfd,
                                      kSparseRelMax << 8, (6 << 8) | 5};
  EXPECT_EQ(s.words[0], want);
  EXPECT_EQ(s.padding, 1);
  EXPECT_EQ(UnpackSparse(s.words, 1, 100, 1), w);
}

TEST(SparseFormatTest, EmptyColumnsAreOneHeaderWord) {
  std::vector<int8_t> w(6 * 4, 0);
  w[4 * 4 + 1] = 9;  // column 4, output 1 (lane 1, position 0)
  const SparseStreams s = PackSparse(w.data(), 4, 6, 4, 2);
  EXPECT_EQ(s.words[0], std::vector<uint16_t>(6, 0));
  EXPECT_EQ(s.words[1], (std::vector<uint16_t>{0, 0, 0, 0, 1, 9, 0}));
  // Lines: lane p's word i in bytes [2p, 2p+1] of line i, little-endian.
  const std::vector<uint8_t> lines = s.Lines(4);
  ASSERT_EQ(lines.size(), 7u * 4u);
  EXPECT_EQ(lines[4 * 4 + 2], 1);
  EXPECT_EQ(lines[5 * 4 + 2], 9);
  EXPECT_EQ(lines[6 * 4 + 0], 0);
}

// Flagged streams: no headers; bit 14 ends a column; an empty column is the
// one word 0x4000.
TEST(SparseFormatTest, FlaggedStreamsEncodeLastBitAndEmptyColumns) {
  static_assert(kSparseLastBit == 14, "the encoding below assumes 6-bit rel");
  // One lane, two columns: column 0 as in the test above, column 1 empty.
  std::vector<int8_t> w(2 * 100, 0);
  w[2] = -3;
  w[73] = 5;
  const SparseStreams s = PackSparse(w.data(), 100, 2, 100, 1, true);
  const std::vector<uint16_t> want = {(2 << 8) | 0xfd, kSparseRelMax << 8,
                                      0x4000 | (6 << 8) | 5, 0x4000};
  EXPECT_EQ(s.words[0], want);
  EXPECT_EQ(s.ColumnWords(0, 0), 3);
  EXPECT_EQ(s.ColumnWords(0, 1), 1);
  EXPECT_EQ(UnpackSparse(s.words, 2, 100, 1, true), w);
  // A stream that never ends its column is too short.
  const std::vector<std::vector<uint16_t>> open = {{(2 << 8) | 1}};
  EXPECT_THROW(UnpackSparse(open, 1, 5, 1, true), std::invalid_argument);
  const std::vector<std::vector<uint16_t>> bit15 = {{0x8000 | 0x4000 | 1}};
  EXPECT_THROW(UnpackSparse(bit15, 1, 5, 1, true), std::invalid_argument);
}

TEST(SparseFormatTest, DecodeRejectsEntriesOutsideTheTile) {
  const std::vector<std::vector<uint16_t>> words = {{1, 10 << 8 | 1}};
  EXPECT_THROW(UnpackSparse(words, 1, 5, 1), std::invalid_argument);
  const std::vector<std::vector<uint16_t>> short_stream = {{2, 1}};
  EXPECT_THROW(UnpackSparse(short_stream, 1, 5, 1), std::invalid_argument);
}

}  // namespace
}  // namespace sparq
