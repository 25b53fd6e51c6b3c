#include "tests/common/random_layers.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "golden/requant.h"

namespace sparq {
namespace {

int Uniform(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

void FillInt8(std::mt19937& rng, Tensor<int8_t>* t, int lo, int hi) {
  for (auto& v : t->data) v = static_cast<int8_t>(Uniform(rng, lo, hi));
}

// Per-channel scales around the value that maps the accumulator spread onto
// the int8 range, so outputs are neither all clamped nor all zero.
void RandomQuant(std::mt19937& rng, int out_channels, int taps, Layer* l) {
  l->quant.in_zp = Uniform(rng, -20, 20);
  l->quant.out_zp = Uniform(rng, -20, 20);
  switch (Uniform(rng, 0, 3)) {
    case 0:  // relu
      l->quant.act_min = l->quant.out_zp;
      l->quant.act_max = 127;
      break;
    case 1:  // relu6-like
      l->quant.act_min = l->quant.out_zp;
      l->quant.act_max = std::min(127, l->quant.out_zp + 90);
      break;
    default:
      l->quant.act_min = -128;
      l->quant.act_max = 127;
  }
  const double spread = 64.0 * 64.0 * std::sqrt(static_cast<double>(taps));
  for (int c = 0; c < out_channels; ++c) {
    const double real = (60.0 / spread) *
                        std::uniform_real_distribution<double>(0.3, 3.0)(rng);
    int32_t m;
    int s;
    QuantizeMultiplier(real, &m, &s);
    l->quant.multiplier.push_back(m);
    l->quant.shift.push_back(s);
  }
  l->bias.resize(static_cast<size_t>(out_channels));
  for (auto& b : l->bias) b = Uniform(rng, -4000, 4000);
}

}  // namespace

Network RandomLayerNetwork(uint32_t seed, const RandomLayerOptions& opts) {
  std::mt19937 rng(seed * 2654435761u + 12345u);
  Network net;
  net.name = "random" + std::to_string(seed);
  Layer l;
  l.name = "layer";
  l.inputs = {"input"};
  const int kind = Uniform(rng, 0, 9);
  if (kind == 0) {  // fully connected on a flattened NHWC tensor
    l.kind = LayerKind::kFc;
    const int h = Uniform(rng, 1, 4), w = Uniform(rng, 1, 4);
    const int c = Uniform(rng, 1, 40);
    const int out = Uniform(rng, 1, 37);
    net.input = Tensor<int8_t>({1, h, w, c});
    l.weights = Tensor<int8_t>({out, h * w * c});
    FillInt8(rng, &l.weights, -127, 127);
    RandomQuant(rng, out, h * w * c, &l);
  } else {
    l.kind = LayerKind::kConv;
    const bool large = opts.allow_large && Uniform(rng, 0, 11) == 0;
    const int h = large ? Uniform(rng, 18, 24) : Uniform(rng, 1, opts.max_hw);
    const int w = large ? Uniform(rng, 18, 24) : Uniform(rng, 1, opts.max_hw);
    ConvGeometry& g = l.geom;
    int cin, cout;
    const int shape = Uniform(rng, 0, 5);
    if (shape == 0) {  // depthwise, channel multiplier 1 or 2
      cin = Uniform(rng, 1, 12);
      g.groups = cin;
      cout = cin * Uniform(rng, 1, 2);
    } else if (shape == 1) {  // grouped
      g.groups = Uniform(rng, 2, 3);
      cin = g.groups * Uniform(rng, 1, 6);
      cout = g.groups * Uniform(rng, 1, 6);
    } else {
      cin = large ? Uniform(rng, 13, 20) : Uniform(rng, 1, opts.max_channels);
      cout = large ? Uniform(rng, 9, 20) : Uniform(rng, 1, opts.max_channels);
    }
    const bool one_by_one = Uniform(rng, 0, 5) == 0;
    const int kh = one_by_one ? 1 : Uniform(rng, 1, 3);
    const int kw = one_by_one ? 1 : Uniform(rng, 1, 3);
    g.stride_h = Uniform(rng, 1, 2);
    g.stride_w = Uniform(rng, 1, 2);
    g.dilation_h = Uniform(rng, 0, 4) == 0 ? 2 : 1;
    g.dilation_w = Uniform(rng, 0, 4) == 0 ? 2 : 1;
    g.pad_top = Uniform(rng, 0, kh - 1 + (g.dilation_h - 1));
    g.pad_bottom = Uniform(rng, 0, kh - 1);
    g.pad_left = Uniform(rng, 0, kw - 1 + (g.dilation_w - 1));
    g.pad_right = Uniform(rng, 0, kw - 1);
    // Keep at least one output pixel.
    const int eff_h = g.dilation_h * (kh - 1) + 1;
    const int eff_w = g.dilation_w * (kw - 1) + 1;
    const int in_h = std::max(h, eff_h - g.pad_top - g.pad_bottom);
    const int in_w = std::max(w, eff_w - g.pad_left - g.pad_right);
    net.input = Tensor<int8_t>({1, in_h, in_w, cin});
    l.weights = Tensor<int8_t>({cout, kh, kw, cin / g.groups});
    FillInt8(rng, &l.weights, -127, 127);
    RandomQuant(rng, cout, kh * kw * (cin / g.groups), &l);
  }
  FillInt8(rng, &net.input, -128, 127);
  net.layers.push_back(std::move(l));
  return net;
}

std::string DescribeLayer(const Network& net) {
  const Layer& l = net.layers.front();
  std::ostringstream s;
  s << LayerKindName(l.kind) << " in" << ShapeToString(net.input.shape)
    << " w" << ShapeToString(l.weights.shape);
  if (l.kind == LayerKind::kConv) {
    const ConvGeometry& g = l.geom;
    s << " s" << g.stride_h << "x" << g.stride_w << " pad[" << g.pad_top
      << "," << g.pad_left << "," << g.pad_bottom << "," << g.pad_right
      << "] d" << g.dilation_h << "x" << g.dilation_w << " g" << g.groups;
  }
  s << " in_zp=" << l.quant.in_zp << " out_zp=" << l.quant.out_zp << " ["
    << l.quant.act_min << "," << l.quant.act_max << "]";
  return s.str();
}

}  // namespace sparq
