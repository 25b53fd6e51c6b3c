#include "tests/common/random_layers.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "golden/requant.h"

namespace sparq {

int RandInt(SplitMix64* rng, int lo, int hi) {
  return static_cast<int>(rng->Uniform(lo, hi));
}

double RandReal(SplitMix64* rng, double lo, double hi) {
  return lo + (hi - lo) * rng->Unit();
}

bool Coin(SplitMix64* rng, double p) { return rng->Bernoulli(p); }

Tensor<int8_t> RandomTensor(SplitMix64* rng, const Shape& shape, int lo,
                            int hi) {
  Tensor<int8_t> t(shape);
  for (int8_t& v : t.data) v = static_cast<int8_t>(RandInt(rng, lo, hi));
  return t;
}

QuantParams RandomQuant(SplitMix64* rng, int channels, int reduction) {
  QuantParams q;
  q.in_zp = RandInt(rng, -128, 127);
  q.out_zp = RandInt(rng, -60, 60);
  switch (RandInt(rng, 0, 3)) {
    case 0:
      q.act_min = q.out_zp;  // ReLU
      break;
    case 1:
      q.act_min = q.out_zp;  // ReLU6-like
      q.act_max = std::min(127, q.out_zp + 60);
      break;
    default:
      break;
  }
  // |a - in_zp| reaches 255 and |w| 128: the accumulator spreads about
  // 128 * 80 * sqrt(reduction) for these distributions.
  const double spread =
      128.0 * 80.0 * std::sqrt(static_cast<double>(reduction));
  for (int c = 0; c < channels; ++c) {
    int32_t m;
    int s;
    QuantizeMultiplier(RandReal(rng, 0.2, 1.0) * 60.0 / spread, &m, &s);
    q.multiplier.push_back(m);
    q.shift.push_back(s);
  }
  return q;
}

std::vector<int32_t> RandomBias(SplitMix64* rng, int channels, int reduction) {
  std::vector<int32_t> b;
  if (RandInt(rng, 0, 9) == 0) return b;
  const int range = static_cast<int>(4000 * std::sqrt(reduction));
  for (int c = 0; c < channels; ++c) b.push_back(RandInt(rng, -range, range));
  return b;
}

Layer RandomConvLayer(SplitMix64* rng, const std::string& name, int cin,
                      int cout, int kh, int kw, const ConvGeometry& geom) {
  Layer l;
  l.name = name;
  l.kind = LayerKind::kConv;
  l.inputs = {"input"};
  l.geom = geom;
  const int taps = kh * kw * (cin / geom.groups);
  l.weights = RandomTensor(rng, {cout, kh, kw, cin / geom.groups});
  l.bias = RandomBias(rng, cout, taps);
  l.quant = RandomQuant(rng, cout, taps);
  return l;
}

Layer RandomFcLayer(SplitMix64* rng, const std::string& name, int in, int out) {
  Layer l;
  l.name = name;
  l.kind = LayerKind::kFc;
  l.inputs = {"input"};
  l.weights = RandomTensor(rng, {out, in});
  l.bias = RandomBias(rng, out, in);
  l.quant = RandomQuant(rng, out, in);
  return l;
}

Network OneLayerNetwork(SplitMix64* rng, const Shape& input, Layer layer) {
  Network net;
  net.name = layer.name;
  net.input = RandomTensor(rng, input);
  net.layers.push_back(std::move(layer));
  return net;
}

Network RandomConvNetwork(SplitMix64* rng, const std::string& name,
                          const RandomLayerOptions& opts) {
  const bool large = opts.allow_large && RandInt(rng, 0, 11) == 0;
  ConvGeometry g;
  int cin, cout;
  switch (RandInt(rng, 0, 5)) {
    case 0:  // depthwise, channel multiplier 1 or 2
      cin = RandInt(rng, 1, 12);
      g.groups = cin;
      cout = cin * RandInt(rng, 1, 2);
      break;
    case 1:  // grouped
      g.groups = RandInt(rng, 2, 3);
      cin = g.groups * RandInt(rng, 1, std::min(7, opts.max_channels));
      cout = g.groups * RandInt(rng, 1, std::min(7, opts.max_channels));
      break;
    default:
      cin = large ? RandInt(rng, 13, 20) : RandInt(rng, 1, opts.max_channels);
      cout = large ? RandInt(rng, 9, 20) : RandInt(rng, 1, opts.max_channels);
      break;
  }
  const bool one_by_one = RandInt(rng, 0, 5) == 0;
  const int kh = one_by_one ? 1 : RandInt(rng, 1, opts.max_kernel);
  const int kw = one_by_one ? 1 : RandInt(rng, 1, opts.max_kernel);
  g.stride_h = RandInt(rng, 1, opts.max_stride);
  g.stride_w = RandInt(rng, 1, opts.max_stride);
  g.dilation_h = RandInt(rng, 0, 2) == 0 ? 2 : 1;
  g.dilation_w = RandInt(rng, 0, 2) == 0 ? 2 : 1;
  g.pad_top = RandInt(rng, 0, opts.max_pad);
  g.pad_bottom = RandInt(rng, 0, opts.max_pad);
  g.pad_left = RandInt(rng, 0, opts.max_pad + 1);
  g.pad_right = RandInt(rng, 0, opts.max_pad);
  const int h = large ? RandInt(rng, 18, 24) : RandInt(rng, 1, opts.max_hw);
  const int w = large ? RandInt(rng, 18, 24) : RandInt(rng, 1, opts.max_hw);
  const int batch = opts.max_batch > 1 && RandInt(rng, 0, 4) == 0 ? 2 : 1;
  // Keep at least one output pixel.
  const int in_h =
      std::max(h, g.dilation_h * (kh - 1) + 1 - g.pad_top - g.pad_bottom);
  const int in_w =
      std::max(w, g.dilation_w * (kw - 1) + 1 - g.pad_left - g.pad_right);
  return OneLayerNetwork(rng, {batch, in_h, in_w, cin},
                         RandomConvLayer(rng, name, cin, cout, kh, kw, g));
}

Network RandomFcNetwork(SplitMix64* rng, const std::string& name,
                        const RandomLayerOptions& opts) {
  const int batch = RandInt(rng, 1, std::max(1, opts.max_batch));
  Shape in;
  if (Coin(rng, 0.5)) {
    in = {batch, RandInt(rng, 1, 40)};
  } else {
    in = {batch, RandInt(rng, 1, 4), RandInt(rng, 1, 4), RandInt(rng, 1, 40)};
  }
  const int features = static_cast<int>(NumElements(in)) / batch;
  return OneLayerNetwork(
      rng, in, RandomFcLayer(rng, name, features, RandInt(rng, 1, 37)));
}

void NarrowLayer(SplitMix64* rng, Precision precision, Layer* layer) {
  if (precision == Precision::kA8W8) return;
  Layer& l = *layer;
  l.precision = precision;
  int lo = 0, hi = 0;
  WeightRange(precision, &lo, &hi);
  const bool a1 = precision == Precision::kA1W1;
  for (int8_t& v : l.weights.data) {
    v = static_cast<int8_t>(a1 ? 2 * RandInt(rng, 0, 1) - 1
                               : RandInt(rng, lo, hi));
  }
  if (a1) {
    // +-1 dot products spread about sqrt(K), 2^13 less than int8's.
    for (size_t c = 0; c < l.quant.shift.size(); ++c) {
      if (l.quant.multiplier[c] != 0) {
        l.quant.shift[c] = std::min(30, l.quant.shift[c] + 13);
      }
    }
    for (int32_t& b : l.bias) b /= (1 << 13);
    l.quant.in_zp = 0;
    return;
  }
  // About 16x (int4) or 64x (ternary) smaller dot products than int8.
  // A4W4: int4 activations too (about 20x smaller), zero points and clamp
  // inside int4, outputs about 20x smaller: multipliers up 2^4, bias down
  // 2^8 like the dot products.
  const bool a4 = precision == Precision::kA4W4;
  const int scale_log2 = hi >= 7 ? 4 : 6;
  const int bias_log2 = a4 ? 8 : scale_log2;
  for (size_t c = 0; c < l.quant.shift.size(); ++c) {
    if (l.quant.multiplier[c] != 0) {
      l.quant.shift[c] = std::min(30, l.quant.shift[c] + scale_log2);
    }
  }
  for (int32_t& b : l.bias) b /= (1 << bias_log2);
  if (a4) {
    QuantParams& q = l.quant;
    q.in_zp = RandInt(rng, -3, 3);
    const int out_zp = RandInt(rng, -4, 3);
    const bool relu = q.act_min == q.out_zp;
    q.act_min = relu ? out_zp : -8;
    q.act_max = q.act_max == 127 ? 7 : std::min(7, out_zp + 6);
    q.out_zp = out_zp;
  }
}

Network RandomLayerNetwork(uint64_t seed, const RandomLayerOptions& opts) {
  SplitMix64 rng(seed);
  Network net = RandInt(&rng, 0, 9) == 0
                    ? RandomFcNetwork(&rng, "layer", opts)
                    : RandomConvNetwork(&rng, "layer", opts);
  net.name = "random" + std::to_string(seed);
  NarrowLayer(&rng, opts.precision, &net.layers.front());
  if (opts.precision == Precision::kA4W4) {
    net.input = RandomTensor(&rng, net.input.shape, -8, 7);
  }
  if (opts.precision == Precision::kA1W1) RandomizeSigns(&rng, &net.input);
  return net;
}

void RandomizeSigns(SplitMix64* rng, Tensor<int8_t>* t) {
  for (int8_t& v : t->data) v = static_cast<int8_t>(2 * RandInt(rng, 0, 1) - 1);
}

Network RandomA1W1Network(uint64_t seed) {
  SplitMix64 rng(seed);
  Network net;
  if (RandInt(&rng, 0, 4) == 0) {
    const int batch = RandInt(&rng, 1, 3);
    const Shape in = Coin(&rng, 0.5)
                         ? Shape{batch, RandInt(&rng, 1, 90)}
                         : Shape{batch, RandInt(&rng, 1, 3),
                                 RandInt(&rng, 1, 3), RandInt(&rng, 1, 20)};
    const int features = static_cast<int>(NumElements(in)) / batch;
    net = OneLayerNetwork(&rng, in,
                          RandomFcLayer(&rng, "layer", features,
                                        RandInt(&rng, 1, 21)));
  } else {
    ConvGeometry g;
    int cin, cout;
    if (RandInt(&rng, 0, 4) == 0) {  // grouped: a group's signs start on a byte
      g.groups = RandInt(&rng, 2, 3);
      cin = g.groups * 8 * RandInt(&rng, 1, 2);
      cout = g.groups * RandInt(&rng, 1, 6);
    } else {
      cin = RandInt(&rng, 1, 45);
      cout = RandInt(&rng, 1, 13);
    }
    const int kh = RandInt(&rng, 1, 3), kw = RandInt(&rng, 1, 3);
    g.stride_h = RandInt(&rng, 1, 2);
    g.stride_w = RandInt(&rng, 1, 2);
    g.dilation_h = RandInt(&rng, 0, 3) == 0 ? 2 : 1;
    g.dilation_w = RandInt(&rng, 0, 3) == 0 ? 2 : 1;
    g.pad_top = RandInt(&rng, 0, 2);
    g.pad_bottom = RandInt(&rng, 0, 2);
    g.pad_left = RandInt(&rng, 0, 3);
    g.pad_right = RandInt(&rng, 0, 2);
    const int h = std::max(RandInt(&rng, 1, 11),
                           g.dilation_h * (kh - 1) + 1 - g.pad_top -
                               g.pad_bottom);
    const int w = std::max(RandInt(&rng, 1, 11),
                           g.dilation_w * (kw - 1) + 1 - g.pad_left -
                               g.pad_right);
    net = OneLayerNetwork(&rng, {RandInt(&rng, 0, 5) == 0 ? 2 : 1, h, w, cin},
                          RandomConvLayer(&rng, "layer", cin, cout, kh, kw, g));
  }
  net.name = "a1w1_random" + std::to_string(seed);
  NarrowLayer(&rng, Precision::kA1W1, &net.layers.front());
  RandomizeSigns(&rng, &net.input);
  return net;
}

DramTiming RandomDramTiming(SplitMix64* rng) {
  const int latencies[] = {1, 2, 7, 20, 63};
  const double stalls[] = {0.0, 0.1, 0.35};
  DramTiming t;
  t.latency = latencies[RandInt(rng, 0, 4)];
  t.stall = stalls[RandInt(rng, 0, 2)];
  return t;
}

std::string DescribeLayer(const Network& net) {
  const Layer& l = net.layers.front();
  std::ostringstream s;
  s << l.name << ": " << LayerKindName(l.kind) << " in"
    << ShapeToString(net.input.shape) << " w" << ShapeToString(l.weights.shape);
  if (l.kind == LayerKind::kConv) {
    const ConvGeometry& g = l.geom;
    s << " s" << g.stride_h << "x" << g.stride_w << " pad[" << g.pad_top << ","
      << g.pad_left << "," << g.pad_bottom << "," << g.pad_right << "] d"
      << g.dilation_h << "x" << g.dilation_w << " g" << g.groups;
  }
  s << " bias " << (l.bias.empty() ? "none" : std::to_string(l.bias.size()))
    << " in_zp=" << l.quant.in_zp << " out_zp=" << l.quant.out_zp << " ["
    << l.quant.act_min << "," << l.quant.act_max << "]";
  if (l.precision != Precision::kA8W8) s << " " << PrecisionName(l.precision);
  return s.str();
}

}  // namespace sparq
