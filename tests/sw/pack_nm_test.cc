// 2:4 weight tiles (sw/pack_nm.h): packing round trips, the WGT line layout
// worked by hand, and the pattern check.

#include "sw/pack_nm.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "tests/common/random_layers.h"

namespace sparq {
namespace {

// A random 2 * rows x cols tile with at most 2 non-zeros per group of 4.
std::vector<int8_t> RandomTile(SplitMix64* rng, int rows, int cols) {
  std::vector<int8_t> t(static_cast<size_t>(2 * rows) * cols, 0);
  for (int g = 0; g < rows / 2; ++g) {
    for (int c = 0; c < cols; ++c) {
      const int a = RandInt(rng, 0, 3), b = RandInt(rng, 0, 3);
      for (int j : {a, b}) {
        if (RandInt(rng, 0, 3) == 0) continue;  // sometimes fewer than 2
        t[static_cast<size_t>(4 * g + j) * cols + c] =
            static_cast<int8_t>(RandInt(rng, -128, 127));
      }
    }
  }
  return t;
}

// Random tiles from make(rng, rows, cols) of every size round-trip through
// pack / unpack, and pack writes lines(rows) lines of cols bytes.
template <typename Make, typename Pack, typename Unpack, typename Lines>
void ExpectRoundTrips(uint64_t seed, Make make, Pack pack, Unpack unpack,
                      Lines lines) {
  SplitMix64 rng(seed);
  for (int rows : {4, 8, 16, 32}) {
    for (int cols : {1, 4, 16}) {
      for (int rep = 0; rep < 20; ++rep) {
        const std::vector<int8_t> t = make(&rng, rows, cols);
        const std::vector<uint8_t> p = pack(t.data(), rows, cols);
        ASSERT_EQ(p.size(), static_cast<size_t>(lines(rows)) * cols)
            << rows << "x" << cols;
        EXPECT_EQ(unpack(p.data(), rows, cols), t) << rows << "x" << cols;
      }
    }
  }
}

// The hand-checked tile: rows = 4 (8 K positions, 2 groups), cols = 2.
// Column 0: group 0 keeps K 1 (5) and K 3 (-2); group 1 keeps K 6 (7).
// Column 1: group 0 keeps K 0 (col1_k0); group 1 keeps K 4 (3) and K 5 (4).
std::vector<int8_t> HandTile(int8_t col1_k0) {
  std::vector<int8_t> t(8 * 2, 0);
  t[1 * 2 + 0] = 5;
  t[3 * 2 + 0] = -2;
  t[6 * 2 + 0] = 7;
  t[0 * 2 + 1] = col1_k0;
  t[4 * 2 + 1] = 3;
  t[5 * 2 + 1] = 4;
  return t;
}

TEST(PackNmTest, RoundTripsRandomTiles) {
  ExpectRoundTrips(1, RandomTile, PackNm24Tile, UnpackNm24Tile, Nm24TileLines);
}

TEST(PackNmTest, LinesByHand) {
  const std::vector<int8_t> t = HandTile(-1);
  const std::vector<uint8_t> p = PackNm24Tile(t.data(), 4, 2);
  // Index line: array rows 0..3 of column 0 have indices 1, 3, 2, 0; of
  // column 1: 0, 0, 0, 1.
  const std::vector<uint8_t> want = {
      1 | 3 << 2 | 2 << 4 | 0 << 6, 0 | 0 << 2 | 0 << 4 | 1 << 6,  // index
      5, 0xff,                                                     // row 0
      0xfe, 0,                                                     // row 1
      7, 3,                                                        // row 2
      0, 4};                                                       // row 3
  EXPECT_EQ(p, want);
}

TEST(PackNmTest, ThreeNonZerosInAGroupIsAnError) {
  std::vector<int8_t> t(8 * 1, 0);
  t[4] = t[5] = t[7] = 1;
  try {
    PackNm24Tile(t.data(), 4, 1);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("column 0, K positions 4..7"),
              std::string::npos)
        << e.what();
  }
}

// As RandomTile with int4 weights (-8 .. 7, -8 often).
std::vector<int8_t> RandomInt4Tile(SplitMix64* rng, int rows, int cols) {
  std::vector<int8_t> t = RandomTile(rng, rows, cols);
  for (int8_t& v : t) {
    if (v == 0) continue;
    v = static_cast<int8_t>(RandInt(rng, 0, 3) == 0 ? -8 : RandInt(rng, -8, 7));
  }
  return t;
}

TEST(PackNmTest, Int4RoundTripsRandomTiles) {
  ExpectRoundTrips(2, RandomInt4Tile, PackNm24W4Tile, UnpackNm24W4Tile,
                   Nm24W4TileLines);
}

TEST(PackNmTest, Int4LinesByHand) {
  // HandTile with column 1's K 0 at -8: the same index line, then rows 0 / 1
  // and rows 2 / 3 as low / high nibbles.
  const std::vector<int8_t> t = HandTile(-8);
  const std::vector<uint8_t> p = PackNm24W4Tile(t.data(), 4, 2);
  const std::vector<uint8_t> want = {
      1 | 3 << 2 | 2 << 4 | 0 << 6, 0 | 0 << 2 | 0 << 4 | 1 << 6,  // index
      0xe5, 0x08,  // rows 0 (low) and 1 (high): 5 | -2, -8 | 0
      0x07, 0x43};  // rows 2 and 3: 7 | 0, 3 | 4
  EXPECT_EQ(p, want);
}

TEST(PackNmTest, Int4WeightOutOfRangeIsAnError) {
  std::vector<int8_t> t(8 * 1, 0);
  t[5] = 8;
  try {
    PackNm24W4Tile(t.data(), 4, 1);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "column 0, array rows 2..3 hold a weight outside [-8, 7]"),
              std::string::npos)
        << e.what();
  }
}

TEST(PackNmTest, ViolationNamesTheTapAndChannels) {
  Layer l;
  l.kind = LayerKind::kConv;
  l.weights = Tensor<int8_t>({2, 1, 2, 6});  // O=2, kh=1, kw=2, Cin=6
  EXPECT_EQ(Nm24Violation(l), "");
  // Output channel 1, tap (0, 1): channels 4, 5 (a partial group) may hold
  // 2; channels 0..3 get 3.
  int8_t* w = l.weights.data.data() + (1 * 2 + 1) * 6;
  w[4] = w[5] = 1;
  EXPECT_EQ(Nm24Violation(l), "");
  w[0] = w[2] = w[3] = 1;
  EXPECT_EQ(Nm24Violation(l),
            "output channel 1, tap (0, 1), input channels 0..3: 3 non-zeros "
            "(2:4 allows 2 in every aligned group of 4)");
}

}  // namespace
}  // namespace sparq
