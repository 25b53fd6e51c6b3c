// A quantized network as sparq runs it: a list of layers, each reading named
// tensors ("input" is the network input; a layer's output is named after the
// layer) and producing one int8 NHWC tensor. golden/ runs it as the reference;
// sw/ compiles the accelerator layers of the same description.

#ifndef SPARQ_GOLDEN_NETWORK_H_
#define SPARQ_GOLDEN_NETWORK_H_

#include <map>
#include <string>
#include <vector>

#include "golden/host_layers.h"
#include "golden/layers.h"
#include "golden/precision.h"
#include "golden/tensor.h"

namespace sparq {

enum class LayerKind {
  kConv,
  kFc,
  kMaxPool,
  kAvgPool,
  kAdd,
  kFlatten,
  kSoftmax,
  kReshape,
  kPad,
  kMean,
  kConcat,
};

const char* LayerKindName(LayerKind kind);  // "conv", "fc", ...

// Accelerator layers are conv and fc; the rest run on the host.
inline bool IsHostLayer(LayerKind k) {
  return k != LayerKind::kConv && k != LayerKind::kFc;
}

// Which compute engine the compiler uses for a conv / fc layer (YAML
// `engine`): a compile hint carried with the layer, not part of its math.
// kNm24: the array in its 2:4 structured-sparse mode (the weights must hold
// at most 2 non-zeros in every aligned group of 4 input channels of a tap).
enum class LayerEngine { kAuto, kDense, kSparse, kNm24 };

struct Layer {
  std::string name;
  LayerKind kind = LayerKind::kConv;
  std::vector<std::string> inputs;  // resolved names; add has two, concat 1+

  // conv / fc
  Tensor<int8_t> weights;  // conv OHWI (I = Cin/groups), fc [out][in]
  std::vector<int32_t> bias;
  // a16w8: the int64 bias (TFLite 16x8's default), used unless bias32 is set;
  // with bias32 the int32 `bias` (the int32-bias variant). The layer's
  // input and output are int16 tensors held as their little-endian bytes: an
  // int8 tensor whose last dimension is twice the channel count
  // (golden/int16_layers.h Int16ToBytes), as they lie in DRAM.
  std::vector<int64_t> bias64;
  bool bias32 = false;
  ConvGeometry geom;  // conv only
  QuantParams quant;
  LayerEngine engine = LayerEngine::kAuto;  // conv / fc
  Precision precision = Precision::kA8W8;  // conv / fc: operand widths

  PoolParams pool;  // max/avg pool
  AddParams add;    // add

  SoftmaxParams softmax;
  Shape reshape;  // reshape: the output shape (same element count)
  PadParams pad;
  MeanParams mean;
  ConcatParams concat;
};

struct Network {
  std::string name;
  Tensor<int8_t> input;  // NHWC (or [N, features] for fc-only networks)
  std::vector<Layer> layers;
};

// Shape of a layer's output given its input shapes; throws InputError naming
// the layer when the shapes do not fit.
Shape InferOutputShape(const Layer& layer, const std::vector<Shape>& inputs);

// Runs one layer on the integer reference.
Tensor<int8_t> RunLayerReference(const Layer& layer,
                                 const std::vector<const Tensor<int8_t>*>& in);

// Runs the whole network; returns every layer's output by layer name (plus
// "input").
std::map<std::string, Tensor<int8_t>> RunNetworkReference(const Network& net);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_NETWORK_H_
