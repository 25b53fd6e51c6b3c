#include "golden/precision.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/network.h"
#include "golden/random.h"
#include "golden/requant.h"

namespace sparq {
namespace {

TEST(PrecisionTest, NamesRoundTrip) {
  for (Precision p : {Precision::kA8W8, Precision::kA8W4, Precision::kA8W2,
                      Precision::kA4W4, Precision::kA1W1, Precision::kA16W8}) {
    Precision q = Precision::kA8W8;
    EXPECT_TRUE(ParsePrecision(PrecisionName(p), &q)) << PrecisionName(p);
    EXPECT_EQ(q, p);
  }
  Precision q = Precision::kA8W8;
  EXPECT_FALSE(ParsePrecision("int4", &q));
  EXPECT_FALSE(ParsePrecision("A8W4", &q));
}

TEST(PrecisionTest, WeightRangesAreCheckedAtBothEnds) {
  EXPECT_NO_THROW(CheckWeightRange(Precision::kA8W4, {-8, 7, 0}, "w"));
  EXPECT_THROW(CheckWeightRange(Precision::kA8W4, {-9}, "w"), InputError);
  EXPECT_THROW(CheckWeightRange(Precision::kA8W4, {8}, "w"), InputError);
  EXPECT_NO_THROW(CheckWeightRange(Precision::kA8W2, {-1, 0, 1}, "w"));
  EXPECT_THROW(CheckWeightRange(Precision::kA8W2, {2}, "w"), InputError);
  EXPECT_THROW(CheckWeightRange(Precision::kA1W1, {0}, "w"), InputError);
  EXPECT_NO_THROW(CheckWeightRange(Precision::kA8W8, {-128, 127}, "w"));
  try {
    CheckWeightRange(Precision::kA8W2, {0, 1, -2}, "layer 'fc'");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "layer 'fc': weight 2 = -2 is outside precision a8w2 (expected "
              "[-1, 1])");
  }
}

Layer Fc(Precision p, std::vector<int8_t> w) {
  Layer l;
  l.name = "fc";
  l.kind = LayerKind::kFc;
  l.inputs = {"input"};
  l.precision = p;
  l.weights = Tensor<int8_t>({1, static_cast<int>(w.size())});
  l.weights.data = std::move(w);
  l.quant.multiplier = {1 << 30};
  l.quant.shift = {1};
  return l;
}

// The narrow modes are the int8 reference on operands in range.
TEST(PrecisionTest, ReferenceRunsNarrowModesAndRejectsOutOfRange) {
  Tensor<int8_t> in({1, 3});
  in.data = {5, -7, 3};
  const Tensor<int8_t> a =
      RunLayerReference(Fc(Precision::kA8W2, {1, -1, 0}), {&in});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a.data[0], 12);  // 5 + 7 = 12, times 2^30 * 2^1 / 2^31
  EXPECT_THROW(RunLayerReference(Fc(Precision::kA8W2, {1, 2, 0}), {&in}),
               InputError);
  // A4W4: the input must be int4 too.
  EXPECT_THROW(RunLayerReference(Fc(Precision::kA4W4, {1, 2, 0}), {&in}),
               InputError);
  in.data = {5, -8, 3};
  Layer l = Fc(Precision::kA4W4, {1, 2, 0});
  l.quant.act_min = -8;
  l.quant.act_max = 7;
  EXPECT_EQ(RunLayerReference(l, {&in}).data[0], -8);  // 5 - 16 clamps
  // Zero points outside int4 (the input's is the pad nibble on the array).
  l.quant.in_zp = 8;
  EXPECT_THROW(RunLayerReference(l, {&in}), InputError);
  l.quant.in_zp = 0;
  l.quant.out_zp = -9;
  EXPECT_THROW(RunLayerReference(l, {&in}), InputError);
}

// A1W1 runs the XNOR-popcount kernel; on +-1 tensors it equals the int8
// reference with zero padding (padded taps contribute 0), conv (strided,
// dilated, grouped) and fc.
TEST(PrecisionTest, BinaryReferenceEqualsInt8OnSigns) {
  SplitMix64 rng(3);
  auto signs = [&](const Shape& shape) {
    Tensor<int8_t> t(shape);
    for (int8_t& v : t.data) v = (rng.Next() & 1) ? 1 : -1;
    return t;
  };
  for (int trial = 0; trial < 20; ++trial) {
    Layer l;
    l.name = "b";
    const bool fc = trial % 4 == 3;
    l.kind = fc ? LayerKind::kFc : LayerKind::kConv;
    l.inputs = {"input"};
    const int cin = 1 + static_cast<int>(rng.Next() % 70);
    const int cout = 1 + static_cast<int>(rng.Next() % 9);
    Tensor<int8_t> in;
    if (fc) {
      in = signs({2, cin});
      l.weights = signs({cout, cin});
    } else {
      l.geom.groups = trial % 5 == 1 ? cin : 1;
      l.geom.stride_h = 1 + trial % 2;
      l.geom.pad_top = l.geom.pad_left = trial % 3;
      l.geom.pad_bottom = l.geom.pad_right = 1;
      l.geom.dilation_h = trial % 4 == 2 ? 2 : 1;  // the array's A1W1 dilates
      l.geom.dilation_w = trial % 6 == 0 ? 2 : 1;
      in = signs({1, 5, 6, cin});
      l.weights = signs({cout * (l.geom.groups == 1 ? 1 : cin), 3, 2,
                         cin / l.geom.groups});
    }
    const int channels = l.weights.dim(0);
    l.bias.assign(static_cast<size_t>(channels), 0);
    for (int32_t& b : l.bias) b = static_cast<int32_t>(rng.Next() % 41) - 20;
    l.quant.out_zp = 3;
    for (int c = 0; c < channels; ++c) {
      int32_t m;
      int sh;
      QuantizeMultiplier(0.7 + 0.1 * c, &m, &sh);
      l.quant.multiplier.push_back(m);
      l.quant.shift.push_back(sh);
    }
    l.precision = Precision::kA8W8;
    const Tensor<int8_t> want = RunLayerReference(l, {&in});
    l.precision = Precision::kA1W1;
    const Tensor<int8_t> got = RunLayerReference(l, {&in});
    EXPECT_EQ(got.shape, want.shape) << trial;
    EXPECT_EQ(got.data, want.data) << trial;
  }
}

TEST(PrecisionTest, BinaryReferenceRejectsNonSigns) {
  Tensor<int8_t> in({1, 3});
  in.data = {1, 0, -1};
  EXPECT_THROW(RunLayerReference(Fc(Precision::kA1W1, {1, -1, 1}), {&in}),
               InputError);
  in.data = {1, 1, -1};
  EXPECT_THROW(RunLayerReference(Fc(Precision::kA1W1, {1, 0, 1}), {&in}),
               InputError);
  EXPECT_EQ(RunLayerReference(Fc(Precision::kA1W1, {1, -1, -1}), {&in}).data[0],
            1);  // 1 - 1 - 1
}

}  // namespace
}  // namespace sparq
