// Host layers of golden/host_layers.h. Softmax is checked against CMSIS-NN's
// softmax vector (expected output from the TFLite 2.6 interpreter's integer
// kernel); the other layers against values worked out by hand from TFLite's
// kernel definitions.

#include "golden/host_layers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/network.h"

namespace sparq {
namespace {

Tensor<int8_t> Make(Shape shape, std::vector<int8_t> data) {
  Tensor<int8_t> t(std::move(shape));
  EXPECT_EQ(t.data.size(), data.size());
  t.data = std::move(data);
  return t;
}

// CMSIS-NN Tests/UnitTest/TestCases/TestData/softmax (Apache-2.0): two rows
// of five, input_mult 1077952640, left shift 19, diff_min -3968.
TEST(SoftmaxTest, MatchesCmsisNnVector) {
  const Tensor<int8_t> in =
      Make({2, 5}, {101, 49, 6, -34, -75, -79, -38, 120, -55, 115});
  SoftmaxParams p;
  p.input_multiplier = 1077952640;
  p.input_left_shift = 19;
  p.diff_min = -3968;
  const Tensor<int8_t> out = SoftmaxInt8(in, p);
  EXPECT_EQ(out.shape, (Shape{2, 5}));
  EXPECT_EQ(out.data, (std::vector<int8_t>{-57, -70, -79, -86, -92, -94, -88,
                                           -54, -91, -56}));
}

TEST(SoftmaxTest, ParamsFromScaleFollowTflite) {
  // beta * scale * 2^26 = 1.5 * 2^20 -> M0 = 0.75 * 2^31, left shift 21.
  const SoftmaxParams p = SoftmaxParamsFromScale(1.0, 1.5 / 64);
  EXPECT_EQ(p.input_multiplier, 1610612736);
  EXPECT_EQ(p.input_left_shift, 21);
  EXPECT_EQ(p.diff_min, -992);  // 31 * 2^26 / 2^21
  // 2 * 2^-23 * 2^26 = 16 = 0.5 * 2^5.
  const SoftmaxParams q = SoftmaxParamsFromScale(2.0, 0.5 / (1 << 22));
  EXPECT_EQ(q.input_multiplier, 1 << 30);
  EXPECT_EQ(q.input_left_shift, 5);
  EXPECT_EQ(q.diff_min, -65011712);  // 31 * 2^26 / 2^5
  EXPECT_THROW(SoftmaxParamsFromScale(1.0, 1e-9), InputError);
  EXPECT_THROW(SoftmaxParamsFromScale(1e6, 1e6), InputError);
}

TEST(SoftmaxTest, FarBelowTheMaximumGivesMinusOneTwentyEight) {
  SoftmaxParams p;
  p.input_multiplier = 1077952640;
  p.input_left_shift = 19;
  p.diff_min = -10;
  // -20 is below diff_min: exp counts as 0 and the output is the minimum;
  // the other two share the probability: 0.5 * 256 - 128 = 0.
  const Tensor<int8_t> out = SoftmaxInt8(Make({1, 3}, {5, -15, 5}), p);
  EXPECT_EQ(out.data, (std::vector<int8_t>{0, -128, 0}));
}

TEST(PadTest, FillsWithTheValue) {
  PadParams p;
  p.before_after = {{0, 0}, {1, 0}, {0, 1}, {0, 0}};
  p.value = -5;
  const Tensor<int8_t> out = PadInt8(Make({1, 1, 2, 1}, {1, 2}), p);
  EXPECT_EQ(out.shape, (Shape{1, 2, 3, 1}));
  EXPECT_EQ(out.data, (std::vector<int8_t>{-5, -5, -5, 1, 2, -5}));
  p.before_after.pop_back();
  EXPECT_THROW(PadOutputShape({1, 1, 2, 1}, p), InputError);
}

TEST(MeanTest, RoundsHalfAwayFromZeroAfterRequantizing) {
  MeanParams p;  // multiplier 2^30, shift 1: x1.0
  const Tensor<int8_t> pos = MeanInt8(Make({1, 2, 2, 1}, {10, 20, 30, 41}), p);
  EXPECT_EQ(pos.shape, (Shape{1, 1, 1, 1}));
  EXPECT_EQ(pos.data[0], 25);  // (101 + 2) / 4
  EXPECT_EQ(MeanInt8(Make({1, 2, 2, 1}, {-10, -20, -30, -41}), p).data[0], -25);
  // in_zp -128: diffs 0..3 sum 6; x2.0 (shift 2) = 12; (12 + 2) / 4 = 3; +5.
  p.in_zp = -128;
  p.out_zp = 5;
  p.shift = 2;
  p.keep_dims = false;
  const Tensor<int8_t> z =
      MeanInt8(Make({1, 2, 2, 1}, {-128, -127, -126, -125}), p);
  EXPECT_EQ(z.shape, (Shape{1, 1}));
  EXPECT_EQ(z.data[0], 8);
}

TEST(MeanTest, ReducesEachChannelAndBatch) {
  MeanParams p;
  // Two batches, two channels, 1x3 spatial.
  const Tensor<int8_t> out =
      MeanInt8(Make({2, 1, 3, 2}, {1, -1, 2, -2, 4, -4, 9, 0, 9, 0, 9, 3}), p);
  EXPECT_EQ(out.data, (std::vector<int8_t>{2, -2, 9, 1}));
}

TEST(ConcatTest, InterleavesAlongInnerAxes) {
  ConcatParams p;
  p.in_scales = {0.5, 0.5};
  p.in_zps = {0, 0};
  p.out_scale = 0.5;
  p.axis = 2;
  const Tensor<int8_t> a = Make({1, 2, 1, 1}, {1, 2});
  const Tensor<int8_t> b = Make({1, 2, 1, 1}, {3, 4});
  const Tensor<int8_t> out = ConcatInt8({&a, &b}, p);
  EXPECT_EQ(out.shape, (Shape{1, 2, 2, 1}));
  EXPECT_EQ(out.data, (std::vector<int8_t>{1, 3, 2, 4}));
  p.axis = 1;
  const Tensor<int8_t> c = Make({1, 2, 1, 1}, {5, 6});
  EXPECT_EQ(ConcatInt8({&a, &c}, p).data, (std::vector<int8_t>{1, 2, 5, 6}));
  p.axis = 3;
  const Tensor<int8_t> d = Make({1, 2, 2, 1}, {0, 0, 0, 0});
  EXPECT_THROW(ConcatInt8({&a, &d}, p), InputError);
}

TEST(ConcatTest, RequantizesInputsWithOtherScales) {
  ConcatParams p;
  p.in_scales = {0.5, 0.25};
  p.in_zps = {0, 2};
  p.out_scale = 0.5;
  const Tensor<int8_t> a = Make({1, 1, 1, 2}, {1, -2});
  // b: x * 0.5 - 1, rounded half away from zero: 4, 4.5 -> 5, -6.5 -> -7.
  const Tensor<int8_t> b = Make({1, 1, 1, 3}, {10, 11, -11});
  EXPECT_EQ(ConcatInt8({&a, &b}, p).data,
            (std::vector<int8_t>{1, -2, 4, 5, -7}));
  p.in_scales = {0.5, 4.0};
  p.out_zp = 0;
  const Tensor<int8_t> big = Make({1, 1, 1, 2}, {100, -100});
  p.in_zps = {0, 0};
  EXPECT_EQ(ConcatInt8({&a, &big}, p).data,
            (std::vector<int8_t>{1, -2, 127, -128}));
}

TEST(HostLayersTest, RunThroughTheNetworkReference) {
  Network net;
  net.input = Make({1, 1, 2, 2}, {1, 2, 3, 4});
  Layer r;
  r.name = "r";
  r.kind = LayerKind::kReshape;
  r.inputs = {"input"};
  r.reshape = {1, 4};
  Layer c;
  c.name = "c";
  c.kind = LayerKind::kConcat;
  c.inputs = {"r", "r", "r"};
  c.concat.axis = 1;
  c.concat.in_scales = {1, 1, 1};
  c.concat.in_zps = {0, 0, 0};
  net.layers = {r, c};
  const auto out = RunNetworkReference(net);
  EXPECT_EQ(out.at("r").shape, (Shape{1, 4}));
  EXPECT_EQ(out.at("c").shape, (Shape{1, 12}));
  EXPECT_EQ(out.at("c").data,
            (std::vector<int8_t>{1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}));
  EXPECT_STREQ(LayerKindName(LayerKind::kSoftmax), "softmax");
  EXPECT_STREQ(LayerKindName(LayerKind::kConcat), "concat");
  EXPECT_TRUE(IsHostLayer(LayerKind::kMean));
  r.reshape = {1, 5};
  EXPECT_THROW(InferOutputShape(r, {{1, 1, 2, 2}}), InputError);
}

}  // namespace
}  // namespace sparq
