// The YAML layer types added for whole networks: depthwise (TFLite weight
// layout), softmax, reshape, pad, mean, concat, and their error messages.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "golden/errors.h"
#include "golden/random.h"
#include "sim/network_yaml.h"

namespace sparq {
namespace {

using ::testing::HasSubstr;

// Layers start on line 8.
const char kHeader[] =
    "network:\n"
    "  name: t\n"
    "  input:\n"
    "    shape: [1, 4, 4, 2]\n"
    "    random: {seed: 1}\n"
    "    scale: 0.5\n"
    "layers:\n";

RunConfig Parse(const std::string& layers) {
  return ParseRunConfig(std::string(kHeader) + layers, "net.yaml", "");
}

std::string ErrorOf(const std::string& layers) {
  try {
    Parse(layers);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(HostLayersYamlTest, DepthwiseTakesTfliteLayout) {
  const RunConfig c = Parse(
      "  - name: dw\n"
      "    type: depthwise\n"
      "    channel_multiplier: 3\n"
      "    kernel: [3, 2]\n"
      "    padding: same\n"
      "    weights: {random: {seed: 9}}\n"
      "    weight_scale: 0.01\n"
      "    output_scale: 0.1\n");
  const Layer& l = c.net.layers[0];
  EXPECT_EQ(l.kind, LayerKind::kConv);
  EXPECT_EQ(l.geom.groups, 2);
  EXPECT_EQ(l.weights.shape, (Shape{6, 3, 2, 1}));
  EXPECT_EQ(c.shapes.at("dw"), (Shape{1, 4, 4, 6}));
  // The random tensor is drawn in TFLite's [1, kh, kw, C*m] order: element
  // (y, x, o) is draw number (y*2 + x)*6 + o.
  SplitMix64 rng(9);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 2; ++x) {
      for (int o = 0; o < 6; ++o) {
        EXPECT_EQ(l.weights.at(o, y, x, 0), rng.Uniform(-127, 127))
            << y << "," << x << "," << o;
      }
    }
  }
  EXPECT_THAT(ErrorOf("  - name: dw\n"
                      "    type: depthwise\n"
                      "    out_channels: 4\n"
                      "    kernel: 3\n"),
              HasSubstr("net.yaml:10: field 'layers[0].out_channels': not a "
                        "field of a depthwise layer"));
}

TEST(HostLayersYamlTest, SoftmaxFromBetaOrReadyMade) {
  const RunConfig c = Parse(
      "  - name: f\n"
      "    type: flatten\n"
      "  - name: s\n"
      "    type: softmax\n"
      "    beta: 0.5\n"
      "  - name: s2\n"
      "    type: softmax\n"
      "    input: f\n"
      "    multiplier: 1881344896\n"
      "    shift: 24\n"
      "    diff_min: -124\n");
  // 0.5 * 0.5 * 2^26 = 2^24: M0 = 2^30, left shift 25, diff_min
  // -floor(31 * 2^26 / 2^25) = -62.
  EXPECT_EQ(c.net.layers[1].softmax.input_multiplier, 1 << 30);
  EXPECT_EQ(c.net.layers[1].softmax.input_left_shift, 25);
  EXPECT_EQ(c.net.layers[1].softmax.diff_min, -62);
  EXPECT_EQ(c.net.layers[2].softmax.input_multiplier, 1881344896);
  EXPECT_EQ(*c.quant.at("s").scale, 1.0 / 256);
  EXPECT_EQ(c.quant.at("s").zero_point, -128);
  EXPECT_EQ(ErrorOf("  - name: s\n"
                    "    type: softmax\n"
                    "    beta: 1\n"
                    "    shift: 3\n"),
            "net.yaml:10: field 'layers[0].beta': expected either beta or a "
            "ready-made multiplier, shift and diff_min, got both");
}

TEST(HostLayersYamlTest, ReshapePadMeanConcat) {
  const RunConfig c = Parse(
      "  - name: p\n"
      "    type: pad\n"
      "    paddings: [[0, 0], [1, 1], [0, 2], [0, 0]]\n"
      "  - name: m\n"
      "    type: mean\n"
      "    output_scale: 0.25\n"
      "    output_zero_point: 3\n"
      "  - name: r\n"
      "    type: reshape\n"
      "    input: m\n"
      "    shape: [1, 2]\n"
      "  - name: cat\n"
      "    type: concat\n"
      "    input: [r, r]\n"
      "    output_scale: 0.125\n");
  EXPECT_EQ(c.shapes.at("p"), (Shape{1, 6, 6, 2}));
  EXPECT_EQ(c.shapes.at("m"), (Shape{1, 1, 1, 2}));
  // x2.0: M0 = 2^30, shift 2.
  EXPECT_EQ(c.net.layers[1].mean.multiplier, 1 << 30);
  EXPECT_EQ(c.net.layers[1].mean.shift, 2);
  EXPECT_EQ(c.net.layers[1].mean.out_zp, 3);
  EXPECT_EQ(c.shapes.at("cat"), (Shape{1, 4}));
  EXPECT_EQ(c.net.layers[3].concat.in_scales,
            (std::vector<double>{0.25, 0.25}));
  EXPECT_EQ(c.net.layers[3].concat.in_zps, (std::vector<int32_t>{3, 3}));
  EXPECT_EQ(c.net.layers[3].concat.out_zp, 3);  // defaults to input 0's

  EXPECT_EQ(ErrorOf("  - name: r\n"
                    "    type: reshape\n"
                    "    shape: [1, 5]\n"),
            "net.yaml:10: field 'layers[0].shape': expected a shape of 32 "
            "elements (the input is [1, 4, 4, 2]), got [1, 5]");
  EXPECT_THAT(ErrorOf("  - name: p\n"
                      "    type: pad\n"
                      "    paddings: [[0, 0], [1, 1]]\n"),
              HasSubstr("field 'layers[0].paddings': expected a list of 4 "
                        "[before, after] pairs"));
  EXPECT_THAT(ErrorOf("  - name: c\n"
                      "    type: concat\n"
                      "    input: input\n"),
              HasSubstr("field 'layers[0].input': expected a list of earlier "
                        "tensor names"));
  EXPECT_THAT(ErrorOf("  - name: c\n"
                      "    type: concat\n"
                      "    input: [input, input]\n"
                      "    axis: 4\n"),
              HasSubstr("field 'layers[0].axis'"));
}

}  // namespace
}  // namespace sparq
