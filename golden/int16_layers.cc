#include "golden/int16_layers.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <type_traits>

#include "golden/direct_conv.h"
#include "golden/errors.h"
#include "golden/requant.h"

namespace sparq {
namespace {

std::string Str(int64_t v) { return std::to_string(v); }

template <typename Bias>
void CheckBias(const std::vector<Bias>& bias, int channels) {
  if (!bias.empty() && static_cast<int>(bias.size()) != channels) {
    throw InputError("bias has " + Str(static_cast<int64_t>(bias.size())) +
                     " entries but the layer has " + Str(channels) +
                     " output channels");
  }
}

// Accumulation in the unsigned type of Acc, so that wrap-around (int32 form)
// is well defined. Each int16 x int8 product fits in 24 bits signed.
template <typename Acc, typename Bias>
Tensor<Acc> ConvAcc(const Tensor<int16_t>& input, const Tensor<int8_t>& weights,
                    const std::vector<Bias>& bias, const ConvGeometry& geom) {
  using U = std::make_unsigned_t<Acc>;
  Tensor<Acc> out(Conv2dOutputShape(input.shape, weights.shape, geom));
  CheckBias(bias, weights.dim(0));
  DirectConv<U>(
      input, weights, geom, out,
      [&](int o) { return bias.empty() ? U{0} : static_cast<U>(bias[o]); },
      [](int16_t x, int8_t w) {
        return static_cast<U>(int32_t{x} * int32_t{w});
      });
  return out;
}

template <typename Acc, typename Bias>
Tensor<Acc> FcAcc(const Tensor<int16_t>& input, const Tensor<int8_t>& weights,
                  const std::vector<Bias>& bias) {
  using U = std::make_unsigned_t<Acc>;
  Tensor<Acc> out(FullyConnectedOutputShape(input.shape, weights.shape));
  const int batches = out.dim(0), outs = out.dim(1), ins = weights.dim(1);
  CheckBias(bias, outs);
  for (int n = 0; n < batches; ++n) {
    const int16_t* x = &input.data[static_cast<size_t>(n) * ins];
    for (int o = 0; o < outs; ++o) {
      const int8_t* w = &weights.data[static_cast<size_t>(o) * ins];
      U s = bias.empty() ? U{0} : static_cast<U>(bias[o]);
      for (int i = 0; i < ins; ++i) {
        s += static_cast<U>(int32_t{x[i]} * int32_t{w[i]});
      }
      out.data[static_cast<size_t>(n) * outs + o] = static_cast<Acc>(s);
    }
  }
  return out;
}

// Checks q against `channels` and the shift range of the chosen path.
void CheckParams(const Int16QuantParams& q, int channels, int max_shift) {
  if (static_cast<int>(q.multiplier.size()) != channels ||
      static_cast<int>(q.shift.size()) != channels) {
    throw InputError(
        "requantization has " + Str(static_cast<int64_t>(q.multiplier.size())) +
        " multipliers and " + Str(static_cast<int64_t>(q.shift.size())) +
        " shifts but " + Str(channels) + " output channels");
  }
  if (q.act_min > q.act_max || q.act_min < -32768 || q.act_max > 32767) {
    throw InputError("activation range [" + Str(q.act_min) + ", " +
                     Str(q.act_max) + "] is not inside [-32768, 32767]");
  }
  for (int c = 0; c < channels; ++c) {
    if (q.multiplier[c] < 0) {
      throw InputError("multiplier " + Str(q.multiplier[c]) + " of channel " +
                       Str(c) + " is negative");
    }
    if (q.shift[c] < -31 || q.shift[c] > max_shift) {
      throw InputError("shift " + Str(q.shift[c]) + " of channel " + Str(c) +
                       " is outside [-31, " + Str(max_shift) + "]");
    }
  }
}

}  // namespace

Tensor<int8_t> Int16ToBytes(const Tensor<int16_t>& t) {
  Shape shape = t.shape;
  if (shape.empty()) shape = {1};
  shape.back() *= 2;
  Tensor<int8_t> out(shape);
  for (size_t i = 0; i < t.data.size(); ++i) {
    const uint16_t v = static_cast<uint16_t>(t.data[i]);
    out.data[2 * i] = static_cast<int8_t>(v & 0xff);
    out.data[2 * i + 1] = static_cast<int8_t>(v >> 8);
  }
  return out;
}

Tensor<int16_t> Int16FromBytes(const Tensor<int8_t>& bytes) {
  if (bytes.shape.empty() || bytes.shape.back() % 2 != 0) {
    throw InputError("an int16 tensor's bytes need an even last dimension, "
                     "got " + ShapeToString(bytes.shape));
  }
  Shape shape = bytes.shape;
  shape.back() /= 2;
  Tensor<int16_t> out(shape);
  for (size_t i = 0; i < out.data.size(); ++i) {
    const uint16_t lo = static_cast<uint8_t>(bytes.data[2 * i]);
    const uint16_t hi = static_cast<uint8_t>(bytes.data[2 * i + 1]);
    out.data[i] = static_cast<int16_t>(lo | (hi << 8));
  }
  return out;
}

int32_t ReduceMultiplier(int32_t multiplier) {
  return multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
}

int32_t RequantizeOneInt64(int64_t acc, int32_t multiplier, int shift,
                           int32_t act_min, int32_t act_max) {
  assert(multiplier >= 0);
  return RequantizeOneInt64Q15(acc, ReduceMultiplier(multiplier), shift,
                               act_min, act_max);
}

int32_t RequantizeOneInt64Q15(int64_t acc, int32_t rm, int shift,
                              int32_t act_min, int32_t act_max) {
  // |acc| <= 2^63 and rm < 2^15: the product needs 79 bits signed. TFLite
  // asserts |acc| < 2^47 and a result inside int32 and then truncates;
  // computing exactly and clamping agrees wherever TFLite is defined and
  // saturates where it is not.
  assert(rm >= 0 && rm < 32768 && shift >= -31 && shift <= 7);
  __extension__ using Int128 = __int128;
  const int total_shift = 15 - shift;
  const Int128 product = static_cast<Int128>(acc) * rm +
                         (static_cast<Int128>(1) << (total_shift - 1));
  // >> on a negative __int128 is an arithmetic shift (floor) in GCC/Clang.
  const Int128 scaled = product >> total_shift;
  return static_cast<int32_t>(
      std::clamp<Int128>(scaled, Int128{act_min}, Int128{act_max}));
}

Tensor<int64_t> Conv2dAccInt16(const Tensor<int16_t>& input,
                               const Tensor<int8_t>& weights,
                               const std::vector<int64_t>& bias,
                               const ConvGeometry& geom) {
  return ConvAcc<int64_t>(input, weights, bias, geom);
}

Tensor<int16_t> Conv2dInt16(const Tensor<int16_t>& input,
                            const Tensor<int8_t>& weights,
                            const std::vector<int64_t>& bias,
                            const ConvGeometry& geom,
                            const Int16QuantParams& q) {
  return RequantizeTensorInt16(Conv2dAccInt16(input, weights, bias, geom), q);
}

Tensor<int64_t> FullyConnectedAccInt16(const Tensor<int16_t>& input,
                                       const Tensor<int8_t>& weights,
                                       const std::vector<int64_t>& bias) {
  return FcAcc<int64_t>(input, weights, bias);
}

Tensor<int16_t> FullyConnectedInt16(const Tensor<int16_t>& input,
                                    const Tensor<int8_t>& weights,
                                    const std::vector<int64_t>& bias,
                                    const Int16QuantParams& q) {
  return RequantizeTensorInt16(FullyConnectedAccInt16(input, weights, bias), q);
}

Tensor<int32_t> Conv2dAccInt16Bias32(const Tensor<int16_t>& input,
                                     const Tensor<int8_t>& weights,
                                     const std::vector<int32_t>& bias,
                                     const ConvGeometry& geom) {
  return ConvAcc<int32_t>(input, weights, bias, geom);
}

Tensor<int16_t> Conv2dInt16Bias32(const Tensor<int16_t>& input,
                                  const Tensor<int8_t>& weights,
                                  const std::vector<int32_t>& bias,
                                  const ConvGeometry& geom,
                                  const Int16QuantParams& q) {
  return RequantizeTensorInt16Bias32(
      Conv2dAccInt16Bias32(input, weights, bias, geom), q);
}

Tensor<int32_t> FullyConnectedAccInt16Bias32(const Tensor<int16_t>& input,
                                             const Tensor<int8_t>& weights,
                                             const std::vector<int32_t>& bias) {
  return FcAcc<int32_t>(input, weights, bias);
}

Tensor<int16_t> FullyConnectedInt16Bias32(const Tensor<int16_t>& input,
                                          const Tensor<int8_t>& weights,
                                          const std::vector<int32_t>& bias,
                                          const Int16QuantParams& q) {
  return RequantizeTensorInt16Bias32(
      FullyConnectedAccInt16Bias32(input, weights, bias), q);
}

void GemmInt16Int64(int m, int n, int k, const int16_t* a, int lda,
                    const int8_t* b, int ldb, int64_t* c, int ldc,
                    bool accumulate) {
  assert(m >= 0 && n >= 0 && k >= 0);
  std::vector<uint64_t> row(static_cast<size_t>(n));
  for (int i = 0; i < m; ++i) {
    int64_t* dst = c + static_cast<size_t>(i) * ldc;
    for (int j = 0; j < n; ++j) {
      row[j] = accumulate ? static_cast<uint64_t>(dst[j]) : 0u;
    }
    const int16_t* ai = a + static_cast<size_t>(i) * lda;
    for (int kk = 0; kk < k; ++kk) {
      const int32_t x = ai[kk];
      const int8_t* bk = b + static_cast<size_t>(kk) * ldb;
      for (int j = 0; j < n; ++j) {
        row[j] += static_cast<uint64_t>(int64_t{x * int32_t{bk[j]}});
      }
    }
    for (int j = 0; j < n; ++j) dst[j] = static_cast<int64_t>(row[j]);
  }
}

Tensor<int16_t> RequantizeTensorInt16(const Tensor<int64_t>& acc,
                                      const Int16QuantParams& q) {
  const int channels = acc.shape.empty() ? 1 : acc.shape.back();
  CheckParams(q, channels, 7);
  Tensor<int16_t> out(acc.shape);
  for (size_t i = 0; i < acc.data.size(); ++i) {
    const size_t c = channels ? i % static_cast<size_t>(channels) : 0;
    out.data[i] = static_cast<int16_t>(RequantizeOneInt64(
        acc.data[i], q.multiplier[c], q.shift[c], q.act_min, q.act_max));
  }
  return out;
}

Tensor<int16_t> RequantizeTensorInt16Bias32(const Tensor<int32_t>& acc,
                                            const Int16QuantParams& q) {
  const int channels = acc.shape.empty() ? 1 : acc.shape.back();
  CheckParams(q, channels, 30);
  Tensor<int16_t> out(acc.shape);
  for (size_t i = 0; i < acc.data.size(); ++i) {
    const size_t c = channels ? i % static_cast<size_t>(channels) : 0;
    out.data[i] = static_cast<int16_t>(RequantizeOne(
        acc.data[i], q.multiplier[c], q.shift[c], 0, q.act_min, q.act_max));
  }
  return out;
}

}  // namespace sparq
