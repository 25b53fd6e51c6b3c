// Integer (bit-exact) and float references of the layers sparq runs.
//
// Layouts: activations NHWC, conv weights OHWI with I = Cin / groups,
// fully-connected weights [out][in] where `in` flattens the input's non-batch
// dimensions in NHWC order. Depthwise conv is groups == Cin (channel
// multiplier = Cout / Cin).

#ifndef SPARQ_GOLDEN_LAYERS_H_
#define SPARQ_GOLDEN_LAYERS_H_

#include <cstdint>
#include <vector>

#include "golden/tensor.h"

namespace sparq {

struct ConvGeometry {
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int dilation_h = 1, dilation_w = 1;
  int groups = 1;
};

// Output spatial size: (in + pads - dilation*(k-1) - 1) / stride + 1.
int ConvOutSize(int in, int k, int stride, int pad_before, int pad_after,
                int dilation);

// Output shapes of the layers below. They throw InputError describing the
// first mismatching dimension; callers prefix it with their context (a layer
// name, a file).
Shape Conv2dOutputShape(const Shape& input, const Shape& weights,
                        const ConvGeometry& geom);
Shape FullyConnectedOutputShape(const Shape& input, const Shape& weights);

// Integer parameters of one quantized layer.
struct QuantParams {
  int32_t in_zp = 0;
  int32_t out_zp = 0;
  int32_t act_min = -128;
  int32_t act_max = 127;
  std::vector<int32_t> multiplier;  // per output channel, TFLite M0
  std::vector<int> shift;           // per output channel
};

// int32 accumulators before requantization:
// acc[n,oh,ow,o] = bias[o] + sum (x - in_zp) * w, padding filled with in_zp
// (so padded taps add 0). Wraps in two's complement. An empty bias means
// zero bias (CMSIS-NN and TFLite allow a missing bias tensor).
Tensor<int32_t> Conv2dAccInt32(const Tensor<int8_t>& input,
                               const Tensor<int8_t>& weights,
                               const std::vector<int32_t>& bias,
                               const ConvGeometry& geom, int32_t in_zp);

Tensor<int8_t> Conv2dInt8(const Tensor<int8_t>& input,
                          const Tensor<int8_t>& weights,
                          const std::vector<int32_t>& bias,
                          const ConvGeometry& geom, const QuantParams& q);

// input [N, ...] (flattened per batch), weights [out][in]; output [N, out].
Tensor<int32_t> FullyConnectedAccInt32(const Tensor<int8_t>& input,
                                       const Tensor<int8_t>& weights,
                                       const std::vector<int32_t>& bias,
                                       int32_t in_zp);

Tensor<int8_t> FullyConnectedInt8(const Tensor<int8_t>& input,
                                  const Tensor<int8_t>& weights,
                                  const std::vector<int32_t>& bias,
                                  const QuantParams& q);

// Applies RequantizeOne per element; channel = last dimension.
Tensor<int8_t> RequantizeTensor(const Tensor<int32_t>& acc,
                                const QuantParams& q);

// int8 x int8 GEMM tile kernel shared with the machine model:
// c[m][n] (+)= sum_k a[m*lda + k] * b[k*ldb + n], wrapping int32.
void GemmInt8Int32(int m, int n, int k, const int8_t* a, int lda,
                   const int8_t* b, int ldb, int32_t* c, int ldc,
                   bool accumulate);

// Host layers (no accelerator unit), TFLite int8 semantics.
struct PoolParams {
  int kh = 2, kw = 2;
  int stride_h = 2, stride_w = 2;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int32_t act_min = -128, act_max = 127;
};
Shape Pool2dOutputShape(const Shape& input, const PoolParams& p);
Tensor<int8_t> MaxPool2dInt8(const Tensor<int8_t>& input, const PoolParams& p);
// Average over the in-bounds taps, rounded half away from zero (TFLite).
Tensor<int8_t> AvgPool2dInt8(const Tensor<int8_t>& input, const PoolParams& p);

// TFLite quantized ADD (left_shift 20, per-input multipliers derived from the
// scales with QuantizeMultiplier).
struct AddParams {
  double a_scale = 1, b_scale = 1, out_scale = 1;
  int32_t a_zp = 0, b_zp = 0, out_zp = 0;
  int32_t act_min = -128, act_max = 127;
};
Tensor<int8_t> AddInt8(const Tensor<int8_t>& a, const Tensor<int8_t>& b,
                       const AddParams& p);

// Float references (im2col + GEMM on Eigen), same layouts as above.
Tensor<float> Conv2dFloat(const Tensor<float>& input,
                          const Tensor<float>& weights,
                          const std::vector<float>& bias,
                          const ConvGeometry& geom);
Tensor<float> FullyConnectedFloat(const Tensor<float>& input,
                                  const Tensor<float>& weights,
                                  const std::vector<float>& bias);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_LAYERS_H_
