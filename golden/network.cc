#include "golden/network.h"

#include <cassert>
#include <map>
#include <string>
#include <vector>

#include "golden/binary.h"
#include "golden/errors.h"
#include "golden/int16_layers.h"
#include "golden/requant.h"

namespace sparq {
namespace {

// Concatenation takes as many inputs as it names.
size_t ExpectedInputs(const Layer& layer) {
  if (layer.kind == LayerKind::kConcat) return layer.inputs.size();
  return layer.kind == LayerKind::kAdd ? 2 : 1;
}

std::string Prefix(const Layer& layer) {
  return "layer '" + layer.name + "' (" + LayerKindName(layer.kind) + "): ";
}

void CheckQuant(const Layer& layer, int channels) {
  const QuantParams& q = layer.quant;
  if (static_cast<int>(q.multiplier.size()) != channels ||
      static_cast<int>(q.shift.size()) != channels) {
    throw InputError(Prefix(layer) + "quant has " +
                     std::to_string(q.multiplier.size()) + " multipliers and " +
                     std::to_string(q.shift.size()) + " shifts but " +
                     std::to_string(channels) + " output channels");
  }
  if (!layer.bias64.empty() &&
      static_cast<int>(layer.bias64.size()) != channels) {
    throw InputError(Prefix(layer) + "bias has " +
                     std::to_string(layer.bias64.size()) +
                     " int64 entries but the layer has " +
                     std::to_string(channels) + " output channels");
  }
  if (!layer.bias.empty() && static_cast<int>(layer.bias.size()) != channels) {
    throw InputError(Prefix(layer) + "bias has " +
                     std::to_string(layer.bias.size()) +
                     " entries but the layer has " + std::to_string(channels) +
                     " output channels");
  }
}

Shape InferUnchecked(const Layer& layer, const std::vector<Shape>& in) {
  const bool a16w8 = (layer.kind == LayerKind::kConv ||
                      layer.kind == LayerKind::kFc) &&
                     layer.precision == Precision::kA16W8;
  if (a16w8) {
    // int16 tensors as bytes: the last dimension counts bytes.
    if (in[0].empty() || in[0].back() % 2 != 0) {
      throw InputError("precision a16w8 reads an int16 tensor as its bytes, "
                       "which needs an even last dimension, got " +
                       ShapeToString(in[0]));
    }
    Shape elems = in[0];
    elems.back() /= 2;
    Shape out = layer.kind == LayerKind::kConv
                    ? Conv2dOutputShape(elems, layer.weights.shape, layer.geom)
                    : FullyConnectedOutputShape(elems, layer.weights.shape);
    out.back() *= 2;
    return out;
  }
  switch (layer.kind) {
    case LayerKind::kConv:
      return Conv2dOutputShape(in[0], layer.weights.shape, layer.geom);
    case LayerKind::kFc:
      return FullyConnectedOutputShape(in[0], layer.weights.shape);
    case LayerKind::kMaxPool:
    case LayerKind::kAvgPool:
      return Pool2dOutputShape(in[0], layer.pool);
    case LayerKind::kAdd:
      if (in[0] != in[1]) {
        throw InputError("inputs '" + layer.inputs[0] + "' " +
                         ShapeToString(in[0]) + " and '" + layer.inputs[1] +
                         "' " + ShapeToString(in[1]) + " differ in shape");
      }
      return in[0];
    case LayerKind::kFlatten: {
      if (in[0].size() < 2) {
        throw InputError("input must have a batch dimension, got " +
                         ShapeToString(in[0]));
      }
      const size_t features =
          NumElements(in[0]) / static_cast<size_t>(in[0][0]);
      return {in[0][0], static_cast<int>(features)};
    }
    case LayerKind::kSoftmax:
      return in[0];
    case LayerKind::kReshape:
      if (NumElements(layer.reshape) != NumElements(in[0])) {
        throw InputError("cannot reshape " + ShapeToString(in[0]) + " to " +
                         ShapeToString(layer.reshape));
      }
      return layer.reshape;
    case LayerKind::kPad:
      return PadOutputShape(in[0], layer.pad);
    case LayerKind::kMean:
      return MeanOutputShape(in[0], layer.mean);
    case LayerKind::kConcat:
      return ConcatOutputShape(in, layer.concat.axis);
  }
  assert(false && "unknown layer kind");
  return {};
}

}  // namespace

const char* LayerKindName(LayerKind kind) {
  switch (kind) {
    case LayerKind::kConv:
      return "conv";
    case LayerKind::kFc:
      return "fc";
    case LayerKind::kMaxPool:
      return "maxpool";
    case LayerKind::kAvgPool:
      return "avgpool";
    case LayerKind::kAdd:
      return "add";
    case LayerKind::kFlatten:
      return "flatten";
    case LayerKind::kSoftmax:
      return "softmax";
    case LayerKind::kReshape:
      return "reshape";
    case LayerKind::kPad:
      return "pad";
    case LayerKind::kMean:
      return "mean";
    case LayerKind::kConcat:
      return "concat";
  }
  return "unknown";
}

Shape InferOutputShape(const Layer& layer, const std::vector<Shape>& inputs) {
  if (inputs.size() != ExpectedInputs(layer) || inputs.empty()) {
    throw InputError(Prefix(layer) + "takes " +
                     std::to_string(ExpectedInputs(layer)) + " input(s), got " +
                     std::to_string(inputs.size()));
  }
  if (layer.kind == LayerKind::kAdd && layer.inputs.size() != 2) {
    throw InputError(Prefix(layer) + "needs two named inputs");
  }
  Shape out;
  try {
    out = InferUnchecked(layer, inputs);
  } catch (const InputError& e) {
    throw InputError(Prefix(layer) + e.what());
  }
  if (layer.kind == LayerKind::kConv || layer.kind == LayerKind::kFc) {
    CheckQuant(layer, layer.precision == Precision::kA16W8 ? out.back() / 2
                                                            : out.back());
  }
  return out;
}

namespace {

// The narrow modes run the int8 kernels on operands inside their ranges;
// A4W4 also keeps its input and its clamp inside int4. A1W1 (XNOR-popcount)
// and A16W8 (int16 activations) have their own references, not this one.
void CheckPrecision(const Layer& layer, const Tensor<int8_t>& input) {
  const std::string what = "layer '" + layer.name + "'";
  switch (layer.precision) {
    case Precision::kA8W8:
      return;
    case Precision::kA8W4:
    case Precision::kA8W2:
      CheckWeightRange(layer.precision, layer.weights.data, what);
      return;
    case Precision::kA4W4: {
      CheckWeightRange(layer.precision, layer.weights.data, what);
      for (size_t i = 0; i < input.data.size(); ++i) {
        if (input.data[i] < -8 || input.data[i] > 7) {
          throw InputError(what + ": input element " + std::to_string(i) +
                           " = " + std::to_string(input.data[i]) +
                           " is outside precision a4w4 (expected [-8, 7])");
        }
      }
      // The input zero point is also the pad nibble of a padded tap.
      if (layer.quant.in_zp < -8 || layer.quant.in_zp > 7 ||
          layer.quant.out_zp < -8 || layer.quant.out_zp > 7) {
        throw InputError(what + ": zero points in " +
                         std::to_string(layer.quant.in_zp) + ", out " +
                         std::to_string(layer.quant.out_zp) +
                         " leave int4 in precision a4w4 (expected within "
                         "[-8, 7])");
      }
      if (layer.quant.act_min < -8 || layer.quant.act_max > 7) {
        throw InputError(what + ": clamp [" +
                         std::to_string(layer.quant.act_min) + ", " +
                         std::to_string(layer.quant.act_max) +
                         "] leaves int4 in precision a4w4 (expected within "
                         "[-8, 7])");
      }
      return;
    }
    case Precision::kA1W1: {
      CheckWeightRange(layer.precision, layer.weights.data, what);
      for (size_t i = 0; i < input.data.size(); ++i) {
        if (input.data[i] != 1 && input.data[i] != -1) {
          throw InputError(what + ": input element " + std::to_string(i) +
                           " = " + std::to_string(input.data[i]) +
                           " is outside precision a1w1 (expected -1 or +1)");
        }
      }
      if (layer.quant.in_zp != 0) {
        throw InputError(what + ": input zero point " +
                         std::to_string(layer.quant.in_zp) +
                         " in precision a1w1 (expected 0)");
      }
      return;
    }
    case Precision::kA16W8: {
      const QuantParams& q = layer.quant;
      if (q.in_zp != 0 || q.out_zp != 0) {
        throw InputError(what + ": zero points " + std::to_string(q.in_zp) +
                         ", " + std::to_string(q.out_zp) +
                         " in precision a16w8 (expected 0: int16 activations "
                         "are symmetric)");
      }
      if (q.act_min < -32768 || q.act_max > 32767 || q.act_min > q.act_max) {
        throw InputError(what + ": activation range [" +
                         std::to_string(q.act_min) + ", " +
                         std::to_string(q.act_max) +
                         "] is not inside int16 (precision a16w8)");
      }
      if (layer.bias32 ? !layer.bias64.empty() : !layer.bias.empty()) {
        throw InputError(what + ": precision a16w8 takes an int64 bias, or an "
                         "int32 bias with bias32, not the other one");
      }
      return;
    }
  }
}

// A16W8 through golden/int16_layers.h on the int16 view of the byte tensors.
Tensor<int8_t> Int16LayerReference(const Layer& layer,
                                   const Tensor<int8_t>& input) {
  const Tensor<int16_t> x = Int16FromBytes(input);
  Int16QuantParams q;
  q.act_min = layer.quant.act_min;
  q.act_max = layer.quant.act_max;
  q.multiplier = layer.quant.multiplier;
  q.shift = layer.quant.shift;
  const bool conv = layer.kind == LayerKind::kConv;
  if (layer.bias32) {
    return Int16ToBytes(
        conv ? Conv2dInt16Bias32(x, layer.weights, layer.bias, layer.geom, q)
             : FullyConnectedInt16Bias32(x, layer.weights, layer.bias, q));
  }
  return Int16ToBytes(
      conv ? Conv2dInt16(x, layer.weights, layer.bias64, layer.geom, q)
           : FullyConnectedInt16(x, layer.weights, layer.bias64, q));
}

// A1W1 through the XNOR-popcount kernel (golden/binary.h): an fc layer is a
// 1x1 conv over [N, 1, 1, features].
Tensor<int8_t> BinaryLayerReference(const Layer& layer,
                                    const Tensor<int8_t>& input,
                                    const Shape& out_shape) {
  Tensor<int32_t> acc;
  if (layer.kind == LayerKind::kConv) {
    acc = BinaryConv2dAccXnor(input, layer.weights, layer.geom);
  } else {
    const int n = input.dim(0);
    const int features = static_cast<int>(input.size()) / n;
    const int out = layer.weights.dim(0);
    Tensor<int8_t> in4({n, 1, 1, features});
    in4.data = input.data;
    Tensor<int8_t> w4({out, 1, 1, features});
    w4.data = layer.weights.data;
    acc = BinaryConv2dAccXnor(in4, w4, ConvGeometry{});
  }
  const int channels = acc.shape.back();
  if (!layer.bias.empty()) {
    for (size_t i = 0; i < acc.data.size(); ++i) {
      acc.data[i] = WrapAdd(acc.data[i], layer.bias[i % channels]);
    }
  }
  acc.shape = out_shape;
  return RequantizeTensor(acc, layer.quant);
}

}  // namespace

Tensor<int8_t> RunLayerReference(const Layer& layer,
                                 const std::vector<const Tensor<int8_t>*>& in) {
  std::vector<Shape> shapes;
  for (const Tensor<int8_t>* t : in) shapes.push_back(t->shape);
  const Shape out_shape = InferOutputShape(layer, shapes);
  if (layer.kind == LayerKind::kConv || layer.kind == LayerKind::kFc) {
    CheckPrecision(layer, *in[0]);
    if (layer.precision == Precision::kA1W1) {
      return BinaryLayerReference(layer, *in[0], out_shape);
    }
    if (layer.precision == Precision::kA16W8) {
      try {
        Tensor<int8_t> out = Int16LayerReference(layer, *in[0]);
        out.shape = out_shape;
        return out;
      } catch (const InputError& e) {
        throw InputError(Prefix(layer) + e.what());
      }
    }
  }
  try {
    switch (layer.kind) {
      case LayerKind::kConv:
        return Conv2dInt8(*in[0], layer.weights, layer.bias, layer.geom,
                          layer.quant);
      case LayerKind::kFc:
        return FullyConnectedInt8(*in[0], layer.weights, layer.bias,
                                  layer.quant);
      case LayerKind::kMaxPool:
        return MaxPool2dInt8(*in[0], layer.pool);
      case LayerKind::kAvgPool:
        return AvgPool2dInt8(*in[0], layer.pool);
      case LayerKind::kAdd:
        return AddInt8(*in[0], *in[1], layer.add);
      case LayerKind::kFlatten:
      case LayerKind::kReshape: {
        Tensor<int8_t> out = *in[0];
        out.shape = out_shape;
        return out;
      }
      case LayerKind::kSoftmax:
        return SoftmaxInt8(*in[0], layer.softmax);
      case LayerKind::kPad:
        return PadInt8(*in[0], layer.pad);
      case LayerKind::kMean:
        return MeanInt8(*in[0], layer.mean);
      case LayerKind::kConcat:
        return ConcatInt8(in, layer.concat);
    }
  } catch (const InputError& e) {
    throw InputError(Prefix(layer) + e.what());
  }
  assert(false && "unknown layer kind");
  return {};
}

std::map<std::string, Tensor<int8_t>> RunNetworkReference(const Network& net) {
  std::map<std::string, Tensor<int8_t>> values;
  values.emplace("input", net.input);
  for (const Layer& layer : net.layers) {
    if (values.count(layer.name)) {
      throw InputError(Prefix(layer) + "name is already used by " +
                       (layer.name == "input" ? std::string("the network input")
                                              : "an earlier layer"));
    }
    std::vector<const Tensor<int8_t>*> in;
    for (const std::string& name : layer.inputs) {
      const auto it = values.find(name);
      if (it == values.end()) {
        throw InputError(Prefix(layer) + "input '" + name +
                         "' is neither 'input' nor an earlier layer");
      }
      in.push_back(&it->second);
    }
    values.emplace(layer.name, RunLayerReference(layer, in));
  }
  return values;
}

}  // namespace sparq
