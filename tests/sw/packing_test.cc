#include "sw/packing.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "golden/errors.h"
#include "golden/random.h"
#include "sw/isa.h"

namespace sparq {
namespace {

TEST(PackingTest, Int4FirstElementInTheLowNibble) {
  EXPECT_EQ(PackInt4({1, -8, 7}), (std::vector<uint8_t>{0x81, 0x07}));
  EXPECT_EQ(UnpackInt4({0x81, 0x07}, 3), (std::vector<int8_t>{1, -8, 7}));
  EXPECT_EQ(UnpackInt4({0xf8}, 2), (std::vector<int8_t>{-8, -1}));
}

TEST(PackingTest, TernaryCodesTwoBitsPerWeight) {
  // 0 -> 00, +1 -> 01, -1 -> 11; element 4i+j in bits [2j+1:2j].
  EXPECT_EQ(PackTernary({1, -1, 0, 1, -1}),
            (std::vector<uint8_t>{0x4d, 0x03}));
  EXPECT_EQ(UnpackTernary({0x4d, 0x03}, 5),
            (std::vector<int8_t>{1, -1, 0, 1, -1}));
  // The unused code 10 reads as 0, as the PE decodes it.
  EXPECT_EQ(UnpackTernary({0x02}, 1), (std::vector<int8_t>{0}));
}

TEST(PackingTest, BinaryOneBitPerWeightOneIsPlusOne) {
  EXPECT_EQ(PackBinary({1, -1, -1, 1, 1, 1, -1, -1, 1}),
            (std::vector<uint8_t>{0x39, 0x01}));
  EXPECT_EQ(UnpackBinary({0x39, 0x01}, 9),
            (std::vector<int8_t>{1, -1, -1, 1, 1, 1, -1, -1, 1}));
}

// Every length from 0 to 41 (odd counts, lines that end mid-byte), values
// covering both ends of each range.
TEST(PackingTest, RandomRoundTripsOfEveryLength) {
  SplitMix64 rng(11);
  for (size_t n = 0; n < 42; ++n) {
    std::vector<int8_t> i4(n), t(n), b(n);
    for (size_t k = 0; k < n; ++k) {
      i4[k] = static_cast<int8_t>(static_cast<int>(rng.Next() % 16) - 8);
      t[k] = static_cast<int8_t>(static_cast<int>(rng.Next() % 3) - 1);
      b[k] = (rng.Next() & 1) ? 1 : -1;
    }
    if (n > 0) i4[0] = -8;
    const std::vector<uint8_t> p4 = PackInt4(i4), pt = PackTernary(t),
                               pb = PackBinary(b);
    EXPECT_EQ(p4.size(), (n + 1) / 2);
    EXPECT_EQ(pt.size(), (n + 3) / 4);
    EXPECT_EQ(pb.size(), (n + 7) / 8);
    EXPECT_EQ(UnpackInt4(p4, n), i4) << n;
    EXPECT_EQ(UnpackTernary(pt, n), t) << n;
    EXPECT_EQ(UnpackBinary(pb, n), b) << n;
    // Bits beyond the last element stay zero.
    if (n % 2) {
      EXPECT_EQ(p4.back() >> 4, 0) << n;
    }
    if (n % 8) {
      EXPECT_EQ(pb.back() >> (n % 8), 0) << n;
    }
  }
}

TEST(PackingTest, WeightBytesDecodeLaneByLane) {
  const int8_t w4[2] = {-8, 7};
  const uint8_t b4 = PackWeightByte(kGemmModeA8W4, w4);
  EXPECT_EQ(b4, 0x78);
  EXPECT_EQ(DecodeWeightLane(kGemmModeA8W4, b4, 0), -8);
  EXPECT_EQ(DecodeWeightLane(kGemmModeA8W4, b4, 1), 7);
  const int8_t w2[4] = {1, -1, 0, -1};
  const uint8_t b2 = PackWeightByte(kGemmModeA8W2, w2);
  for (int l = 0; l < 4; ++l) {
    EXPECT_EQ(DecodeWeightLane(kGemmModeA8W2, b2, l), w2[l]) << l;
  }
  const int8_t w8[1] = {-128};
  EXPECT_EQ(DecodeWeightLane(kGemmModeA8W8,
                             PackWeightByte(kGemmModeA8W8, w8), 0),
            -128);
  // Every int4 byte: lane 0 = low nibble, lane 1 = high nibble.
  for (int v = 0; v < 256; ++v) {
    const auto b = static_cast<uint8_t>(v);
    EXPECT_EQ(DecodeWeightLane(kGemmModeA8W4, b, 0),
              UnpackInt4({b}, 2)[0]);
    EXPECT_EQ(DecodeWeightLane(kGemmModeA8W4, b, 1),
              UnpackInt4({b}, 2)[1]);
  }
}

TEST(PackingTest, ModesAndLanes) {
  EXPECT_EQ(GemmModeLanes(GemmModeOf(Precision::kA8W8)), 1);
  EXPECT_EQ(GemmModeLanes(GemmModeOf(Precision::kA8W4)), 2);
  EXPECT_EQ(GemmModeLanes(GemmModeOf(Precision::kA8W2)), 4);
  EXPECT_EQ(GemmModeLanes(GemmModeOf(Precision::kA4W4)), 1);
  EXPECT_EQ(GemmModeLanes(GemmModeOf(Precision::kA1W1)), 1);
  EXPECT_EQ(GemmModeOf(Precision::kA1W1), kGemmModeA1W1);
  EXPECT_EQ(GemmModeLanes(kGemmModeN24W4), 1);
  EXPECT_EQ(GemmModeLanes(8), 0);
  EXPECT_EQ(GemmModeOf(Precision::kA16W8), kGemmModeA16W8);
  EXPECT_EQ(GemmModeLanes(kGemmModeA16W8), 2);
}

// int4 activation tensors: each row of the last dimension on its own
// bytes; odd rows end mid-byte with a zero high nibble; -8 and 7 survive.
TEST(PackingTest, Int4RowsRoundTrip) {
  for (size_t row : {1u, 2u, 3u, 7u, 8u}) {
    std::vector<int8_t> v;
    for (size_t i = 0; i < 3 * row; ++i) {
      v.push_back(static_cast<int8_t>(static_cast<int>(i * 5 % 16) - 8));
    }
    v[0] = -8;
    v.back() = 7;
    const std::vector<uint8_t> b = PackInt4Rows(v.data(), v.size(), row);
    ASSERT_EQ(b.size(), 3 * ((row + 1) / 2));
    EXPECT_EQ(b.size(), Int4RowsBytes(v.size(), row));
    EXPECT_EQ(b[0] & 0xf, 0x8);  // -8 in the low nibble of byte 0
    if (row % 2 == 1) {
      for (size_t r = 0; r < 3; ++r) {
        EXPECT_EQ(b[r * ((row + 1) / 2) + row / 2] >> 4, 0) << row;
      }
    }
    std::vector<int8_t> back(v.size());
    UnpackInt4Rows(b.data(), v.size(), row, back.data());
    EXPECT_EQ(back, v) << row;
  }
  const std::vector<int8_t> bad = {1, 8};
  EXPECT_THROW(PackInt4Rows(bad.data(), 2, 2), InputError);
  // Rows of 3: {1, -1, 2} -> 0xF1 0x02.
  const std::vector<int8_t> three = {1, -1, 2, -8, 0, 7};
  EXPECT_EQ(PackInt4Rows(three.data(), 6, 3),
            (std::vector<uint8_t>{0xF1, 0x02, 0x08, 0x07}));
}

// Binary activation tensors: each row on its own bytes, element 8i+j in bit
// j, 1 = +1; rows that end mid-byte leave their high bits 0; every length.
TEST(PackingTest, BinaryRowsRoundTrip) {
  for (size_t row : {1u, 3u, 7u, 8u, 9u, 13u, 16u, 17u}) {
    std::vector<int8_t> v;
    for (size_t i = 0; i < 3 * row; ++i) {
      v.push_back(static_cast<int8_t>((i * 7 + i / 3) % 3 == 0 ? -1 : 1));
    }
    const std::vector<uint8_t> b = PackBinaryRows(v.data(), v.size(), row);
    const size_t row_bytes = (row + 7) / 8;
    ASSERT_EQ(b.size(), 3 * row_bytes);
    EXPECT_EQ(b.size(), BinaryRowsBytes(v.size(), row));
    for (size_t r = 0; r < 3; ++r) {
      for (size_t col = 0; col < row; ++col) {
        EXPECT_EQ((b[r * row_bytes + col / 8] >> (col % 8)) & 1,
                  v[r * row + col] > 0 ? 1 : 0)
            << row << " " << r << " " << col;
      }
      if (row % 8 != 0) {  // the row's last byte ends mid-byte
        EXPECT_EQ(b[r * row_bytes + row_bytes - 1] >> (row % 8), 0) << row;
      }
    }
    std::vector<int8_t> back(v.size());
    UnpackBinaryRows(b.data(), v.size(), row, back.data());
    EXPECT_EQ(back, v) << row;
  }
  // Rows of 3: {+1, -1, +1}, {-1, -1, +1} -> 0x05 0x04.
  const std::vector<int8_t> three = {1, -1, 1, -1, -1, 1};
  EXPECT_EQ(PackBinaryRows(three.data(), 6, 3),
            (std::vector<uint8_t>{0x05, 0x04}));
  const std::vector<int8_t> zero = {1, 0};
  EXPECT_THROW(PackBinaryRows(zero.data(), 2, 2), InputError);
}

// int16 rows (golden's little-endian pairs) to planar rows and back: row
// [0x0102, 0x0304, -2] (bytes 02 01 04 03 fe ff) lies as 02 04 fe 01 03 ff.
TEST(PackingTest, Int16RowsArePlanarAndRoundTrip) {
  const std::vector<int8_t> pairs = {2, 1, 4, 3, -2, -1, 7, 0, 0, -128, 5, 6};
  const std::vector<uint8_t> planar = PlanarInt16Rows(pairs.data(), 12, 6);
  const std::vector<uint8_t> want = {2, 4, 0xfe, 1, 3, 0xff,
                                     7, 0, 5, 0, 0x80, 6};
  EXPECT_EQ(planar, want);
  std::vector<int8_t> back(12);
  UnplanarInt16Rows(planar.data(), 12, 6, back.data());
  EXPECT_EQ(back, pairs);
}

}  // namespace
}  // namespace sparq
