// Host layers whole TFLite networks need besides the accelerator's conv/fc
// and the pooling/add of golden/layers.h: softmax, reshape, pad, mean,
// concatenation. Each is bit-exact to TFLite's int8 reference kernel.

#ifndef SPARQ_GOLDEN_HOST_LAYERS_H_
#define SPARQ_GOLDEN_HOST_LAYERS_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "golden/tensor.h"

namespace sparq {

// int8 softmax over the last dimension (TFLite's integer reference: diffs
// to the row maximum rescaled to 5 integer bits, gemmlowp fixed-point exp,
// sum with 12 integer bits, reciprocal). The output's scale is 1/256 and its
// zero point -128, as TFLite requires for int8 softmax.
struct SoftmaxParams {
  int32_t input_multiplier = 1 << 30;  // in [2^30, 2^31)
  int input_left_shift = 0;            // in [0, 31)
  int32_t diff_min = 0;                // diffs below it give exp = 0
};

// TFLite's derivation from beta and the input scale (both promoted from
// float to double by the caller): multiplier/left shift of
// beta * input_scale * 2^26, diff_min = -floor(31 * 2^26 / 2^left_shift).
// Throws InputError when the product is below 1 or reaches 2^30.
SoftmaxParams SoftmaxParamsFromScale(double beta, double input_scale);

Tensor<int8_t> SoftmaxInt8(const Tensor<int8_t>& input, const SoftmaxParams& p);

// Constant padding of every dimension; the padded elements hold `value`
// (TFLite int8 PAD: the output zero point).
struct PadParams {
  std::vector<std::pair<int, int>> before_after;  // one pair per dimension
  int8_t value = 0;
};
Shape PadOutputShape(const Shape& input, const PadParams& p);
Tensor<int8_t> PadInt8(const Tensor<int8_t>& input, const PadParams& p);

// Mean over H and W of an NHWC tensor (TFLite's integer kernel for axes
// {1, 2}): sum of (x - in_zp), MultiplyByQuantizedMultiplier with the
// multiplier of in_scale / out_scale, divided by H*W rounding half away from
// zero, plus out_zp, clamped.
struct MeanParams {
  int32_t multiplier = 1 << 30;
  int shift = 1;
  int32_t in_zp = 0, out_zp = 0;
  int32_t act_min = -128, act_max = 127;
  bool keep_dims = true;  // [N, 1, 1, C]; otherwise [N, C]
};
Shape MeanOutputShape(const Shape& input, const MeanParams& p);
Tensor<int8_t> MeanInt8(const Tensor<int8_t>& input, const MeanParams& p);

// Concatenation along `axis`. An input whose scale or zero point differs
// from the output's is requantized in float32 as TFLite's scaling kernel
// does: round(x * s + b) + out_zp with s = in_scale * (1 / out_scale) and
// b = -in_zp * s, rounding half away from zero, saturated to int8. Scales
// are float32 values held in doubles.
struct ConcatParams {
  int axis = 3;
  std::vector<double> in_scales;  // one per input
  std::vector<int32_t> in_zps;
  double out_scale = 1;
  int32_t out_zp = 0;
};
Shape ConcatOutputShape(const std::vector<Shape>& inputs, int axis);
Tensor<int8_t> ConcatInt8(const std::vector<const Tensor<int8_t>*>& inputs,
                          const ConcatParams& p);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_HOST_LAYERS_H_
