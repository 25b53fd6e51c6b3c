#include "sim/tflite/importer.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "golden/checked.h"
#include "golden/errors.h"
#include "golden/input_file.h"
#include "golden/npy.h"
#include "golden/requant.h"
#include "sim/tflite/tflite_subset_generated.h"

namespace sparq {
namespace {

// Element i of an int64 vector. The verifier checks only the 4-byte
// alignment of a vector's length, so in a crafted file the elements can sit
// at a 4-byte boundary, where Vector<int64_t>::Get is a misaligned load
// (UBSan, found by fuzz_tflite): read the bytes instead.
int64_t Int64At(const flatbuffers::Vector<int64_t>& v,
                flatbuffers::uoffset_t i) {
  int64_t x;
  std::memcpy(&x, v.Data() + static_cast<size_t>(i) * sizeof(x), sizeof(x));
  return flatbuffers::EndianScalar(x);
}

namespace fs = std::filesystem;

// Keeps a corrupt shape from allocating gigabytes.
constexpr size_t kMaxElements = size_t{1} << 28;

// Names of the builtin operator codes sparq supports or that commonly appear
// next to them, for messages; other codes are printed as numbers.
std::string OpName(int32_t code) {
  switch (code) {
    case tflite::BuiltinOperator_ADD:
      return "ADD";
    case tflite::BuiltinOperator_AVERAGE_POOL_2D:
      return "AVERAGE_POOL_2D";
    case tflite::BuiltinOperator_CONCATENATION:
      return "CONCATENATION";
    case tflite::BuiltinOperator_CONV_2D:
      return "CONV_2D";
    case tflite::BuiltinOperator_DEPTHWISE_CONV_2D:
      return "DEPTHWISE_CONV_2D";
    case tflite::BuiltinOperator_DEQUANTIZE:
      return "DEQUANTIZE";
    case tflite::BuiltinOperator_FULLY_CONNECTED:
      return "FULLY_CONNECTED";
    case tflite::BuiltinOperator_MAX_POOL_2D:
      return "MAX_POOL_2D";
    case tflite::BuiltinOperator_RESHAPE:
      return "RESHAPE";
    case tflite::BuiltinOperator_SOFTMAX:
      return "SOFTMAX";
    case tflite::BuiltinOperator_PAD:
      return "PAD";
    case tflite::BuiltinOperator_MEAN:
      return "MEAN";
    case tflite::BuiltinOperator_QUANTIZE:
      return "QUANTIZE";
    case 14:
      return "LOGISTIC";
    case 18:
      return "MUL";
    case 19:
      return "RELU";
    case 21:
      return "RELU6";
    case 28:
      return "TANH";
    case 32:
      return "CUSTOM";
    case 41:
      return "SUB";
    case 117:
      return "HARD_SWISH";
    default:
      return "builtin operator " + std::to_string(code);
  }
}

std::string Real(double v) {
  // 17 significant digits: a float32 scale promoted to double reads back as
  // exactly that double, so multipliers derived from it match TFLite's.
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

template <typename T>
std::string List(const std::vector<T>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(v[i]);
  }
  return s + "]";
}

struct ActQuant {
  float scale = 0;
  int32_t zp = 0;
  bool operator==(const ActQuant& o) const {
    return scale == o.scale && zp == o.zp;
  }
};

class Importer {
 public:
  Importer(const tflite::Model* model, std::string path,
           const TfliteImportOptions& options)
      : model_(model), path_(std::move(path)), options_(options) {}

  TfliteImport Run();

 private:
  [[noreturn]] void Fail(const std::string& msg) const {
    std::string where = path_ + ": ";
    if (op_ >= 0) {
      where += "operator " + std::to_string(op_) + " (" + op_name_ + "): ";
    }
    throw InputError(where + msg);
  }
  [[noreturn]] void FailTensor(int t, const std::string& msg) const {
    Fail(TensorDesc(t) + ": " + msg);
  }
  std::string TensorDesc(int t) const {
    const tflite::Tensor* tensor = TensorAt(t);
    const std::string name = tensor && tensor->name()
                                 ? tensor->name()->str()
                                 : std::string("(unnamed)");
    return "tensor " + std::to_string(t) + " '" + name + "'";
  }

  const tflite::Tensor* TensorAt(int t) const {
    if (t < 0 || !tensors_ || static_cast<size_t>(t) >= tensors_->size()) {
      return nullptr;
    }
    return tensors_->Get(static_cast<flatbuffers::uoffset_t>(t));
  }
  const tflite::Tensor* NeedTensor(int t) const {
    const tflite::Tensor* tensor = TensorAt(t);
    if (!tensor) {
      Fail("tensor index " + std::to_string(t) + " is outside the " +
           std::to_string(tensors_ ? tensors_->size() : 0) +
           " tensors of the subgraph");
    }
    return tensor;
  }
  Shape ShapeOf(int t) const;
  ActQuant Activation(int t) const;
  std::vector<float> WeightScales(int t, int channels, int dim) const;
  const flatbuffers::Vector<uint8_t>* Data(int t, size_t bytes) const;
  Tensor<int8_t> ConstInt8(int t) const;
  Tensor<int32_t> ConstInt32(int t) const;
  // The sparq tensor an operator input reads; fails unless it is the network
  // input or produced by an earlier operator.
  std::string Source(int t) const;
  std::vector<int> Inputs(const tflite::Operator* op, size_t min,
                          size_t max) const;
  int Output(const tflite::Operator* op) const;
  void Clamp(tflite::ActivationFunctionType f, const ActQuant& q);
  void Padding(tflite::Padding padding, const Shape& in, int kh, int kw, int sh,
               int sw, int dh, int dw, const Shape& out);
  void Multipliers(const ActQuant& in, const std::vector<float>& ws,
                   const ActQuant& out);
  void BeginLayer(const std::string& kind, int out_tensor,
                  const std::vector<std::string>& inputs);
  void RequireSameQuant(int in, int out, const char* why) const;

  void Conv(const tflite::Operator* op, bool depthwise);
  void FullyConnected(const tflite::Operator* op);
  void Pool(const tflite::Operator* op, bool average);
  void Add(const tflite::Operator* op);
  void Reshape(const tflite::Operator* op);
  void Softmax(const tflite::Operator* op);
  void Pad(const tflite::Operator* op);
  void Mean(const tflite::Operator* op);
  void Concat(const tflite::Operator* op);

  const tflite::Model* model_;
  std::string path_;
  TfliteImportOptions options_;
  const flatbuffers::Vector<flatbuffers::Offset<tflite::Tensor>>* tensors_ =
      nullptr;
  std::set<int> graph_outputs_;
  int op_ = -1;
  std::string op_name_;
  std::string layer_;  // name of the layer being written
  int layers_ = 0;
  std::map<int, std::string> names_;  // TFLite tensor -> sparq tensor
  std::ostringstream y_;
  TfliteImport out_;
};

Shape Importer::ShapeOf(int t) const {
  const tflite::Tensor* tensor = NeedTensor(t);
  if (!tensor->shape() || tensor->shape()->size() == 0) {
    FailTensor(t, "has no shape (sparq needs static shapes)");
  }
  Shape s;
  size_t n = 1;
  for (int32_t d : *tensor->shape()) {
    if (d < 1 || d > (1 << 24)) {
      FailTensor(t, "has dimension " + std::to_string(d) +
                        " (expected static dimensions in [1, 2^24])");
    }
    s.push_back(d);
    n *= static_cast<size_t>(d);
    if (n > kMaxElements) FailTensor(t, "has too many elements");
  }
  return s;
}

ActQuant Importer::Activation(int t) const {
  const tflite::Tensor* tensor = NeedTensor(t);
  if (tensor->type() != tflite::TensorType_INT8) {
    FailTensor(t, std::string("is of type ") +
                      tflite::EnumNameTensorType(tensor->type()) +
                      " (expected INT8: sparq imports int8-quantized models)");
  }
  const tflite::QuantizationParameters* q = tensor->quantization();
  if (!q || !q->scale() || !q->zero_point() || q->scale()->size() != 1 ||
      q->zero_point()->size() != 1) {
    FailTensor(t,
               "expected one scale and one zero point (per-tensor "
               "activation quantization)");
  }
  ActQuant a;
  a.scale = q->scale()->Get(0);
  const int64_t zp = Int64At(*q->zero_point(), 0);
  if (!(a.scale > 0) || !std::isfinite(a.scale)) {
    FailTensor(t, "scale " + Real(a.scale) + " is not a positive number");
  }
  if (zp < -128 || zp > 127) {
    FailTensor(t, "zero point " + std::to_string(zp) + " is outside int8");
  }
  a.zp = static_cast<int32_t>(zp);
  return a;
}

std::vector<float> Importer::WeightScales(int t, int channels, int dim) const {
  const tflite::Tensor* tensor = NeedTensor(t);
  if (tensor->type() != tflite::TensorType_INT8) {
    FailTensor(t, std::string("weights of type ") +
                      tflite::EnumNameTensorType(tensor->type()) +
                      " (expected INT8)");
  }
  const tflite::QuantizationParameters* q = tensor->quantization();
  if (!q || !q->scale() || q->scale()->size() == 0) {
    FailTensor(t, "weights without a quantization scale");
  }
  const size_t n = q->scale()->size();
  if (n != 1 &&
      (n != static_cast<size_t>(channels) || q->quantized_dimension() != dim)) {
    FailTensor(t, std::to_string(n) + " scales along dimension " +
                      std::to_string(q->quantized_dimension()) +
                      " (expected 1, or " + std::to_string(channels) +
                      " along dimension " + std::to_string(dim) + ")");
  }
  if (q->zero_point()) {
    for (flatbuffers::uoffset_t i = 0; i < q->zero_point()->size(); ++i) {
      const int64_t zp = Int64At(*q->zero_point(), i);
      if (zp != 0) {
        FailTensor(t, "weight zero point " + std::to_string(zp) +
                          " (sparq needs symmetric weights, zero point 0)");
      }
    }
  }
  std::vector<float> s;
  for (size_t c = 0; c < static_cast<size_t>(channels); ++c) {
    const float v =
        q->scale()->Get(static_cast<flatbuffers::uoffset_t>(n == 1 ? 0 : c));
    if (!(v > 0) || !std::isfinite(v)) {
      FailTensor(t, "weight scale " + Real(v) + " is not a positive number");
    }
    s.push_back(v);
  }
  return s;
}

const flatbuffers::Vector<uint8_t>* Importer::Data(int t, size_t bytes) const {
  const tflite::Tensor* tensor = NeedTensor(t);
  const auto* buffers = model_->buffers();
  if (!buffers || tensor->buffer() >= buffers->size()) {
    FailTensor(t, "refers to buffer " + std::to_string(tensor->buffer()) +
                      " of " + std::to_string(buffers ? buffers->size() : 0));
  }
  const tflite::Buffer* b = buffers->Get(tensor->buffer());
  if (b->offset() > 1 || b->size() > 0) {
    FailTensor(t,
               "keeps its data outside the flatbuffer (models over 2 GB "
               "are not supported)");
  }
  if (!b->data() || b->data()->size() != bytes) {
    FailTensor(t, "expected constant data of " + std::to_string(bytes) +
                      " bytes, found " +
                      std::to_string(b->data() ? b->data()->size() : 0));
  }
  return b->data();
}

Tensor<int8_t> Importer::ConstInt8(int t) const {
  Tensor<int8_t> out(ShapeOf(t));
  const auto* d = Data(t, out.size());
  std::memcpy(out.data.data(), d->data(), out.size());
  return out;
}

Tensor<int32_t> Importer::ConstInt32(int t) const {
  if (NeedTensor(t)->type() != tflite::TensorType_INT32) {
    FailTensor(t, std::string("is of type ") +
                      tflite::EnumNameTensorType(NeedTensor(t)->type()) +
                      " (expected INT32)");
  }
  Tensor<int32_t> out(ShapeOf(t));
  const auto* d = Data(t, out.size() * 4);
  for (size_t i = 0; i < out.size(); ++i) {
    const uint8_t* p = d->data() + 4 * i;
    out.data[i] =
        static_cast<int32_t>(uint32_t{p[0]} | uint32_t{p[1]} << 8 |
                             uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24);
  }
  return out;
}

std::string Importer::Source(int t) const {
  const auto it = names_.find(t);
  if (it == names_.end()) {
    FailTensor(t,
               "is neither the network input nor the output of an "
               "earlier operator (constant or unsupported activation)");
  }
  return it->second;
}

std::vector<int> Importer::Inputs(const tflite::Operator* op, size_t min,
                                  size_t max) const {
  const size_t n = op->inputs() ? op->inputs()->size() : 0;
  if (n < min || n > max) {
    Fail("has " + std::to_string(n) + " inputs, expected " +
         (min == max ? std::to_string(min)
                     : std::to_string(min) + " to " + std::to_string(max)));
  }
  return std::vector<int>(op->inputs()->begin(), op->inputs()->end());
}

int Importer::Output(const tflite::Operator* op) const {
  if (!op->outputs() || op->outputs()->size() != 1) {
    Fail("expected exactly one output");
  }
  const int t = op->outputs()->Get(0);
  NeedTensor(t);
  if (names_.count(t)) FailTensor(t, "is written twice");
  return t;
}

void Importer::BeginLayer(const std::string& kind, int out_tensor,
                          const std::vector<std::string>& inputs) {
  char name[32];
  std::snprintf(name, sizeof name, "op%03d_%s", op_, kind.c_str());
  layer_ = name;
  ++layers_;
  const tflite::Tensor* t = NeedTensor(out_tensor);
  y_ << "  - name: " << layer_ << "  # " << op_name_;
  if (t->name()) {
    // Keeps the comment on its line whatever the tensor name holds.
    std::string n = t->name()->str();
    std::replace_if(
        n.begin(), n.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    y_ << " -> " << n;
  }
  y_ << "\n    type: " << kind << "\n    input: ";
  if (inputs.size() == 1 && kind != "concat") {
    y_ << inputs[0] << "\n";
  } else {
    y_ << "[";
    for (size_t i = 0; i < inputs.size(); ++i) {
      y_ << (i ? ", " : "") << inputs[i];
    }
    y_ << "]\n";
  }
}

void Importer::Clamp(tflite::ActivationFunctionType f, const ActQuant& q) {
  // TFLite's quantized activation range: limits quantized in float32.
  const auto quantize = [&q](float v) {
    return q.zp + static_cast<int32_t>(std::round(v / q.scale));
  };
  int32_t lo = -128, hi = 127;
  switch (f) {
    case tflite::ActivationFunctionType_NONE:
      break;
    case tflite::ActivationFunctionType_RELU:
      lo = std::max(lo, quantize(0.f));
      break;
    case tflite::ActivationFunctionType_RELU6:
      lo = std::max(lo, quantize(0.f));
      hi = std::min(hi, quantize(6.f));
      break;
    case tflite::ActivationFunctionType_RELU_N1_TO_1:
      lo = std::max(lo, quantize(-1.f));
      hi = std::min(hi, quantize(1.f));
      break;
    default:
      Fail(std::string("fused activation ") +
           tflite::EnumNameActivationFunctionType(f) +
           " is not supported (expected NONE, RELU, RELU6 or RELU_N1_TO_1)");
  }
  if (lo > hi) Fail("fused activation clamps to an empty range");
  y_ << "    act_min: " << lo << "\n    act_max: " << hi << "\n";
}

void Importer::Padding(tflite::Padding padding, const Shape& in, int kh, int kw,
                       int sh, int sw, int dh, int dw, const Shape& out) {
  if (sh < 1 || sw < 1 || dh < 1 || dw < 1 || sh > 4096 || sw > 4096 ||
      dh > 4096 || dw > 4096) {
    Fail("strides " + std::to_string(sh) + "x" + std::to_string(sw) +
         " and dilations " + std::to_string(dh) + "x" + std::to_string(dw) +
         " must be in [1, 4096]");
  }
  const auto pads = [&](int size, int k, int stride, int dil, int out_size,
                        int* before, int* after) {
    const int extent = (k - 1) * dil + 1;
    const int expected = padding == tflite::Padding_SAME
                             ? (size + stride - 1) / stride
                             : (size - extent + stride) / stride;
    if (expected != out_size || expected < 1) {
      Fail("output size " + std::to_string(out_size) + " differs from the " +
           std::to_string(expected) + " its padding gives");
    }
    const int total = padding == tflite::Padding_SAME
                          ? std::max((out_size - 1) * stride + extent - size, 0)
                          : 0;
    *before = total / 2;
    *after = total - *before;
  };
  int top, bottom, left, right;
  pads(in[1], kh, sh, dh, out[1], &top, &bottom);
  pads(in[2], kw, sw, dw, out[2], &left, &right);
  y_ << "    kernel: [" << kh << ", " << kw << "]\n    stride: [" << sh << ", "
     << sw << "]\n    padding: [" << top << ", " << left << ", " << bottom
     << ", " << right << "]\n";
}

void Importer::Multipliers(const ActQuant& in, const std::vector<float>& ws,
                           const ActQuant& out) {
  std::vector<int32_t> mult;
  std::vector<int> shift;
  for (float w : ws) {
    // TFLite's conv/fc prepare: the product of the float32 scales, in double.
    const double real = static_cast<double>(in.scale) * static_cast<double>(w) /
                        static_cast<double>(out.scale);
    if (!(real < static_cast<double>(int64_t{1} << 30))) {
      Fail("input_scale * weight_scale / output_scale = " + Real(real) +
           " is too large to requantize");
    }
    int32_t m = 0;
    int s = 0;
    QuantizeMultiplier(real, &m, &s);
    mult.push_back(m);
    shift.push_back(std::max(s, -31));
  }
  y_ << "    input_zero_point: " << in.zp << "\n    multiplier: " << List(mult)
     << "\n    shift: " << List(shift)
     << "\n    output_scale: " << Real(out.scale)
     << "\n    output_zero_point: " << out.zp << "\n";
}

void Importer::RequireSameQuant(int in, int out, const char* why) const {
  if (!(Activation(in) == Activation(out))) {
    FailTensor(out, "scale " + Real(Activation(out).scale) + " / zero point " +
                        std::to_string(Activation(out).zp) +
                        " differ from its input's (" + why + ")");
  }
}

void Importer::Conv(const tflite::Operator* op, bool depthwise) {
  const std::vector<int> in = Inputs(op, 2, 3);
  const int out = Output(op);
  const Shape xs = ShapeOf(in[0]), ws = ShapeOf(in[1]), ys = ShapeOf(out);
  if (xs.size() != 4 || ws.size() != 4 || ys.size() != 4) {
    Fail("expected rank-4 input, filter and output, got " + ShapeToString(xs) +
         ", " + ShapeToString(ws) + ", " + ShapeToString(ys));
  }
  const ActQuant xq = Activation(in[0]), yq = Activation(out);
  const int cout = ys[3];
  if (ws[depthwise ? 3 : 0] != cout) {
    FailTensor(in[1], "filter " + ShapeToString(ws) + " does not give the " +
                          std::to_string(cout) + " output channels");
  }
  if (depthwise ? (ws[0] != 1 || cout % xs[3] != 0)
                : (ws[3] < 1 || xs[3] % ws[3] != 0)) {
    FailTensor(in[1], "filter " + ShapeToString(ws) +
                          " does not fit the input " + ShapeToString(xs));
  }
  const std::vector<float> scales =
      WeightScales(in[1], cout, depthwise ? 3 : 0);
  Tensor<int8_t> w = ConstInt8(in[1]);
  int sh, sw, dh, dw;
  tflite::Padding padding;
  tflite::ActivationFunctionType act;
  if (depthwise) {
    const auto* o = op->builtin_options_as_DepthwiseConv2DOptions();
    if (!o) Fail("has no DepthwiseConv2DOptions");
    sh = o->stride_h(), sw = o->stride_w();
    dh = o->dilation_h_factor(), dw = o->dilation_w_factor();
    padding = o->padding();
    act = o->fused_activation_function();
  } else {
    const auto* o = op->builtin_options_as_Conv2DOptions();
    if (!o) Fail("has no Conv2DOptions");
    sh = o->stride_h(), sw = o->stride_w();
    dh = o->dilation_h_factor(), dw = o->dilation_w_factor();
    padding = o->padding();
    act = o->fused_activation_function();
  }
  BeginLayer(depthwise ? "depthwise" : "conv", out, {Source(in[0])});
  if (depthwise) {
    y_ << "    channel_multiplier: " << cout / xs[3] << "\n";
  } else {
    y_ << "    out_channels: " << cout << "\n";
    if (ws[3] != xs[3]) y_ << "    groups: " << xs[3] / ws[3] << "\n";
  }
  Padding(padding, xs, ws[1], ws[2], sh, sw, dh, dw, ys);
  if (dh != 1 || dw != 1) y_ << "    dilation: [" << dh << ", " << dw << "]\n";
  out_.int8_npy[layer_ + "_w.npy"] = std::move(w);
  y_ << "    weights: {npy: " << layer_ << "_w.npy}\n";
  if (in.size() == 3 && in[2] >= 0) {
    Tensor<int32_t> b = ConstInt32(in[2]);
    if (b.shape != Shape{cout}) {
      FailTensor(in[2], "bias " + ShapeToString(b.shape) + ", expected [" +
                            std::to_string(cout) + "]");
    }
    out_.int32_npy[layer_ + "_b.npy"] = std::move(b);
    y_ << "    bias: {npy: " << layer_ << "_b.npy}\n";
  }
  Multipliers(xq, scales, yq);
  Clamp(act, yq);
  names_[out] = layer_;
}

void Importer::FullyConnected(const tflite::Operator* op) {
  const std::vector<int> in = Inputs(op, 2, 3);
  const int out = Output(op);
  const Shape xs = ShapeOf(in[0]), ws = ShapeOf(in[1]), ys = ShapeOf(out);
  const auto* o = op->builtin_options_as_FullyConnectedOptions();
  if (!o) Fail("has no FullyConnectedOptions");
  if (o->weights_format() !=
      tflite::FullyConnectedOptionsWeightsFormat_DEFAULT) {
    Fail("shuffled weights are not supported");
  }
  if (ws.size() != 2) {
    FailTensor(in[1], "weights " + ShapeToString(ws) + ", expected [out, in]");
  }
  const size_t features = NumElements(xs) / static_cast<size_t>(xs[0]);
  if (features != static_cast<size_t>(ws[1]) || ys.size() != 2 ||
      ys[0] != xs[0] || ys[1] != ws[0]) {
    Fail("input " + ShapeToString(xs) + ", weights " + ShapeToString(ws) +
         " and output " + ShapeToString(ys) +
         " are not [N, in] x [out, in] -> [N, out] (sparq's fc flattens "
         "every non-batch dimension)");
  }
  const ActQuant xq = Activation(in[0]), yq = Activation(out);
  const std::vector<float> scales = WeightScales(in[1], ws[0], 0);
  Tensor<int8_t> w = ConstInt8(in[1]);
  BeginLayer("fc", out, {Source(in[0])});
  y_ << "    out_features: " << ws[0] << "\n";
  out_.int8_npy[layer_ + "_w.npy"] = std::move(w);
  y_ << "    weights: {npy: " << layer_ << "_w.npy}\n";
  if (in.size() == 3 && in[2] >= 0) {
    Tensor<int32_t> b = ConstInt32(in[2]);
    if (b.shape != Shape{ws[0]}) {
      FailTensor(in[2], "bias " + ShapeToString(b.shape) + ", expected [" +
                            std::to_string(ws[0]) + "]");
    }
    out_.int32_npy[layer_ + "_b.npy"] = std::move(b);
    y_ << "    bias: {npy: " << layer_ << "_b.npy}\n";
  }
  Multipliers(xq, scales, yq);
  Clamp(o->fused_activation_function(), yq);
  names_[out] = layer_;
}

void Importer::Pool(const tflite::Operator* op, bool average) {
  const std::vector<int> in = Inputs(op, 1, 1);
  const int out = Output(op);
  const Shape xs = ShapeOf(in[0]), ys = ShapeOf(out);
  if (xs.size() != 4 || ys.size() != 4 || xs[3] != ys[3]) {
    Fail("expected NHWC input and output with the same channels, got " +
         ShapeToString(xs) + " and " + ShapeToString(ys));
  }
  RequireSameQuant(in[0], out, "TFLite's int8 pooling keeps them");
  const auto* o = op->builtin_options_as_Pool2DOptions();
  if (!o) Fail("has no Pool2DOptions");
  BeginLayer(average ? "avgpool" : "maxpool", out, {Source(in[0])});
  if (o->filter_height() < 1 || o->filter_width() < 1 ||
      o->filter_height() > 4096 || o->filter_width() > 4096) {
    Fail("filter " + std::to_string(o->filter_height()) + "x" +
         std::to_string(o->filter_width()) + " must be in [1, 4096]");
  }
  Padding(o->padding(), xs, o->filter_height(), o->filter_width(),
          o->stride_h(), o->stride_w(), 1, 1, ys);
  Clamp(o->fused_activation_function(), Activation(out));
  names_[out] = layer_;
}

void Importer::Add(const tflite::Operator* op) {
  const std::vector<int> in = Inputs(op, 2, 2);
  const int out = Output(op);
  const Shape as = ShapeOf(in[0]), bs = ShapeOf(in[1]), ys = ShapeOf(out);
  if (as != bs || as != ys) {
    Fail("inputs " + ShapeToString(as) + " and " + ShapeToString(bs) +
         " and output " + ShapeToString(ys) +
         " differ (broadcasting is not supported)");
  }
  Activation(in[0]);
  Activation(in[1]);
  const ActQuant yq = Activation(out);
  const auto* o = op->builtin_options_as_AddOptions();
  BeginLayer("add", out, {Source(in[0]), Source(in[1])});
  y_ << "    output_scale: " << Real(yq.scale)
     << "\n    output_zero_point: " << yq.zp << "\n";
  Clamp(
      o ? o->fused_activation_function() : tflite::ActivationFunctionType_NONE,
      yq);
  names_[out] = layer_;
}

void Importer::Reshape(const tflite::Operator* op) {
  const std::vector<int> in = Inputs(op, 1, 2);
  const int out = Output(op);
  const Shape ys = ShapeOf(out);
  if (ys.size() > 5) FailTensor(out, "has rank above 5");
  if (NumElements(ys) != NumElements(ShapeOf(in[0]))) {
    Fail("cannot reshape " + ShapeToString(ShapeOf(in[0])) + " to " +
         ShapeToString(ys));
  }
  RequireSameQuant(in[0], out, "a reshape keeps them");
  BeginLayer("reshape", out, {Source(in[0])});
  y_ << "    shape: " << List(ys) << "\n";
  names_[out] = layer_;
}

void Importer::Softmax(const tflite::Operator* op) {
  const std::vector<int> in = Inputs(op, 1, 1);
  const int out = Output(op);
  if (ShapeOf(in[0]) != ShapeOf(out)) Fail("input and output shapes differ");
  Activation(in[0]);
  const ActQuant yq = Activation(out);
  // TFLite accepts an output scale within 0.1% of 1/256.
  if (std::fabs(yq.scale - 1.f / 256) > 0.001f / 256 || yq.zp != -128) {
    FailTensor(out, "output scale " + Real(yq.scale) + " / zero point " +
                        std::to_string(yq.zp) +
                        " (int8 softmax needs 1/256 and -128)");
  }
  const auto* o = op->builtin_options_as_SoftmaxOptions();
  if (!o) Fail("has no SoftmaxOptions");
  BeginLayer("softmax", out, {Source(in[0])});
  y_ << "    beta: " << Real(o->beta()) << "\n";
  names_[out] = layer_;
}

void Importer::Pad(const tflite::Operator* op) {
  const std::vector<int> in = Inputs(op, 2, 2);
  const int out = Output(op);
  const Shape xs = ShapeOf(in[0]);
  const Tensor<int32_t> p = ConstInt32(in[1]);
  if (p.shape != Shape{static_cast<int>(xs.size()), 2}) {
    FailTensor(in[1], "paddings " + ShapeToString(p.shape) + ", expected [" +
                          std::to_string(xs.size()) + ", 2]");
  }
  RequireSameQuant(in[0], out, "TFLite's int8 pad keeps them");
  BeginLayer("pad", out, {Source(in[0])});
  y_ << "    paddings: [";
  Shape ys = xs;
  for (size_t d = 0; d < xs.size(); ++d) {
    const int32_t before = p.data[2 * d], after = p.data[2 * d + 1];
    if (before < 0 || after < 0 || before > 4096 || after > 4096) {
      FailTensor(in[1], "padding outside [0, 4096]");
    }
    ys[d] += before + after;
    y_ << (d ? ", " : "") << "[" << before << ", " << after << "]";
  }
  y_ << "]\n";
  if (ys != ShapeOf(out)) {
    FailTensor(out, "shape " + ShapeToString(ShapeOf(out)) +
                        " differs from the padded " + ShapeToString(ys));
  }
  names_[out] = layer_;
}

void Importer::Mean(const tflite::Operator* op) {
  const std::vector<int> in = Inputs(op, 2, 2);
  const int out = Output(op);
  const Shape xs = ShapeOf(in[0]), ys = ShapeOf(out);
  std::vector<int32_t> axes = ConstInt32(in[1]).data;
  for (int32_t& a : axes) {
    if (a < 0) a += static_cast<int32_t>(xs.size());
  }
  std::sort(axes.begin(), axes.end());
  if (xs.size() != 4 || axes != std::vector<int32_t>{1, 2}) {
    FailTensor(in[1], "axes " + List(axes) + " of an input " +
                          ShapeToString(xs) +
                          " (sparq's mean reduces H and W of NHWC)");
  }
  const auto* o = op->builtin_options_as_ReducerOptions();
  const bool keep = o && o->keep_dims();
  const Shape expected = keep ? Shape{xs[0], 1, 1, xs[3]} : Shape{xs[0], xs[3]};
  if (ys != expected) {
    FailTensor(out, "shape " + ShapeToString(ys) + ", expected " +
                        ShapeToString(expected));
  }
  Activation(in[0]);
  const ActQuant yq = Activation(out);
  BeginLayer("mean", out, {Source(in[0])});
  y_ << "    keep_dims: " << (keep ? "true" : "false")
     << "\n    output_scale: " << Real(yq.scale)
     << "\n    output_zero_point: " << yq.zp << "\n";
  names_[out] = layer_;
}

void Importer::Concat(const tflite::Operator* op) {
  const std::vector<int> in = Inputs(op, 1, 1024);
  const int out = Output(op);
  const auto* o = op->builtin_options_as_ConcatenationOptions();
  if (!o) Fail("has no ConcatenationOptions");
  if (o->fused_activation_function() != tflite::ActivationFunctionType_NONE) {
    Fail("a fused activation on a concatenation is not supported");
  }
  std::vector<std::string> sources;
  for (int t : in) {
    Activation(t);
    sources.push_back(Source(t));
  }
  const ActQuant yq = Activation(out);
  const int rank = static_cast<int>(ShapeOf(out).size());
  const int axis = o->axis() < 0 ? o->axis() + rank : o->axis();
  if (axis < 0 || axis >= rank) {
    Fail("axis " + std::to_string(o->axis()) + " outside rank " +
         std::to_string(rank));
  }
  BeginLayer("concat", out, sources);
  y_ << "    axis: " << axis << "\n    output_scale: " << Real(yq.scale)
     << "\n    output_zero_point: " << yq.zp << "\n";
  names_[out] = layer_;
}

TfliteImport Importer::Run() {
  const auto* subgraphs = model_->subgraphs();
  if (!subgraphs || subgraphs->size() != 1) {
    Fail("expected one subgraph, found " +
         std::to_string(subgraphs ? subgraphs->size() : 0));
  }
  const tflite::SubGraph* g = subgraphs->Get(0);
  tensors_ = g->tensors();
  if (!g->inputs() || g->inputs()->size() != 1) {
    Fail("expected one network input, found " +
         std::to_string(g->inputs() ? g->inputs()->size() : 0));
  }
  if (g->outputs()) {
    graph_outputs_.insert(g->outputs()->begin(), g->outputs()->end());
  }
  const auto* ops = g->operators();
  const auto* codes = model_->operator_codes();
  if (!ops || ops->size() == 0) Fail("the subgraph has no operators");

  int input = g->inputs()->Get(0);
  NeedTensor(input);
  size_t first = 0;
  // A float model input quantized by its first operator: sparq takes the
  // quantized tensor as the network input.
  if (NeedTensor(input)->type() == tflite::TensorType_FLOAT32) {
    const tflite::Operator* q = ops->Get(0);
    const uint32_t idx = q->opcode_index();
    const bool is_quantize =
        codes && idx < codes->size() &&
        std::max<int32_t>(codes->Get(idx)->deprecated_builtin_code(),
                          codes->Get(idx)->builtin_code()) ==
            tflite::BuiltinOperator_QUANTIZE;
    if (!is_quantize || !q->inputs() || q->inputs()->size() != 1 ||
        q->inputs()->Get(0) != input || !q->outputs() ||
        q->outputs()->size() != 1) {
      FailTensor(input,
                 "the network input is FLOAT32 and not quantized by the "
                 "first operator (float models are not supported)");
    }
    input = q->outputs()->Get(0);
    first = 1;
  }
  const ActQuant iq = Activation(input);
  const Shape is = ShapeOf(input);
  if (is.size() != 2 && is.size() != 4) {
    FailTensor(input, "network input of shape " + ShapeToString(is) +
                          " (expected [N, H, W, C] or [N, features])");
  }
  names_[input] = "input";

  std::string stem = fs::path(path_).stem().string();
  std::replace_if(
      stem.begin(), stem.end(),
      [](char c) {
        return !(std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                 c == '-' || c == '.');
      },
      '_');
  if (stem.size() > kMaxNameLength) stem.resize(kMaxNameLength);
  y_ << "# Imported by `sparq import` from " << fs::path(path_).filename()
     << " (docs/import.md).\n";
  if (options_.rows > 0) {
    y_ << "hardware:\n  array: [" << options_.rows << ", " << options_.cols
       << "]\n";
  }
  y_ << "network:\n  name: " << stem << "\n  input:\n"
     << "    shape: " << List(is) << "\n";
  if (options_.input_npy.empty()) {
    y_ << "    random: {seed: " << options_.input_seed << "}\n";
  } else {
    // Quoted: the path may hold characters YAML would read otherwise.
    std::string quoted;
    for (char c : options_.input_npy) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    y_ << "    npy: \"" << quoted << "\"\n";
  }
  y_ << "    zero_point: " << iq.zp << "\n    scale: " << Real(iq.scale)
     << "\nlayers:\n";

  for (size_t i = first; i < ops->size(); ++i) {
    const tflite::Operator* op =
        ops->Get(static_cast<flatbuffers::uoffset_t>(i));
    op_ = static_cast<int>(i);
    const uint32_t idx = op->opcode_index();
    if (!codes || idx >= codes->size()) {
      op_name_ = "?";
      Fail("opcode index " + std::to_string(idx) + " is outside the " +
           std::to_string(codes ? codes->size() : 0) + " operator codes");
    }
    const tflite::OperatorCode* oc = codes->Get(idx);
    // Old files only fill the 8-bit deprecated code, newer ones both.
    const int32_t code =
        std::max<int32_t>(oc->deprecated_builtin_code(), oc->builtin_code());
    op_name_ = OpName(code);
    if (code == 32 && oc->custom_code()) {
      op_name_ += " '" + oc->custom_code()->str() + "'";
    }
    switch (code) {
      case tflite::BuiltinOperator_CONV_2D:
        Conv(op, false);
        break;
      case tflite::BuiltinOperator_DEPTHWISE_CONV_2D:
        Conv(op, true);
        break;
      case tflite::BuiltinOperator_FULLY_CONNECTED:
        FullyConnected(op);
        break;
      case tflite::BuiltinOperator_AVERAGE_POOL_2D:
        Pool(op, true);
        break;
      case tflite::BuiltinOperator_MAX_POOL_2D:
        Pool(op, false);
        break;
      case tflite::BuiltinOperator_ADD:
        Add(op);
        break;
      case tflite::BuiltinOperator_RESHAPE:
        Reshape(op);
        break;
      case tflite::BuiltinOperator_SOFTMAX:
        Softmax(op);
        break;
      case tflite::BuiltinOperator_PAD:
        Pad(op);
        break;
      case tflite::BuiltinOperator_MEAN:
        Mean(op);
        break;
      case tflite::BuiltinOperator_CONCATENATION:
        Concat(op);
        break;
      case tflite::BuiltinOperator_DEQUANTIZE: {
        // Only as the last step to a float network output, which sparq
        // leaves to the caller.
        const std::vector<int> in = Inputs(op, 1, 1);
        const int out = Output(op);
        if (!graph_outputs_.count(out)) {
          FailTensor(out, "DEQUANTIZE is supported only at a network output");
        }
        Source(in[0]);
        Activation(in[0]);
        break;
      }
      case tflite::BuiltinOperator_QUANTIZE:
        Fail("QUANTIZE is supported only on the float network input");
      default:
        Fail(
            "operator not supported by sparq import (docs/import.md lists "
            "the supported ones)");
    }
  }
  op_ = -1;
  if (layers_ == 0) Fail("the model has no layer sparq can run");
  out_.yaml = y_.str();
  return std::move(out_);
}

}  // namespace

TfliteImport ImportTfliteBytes(const std::string& bytes,
                               const std::string& path,
                               const TfliteImportOptions& options) {
  // The verifier needs the buffer at a stable, suitably aligned address.
  std::vector<uint8_t> buf(bytes.begin(), bytes.end());
  if (buf.size() < 8 || !flatbuffers::BufferHasIdentifier(
                            buf.data(), tflite::ModelIdentifier())) {
    throw InputError(path +
                     ": not a TFLite model (expected a flatbuffer with file "
                     "identifier 'TFL3')");
  }
  flatbuffers::Verifier verifier(buf.data(), buf.size());
  if (!tflite::VerifyModelBuffer(verifier)) {
    throw InputError(path +
                     ": corrupt or truncated TFLite file (the flatbuffers "
                     "verifier rejects it)");
  }
  return Importer(tflite::GetModel(buf.data()), path, options).Run();
}

TfliteImport ImportTflite(const std::string& path,
                          const TfliteImportOptions& options) {
  // A regular file only (never blocks on a FIFO); FlatBuffers address at
  // most 2 GiB.
  const std::string bytes =
      ReadInputFile(path, "TFLite file", uint64_t{1} << 31);
  return ImportTfliteBytes(bytes, path, options);
}

void WriteTfliteImport(const TfliteImport& model, const std::string& dir,
                       const std::string& yaml_name) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw InputError(dir + ": cannot create the folder (" + ec.message() + ")");
  }
  for (const auto& [name, t] : model.int8_npy) {
    SaveNpy((fs::path(dir) / name).string(), t);
  }
  for (const auto& [name, t] : model.int32_npy) {
    SaveNpy((fs::path(dir) / name).string(), t);
  }
  const std::string yaml = (fs::path(dir) / yaml_name).string();
  std::ofstream out(yaml, std::ios::binary);
  out << model.yaml;
  out.close();
  if (!out) throw InputError(yaml + ": cannot write the YAML file");
}

}  // namespace sparq
