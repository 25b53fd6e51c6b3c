#include "sw/lower_a16w8.h"

#include <cstring>
#include <string>

#include "golden/errors.h"
#include "golden/int16_layers.h"
#include "sw/isa.h"

namespace sparq {

void CheckA16W8Taps(const Layer& layer) {
  const int64_t per_out = static_cast<int64_t>(layer.weights.size()) /
                          layer.weights.shape[0];
  if (per_out >= kA16W8MaxTaps) {
    throw InputError("precision a16w8 with " + std::to_string(per_out) +
                     " taps per output (expected fewer than " +
                     std::to_string(kA16W8MaxTaps) +
                     ": each lane's int32 sum must stay exact)");
  }
}

Layer A16W8FcAsConv(const Layer& fc, int in_last) {
  Layer v = fc;
  v.kind = LayerKind::kConv;
  const int out = fc.weights.shape[0];
  const int rows = fc.weights.shape[1] / in_last;
  v.weights.shape = {out, 1, rows, in_last};
  v.geom = ConvGeometry();
  return v;
}

std::vector<uint8_t> PackA16W8Params(const Layer& layer, int cout) {
  static_assert(kParamBiasBytes == 4 && kParamBiasHiBytes == 4 &&
                    kParamMultBytes == 4 && kParamShiftBytes == 1 &&
                    kParamMult15Bytes == 2,
                "isa.def PARAM field sizes differ from the packing below");
  const Layer& l = layer;
  const QuantParams& q = l.quant;
  std::vector<uint8_t> out(static_cast<size_t>(cout) * kParamBytes, 0);
  const size_t per_out = l.weights.size() / static_cast<size_t>(cout);
  for (int o = 0; o < cout; ++o) {
    int64_t sum = 0;
    const int8_t* w = l.weights.data.data() + o * per_out;
    for (size_t k = 0; k < per_out; ++k) sum += w[k];
    const int64_t bias =
        l.bias32 ? (l.bias.empty() ? 0 : l.bias[static_cast<size_t>(o)])
                 : (l.bias64.empty() ? 0 : l.bias64[static_cast<size_t>(o)]);
    // Wraps at 2^64 as golden's int64 accumulator does.
    const uint64_t b = static_cast<uint64_t>(bias) +
                       static_cast<uint64_t>(128 * sum);
    const int32_t mult = q.multiplier[static_cast<size_t>(o)];
    const int shift = q.shift[static_cast<size_t>(o)];
    const bool ok =
        l.bias32 ? shift >= -31 && shift <= 30 && mult >= 0 &&
                       (mult == 0 || mult >= (int32_t{1} << 30))
                 : shift >= -31 && shift <= 7 && mult >= 0;
    if (!ok) {
      throw InputError(
          "output channel " + std::to_string(o) + ": multiplier " +
          std::to_string(mult) + ", shift " + std::to_string(shift) +
          (l.bias32 ? " is not a TFLite quantized multiplier (expected 0 or "
                      "[2^30, 2^31) and a shift in [-31, 30])"
                    : " is outside the int64-bias requantization (expected a "
                      "non-negative multiplier and a shift in [-31, 7])"));
    }
    uint8_t* dst = out.data() + static_cast<size_t>(o) * kParamBytes;
    const uint32_t lo = static_cast<uint32_t>(b);
    const uint32_t hi = static_cast<uint32_t>(b >> 32);
    const uint16_t m15 = static_cast<uint16_t>(ReduceMultiplier(mult));
    std::memcpy(dst + kParamBiasByte, &lo, 4);
    std::memcpy(dst + kParamBiasHiByte, &hi, 4);
    std::memcpy(dst + kParamMultByte, &mult, 4);
    dst[kParamShiftByte] = static_cast<uint8_t>(static_cast<int8_t>(shift));
    std::memcpy(dst + kParamMult15Byte, &m15, 2);
  }
  return out;
}

}  // namespace sparq
