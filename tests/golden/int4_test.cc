#include "golden/int4.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "golden/errors.h"

namespace sparq {
namespace {

TEST(Int4Test, LowNibbleFirstAndSignExtended) {
  // 0x8F: low nibble F = -1 first, high nibble 8 = -8 second.
  EXPECT_EQ(UnpackInt4({0x8F, 0x70}, 4), (std::vector<int8_t>{-1, -8, 0, 7}));
}

TEST(Int4Test, UpstreamBasicInt4Bytes) {
  // CMSIS-NN basic_int4's packed weights {31, 159, 77, 156}, unpacked by hand:
  // 0x1F -> -1, 1; 0x9F -> -1, -7; 0x4D -> -3, 4; 0x9C -> -4, -7.
  EXPECT_EQ(UnpackInt4({31, 159, 77, 156}, 8),
            (std::vector<int8_t>{-1, 1, -1, -7, -3, 4, -4, -7}));
}

TEST(Int4Test, EveryValueRoundTrips) {
  std::vector<int8_t> all;
  for (int v = -8; v <= 7; ++v) all.push_back(static_cast<int8_t>(v));
  const std::vector<uint8_t> packed = PackInt4(all);
  ASSERT_EQ(packed.size(), 8u);
  EXPECT_EQ(packed[0], 0x98);  // -8 low, -7 high
  EXPECT_EQ(packed[7], 0x76);  // 6 low, 7 high
  EXPECT_EQ(UnpackInt4(packed, all.size()), all);
}

TEST(Int4Test, OddCountLeavesLastHighNibbleUnused) {
  const std::vector<int8_t> values = {1, -8, 3};
  EXPECT_EQ(PackInt4(values), (std::vector<uint8_t>{0x81, 0x03}));
  // Whatever the unused nibble holds is ignored.
  EXPECT_EQ(UnpackInt4({0x81, 0xF3}, 3), values);
  EXPECT_EQ(UnpackInt4({0x08}, 1), (std::vector<int8_t>{-8}));
  EXPECT_EQ(PackedInt4Bytes(0), 0u);
  EXPECT_EQ(PackedInt4Bytes(5), 3u);
  EXPECT_TRUE(UnpackInt4({}, 0).empty());
}

TEST(Int4Test, BadInputIsAnInputError) {
  EXPECT_THROW(UnpackInt4({0x00, 0x00}, 1), InputError);  // one byte too many
  EXPECT_THROW(UnpackInt4({0x00}, 3), InputError);        // one byte short
  EXPECT_THROW(PackInt4({0, 8}), InputError);
  EXPECT_THROW(PackInt4({-9}), InputError);
  try {
    PackInt4({1, 2, -9});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("element 2 is -9"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace sparq
