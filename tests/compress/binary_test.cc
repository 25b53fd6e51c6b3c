#include "golden/binary.h"

#include <gtest/gtest.h>

#include <random>

namespace sparq {
namespace {

Tensor<int8_t> RandomSigns(Shape shape, std::mt19937* rng) {
  Tensor<int8_t> t(std::move(shape));
  std::bernoulli_distribution coin(0.5);
  for (auto& v : t.data) v = coin(*rng) ? 1 : -1;
  return t;
}

void ExpectXnorEqualsIntegerReference(int cin, int cout, int k, int stride,
                                      int pad, int groups, uint32_t seed) {
  std::mt19937 rng(seed);
  const Tensor<int8_t> in = RandomSigns({2, 7, 6, cin}, &rng);
  const Tensor<int8_t> w = RandomSigns({cout, k, k, cin / groups}, &rng);
  ConvGeometry g;
  g.stride_h = g.stride_w = stride;
  g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = pad;
  g.groups = groups;
  const Tensor<int32_t> ref = Conv2dAccInt32(
      in, w, std::vector<int32_t>(static_cast<size_t>(cout), 0), g, 0);
  const Tensor<int32_t> got = BinaryConv2dAccXnor(in, w, g);
  ASSERT_EQ(got.shape, ref.shape);
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_EQ(got.data[i], ref.data[i]) << i;
}

TEST(BinaryTest, XnorPopcountEqualsIntegerConv) {
  ExpectXnorEqualsIntegerReference(8, 4, 3, 1, 1, 1, 1);
}
TEST(BinaryTest, XnorPopcountAcrossWordsStrideAndGroups) {
  ExpectXnorEqualsIntegerReference(150, 6, 3, 2, 1, 2, 2);  // 75 bits a group
  ExpectXnorEqualsIntegerReference(128, 3, 1, 1, 0, 1, 3);  // exactly 2 words
}

TEST(BinaryTest, PackSignsSetsBitsForPlusOne) {
  const int8_t v[] = {1, -1, -1, 1, 1};
  EXPECT_EQ(PackSigns(v, 5), (std::vector<uint64_t>{0b11001}));
}

}  // namespace
}  // namespace sparq
