// A16W8 integer reference: TFLite's 16x8 quantization scheme as its reference
// kernels and CMSIS-NN's s16 kernels compute it. Activations are int16,
// symmetric (zero point 0 in and out); weights int8, symmetric per output
// channel. docs/architecture.md ("A16W8") is the arithmetic in words; it is
// the contract the hardware mode implements.
//
// Two bias widths exist, and the accumulator type selects the requantization
// (as TFLite's overloads do):
//  - int64 bias (the default of TFLite's 16x8 scheme): 64-bit accumulation and
//    the single-rounding requantization with a 16-bit reduced multiplier;
//  - int32 bias (TFLite's optional int32-bias 16x8 variant): int32 wrapping
//    accumulation and the int8 path's double-rounding
//    MultiplyByQuantizedMultiplier (golden/requant.h).
// Layouts are those of golden/layers.h (NHWC, OHWI, fc [out][in]; depthwise
// is groups == Cin). An empty bias means zero bias.

#ifndef SPARQ_GOLDEN_INT16_LAYERS_H_
#define SPARQ_GOLDEN_INT16_LAYERS_H_

#include <cstdint>
#include <vector>

#include "golden/layers.h"
#include "golden/tensor.h"

namespace sparq {

struct Int16QuantParams {
  int32_t act_min = -32768;
  int32_t act_max = 32767;
  std::vector<int32_t> multiplier;  // per output channel, TFLite M0 (Q31)
  std::vector<int> shift;           // per output channel
};

// The Q31 multiplier rounded to Q15: (M0 + 2^15) >> 16 for M0 < 0x7FFF0000,
// else 0x7FFF (so it never reaches 2^15). M0 >= 0.
int32_t ReduceMultiplier(int32_t multiplier);

// TFLite's int64 MultiplyByQuantizedMultiplier followed by the output clamp:
// floor((acc * ReduceMultiplier(M0) + 2^(14 - shift)) / 2^(15 - shift)),
// i.e. rounding half toward +infinity, computed exactly (no intermediate
// truncation), then clamped to [act_min, act_max]. shift in [-31, 7].
int32_t RequantizeOneInt64(int64_t acc, int32_t multiplier, int shift,
                           int32_t act_min, int32_t act_max);
// The same with the multiplier already rounded to Q15 (rm =
// ReduceMultiplier(M0), in [0, 32767]): what an executor that stores rm
// computes.
int32_t RequantizeOneInt64Q15(int64_t acc, int32_t rm, int shift,
                              int32_t act_min, int32_t act_max);

// acc[n,oh,ow,o] = bias[o] + sum x * w in 64 bits (padded taps add 0).
Tensor<int64_t> Conv2dAccInt16(const Tensor<int16_t>& input,
                               const Tensor<int8_t>& weights,
                               const std::vector<int64_t>& bias,
                               const ConvGeometry& geom);
Tensor<int16_t> Conv2dInt16(const Tensor<int16_t>& input,
                            const Tensor<int8_t>& weights,
                            const std::vector<int64_t>& bias,
                            const ConvGeometry& geom,
                            const Int16QuantParams& q);

// input [N, ...] (flattened per batch), weights [out][in]; output [N, out].
Tensor<int64_t> FullyConnectedAccInt16(const Tensor<int16_t>& input,
                                       const Tensor<int8_t>& weights,
                                       const std::vector<int64_t>& bias);
Tensor<int16_t> FullyConnectedInt16(const Tensor<int16_t>& input,
                                    const Tensor<int8_t>& weights,
                                    const std::vector<int64_t>& bias,
                                    const Int16QuantParams& q);

// The int32-bias variant: the same sums in wrapping int32.
Tensor<int32_t> Conv2dAccInt16Bias32(const Tensor<int16_t>& input,
                                     const Tensor<int8_t>& weights,
                                     const std::vector<int32_t>& bias,
                                     const ConvGeometry& geom);
Tensor<int16_t> Conv2dInt16Bias32(const Tensor<int16_t>& input,
                                  const Tensor<int8_t>& weights,
                                  const std::vector<int32_t>& bias,
                                  const ConvGeometry& geom,
                                  const Int16QuantParams& q);
Tensor<int32_t> FullyConnectedAccInt16Bias32(const Tensor<int16_t>& input,
                                             const Tensor<int8_t>& weights,
                                             const std::vector<int32_t>& bias);
Tensor<int16_t> FullyConnectedInt16Bias32(const Tensor<int16_t>& input,
                                          const Tensor<int8_t>& weights,
                                          const std::vector<int32_t>& bias,
                                          const Int16QuantParams& q);

// int16 x int8 GEMM tile kernel for executors of A16W8 layers (the
// counterpart of GemmInt8Int32): c[m][n] (+)= sum_k a[m*lda + k] *
// b[k*ldb + n] in 64 bits (wrapping at 2^64). Elements of c outside the m x n
// tile are left untouched.
void GemmInt16Int64(int m, int n, int k, const int16_t* a, int lda,
                    const int8_t* b, int ldb, int64_t* c, int ldc,
                    bool accumulate);

// Per element, channel = last dimension. The int64 form uses
// RequantizeOneInt64; the int32 form RequantizeOne (double rounding, shift in
// [-31, 30]) with output zero point 0. Both throw InputError for parameter
// counts that do not match the channels, a negative multiplier, a shift out of
// range or an activation range outside [-32768, 32767].
Tensor<int16_t> RequantizeTensorInt16(const Tensor<int64_t>& acc,
                                      const Int16QuantParams& q);
Tensor<int16_t> RequantizeTensorInt16Bias32(const Tensor<int32_t>& acc,
                                            const Int16QuantParams& q);

// An int16 tensor as its little-endian bytes (the last dimension doubled:
// element i is bytes 2i, 2i+1) and back; the byte view is how networks and
// DRAM hold the int16 tensors of a16w8 layers. Int16FromBytes throws
// InputError for an odd last dimension.
Tensor<int8_t> Int16ToBytes(const Tensor<int16_t>& t);
Tensor<int16_t> Int16FromBytes(const Tensor<int8_t>& bytes);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_INT16_LAYERS_H_
