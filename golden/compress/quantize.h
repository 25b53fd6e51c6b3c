// Post-training quantization of a trained float Model into the integer
// Network of golden/network.h (TFLite int8 contract, docs/architecture.md),
// and its evaluation on the integer reference.
//
// Weights: per output channel, in the code range of each layer's
// WeightQuant, stored in int8 tensors; the scale folds into the requant
// multiplier. Each conv/fc carries the precision mode it runs in
// (golden/precision.h): int8 weights a8w8, int4 a8w4, ternary and binary
// weights with int8 activations a8w2 (+-1 are ternary codes), binary weights
// with binary activations a1w1.
// Activations: int8 asymmetric per tensor, ranges calibrated on data; the
// network input uses scale 1/255 and zero point -128 (exact for pixels).

#ifndef SPARQ_GOLDEN_COMPRESS_QUANTIZE_H_
#define SPARQ_GOLDEN_COMPRESS_QUANTIZE_H_

#include <map>
#include <string>
#include <vector>

#include "golden/compress/fashion_mnist.h"
#include "golden/compress/nn.h"
#include "golden/network.h"

namespace sparq {

inline constexpr float kInputScale = 1.0f / 255.0f;
inline constexpr int kInputZeroPoint = -128;

// Scales and zero points of every quantized tensor, by layer name (the
// input is "input").
struct ActQuant {
  float scale = 1;
  int zero_point = 0;
};

struct QuantizedModel {
  Network net;                // input left empty; see MakeIntegerInput
  std::vector<ActQuant> act;  // per net.layers entry: its output
  std::vector<std::vector<float>> weight_scales;  // per layer (conv/fc only)
  // Per net layer: its input is binarized (real >= 0 -> +1, else -1) and
  // the layer runs as XNOR-popcount (binary activations and weights, A1W1:
  // precision a1w1, input zero point 0). Recipes put binary activations only
  // after the first layer, so a conv/fc sign output (below) produces that
  // input.
  std::vector<bool> binary_input;
  // Per net layer: only a sign reads this conv/fc output (through maxpool
  // and flatten, which commute with sign), so it emits the sign of its
  // int32 accumulator v as +-1: requantization by exactly 2 (M0 2^30, shift
  // 2), output zero point 1 and clamp [-1, 1] give clamp(2v + 1, -1, 1),
  // which is +1 for v >= 0 and -1 for v < 0 (exact while |v| < 2^29, checked
  // against the layer's largest possible accumulator). Requantizing to the
  // real scale instead would round every value within half a step of 0 (a
  // conv's output on blank background is its bias) to the zero point and
  // flip its sign.
  std::vector<bool> sign_output;
};

// Activation ranges: min/max of each conv/fc output (after its ReLU when one
// follows) over the calibration images.
QuantizedModel QuantizeModel(Model& model, const Dataset& calib);

// int8 NHWC input tensor of images [begin, begin + n).
Tensor<int8_t> MakeIntegerInput(const Dataset& ds, int begin, int n);

// Runs the integer network on `input`: RunNetworkReference of qm.net (a1w1
// layers through golden's XNOR-popcount kernel). Returns every layer's
// output by name (plus "input").
std::map<std::string, Tensor<int8_t>> RunQuantized(const QuantizedModel& qm,
                                                   const Tensor<int8_t>& input);

// Top-1 accuracy of the integer network (RunQuantized) on ds.
double EvaluateInteger(const QuantizedModel& qm, const Dataset& ds,
                       int batch = 1000);

// ActQuant for a real range (widened to contain 0), as TFLite chooses it.
ActQuant ChooseActQuant(float lo, float hi);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_COMPRESS_QUANTIZE_H_
