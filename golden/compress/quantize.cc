#include "golden/compress/quantize.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "golden/compress/train.h"
#include "golden/precision.h"
#include "golden/requant.h"

namespace sparq {

ActQuant ChooseActQuant(float lo, float hi) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  ActQuant q;
  q.scale = hi > lo ? (hi - lo) / 255.0f : 1.0f;
  const float zp = std::round(-128.0f - lo / q.scale);
  q.zero_point = static_cast<int>(std::clamp(zp, -128.0f, 127.0f));
  return q;
}

Tensor<int8_t> MakeIntegerInput(const Dataset& ds, int begin, int n) {
  Tensor<int8_t> t({n, kImageSide, kImageSide, 1});
  const uint8_t* src =
      ds.pixels.data() + static_cast<size_t>(begin) * kImageSide * kImageSide;
  for (size_t i = 0; i < t.data.size(); ++i) {
    t.data[i] = static_cast<int8_t>(static_cast<int>(src[i]) + kInputZeroPoint);
  }
  return t;
}

namespace {

struct Range {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
};

// Min/max of every layer's output over the calibration set.
std::vector<Range> CalibrateRanges(Model& model, const Dataset& calib) {
  std::vector<Range> ranges(static_cast<size_t>(model.size()));
  constexpr int kBatch = 500;
  std::vector<int> idx;
  for (int begin = 0; begin < calib.count; begin += kBatch) {
    const int n = std::min(kBatch, calib.count - begin);
    idx.resize(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), begin);
    Act a = MakeBatch(calib, idx);
    for (int i = 0; i < model.size(); ++i) {
      a = model.layer(i)->Forward(a, false);
      Range& r = ranges[static_cast<size_t>(i)];
      r.lo = std::min(r.lo, a.x.minCoeff());
      r.hi = std::max(r.hi, a.x.maxCoeff());
    }
  }
  return ranges;
}

// The mode a layer's codes run in; binary weights on int8 activations are
// ternary codes that never use 0.
Precision PrecisionOf(WeightQuant q, bool binary_input) {
  switch (q) {
    case WeightQuant::kInt4:
      return Precision::kA8W4;
    case WeightQuant::kTernary:
      return Precision::kA8W2;
    case WeightQuant::kBinary:
      return binary_input ? Precision::kA1W1 : Precision::kA8W2;
    case WeightQuant::kFloat:
    case WeightQuant::kInt8:
      break;
  }
  return Precision::kA8W8;
}

Layer MakeWeightLayer(const WeightLayer& wl, const ActQuant& in,
                      const ActQuant& out, bool relu, bool binary_input,
                      std::vector<float>* weight_scales) {
  Layer l;
  l.name = wl.name();
  Mat w = wl.weight().value;
  if (wl.weight().mask.size() != 0) w.array() *= wl.weight().mask.array();
  const WeightQuant mode =
      wl.quant() == WeightQuant::kFloat ? WeightQuant::kInt8 : wl.quant();
  std::vector<int8_t> codes;
  QuantizeRows(w, mode, &codes, weight_scales);
  const int outs = static_cast<int>(w.rows());
  if (const auto* conv = dynamic_cast<const Conv2d*>(&wl)) {
    const ConvSpec& s = conv->spec();
    l.kind = LayerKind::kConv;
    l.weights = Tensor<int8_t>({s.out_c, s.kh, s.kw, s.in_c / s.groups});
    l.geom.stride_h = s.stride_h;
    l.geom.stride_w = s.stride_w;
    l.geom.pad_top = l.geom.pad_bottom = s.pad_h;
    l.geom.pad_left = l.geom.pad_right = s.pad_w;
    l.geom.groups = s.groups;
  } else {
    l.kind = LayerKind::kFc;
    l.weights = Tensor<int8_t>({outs, static_cast<int>(w.cols())});
  }
  l.weights.data = codes;
  l.precision = PrecisionOf(mode, binary_input);
  l.bias.resize(static_cast<size_t>(outs));
  l.quant.in_zp = in.zero_point;
  l.quant.out_zp = out.zero_point;
  // A fused ReLU clamps at the quantized real 0, which is the zero point.
  l.quant.act_min = relu ? out.zero_point : -128;
  l.quant.act_max = 127;
  l.quant.multiplier.resize(static_cast<size_t>(outs));
  l.quant.shift.resize(static_cast<size_t>(outs));
  for (int o = 0; o < outs; ++o) {
    const double acc_scale =
        double{in.scale} * (*weight_scales)[static_cast<size_t>(o)];
    const double b = std::round(wl.bias().value(0, o) / acc_scale);
    l.bias[static_cast<size_t>(o)] =
        static_cast<int32_t>(std::clamp(b, -2147483648.0, 2147483647.0));
    QuantizeMultiplier(acc_scale / out.scale,
                       &l.quant.multiplier[static_cast<size_t>(o)],
                       &l.quant.shift[static_cast<size_t>(o)]);
  }
  return l;
}

// Requantization by exactly 2 plus 1, clamped to [-1, 1]: the sign of the
// accumulator v (+1 for v >= 0), exact while 4|v| does not wrap int32.
void MakeSignOutput(Layer* l) {
  const int outs = l->weights.dim(0);
  const int64_t k = static_cast<int64_t>(l->weights.size()) / outs;
  const int64_t act = l->precision == Precision::kA1W1 ? 1 : 255;
  int64_t bias = 0;
  for (int32_t b : l->bias) bias = std::max<int64_t>(bias, std::llabs(b));
  if (bias + k * act * 128 >= (int64_t{1} << 29)) {
    throw std::logic_error("layer '" + l->name +
                           "': a sign output needs accumulators below 2^29");
  }
  l->quant.multiplier.assign(static_cast<size_t>(outs), 1 << 30);
  l->quant.shift.assign(static_cast<size_t>(outs), 2);
  l->quant.out_zp = 1;
  l->quant.act_min = -1;
  l->quant.act_max = 1;
}

}  // namespace

QuantizedModel QuantizeModel(Model& model, const Dataset& calib) {
  const std::vector<Range> ranges = CalibrateRanges(model, calib);
  QuantizedModel qm;
  qm.net.name = "fashion_mnist";
  ActQuant cur{kInputScale, kInputZeroPoint};
  std::string prev = "input";
  bool binary_input = false;
  for (int i = 0; i < model.size(); ++i) {
    const Module* src = model.layer(i);
    Layer l;
    if (std::string(src->Kind()) == "sign") {
      // Folded into the next conv/fc, which reads +-1 (scale 1, zero 0).
      binary_input = true;
      cur = ActQuant{1.0f, 0};
      continue;
    }
    if (const auto* wl = dynamic_cast<const WeightLayer*>(src)) {
      assert(!binary_input || wl->quant() == WeightQuant::kBinary);
      const bool relu = i + 1 < model.size() &&
                        std::string(model.layer(i + 1)->Kind()) == "relu";
      const int range_at = relu ? i + 1 : i;
      const Range& r = ranges[static_cast<size_t>(range_at)];
      const ActQuant out = ChooseActQuant(r.lo, r.hi);
      std::vector<float> scales;
      l = MakeWeightLayer(*wl, cur, out, relu, binary_input, &scales);
      qm.weight_scales.push_back(std::move(scales));
      cur = out;
      if (relu) ++i;
    } else if (const auto* pool = dynamic_cast<const MaxPool2d*>(src)) {
      l.name = pool->name();
      l.kind = LayerKind::kMaxPool;
      l.pool.kh = l.pool.kw = pool->k();
      l.pool.stride_h = l.pool.stride_w = pool->stride();
      qm.weight_scales.emplace_back();
    } else if (std::string(src->Kind()) == "flatten") {
      l.name = src->name();
      l.kind = LayerKind::kFlatten;
      qm.weight_scales.emplace_back();
    } else {
      assert(false && "layer kind without an integer form");
    }
    assert(!binary_input || l.kind == LayerKind::kConv ||
           l.kind == LayerKind::kFc);
    l.inputs = {prev};
    prev = l.name;
    qm.net.layers.push_back(std::move(l));
    qm.act.push_back(cur);
    qm.binary_input.push_back(binary_input);
    binary_input = false;
  }
  qm.sign_output.assign(qm.net.layers.size(), false);
  size_t k = 0;
  int producer = -1;  // net index of the last conv/fc, while the chain from
                      // it holds only maxpool and flatten
  for (int i = 0; i < model.size(); ++i) {
    const std::string kind = model.layer(i)->Kind();
    if (kind == "sign") {
      if (producer >= 0) {
        qm.sign_output[static_cast<size_t>(producer)] = true;
        for (size_t j = static_cast<size_t>(producer); j < k; ++j) {
          qm.act[j] = ActQuant{1.0f, 0};
        }
      } else {
        assert(false && "a sign without a conv/fc producing its input");
      }
      continue;
    }
    if (kind == "relu") continue;  // fused into the previous net layer
    if (kind == "conv" || kind == "fc") {
      producer = static_cast<int>(k);
    } else if (kind != "maxpool" && kind != "flatten") {
      producer = -1;
    }
    ++k;
  }
  for (size_t j = 0; j < qm.net.layers.size(); ++j) {
    if (qm.sign_output[j]) MakeSignOutput(&qm.net.layers[j]);
  }
  return qm;
}

std::map<std::string, Tensor<int8_t>> RunQuantized(
    const QuantizedModel& qm, const Tensor<int8_t>& input) {
  Network net = qm.net;
  net.input = input;
  return RunNetworkReference(net);
}

double EvaluateInteger(const QuantizedModel& qm, const Dataset& ds, int batch) {
  int64_t correct = 0;
  for (int begin = 0; begin < ds.count; begin += batch) {
    const int n = std::min(batch, ds.count - begin);
    const auto values = RunQuantized(qm, MakeIntegerInput(ds, begin, n));
    const Tensor<int8_t>& logits = values.at(qm.net.layers.back().name);
    const int classes = logits.dim(1);
    for (int i = 0; i < n; ++i) {
      const int8_t* row = logits.data.data() + static_cast<size_t>(i) * classes;
      const int arg =
          static_cast<int>(std::max_element(row, row + classes) - row);
      correct += arg == ds.labels[static_cast<size_t>(begin + i)];
    }
  }
  return ds.count ? static_cast<double>(correct) / ds.count : 0.0;
}

}  // namespace sparq
