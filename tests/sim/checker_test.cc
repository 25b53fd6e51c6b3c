#include "sim/checker.h"

#include <gtest/gtest.h>

#include <string>

namespace sparq {
namespace {

// A tensor whose every element differs from its neighbours, so a flip of any
// single element is a real change.
Tensor<int8_t> Ramp(const Shape& shape) {
  Tensor<int8_t> t(shape);
  for (size_t i = 0; i < t.size(); ++i) {
    t.data[i] = static_cast<int8_t>(static_cast<int>(i * 7 % 256) - 128);
  }
  return t;
}

TEST(CheckerTest, IdenticalTensorsMatch) {
  const Tensor<int8_t> a = Ramp({1, 4, 5, 3});
  const CompareResult r = CompareTensors(a, a);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.compared, 60u);
  EXPECT_EQ(r.mismatches, 0u);
  EXPECT_FALSE(r.shape_mismatch);
}

TEST(CheckerTest, OneFlippedElementIsFoundWithItsCoordinates) {
  const Tensor<int8_t> expected = Ramp({1, 4, 5, 3});
  // Every position, including the first and the last, is caught.
  for (size_t i : {size_t{0}, size_t{37}, size_t{59}}) {
    Tensor<int8_t> got = expected;
    got.data[i] = static_cast<int8_t>(got.data[i] ^ 1);
    const CompareResult r = CompareTensors(expected, got);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.compared, 60u);
    EXPECT_EQ(r.mismatches, 1u);
    EXPECT_EQ(r.first_index, i);
    EXPECT_EQ(r.first_expected, expected.data[i]);
    EXPECT_EQ(r.first_got, got.data[i]);
  }
  Tensor<int8_t> got = expected;
  got.data[37] = 99;  // 37 = ((0*4 + 2)*5 + 2)*3 + 1
  const CompareResult r = CompareTensors(expected, got);
  EXPECT_EQ(r.first_coord, (Shape{0, 2, 2, 1}));
  // expected[37] = 37*7 % 256 - 128 = -125
  EXPECT_EQ(DescribeMismatch("conv2", r),
            "layer conv2: 1 of 60 outputs differ; first at index 37 "
            "[0,2,2,1]: expected -125, got 99");
}

TEST(CheckerTest, CountsAllMismatchesAndReportsTheFirst) {
  const Tensor<int8_t> expected = Ramp({2, 10});
  Tensor<int8_t> got = expected;
  got.data[19] = -128;  // expected[19] = 5
  got.data[4] = 127;    // expected[4] = -100
  got.data[11] = 0;     // expected[11] = -51
  const CompareResult r = CompareTensors(expected, got);
  EXPECT_EQ(r.mismatches, 3u);
  EXPECT_EQ(r.first_index, 4u);
  EXPECT_EQ(r.first_coord, (Shape{0, 4}));
  EXPECT_EQ(r.first_expected, -100);
  EXPECT_EQ(r.first_got, 127);
  EXPECT_EQ(DescribeMismatch("fc", r),
            "layer fc: 3 of 20 outputs differ; first at index 4 [0,4]: "
            "expected -100, got 127");
}

TEST(CheckerTest, ShapeMismatchIsAMismatch) {
  const Tensor<int8_t> expected = Ramp({1, 2, 2, 4});
  const Tensor<int8_t> got = Ramp({1, 2, 4, 2});  // same size, other shape
  const CompareResult r = CompareTensors(expected, got);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.shape_mismatch);
  EXPECT_EQ(DescribeMismatch("pool", r),
            "layer pool: output shape [1, 2, 4, 2] differs from the expected "
            "[1, 2, 2, 4]");
}

}  // namespace
}  // namespace sparq
