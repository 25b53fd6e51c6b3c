#include "golden/host_layers.h"

#include <gemmlowp/fixedpoint/fixedpoint.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "golden/errors.h"
#include "golden/requant.h"

namespace sparq {
namespace {

// Integer bits of the rescaled diffs and of the sum of exponentials in
// TFLite's softmax.
constexpr int kScaledDiffIntegerBits = 5;
constexpr int kAccumulationIntegerBits = 12;

std::string Str(int64_t v) { return std::to_string(v); }

int CountLeadingZeros(uint32_t x) {
  int n = 0;
  for (uint32_t bit = uint32_t{1} << 31; bit != 0 && !(x & bit); bit >>= 1) {
    ++n;
  }
  return n;
}

}  // namespace

SoftmaxParams SoftmaxParamsFromScale(double beta, double input_scale) {
  const double real = std::min(
      beta * input_scale *
          static_cast<double>(int64_t{1} << (31 - kScaledDiffIntegerBits)),
      2147483647.0);
  if (!(real >= 1.0) || !(real < static_cast<double>(int64_t{1} << 30))) {
    throw InputError("softmax beta * input scale * 2^26 = " +
                     std::to_string(real) + " is outside [1, 2^30)");
  }
  SoftmaxParams p;
  QuantizeMultiplier(real, &p.input_multiplier, &p.input_left_shift);
  const double radius =
      static_cast<double>((int64_t{1} << kScaledDiffIntegerBits) - 1) *
      static_cast<double>(int64_t{1} << (31 - kScaledDiffIntegerBits)) /
      static_cast<double>(int64_t{1} << p.input_left_shift);
  p.diff_min = -static_cast<int32_t>(std::floor(radius));
  return p;
}

Tensor<int8_t> SoftmaxInt8(const Tensor<int8_t>& input,
                           const SoftmaxParams& p) {
  using ScaledDiff = gemmlowp::FixedPoint<int32_t, kScaledDiffIntegerBits>;
  using Accum = gemmlowp::FixedPoint<int32_t, kAccumulationIntegerBits>;
  using Unit = gemmlowp::FixedPoint<int32_t, 0>;
  if (input.rank() < 1 || input.shape.back() < 1) {
    throw InputError("softmax needs a non-empty last dimension, got " +
                     ShapeToString(input.shape));
  }
  if (p.input_left_shift < 0 || p.input_left_shift > 30 ||
      p.input_multiplier < (int32_t{1} << 30)) {
    throw InputError("softmax multiplier " + Str(p.input_multiplier) +
                     " / left shift " + Str(p.input_left_shift) +
                     " outside [2^30, 2^31) / [0, 30]");
  }
  const size_t depth = static_cast<size_t>(input.shape.back());
  Tensor<int8_t> out(input.shape);
  // The diff is at least diff_min, which keeps the left shift in int32.
  const auto rescale = [&](int32_t diff) {
    return ScaledDiff::FromRaw(SaturatingRoundingDoublingHighMul(
        WrapMul(diff, int32_t{1} << p.input_left_shift), p.input_multiplier));
  };
  for (size_t row = 0; row < input.size(); row += depth) {
    const int8_t* x = input.data.data() + row;
    const int32_t max = *std::max_element(x, x + depth);
    Accum sum = Accum::Zero();
    for (size_t c = 0; c < depth; ++c) {
      const int32_t diff = x[c] - max;
      if (diff >= p.diff_min) {
        sum = sum + gemmlowp::Rescale<kAccumulationIntegerBits>(
                        gemmlowp::exp_on_negative_values(rescale(diff)));
      }
    }
    // 1 / sum as a [0.5, 1) fixed-point value and a power of two.
    const uint32_t raw_sum = static_cast<uint32_t>(sum.raw());
    const int headroom_plus_one = CountLeadingZeros(raw_sum);
    const int bits_over_unit = kAccumulationIntegerBits - headroom_plus_one;
    const Unit scale = gemmlowp::one_over_one_plus_x_for_x_in_0_1(
        Unit::FromRaw(static_cast<int32_t>((raw_sum << headroom_plus_one) -
                                           (uint32_t{1} << 31))));
    for (size_t c = 0; c < depth; ++c) {
      const int32_t diff = x[c] - max;
      int32_t v = -128;
      if (diff >= p.diff_min) {
        const Unit e = gemmlowp::exp_on_negative_values(rescale(diff));
        v = gemmlowp::RoundingDivideByPOT((scale * e).raw(),
                                          bits_over_unit + 31 - 8) -
            128;
      }
      out.data[row + c] = static_cast<int8_t>(std::clamp(v, -128, 127));
    }
  }
  return out;
}

Shape PadOutputShape(const Shape& input, const PadParams& p) {
  if (p.before_after.size() != input.size()) {
    throw InputError("padding has " + Str(p.before_after.size()) +
                     " dimensions but the input " + ShapeToString(input) +
                     " has " + Str(input.size()));
  }
  Shape out = input;
  for (size_t d = 0; d < input.size(); ++d) {
    const auto [before, after] = p.before_after[d];
    if (before < 0 || after < 0 || before > (1 << 20) || after > (1 << 20)) {
      throw InputError("padding of dimension " + Str(d) + " must be in [0, " +
                       "2^20], got [" + Str(before) + ", " + Str(after) + "]");
    }
    out[d] += before + after;
  }
  return out;
}

Tensor<int8_t> PadInt8(const Tensor<int8_t>& input, const PadParams& p) {
  Tensor<int8_t> out(PadOutputShape(input.shape, p), p.value);
  const size_t rank = input.shape.size();
  std::vector<int> idx(rank, 0);
  for (size_t i = 0; i < input.size(); ++i) {
    size_t o = 0;
    for (size_t d = 0; d < rank; ++d) {
      o = o * static_cast<size_t>(out.shape[d]) +
          static_cast<size_t>(idx[d] + p.before_after[d].first);
    }
    out.data[o] = input.data[i];
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < input.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

Shape MeanOutputShape(const Shape& input, const MeanParams& p) {
  if (input.size() != 4) {
    throw InputError("mean over H and W needs an NHWC input, got " +
                     ShapeToString(input));
  }
  if (p.keep_dims) return {input[0], 1, 1, input[3]};
  return {input[0], input[3]};
}

Tensor<int8_t> MeanInt8(const Tensor<int8_t>& input, const MeanParams& p) {
  Tensor<int8_t> out(MeanOutputShape(input.shape, p));
  const int h = input.dim(1), w = input.dim(2), ch = input.dim(3);
  const int32_t count = h * w;
  for (int n = 0; n < input.dim(0); ++n) {
    for (int c = 0; c < ch; ++c) {
      int32_t acc = 0;
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          acc = WrapAdd(acc, int32_t{input.at(n, y, x, c)} - p.in_zp);
        }
      }
      acc = MultiplyByQuantizedMultiplier(acc, p.multiplier, p.shift);
      acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
      const int64_t v = int64_t{acc} + p.out_zp;
      out.data[static_cast<size_t>(n) * ch + c] =
          static_cast<int8_t>(std::clamp<int64_t>(v, p.act_min, p.act_max));
    }
  }
  return out;
}

Shape ConcatOutputShape(const std::vector<Shape>& inputs, int axis) {
  if (inputs.empty()) throw InputError("concatenation needs an input");
  const Shape& first = inputs[0];
  if (axis < 0 || axis >= static_cast<int>(first.size())) {
    throw InputError("axis " + Str(axis) + " is outside the input rank " +
                     Str(first.size()));
  }
  Shape out = first;
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Shape& s = inputs[i];
    bool fits = s.size() == first.size();
    for (size_t d = 0; fits && d < s.size(); ++d) {
      fits = static_cast<int>(d) == axis || s[d] == first[d];
    }
    if (!fits) {
      throw InputError("input " + Str(i) + " " + ShapeToString(s) +
                       " differs from input 0 " + ShapeToString(first) +
                       " outside axis " + Str(axis));
    }
    out[static_cast<size_t>(axis)] += s[static_cast<size_t>(axis)];
  }
  return out;
}

Tensor<int8_t> ConcatInt8(const std::vector<const Tensor<int8_t>*>& inputs,
                          const ConcatParams& p) {
  std::vector<Shape> shapes;
  for (const Tensor<int8_t>* t : inputs) shapes.push_back(t->shape);
  Tensor<int8_t> out(ConcatOutputShape(shapes, p.axis));
  if (p.in_scales.size() != inputs.size() || p.in_zps.size() != inputs.size()) {
    throw InputError("concatenation has " + Str(inputs.size()) +
                     " inputs but " + Str(p.in_scales.size()) + " scales and " +
                     Str(p.in_zps.size()) + " zero points");
  }
  const size_t axis = static_cast<size_t>(p.axis);
  size_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= static_cast<size_t>(out.shape[d]);
  for (size_t d = axis + 1; d < out.shape.size(); ++d) {
    inner *= static_cast<size_t>(out.shape[d]);
  }
  const float out_scale = static_cast<float>(p.out_scale);
  const float inverse_out_scale = 1.f / out_scale;
  size_t dst = 0;
  for (size_t o = 0; o < outer; ++o) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      const size_t len = static_cast<size_t>(inputs[i]->shape[axis]) * inner;
      const int8_t* src = inputs[i]->data.data() + o * len;
      const float in_scale = static_cast<float>(p.in_scales[i]);
      if (p.in_zps[i] == p.out_zp && in_scale == out_scale) {
        std::copy(src, src + len, out.data.begin() + static_cast<long>(dst));
      } else {
        const float s = in_scale * inverse_out_scale;
        const float b = static_cast<float>(-p.in_zps[i]) * s;
        for (size_t j = 0; j < len; ++j) {
          // Clamped first so that extreme scales cannot overflow the cast.
          const float r = std::clamp(
              std::round(static_cast<float>(src[j]) * s + b), -1e9f, 1e9f);
          const int64_t v = static_cast<int64_t>(r) + p.out_zp;
          out.data[dst + j] =
              static_cast<int8_t>(std::clamp<int64_t>(v, -128, 127));
        }
      }
      dst += len;
    }
  }
  return out;
}

}  // namespace sparq
