// Seeded random quantized layers for the executor tests (compiler and
// machine-model tests in tests/sw, the RTL end-to-end test): conv (stride,
// asymmetric padding wider than the kernel, dilation, groups, depthwise,
// 1x1, batch) and fully connected, with sizes that are not multiples of the
// array, random zero points, clamps and biases (sometimes none). Everything
// is drawn from SplitMix64 (golden/random.h), so a seed names the same layer
// with every compiler and standard library.

#ifndef SPARQ_TESTS_COMMON_RANDOM_LAYERS_H_
#define SPARQ_TESTS_COMMON_RANDOM_LAYERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "golden/network.h"
#include "golden/random.h"

namespace sparq {

// Uniform in [lo, hi], both inclusive.
int RandInt(SplitMix64* rng, int lo, int hi);
// Uniform in [lo, hi).
double RandReal(SplitMix64* rng, double lo, double hi);
// True with probability p.
bool Coin(SplitMix64* rng, double p);

Tensor<int8_t> RandomTensor(SplitMix64* rng, const Shape& shape, int lo = -128,
                            int hi = 127);

// Zero points, a clamp (none, ReLU or ReLU6-like) and per-channel
// multipliers that keep most outputs of a `reduction`-long dot product
// inside the clamp, so comparisons see requantized values, not saturation.
QuantParams RandomQuant(SplitMix64* rng, int channels, int reduction);
// One in ten times empty (a layer without a bias tensor).
std::vector<int32_t> RandomBias(SplitMix64* rng, int channels, int reduction);

// Layers with random weights, bias and quantization reading "input".
Layer RandomConvLayer(SplitMix64* rng, const std::string& name, int cin,
                      int cout, int kh, int kw, const ConvGeometry& geom);
Layer RandomFcLayer(SplitMix64* rng, const std::string& name, int in, int out);
// The layer behind a random input of `input` shape.
Network OneLayerNetwork(SplitMix64* rng, const Shape& input, Layer layer);

struct RandomLayerOptions {
  int max_hw = 14;        // input height/width upper bound
  int max_channels = 24;  // per layer (grouped: per group, at most 7)
  int max_kernel = 3;
  int max_stride = 2;
  int max_pad = 2;    // per side (left: one more), independent of the kernel
  int max_batch = 1;  // conv: batch 2 one time in five when above 1
  bool allow_large = true;  // occasionally a layer that needs several tiles
                            // of every SRAM on the 4x4 build
  // A narrow mode redraws the weights inside its range (after the layer is
  // drawn, so the shapes of a seed do not depend on it) and scales the
  // multipliers and the bias to the smaller dot products.
  Precision precision = Precision::kA8W8;
};

// One conv layer named `name`, with an input large enough for at least one
// output pixel.
Network RandomConvNetwork(SplitMix64* rng, const std::string& name,
                          const RandomLayerOptions& opts = {});
// One fc layer on a [N, features] or a flattened NHWC input.
Network RandomFcNetwork(SplitMix64* rng, const std::string& name,
                        const RandomLayerOptions& opts = {});
// A one-layer network named "layer" drawn from `seed`: fc one time in ten,
// else conv.
Network RandomLayerNetwork(uint64_t seed, const RandomLayerOptions& opts = {});

// Every element -1 or +1.
void RandomizeSigns(SplitMix64* rng, Tensor<int8_t>* t);
// A one-layer A1W1 network drawn from `seed`: fc one time in five, else a
// conv (odd channel counts, padding, stride, dilation; grouped with Cin_g a
// multiple of 8, the array's rule), input and weights +-1, zero point 0.
Network RandomA1W1Network(uint64_t seed);

// DRAM timing of a random run: read latency 1..63 (mostly short, sometimes
// long) and a stall probability of 0, 10% or 35% per cycle and channel.
struct DramTiming {
  int latency = 20;
  double stall = 0;
};
DramTiming RandomDramTiming(SplitMix64* rng);
// Redraws a conv / fc layer's weights inside `precision`'s range and scales
// its multipliers and bias to the smaller dot products (A8W8: no change);
// A4W4 also redraws the zero points and the clamp inside int4 (the input
// tensor is the caller's: RandomLayerNetwork redraws it in [-8, 7]). A1W1
// draws weights +-1 and sets the input zero point 0 (the caller redraws the
// input +-1).
void NarrowLayer(SplitMix64* rng, Precision precision, Layer* layer);

// The layer's name, kind, input and weight shapes, geometry, bias, zero
// points and clamp, for test traces.
std::string DescribeLayer(const Network& net);

}  // namespace sparq

#endif  // SPARQ_TESTS_COMMON_RANDOM_LAYERS_H_
