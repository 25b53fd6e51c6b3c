// TFLite int8 requantization, bit-exact (see docs/architecture.md).

#ifndef SPARQ_GOLDEN_REQUANT_H_
#define SPARQ_GOLDEN_REQUANT_H_

#include <cstdint>

namespace sparq {

// gemmlowp's SaturatingRoundingDoublingHighMul: (a*b*2 + 2^31 rounding) >> 32,
// saturating the single overflow case a == b == INT32_MIN. Exact ties round
// toward +infinity (e.g. -1.5 -> -1).
int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b);

// x / 2^exponent rounded to nearest, ties away from zero. exponent in [0, 31].
int32_t RoundingDivideByPOT(int32_t x, int exponent);

// TFLite MultiplyByQuantizedMultiplier ("double rounding"). The left shift
// x * 2^max(shift, 0) wraps in two's complement. shift in [-31, 30].
int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift);

// TFLite QuantizeMultiplier: real = multiplier * 2^(shift - 31) with
// multiplier in [2^30, 2^31), or (0, 0) for real == 0. Shifts below -31 flush
// to zero; reals >= 2^30 (shift > 30) saturate to (2^31 - 1, 30), as TFLite's
// single-rounding variant does. real must be >= 0 and finite.
void QuantizeMultiplier(double real, int32_t* multiplier, int* shift);

// The output stage: MBQM(acc) + out_zp clamped to [act_min, act_max]. The
// zero-point addition cannot wrap (it saturates into the clamp).
int32_t RequantizeOne(int32_t acc, int32_t multiplier, int shift,
                      int32_t out_zp, int32_t act_min, int32_t act_max);

// Two's-complement wrapping int32 arithmetic.
inline int32_t WrapAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) +
                              static_cast<uint32_t>(b));
}
inline int32_t WrapMul(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) *
                              static_cast<uint32_t>(b));
}

}  // namespace sparq

#endif  // SPARQ_GOLDEN_REQUANT_H_
