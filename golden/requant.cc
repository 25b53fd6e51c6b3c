#include "golden/requant.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>

namespace sparq {

int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  if (a == kMin && b == kMin) return std::numeric_limits<int32_t>::max();
  const int64_t product = static_cast<int64_t>(a) * b;
  // The nudge plus a division truncating toward zero rounds to nearest; for
  // negative products the nudge is one short of a half, so exact ties round
  // toward +infinity (gemmlowp's behaviour, which TFLite inherits).
  const int64_t nudge =
      product >= 0 ? (int64_t{1} << 30) : (int64_t{1} - (int64_t{1} << 30));
  return static_cast<int32_t>((product + nudge) / (int64_t{1} << 31));
}

int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  assert(exponent >= 0 && exponent <= 31);
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  // The arithmetic shift floors; a negative x needs a strictly larger
  // remainder to round up, which makes its ties go away from zero too.
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier,
                                      int shift) {
  assert(shift >= -31 && shift <= 30);
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  const int32_t shifted = WrapMul(x, static_cast<int32_t>(uint32_t{1} << left));
  return RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(shifted, multiplier), right);
}

void QuantizeMultiplier(double real, int32_t* multiplier, int* shift) {
  assert(std::isfinite(real) && real >= 0);
  if (real == 0.0) {
    *multiplier = 0;
    *shift = 0;
    return;
  }
  int exponent = 0;
  const double fraction = std::frexp(real, &exponent);  // in [0.5, 1)
  int64_t fixed = static_cast<int64_t>(std::round(fraction * 2147483648.0));
  assert(fixed <= (int64_t{1} << 31));
  if (fixed == (int64_t{1} << 31)) {  // fraction rounded up to 1.0
    fixed /= 2;
    ++exponent;
  }
  if (exponent < -31) {
    // Every product would be shifted out entirely; flush to zero like TFLite.
    *multiplier = 0;
    *shift = 0;
    return;
  }
  if (exponent > 30) {
    // Not representable with shift <= 30 (MBQM's left shift would shift all
    // significant bits out). Saturate to the largest representable real,
    // (2^31 - 1) * 2^-1, as TFLite's single-rounding QuantizeMultiplier does.
    *multiplier = std::numeric_limits<int32_t>::max();
    *shift = 30;
    return;
  }
  *multiplier = static_cast<int32_t>(fixed);
  *shift = exponent;
}

int32_t RequantizeOne(int32_t acc, int32_t multiplier, int shift,
                      int32_t out_zp, int32_t act_min, int32_t act_max) {
  // The zero point is added in 64 bits so that a huge scaled value saturates
  // at the clamp instead of wrapping around.
  const int64_t v =
      int64_t{MultiplyByQuantizedMultiplier(acc, multiplier, shift)} + out_zp;
  return static_cast<int32_t>(std::clamp<int64_t>(v, act_min, act_max));
}

}  // namespace sparq
