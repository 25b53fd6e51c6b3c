#include "golden/int16_layers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "golden/errors.h"
#include "golden/layers.h"
#include "golden/random.h"

namespace sparq {
namespace {

TEST(Int16LayersTest, ReduceMultiplierRoundsQ31ToQ15) {
  EXPECT_EQ(ReduceMultiplier(0), 0);
  EXPECT_EQ(ReduceMultiplier(1 << 30), 1 << 14);
  EXPECT_EQ(ReduceMultiplier((1 << 30) + (1 << 15) - 1), 1 << 14);
  EXPECT_EQ(ReduceMultiplier((1 << 30) + (1 << 15)), (1 << 14) + 1);
  EXPECT_EQ(ReduceMultiplier(1518500250), 23170);  // 23170.6 rounded down
  EXPECT_EQ(ReduceMultiplier(0x7FFEFFFF), 0x7FFF);
  EXPECT_EQ(ReduceMultiplier(0x7FFF0000), 0x7FFF);
  EXPECT_EQ(ReduceMultiplier(0x7FFFFFFF), 0x7FFF);  // never 2^15
}

TEST(Int16LayersTest, RequantizeRoundsHalfTowardPlusInfinity) {
  // M0 = 2^30, shift 0: x / 2.
  const int32_t half = 1 << 30;
  EXPECT_EQ(RequantizeOneInt64(3, half, 0, -32768, 32767), 2);
  EXPECT_EQ(RequantizeOneInt64(5, half, 0, -32768, 32767), 3);
  EXPECT_EQ(RequantizeOneInt64(-3, half, 0, -32768, 32767), -1);
  EXPECT_EQ(RequantizeOneInt64(-5, half, 0, -32768, 32767), -2);
  EXPECT_EQ(RequantizeOneInt64(-1, half, 0, -32768, 32767), 0);
  EXPECT_EQ(RequantizeOneInt64(-4, half, 0, -32768, 32767), -2);
}

TEST(Int16LayersTest, RequantizeUsesTheReducedMultiplier) {
  // 123757 * 23170 / 2^18 = 10938.99...; with the full Q31 multiplier the
  // product would be 10939.0000 and round to 10939.
  EXPECT_EQ(RequantizeOneInt64(123757, 1518500250, -3, -32768, 32767), 10938);
}

TEST(Int16LayersTest, RequantizeShiftRangeEnds) {
  // shift 7: x * 0.5 * 2^7.
  EXPECT_EQ(RequantizeOneInt64(100, 1 << 30, 7, -32768, 32767), 6400);
  // shift -31: x * 0.5 / 2^31 with a 47-bit accumulator.
  const int64_t big = (int64_t{1} << 46) + (int64_t{1} << 31);
  EXPECT_EQ(RequantizeOneInt64(big, 1 << 30, -31, -32768, 32767), 16385);
  EXPECT_EQ(RequantizeOneInt64(-big, 1 << 30, -31, -32768, 32767), -16384);
  EXPECT_EQ(RequantizeOneInt64(12345, 0, 0, -32768, 32767), 0);
}

// CMSIS-NN's arm_nn_requantize_s64 states the same rounding in two steps:
// r = (acc * rm) >> (14 - shift), then (r + 1) >> 1. Inside TFLite's range
// (|acc| < 2^47) both fit int64 and must agree with the one-step form.
TEST(Int16LayersTest, RequantizeMatchesTheTwoStepCmsisForm) {
  SplitMix64 rng(0x516);
  for (int i = 0; i < 200000; ++i) {
    const int64_t acc =
        rng.Uniform(-(int64_t{1} << 47), (int64_t{1} << 47) - 1);
    const int32_t m0 = static_cast<int32_t>(
        rng.Bernoulli(0.01) ? rng.Uniform(0x7FFF0000, 0x7FFFFFFF)
                            : rng.Uniform(1 << 30, 0x7FFFFFFF));
    const int shift = static_cast<int>(rng.Uniform(-31, 7));
    const int64_t rm = ReduceMultiplier(m0);
    const int64_t r = ((acc * rm) >> (14 - shift)) + 1;
    const int64_t two_step = std::clamp<int64_t>(r >> 1, -32768, 32767);
    ASSERT_EQ(RequantizeOneInt64(acc, m0, shift, -32768, 32767), two_step)
        << "acc " << acc << " M0 " << m0 << " shift " << shift;
  }
}

TEST(Int16LayersTest, RequantizeSaturatesInsteadOfTruncating) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(RequantizeOneInt64(kMax, 0x7FFFFFFF, 7, -32768, 32767), 32767);
  EXPECT_EQ(RequantizeOneInt64(kMin, 0x7FFFFFFF, 7, -32768, 32767), -32768);
  // 2^40 * 0.5 = 2^39: far outside int32, where TFLite would truncate.
  EXPECT_EQ(RequantizeOneInt64(int64_t{1} << 40, 1 << 30, 0, -32768, 32767),
            32767);
  EXPECT_EQ(RequantizeOneInt64(1000, 1 << 30, 0, -9999, 100), 100);
  EXPECT_EQ(RequantizeOneInt64(-30000, 1 << 30, 0, -9999, 100), -9999);
}

TEST(Int16LayersTest, FullyConnectedHandComputed) {
  Tensor<int16_t> input({1, 3});
  input.data = {-32768, 32767, 1000};
  Tensor<int8_t> weights({2, 3});
  weights.data = {-128, 127, 1, 1, 1, -1};
  const std::vector<int64_t> bias = {int64_t{1} << 40, -5};
  Int16QuantParams q;
  q.multiplier = {1 << 30, 1431655765};
  q.shift = {-31, 0};
  const Tensor<int64_t> acc = FullyConnectedAccInt16(input, weights, bias);
  EXPECT_EQ(acc.data, (std::vector<int64_t>{1099519984489, -1006}));
  // 1099519984489 / 2^32 = 256.002; -1006 * 21845 / 2^15 = -670.65 -> -671.
  const Tensor<int16_t> out = FullyConnectedInt16(input, weights, bias, q);
  EXPECT_EQ(out.shape, (Shape{1, 2}));
  EXPECT_EQ(out.data, (std::vector<int16_t>{256, -671}));
}

TEST(Int16LayersTest, AccumulatesIn64BitsAndTheInt32VariantWraps) {
  // 1024 products of (-32768) * (-128) = 2^22: the sum is exactly 2^32.
  Tensor<int16_t> input({1, 1024}, -32768);
  Tensor<int8_t> weights({1, 1024}, -128);
  EXPECT_EQ(FullyConnectedAccInt16(input, weights, {}).data[0],
            int64_t{1} << 32);
  EXPECT_EQ(FullyConnectedAccInt16Bias32(input, weights, {7}).data[0], 7);

  Tensor<int16_t> image({1, 2, 2, 256}, -32768);
  Tensor<int8_t> filter({1, 2, 2, 256}, -128);
  EXPECT_EQ(Conv2dAccInt16(image, filter, {-1}, ConvGeometry{}).data[0],
            (int64_t{1} << 32) - 1);
  EXPECT_EQ(Conv2dAccInt16Bias32(image, filter, {-1}, ConvGeometry{}).data[0],
            -1);
}

TEST(Int16LayersTest, Bias32VariantUsesDoubleRoundingWithZeroPointZero) {
  // TFLite's int32 MultiplyByQuantizedMultiplier rounds twice:
  // -3 * 0.5 = -1.5 -> -1 (SaturatingRoundingDoublingHighMul, tie toward
  // +infinity); 5 * 0.5 = 2.5 -> 3, then 3 / 2 = 1.5 -> 2
  // (RoundingDivideByPOT). The int64 path rounds once: 5 * 0.25 = 1.25 -> 1.
  Tensor<int32_t> acc({1, 2});
  acc.data = {-3, 5};
  Int16QuantParams q;
  q.multiplier = {1 << 30, 1 << 30};
  q.shift = {0, -1};
  EXPECT_EQ(RequantizeTensorInt16Bias32(acc, q).data,
            (std::vector<int16_t>{-1, 2}));
  EXPECT_EQ(RequantizeOneInt64(5, 1 << 30, -1, -32768, 32767), 1);
  // Shifts above 7 are legal on the int32 path only.
  q.shift = {8, 8};
  acc.data = {100, -100};
  EXPECT_EQ(RequantizeTensorInt16Bias32(acc, q).data,
            (std::vector<int16_t>{12800, -12800}));
}

TEST(Int16LayersTest, BadParametersAreInputErrors) {
  Tensor<int64_t> acc({1, 2});
  Int16QuantParams q;
  q.multiplier = {1 << 30, 1 << 30};
  q.shift = {0, 0};
  EXPECT_NO_THROW(RequantizeTensorInt16(acc, q));
  Int16QuantParams bad = q;
  bad.shift = {0, 8};
  EXPECT_THROW(RequantizeTensorInt16(acc, bad), InputError);
  bad = q;
  bad.shift = {-32, 0};
  EXPECT_THROW(RequantizeTensorInt16(acc, bad), InputError);
  bad = q;
  bad.multiplier = {1 << 30, -1};
  EXPECT_THROW(RequantizeTensorInt16(acc, bad), InputError);
  bad = q;
  bad.multiplier = {1 << 30};
  EXPECT_THROW(RequantizeTensorInt16(acc, bad), InputError);
  bad = q;
  bad.act_max = 32768;
  EXPECT_THROW(RequantizeTensorInt16(acc, bad), InputError);
  bad = q;
  bad.act_min = 10;
  bad.act_max = 9;
  EXPECT_THROW(RequantizeTensorInt16(acc, bad), InputError);

  Tensor<int16_t> input({1, 3});
  Tensor<int8_t> weights({2, 3});
  EXPECT_THROW(FullyConnectedAccInt16(input, weights, {1, 2, 3}), InputError);
  EXPECT_THROW(FullyConnectedAccInt16Bias32(input, weights, {1}), InputError);
  Tensor<int8_t> wrong({2, 4});
  EXPECT_THROW(FullyConnectedAccInt16(input, wrong, {}), InputError);
}

// The int16 sums are checked against the int8 reference (golden/layers.h), an
// independent implementation: with x = 256 * a + (b + 128) for int8 a and b
// (which covers all of [-32768, 32767]), sum x * w = 256 * sum a * w +
// sum (b - (-128)) * w, the second term being the int8 path with input zero
// point -128 (whose padding adds 0, as int16 padding does).
struct SplitInput {
  Tensor<int8_t> a, b;
  Tensor<int16_t> x;
};

SplitInput RandomSplitInput(SplitMix64* rng, const Shape& shape) {
  SplitInput s{Tensor<int8_t>(shape), Tensor<int8_t>(shape),
               Tensor<int16_t>(shape)};
  for (size_t i = 0; i < s.x.size(); ++i) {
    s.a.data[i] = static_cast<int8_t>(rng->Uniform(-128, 127));
    s.b.data[i] = static_cast<int8_t>(rng->Uniform(-128, 127));
    s.x.data[i] = static_cast<int16_t>(256 * s.a.data[i] + s.b.data[i] + 128);
  }
  // Pin both ends of the int16 range.
  s.a.data[0] = -128;
  s.b.data[0] = -128;
  s.x.data[0] = -32768;
  s.a.data.back() = 127;
  s.b.data.back() = 127;
  s.x.data.back() = 32767;
  return s;
}

Tensor<int8_t> RandomWeights(SplitMix64* rng, const Shape& shape) {
  Tensor<int8_t> w(shape);
  for (int8_t& v : w.data) v = static_cast<int8_t>(rng->Uniform(-128, 127));
  return w;
}

// Expected sums from the int8 accumulators and a bias of either width.
template <typename Bias>
std::vector<int64_t> Expected(const Tensor<int32_t>& acc_a,
                              const Tensor<int32_t>& acc_b,
                              const std::vector<Bias>& bias) {
  const size_t channels = static_cast<size_t>(acc_a.shape.back());
  std::vector<int64_t> e(acc_a.size());
  for (size_t i = 0; i < e.size(); ++i) {
    e[i] = 256 * int64_t{acc_a.data[i]} + acc_b.data[i] +
           (bias.empty() ? 0 : int64_t{bias[i % channels]});
  }
  return e;
}

class Int16ConvVsInt8 : public ::testing::TestWithParam<int> {};

TEST_P(Int16ConvVsInt8, EveryAccumulatorMatches) {
  SplitMix64 rng(0xA16'0000u + static_cast<uint64_t>(GetParam()));
  ConvGeometry g;
  const int shape_kind = static_cast<int>(rng.Uniform(0, 3));
  int cin_g = static_cast<int>(rng.Uniform(1, 5));
  int cout_g = static_cast<int>(rng.Uniform(1, 4));
  g.groups = shape_kind == 0 ? 1 : static_cast<int>(rng.Uniform(2, 4));
  if (shape_kind == 3) cin_g = 1;  // depthwise, channel multiplier cout_g
  const int cin = cin_g * g.groups, cout = cout_g * g.groups;
  const int kh = static_cast<int>(rng.Uniform(1, 3));
  const int kw = static_cast<int>(rng.Uniform(1, 3));
  g.stride_h = static_cast<int>(rng.Uniform(1, 2));
  g.stride_w = static_cast<int>(rng.Uniform(1, 2));
  g.dilation_h = static_cast<int>(rng.Uniform(1, 2));
  g.dilation_w = static_cast<int>(rng.Uniform(1, 2));
  g.pad_top = static_cast<int>(rng.Uniform(0, 2));
  g.pad_left = static_cast<int>(rng.Uniform(0, 2));
  g.pad_bottom = static_cast<int>(rng.Uniform(0, 2));
  g.pad_right = static_cast<int>(rng.Uniform(0, 2));
  const int batch = static_cast<int>(rng.Uniform(1, 2));
  const int in_h =
      static_cast<int>(rng.Uniform(g.dilation_h * (kh - 1) + 1, 9));
  const int in_w =
      static_cast<int>(rng.Uniform(g.dilation_w * (kw - 1) + 1, 9));

  const SplitInput in = RandomSplitInput(&rng, {batch, in_h, in_w, cin});
  const Tensor<int8_t> w = RandomWeights(&rng, {cout, kh, kw, cin_g});
  std::vector<int64_t> bias64;
  std::vector<int32_t> bias32;
  if (!rng.Bernoulli(0.2)) {
    for (int o = 0; o < cout; ++o) {
      bias64.push_back(rng.Uniform(-(int64_t{1} << 40), int64_t{1} << 40));
      bias32.push_back(static_cast<int32_t>(rng.Uniform(-(1 << 30), 1 << 30)));
    }
  }
  const Tensor<int32_t> acc_a = Conv2dAccInt32(in.a, w, {}, g, 0);
  const Tensor<int32_t> acc_b = Conv2dAccInt32(in.b, w, {}, g, -128);

  const Tensor<int64_t> acc = Conv2dAccInt16(in.x, w, bias64, g);
  ASSERT_EQ(acc.shape, acc_a.shape);
  EXPECT_EQ(acc.data, Expected(acc_a, acc_b, bias64));

  // These sums stay far inside int32, so the int32 variant must agree.
  const Tensor<int32_t> acc32 = Conv2dAccInt16Bias32(in.x, w, bias32, g);
  const std::vector<int64_t> e32 = Expected(acc_a, acc_b, bias32);
  ASSERT_EQ(acc32.size(), e32.size());
  for (size_t i = 0; i < e32.size(); ++i) {
    ASSERT_EQ(acc32.data[i], e32[i]) << "element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, Int16ConvVsInt8, ::testing::Range(0, 40));

TEST(Int16LayersTest, FullyConnectedVsInt8) {
  SplitMix64 rng(0xA16F);
  for (int round = 0; round < 10; ++round) {
    const int batch = static_cast<int>(rng.Uniform(1, 3));
    const int ins = static_cast<int>(rng.Uniform(1, 70));
    const int outs = static_cast<int>(rng.Uniform(1, 13));
    const SplitInput in = RandomSplitInput(&rng, {batch, ins});
    const Tensor<int8_t> w = RandomWeights(&rng, {outs, ins});
    std::vector<int64_t> bias;
    for (int o = 0; o < outs; ++o) {
      bias.push_back(rng.Uniform(-(int64_t{1} << 45), int64_t{1} << 45));
    }
    const Tensor<int64_t> acc = FullyConnectedAccInt16(in.x, w, bias);
    EXPECT_EQ(acc.data,
              Expected(FullyConnectedAccInt32(in.a, w, {}, 0),
                       FullyConnectedAccInt32(in.b, w, {}, -128), bias))
        << "round " << round;
  }
}

TEST(Int16LayersTest, GemmMatchesNaiveWithStridesAndAccumulate) {
  SplitMix64 rng(0xA16C);
  struct Dims {
    int m, n, k;
  };
  for (const Dims& dim : {Dims{1, 1, 1}, Dims{7, 5, 3}, Dims{13, 33, 70},
                          Dims{0, 4, 4}, Dims{5, 3, 0}}) {
    for (bool accumulate : {false, true}) {
      const int lda = dim.k + 3, ldb = dim.n + 2, ldc = dim.n + 1;
      std::vector<int16_t> a(static_cast<size_t>(dim.m) * lda + 1);
      std::vector<int8_t> b(static_cast<size_t>(dim.k) * ldb + 1);
      std::vector<int64_t> c(static_cast<size_t>(dim.m) * ldc + 1);
      for (auto& v : a) v = static_cast<int16_t>(rng.Uniform(-32768, 32767));
      for (auto& v : b) v = static_cast<int8_t>(rng.Uniform(-128, 127));
      for (auto& v : c) v = rng.Uniform(-(int64_t{1} << 50), int64_t{1} << 50);
      std::vector<int64_t> expected = c;
      for (int i = 0; i < dim.m; ++i) {
        for (int j = 0; j < dim.n; ++j) {
          int64_t s = accumulate ? expected[i * ldc + j] : 0;
          for (int kk = 0; kk < dim.k; ++kk) {
            s += int64_t{a[i * lda + kk]} * b[kk * ldb + j];
          }
          expected[i * ldc + j] = s;
        }
      }
      GemmInt16Int64(dim.m, dim.n, dim.k, a.data(), lda, b.data(), ldb,
                     c.data(), ldc, accumulate);
      // Every element, including the ldc padding that must stay untouched.
      ASSERT_EQ(c, expected) << dim.m << "x" << dim.n << "x" << dim.k
                             << " accumulate=" << accumulate;
    }
  }
  // 1024 products of 2^22 exceed int32.
  const std::vector<int16_t> a(1024, -32768);
  const std::vector<int8_t> b(1024, -128);
  int64_t c = 5;
  GemmInt16Int64(1, 1, 1024, a.data(), 1024, b.data(), 1, &c, 1, true);
  EXPECT_EQ(c, (int64_t{1} << 32) + 5);
}

}  // namespace
}  // namespace sparq
