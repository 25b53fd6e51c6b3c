// The oracle is gemmlowp's fixedpoint.h (an independent implementation of the
// same TFLite primitives), plus hand-computed values for the corner cases.

#include "golden/random.h"
#include "golden/requant.h"

#include <gemmlowp/fixedpoint/fixedpoint.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

namespace sparq {
namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

// MultiplyByQuantizedMultiplier written from TFLite's definition on top of
// gemmlowp; the left shift wraps, done here through int64 and a truncation.
int32_t OracleMbqm(int32_t x, int32_t m, int shift) {
  const int left = std::max(shift, 0);
  const int right = std::max(-shift, 0);
  const int64_t wide = static_cast<int64_t>(x) * (int64_t{1} << left);
  const int32_t shifted = static_cast<int32_t>(
      static_cast<uint32_t>(static_cast<uint64_t>(wide) & 0xffffffffu));
  return gemmlowp::RoundingDivideByPOT(
      gemmlowp::SaturatingRoundingDoublingHighMul(shifted, m), right);
}

int32_t RandomValue(SplitMix64& rng) {
  // Mix of magnitudes: full range, and small values where rounding matters.
  const int bits = static_cast<int>(rng.Uniform(1, 32));
  const uint32_t raw = static_cast<uint32_t>(rng.Next());
  if (bits == 32) return static_cast<int32_t>(raw);
  const int32_t mag = static_cast<int32_t>(raw & ((uint32_t{1} << bits) - 1));
  return (rng.Next() & 1) ? -mag : mag;
}

TEST(RequantTest, HighMulMatchesGemmlowpOnRandomPairs) {
  SplitMix64 rng(1234);
  for (int i = 0; i < 1000000; ++i) {
    const int32_t a = RandomValue(rng), b = RandomValue(rng);
    ASSERT_EQ(SaturatingRoundingDoublingHighMul(a, b),
              gemmlowp::SaturatingRoundingDoublingHighMul(a, b))
        << "a=" << a << " b=" << b;
  }
}

TEST(RequantTest, RoundingDivideMatchesGemmlowpOnRandomValues) {
  SplitMix64 rng(99);
  for (int i = 0; i < 1000000; ++i) {
    const int32_t x = RandomValue(rng);
    const int e = static_cast<int>(rng.Uniform(0, 31));
    ASSERT_EQ(RoundingDivideByPOT(x, e), gemmlowp::RoundingDivideByPOT(x, e))
        << "x=" << x << " e=" << e;
  }
}

TEST(RequantTest, MbqmMatchesOracleOnMillionRandomTriples) {
  SplitMix64 rng(20240521);
  for (int i = 0; i < 1000000; ++i) {
    const int32_t x = RandomValue(rng);
    const int32_t m = static_cast<int32_t>(rng.Uniform(1 << 30, kMax));
    const int s = static_cast<int>(rng.Uniform(-31, 30));
    ASSERT_EQ(MultiplyByQuantizedMultiplier(x, m, s), OracleMbqm(x, m, s))
        << "x=" << x << " m=" << m << " shift=" << s;
  }
}

TEST(RequantTest, MbqmEdgeValuesAtEveryShift) {
  const int32_t values[] = {kMin, kMin + 1, -(1 << 30), -65536,   -3,
                            -2,   -1,       0,          1,        2,
                            3,    65535,    1 << 30,    kMax - 1, kMax};
  const int32_t mults[] = {0,          1 << 30,  (1 << 30) + 1,
                           1518500250, kMax - 1, kMax};
  for (int s = -31; s <= 30; ++s) {
    for (int32_t x : values) {
      for (int32_t m : mults) {
        ASSERT_EQ(MultiplyByQuantizedMultiplier(x, m, s), OracleMbqm(x, m, s))
            << "x=" << x << " m=" << m << " shift=" << s;
      }
    }
  }
}

TEST(RequantTest, RoundsTiesAwayFromZeroAtEveryExponent) {
  for (int e = 1; e <= 31; ++e) {
    const int64_t half = int64_t{1} << (e - 1);
    for (int64_t k :
         {int64_t{-3}, int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{2}}) {
      // x / 2^e == k + 0.5 exactly.
      const int64_t x64 = k * (int64_t{1} << e) + half;
      if (x64 < kMin || x64 > kMax) continue;
      const int32_t x = static_cast<int32_t>(x64);
      const int32_t expected = static_cast<int32_t>(x > 0 ? k + 1 : k);
      ASSERT_EQ(RoundingDivideByPOT(x, e), expected) << "x=" << x << " e=" << e;
      ASSERT_EQ(gemmlowp::RoundingDivideByPOT(x, e), expected);
    }
  }
  EXPECT_EQ(RoundingDivideByPOT(5, 1), 3);    // 2.5
  EXPECT_EQ(RoundingDivideByPOT(-5, 1), -3);  // -2.5
  EXPECT_EQ(RoundingDivideByPOT(-4, 1), -2);
  EXPECT_EQ(RoundingDivideByPOT(kMin, 31), -1);
  EXPECT_EQ(RoundingDivideByPOT(kMax, 31), 1);     // 0.99999... rounds up
  EXPECT_EQ(RoundingDivideByPOT(1 << 29, 31), 0);  // 0.25
  EXPECT_EQ(RoundingDivideByPOT(1 << 30, 31), 1);  // 0.5 tie, away from 0
  EXPECT_EQ(RoundingDivideByPOT(-(1 << 30), 31), -1);
  EXPECT_EQ(RoundingDivideByPOT(7, 0), 7);
}

TEST(RequantTest, HighMulTiesAndSaturation) {
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMin, kMin), kMax);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMin, kMax), -kMax);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMax, kMax), kMax - 1);
  // 2^30 is 0.5 in Q31. Unlike RoundingDivideByPOT, the high multiply rounds
  // ties toward +infinity: 1.5 -> 2 but -1.5 -> -1, -0.5 -> 0.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(3, 1 << 30), 2);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-3, 1 << 30), -1);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(1, 1 << 30), 1);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-1, 1 << 30), 0);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-5, 1 << 30), -2);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(1000, 1 << 30), 500);
}

TEST(RequantTest, MbqmHandValues) {
  // M0 = 2^30 is 0.5; shift s multiplies by 2^s.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(100, 1 << 30, 0), 50);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(100, 1 << 30, 1), 100);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(100, 1 << 30, -2), 13);  // 12.5
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-100, 1 << 30, -2), -13);
  // Double rounding: 3 * 0.5 -> 2, then 2 / 2 -> 1 (single rounding of 0.75
  // would also give 1); 5 * 0.5 -> 3 then 3 / 2 = 1.5 -> 2, where single
  // rounding of 1.25 gives 1.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(5, 1 << 30, -1), 2);
  // The left shift wraps: 2^30 << 1 is INT32_MIN, times 0.5 is -2^30.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(1 << 30, 1 << 30, 1), -(1 << 30));
  EXPECT_EQ(MultiplyByQuantizedMultiplier(kMax, 0, 5), 0);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(kMin, kMax, -31), -1);
}

TEST(RequantTest, RequantizeOneAddsZeroPointAndClamps) {
  EXPECT_EQ(RequantizeOne(100, 1 << 30, 0, 10, -128, 127), 60);
  EXPECT_EQ(RequantizeOne(1000, 1 << 30, 0, 10, -128, 127), 127);
  EXPECT_EQ(RequantizeOne(-1000, 1 << 30, 0, 10, -128, 127), -128);
  EXPECT_EQ(RequantizeOne(-1000, 1 << 30, 0, 10, 0, 127), 0);  // ReLU
  EXPECT_EQ(RequantizeOne(20, 1 << 30, 0, -5, -128, 6), 5);
  // MBQM gives INT32_MAX - 1; the zero point must not wrap it negative.
  EXPECT_EQ(RequantizeOne(kMax, kMax, 0, 127, -128, 127), 127);
  EXPECT_EQ(RequantizeOne(kMin, kMax, 0, -128, -128, 127), -128);
}

TEST(RequantTest, WrapArithmetic) {
  EXPECT_EQ(WrapAdd(kMax, 1), kMin);
  EXPECT_EQ(WrapAdd(kMin, -1), kMax);
  EXPECT_EQ(WrapMul(1 << 16, 1 << 16), 0);
  EXPECT_EQ(WrapMul(kMax, 2), -2);
}

TEST(RequantTest, QuantizeMultiplierRoundTripsWithinTwoToMinus31) {
  SplitMix64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const double real = std::exp2(-31.0 + 60.999 * rng.Unit());
    int32_t m = 0;
    int s = 0;
    QuantizeMultiplier(real, &m, &s);
    ASSERT_GE(m, 1 << 30) << real;
    ASSERT_LE(s, 30);
    ASSERT_GE(s, -31);
    const double back = std::ldexp(static_cast<double>(m), s - 31);
    ASSERT_LE(std::fabs(back - real), std::ldexp(real, -31)) << real;
  }
}

TEST(RequantTest, QuantizeMultiplierSpecialCases) {
  int32_t m = -1;
  int s = -1;
  QuantizeMultiplier(0.0, &m, &s);
  EXPECT_EQ(m, 0);
  EXPECT_EQ(s, 0);
  QuantizeMultiplier(1.0, &m, &s);
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, 1);
  QuantizeMultiplier(0.5, &m, &s);
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, 0);
  QuantizeMultiplier(0.75, &m, &s);
  EXPECT_EQ(m, 3 << 29);
  EXPECT_EQ(s, 0);
  // Fraction just below 1 rounds to 2^31: carried into the exponent.
  QuantizeMultiplier(1.0 - std::ldexp(1.0, -40), &m, &s);
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, 1);
  // Smallest representable exponent is kept, below it flushes to zero.
  QuantizeMultiplier(std::ldexp(1.0, -32), &m, &s);
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, -31);
  QuantizeMultiplier(std::ldexp(1.0, -33), &m, &s);
  EXPECT_EQ(m, 0);
  EXPECT_EQ(s, 0);
  QuantizeMultiplier(std::ldexp(1.0, -33) * 1.99, &m, &s);
  EXPECT_EQ(m, 0);
  EXPECT_EQ(s, 0);
  // Largest exponent is kept; from 2^30 up it saturates to (2^31-1, 30).
  QuantizeMultiplier(std::ldexp(1.0, 29), &m, &s);
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, 30);
  QuantizeMultiplier(std::ldexp(1.0, 30), &m, &s);
  EXPECT_EQ(m, kMax);
  EXPECT_EQ(s, 30);
  QuantizeMultiplier(1e300, &m, &s);
  EXPECT_EQ(m, kMax);
  EXPECT_EQ(s, 30);
}

}  // namespace
}  // namespace sparq
