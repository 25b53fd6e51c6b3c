#include "sim/network_yaml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/npy.h"
#include "tests/common/build_paths.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;

const std::string kSource = SPARQ_SOURCE_DIR;
const std::string kData = kSource + "/tests/data/yaml";

// Header shared by the inline cases; layers start on line 8.
const char kHeader[] =
    "network:\n"                 // 1
    "  name: t\n"                // 2
    "  input:\n"                 // 3
    "    shape: [1, 6, 6, 2]\n"  // 4
    "    random: {seed: 1}\n"    // 5
    "    scale: 0.5\n"           // 6
    "layers:\n";                 // 7

// A valid conv layer (lines 8..14 when first).
const char kConv[] =
    "  - name: c\n"
    "    type: conv\n"
    "    out_channels: 4\n"
    "    kernel: 3\n"
    "    weights: {random: {seed: 2}}\n"
    "    weight_scale: 0.5\n"
    "    output_scale: 0.5\n";

RunConfig Parse(const std::string& layers) {
  return ParseRunConfig(std::string(kHeader) + layers, "net.yaml", kData);
}

// The InputError message of parsing `text`, or a test failure.
std::string ErrorOf(const std::string& text) {
  try {
    ParseRunConfig(text, "net.yaml", kData);
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError for:\n" << text;
  return "";
}
std::string LayerError(const std::string& layers) {
  return ErrorOf(std::string(kHeader) + layers);
}

using ::testing::HasSubstr;

// ---------------------------------------------------------------- examples

TEST(NetworkYamlTest, DefaultConfig) {
  const RunConfig c = LoadRunConfig(kSource + "/configs/default.yaml");
  EXPECT_EQ(c.rows, 16);
  EXPECT_EQ(c.cols, 16);
  EXPECT_EQ(c.dram_latency.value_or(-1), 20);
  EXPECT_EQ(c.dram_stall.value_or(-1), 0.0);
  EXPECT_EQ(c.net.name, "resnet18_conv2x_head");
  EXPECT_EQ(c.net.input.shape, (Shape{1, 56, 56, 64}));
  ASSERT_EQ(c.net.layers.size(), 4u);

  const Layer& conv = c.net.layers[0];
  EXPECT_EQ(conv.kind, LayerKind::kConv);
  EXPECT_EQ(conv.inputs, std::vector<std::string>{"input"});
  EXPECT_EQ(conv.weights.shape, (Shape{64, 3, 3, 64}));
  EXPECT_EQ(conv.bias.size(), 64u);
  EXPECT_EQ(conv.geom.pad_top, 1);
  EXPECT_EQ(conv.geom.pad_right, 1);
  EXPECT_EQ(conv.geom.stride_h, 1);
  EXPECT_EQ(conv.quant.in_zp, -128);
  EXPECT_EQ(conv.quant.out_zp, -128);
  EXPECT_EQ(conv.quant.act_min, -128);  // relu at zero point -128
  EXPECT_EQ(conv.quant.act_max, 127);
  // 0.02 * 0.0004 / 0.02 = 0.0004 = 0.8192 * 2^-11.
  EXPECT_EQ(conv.quant.multiplier, std::vector<int32_t>(64, 1759218604));
  EXPECT_EQ(conv.quant.shift, std::vector<int>(64, -11));

  EXPECT_EQ(c.net.layers[1].kind, LayerKind::kAvgPool);
  EXPECT_EQ(c.net.layers[1].pool.kh, 56);
  EXPECT_EQ(c.net.layers[1].pool.stride_w, 56);  // defaults to the kernel
  EXPECT_EQ(c.net.layers[2].kind, LayerKind::kFlatten);
  const Layer& fc = c.net.layers[3];
  EXPECT_EQ(fc.kind, LayerKind::kFc);
  EXPECT_EQ(fc.weights.shape, (Shape{10, 64}));
  EXPECT_EQ(fc.quant.in_zp, -128);  // conv2_1's, through pool and flatten
  // 0.02 * 0.002 / 0.04 = 0.001 = 0.512 * 2^-9.
  EXPECT_EQ(fc.quant.multiplier, std::vector<int32_t>(10, 1099511628));
  EXPECT_EQ(fc.quant.shift, std::vector<int>(10, -9));

  EXPECT_EQ(c.shapes.at("conv2_1"), (Shape{1, 56, 56, 64}));
  EXPECT_EQ(c.shapes.at("gap"), (Shape{1, 1, 1, 64}));
  EXPECT_EQ(c.shapes.at("flat"), (Shape{1, 64}));
  EXPECT_EQ(c.shapes.at("fc"), (Shape{1, 10}));
}

TEST(NetworkYamlTest, EveryExampleParses) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(kSource + "/configs/examples")) {
    if (e.path().extension() != ".yaml") continue;
    SCOPED_TRACE(e.path().string());
    const RunConfig c = LoadRunConfig(e.path().string());
    EXPECT_FALSE(c.net.layers.empty());
    for (const Layer& l : c.net.layers) {
      EXPECT_EQ(c.shapes.count(l.name), 1u) << l.name;
    }
    ++n;
  }
  EXPECT_GE(n, 5);
}

TEST(NetworkYamlTest, NpyExampleReadsFilesRelativeToTheYaml) {
  const RunConfig c =
      LoadRunConfig(kSource + "/configs/examples/npy_weights.yaml");
  ASSERT_EQ(c.net.input.shape, (Shape{1, 8, 8, 4}));
  EXPECT_EQ(std::vector<int8_t>(c.net.input.data.begin(),
                                c.net.input.data.begin() + 8),
            (std::vector<int8_t>{93, 123, -67, -1, -9, -38, 47, -63}));
  const Layer& conv = c.net.layers[0];
  EXPECT_EQ(conv.weights.shape, (Shape{8, 3, 3, 4}));
  EXPECT_EQ(conv.bias, (std::vector<int32_t>{238, 957, -2083, 2090, -1616,
                                             -1458, 2288, 2007}));
  EXPECT_EQ(conv.quant.in_zp, 3);
  EXPECT_EQ(conv.quant.out_zp, -10);
  EXPECT_EQ(conv.quant.act_min, -10);
  // SAME on 8x8 with a 3x3 kernel and stride 1: one pixel on every side.
  EXPECT_EQ(conv.geom.pad_top, 1);
  EXPECT_EQ(conv.geom.pad_left, 1);
  EXPECT_EQ(conv.geom.pad_bottom, 1);
  EXPECT_EQ(conv.geom.pad_right, 1);
  // Per channel: 0.05 * weight_scale[c] / 0.1.
  EXPECT_EQ(conv.quant.multiplier[0], 1099511628);  // 0.002
  EXPECT_EQ(conv.quant.shift[0], -8);
  EXPECT_EQ(conv.quant.multiplier[1], 1374389535);  // 0.0025
  EXPECT_EQ(conv.quant.shift[1], -8);
  EXPECT_EQ(conv.quant.multiplier[2], 1649267442);  // 0.0015
  EXPECT_EQ(conv.quant.shift[2], -9);
  EXPECT_EQ(c.shapes.at("pool"), (Shape{1, 4, 4, 8}));
  const Layer& fc = c.net.layers[2];
  EXPECT_EQ(fc.weights.shape, (Shape{10, 128}));
  EXPECT_EQ(fc.quant.in_zp, -10);  // maxpool keeps conv1's quantization
  // 0.1 (conv1's output scale, kept by the pool) * 0.002 / 0.2.
  EXPECT_EQ(fc.quant.multiplier[0], 1099511628);
  EXPECT_EQ(fc.quant.shift[0], -9);  // 0.001 = 0.512 * 2^-9
}

TEST(NetworkYamlTest, ReadyMadeMultipliers) {
  const RunConfig c =
      LoadRunConfig(kSource + "/configs/examples/multipliers.yaml");
  const Layer& conv = c.net.layers[0];
  EXPECT_EQ(conv.quant.multiplier,
            (std::vector<int32_t>{1518500250, 1073741824, 2147483647,
                                  1288490189, 1717986918, 1932735283}));
  EXPECT_EQ(conv.quant.shift, (std::vector<int>{-8, -7, -9, -8, -8, -9}));
  EXPECT_EQ(conv.quant.in_zp, -20);
  EXPECT_EQ(conv.quant.act_min, -60);
  EXPECT_EQ(conv.quant.act_max, 100);
  EXPECT_EQ(conv.geom.pad_top, 1);
  EXPECT_EQ(conv.geom.pad_left, 1);
  EXPECT_EQ(conv.geom.pad_bottom, 0);
  EXPECT_EQ(conv.geom.pad_right, 0);
  EXPECT_EQ(c.shapes.at("conv1"), (Shape{1, 5, 5, 6}));
  const Layer& fc = c.net.layers[1];
  EXPECT_EQ(fc.quant.multiplier, std::vector<int32_t>(12, 1400000000));
  EXPECT_EQ(fc.quant.shift, std::vector<int>(12, -10));
  EXPECT_EQ(fc.weights.shape, (Shape{12, 150}));
  EXPECT_EQ(fc.quant.in_zp, 5);
}

TEST(NetworkYamlTest, ResidualExampleTracksScalesIntoTheAdd) {
  const RunConfig c =
      LoadRunConfig(kSource + "/configs/examples/residual.yaml");
  ASSERT_EQ(c.net.layers.size(), 5u);
  const Layer& pool = c.net.layers[1];
  // SAME, 16 -> 8 with a 3x3 window and stride 2: pad 0 before, 1 after.
  EXPECT_EQ(pool.pool.pad_top, 0);
  EXPECT_EQ(pool.pool.pad_bottom, 1);
  EXPECT_EQ(c.shapes.at("pool"), (Shape{1, 8, 8, 16}));
  EXPECT_EQ(c.net.layers[3].geom.dilation_h, 2);
  EXPECT_EQ(c.shapes.at("conv_b"), (Shape{1, 8, 8, 16}));
  const Layer& add = c.net.layers[4];
  EXPECT_EQ(add.kind, LayerKind::kAdd);
  EXPECT_EQ(add.inputs, (std::vector<std::string>{"pool", "conv_b"}));
  EXPECT_EQ(add.add.a_scale, 0.05);  // stem's, kept by the pool
  EXPECT_EQ(add.add.b_scale, 0.08);
  EXPECT_EQ(add.add.out_scale, 0.1);
  EXPECT_EQ(add.add.a_zp, -128);
  EXPECT_EQ(add.add.b_zp, 0);
  EXPECT_EQ(add.add.out_zp, -128);
  EXPECT_EQ(add.add.act_min, -128);
  EXPECT_EQ(add.add.act_max, 127);
}

TEST(NetworkYamlTest, DepthwiseExample) {
  const RunConfig c =
      LoadRunConfig(kSource + "/configs/examples/depthwise.yaml");
  const Layer& dw = c.net.layers[0];
  EXPECT_EQ(dw.geom.groups, 16);
  EXPECT_EQ(dw.weights.shape, (Shape{16, 3, 3, 1}));
  EXPECT_EQ(c.shapes.at("dw"), (Shape{1, 6, 6, 16}));
  // relu6 at scale 0.0235, zero point -128: 6 / 0.0235 = 255 steps, so the
  // clamp is the whole int8 range.
  EXPECT_EQ(dw.quant.act_min, -128);
  EXPECT_EQ(dw.quant.act_max, 127);
  EXPECT_EQ(c.net.layers[1].weights.shape, (Shape{24, 1, 1, 16}));
}

TEST(NetworkYamlTest, SmallArrayExample) {
  const RunConfig c =
      LoadRunConfig(kSource + "/configs/examples/small_array.yaml");
  EXPECT_EQ(c.rows, 4);
  EXPECT_EQ(c.cols, 4);
  EXPECT_EQ(c.array_line, 6);
  EXPECT_EQ(c.dram_latency.value_or(-1), 8);
  EXPECT_EQ(c.dram_stall.value_or(-1), 0.1);
  EXPECT_EQ(c.shapes.at("conv1"), (Shape{1, 4, 4, 5}));
  EXPECT_EQ(c.shapes.at("fc"), (Shape{1, 7}));
}

// ---------------------------------------------------------------- semantics

TEST(NetworkYamlTest, RandomTensorsFollowTheDocumentedGenerator) {
  // SplitMix64 of seed 7, value = min + x % (max - min + 1) (docs/yaml.md).
  const RunConfig c = ParseRunConfig(
      "network:\n"
      "  input: {shape: [1, 8], random: {seed: 7, min: -3, max: 3}}\n"
      "layers:\n"
      "  - {name: f, type: flatten}\n",
      "net.yaml", kData);
  EXPECT_EQ(c.net.input.data, (std::vector<int8_t>{-1, 0, -3, 0, 2, 3, 2, -3}));
  EXPECT_EQ(c.net.name, "net");  // defaults to the file's stem
  const RunConfig d = Parse(kConv);
  EXPECT_EQ(std::vector<int8_t>(d.net.input.data.begin(),
                                d.net.input.data.begin() + 4),
            (std::vector<int8_t>{65, -25, -34, -117}));
}

TEST(NetworkYamlTest, ScalesGiveMultipliersPerChannel) {
  const RunConfig c = Parse(
      "  - name: c\n"
      "    type: conv\n"
      "    out_channels: 2\n"
      "    kernel: [1, 1]\n"
      "    weights: {random: {seed: 2}}\n"
      "    weight_scale: [0.5, 0.25]\n"
      "    output_scale: 0.5\n");
  // 0.5 * 0.5 / 0.5 = 0.5 = 2^30 * 2^(0-31); 0.25 = 2^30 * 2^(-1-31).
  EXPECT_EQ(c.net.layers[0].quant.multiplier,
            (std::vector<int32_t>{1 << 30, 1 << 30}));
  EXPECT_EQ(c.net.layers[0].quant.shift, (std::vector<int>{0, -1}));
  EXPECT_EQ(c.net.layers[0].bias, (std::vector<int32_t>{0, 0}));
}

TEST(NetworkYamlTest, ZeroPointsFollowTheChainUnlessOverridden) {
  const std::string first =
      "  - name: a\n"
      "    type: conv\n"
      "    out_channels: 2\n"
      "    kernel: 1\n"
      "    weights: {random: {seed: 2}}\n"
      "    weight_scale: 0.5\n"
      "    output_scale: 0.5\n"
      "    output_zero_point: 7\n"
      "  - {name: p, type: maxpool, kernel: 2}\n";
  const std::string second =
      "  - name: b\n"
      "    type: conv\n"
      "    out_channels: 2\n"
      "    kernel: 1\n"
      "    weights: {random: {seed: 3}}\n"
      "    weight_scale: 0.5\n"
      "    output_scale: 0.5\n";
  const RunConfig c = Parse(first + second);
  EXPECT_EQ(c.net.layers[0].quant.in_zp, 0);
  EXPECT_EQ(c.net.layers[2].quant.in_zp, 7);
  EXPECT_EQ(c.net.layers[2].inputs, std::vector<std::string>{"p"});
  const RunConfig d = Parse(first + second + "    input_zero_point: -3\n");
  EXPECT_EQ(d.net.layers[2].quant.in_zp, -3);
}

TEST(NetworkYamlTest, ActivationClampsInTheQuantizedDomain) {
  const auto clamp = [](const std::string& act) {
    const RunConfig c =
        Parse(std::string(kConv) + "    output_zero_point: -5\n" + act);
    return std::make_pair(c.net.layers[0].quant.act_min,
                          c.net.layers[0].quant.act_max);
  };
  EXPECT_EQ(clamp(""), std::make_pair(-128, 127));
  EXPECT_EQ(clamp("    activation: none\n"), std::make_pair(-128, 127));
  EXPECT_EQ(clamp("    activation: relu\n"), std::make_pair(-5, 127));
  // 6 / 0.5 = 12 steps above the zero point.
  EXPECT_EQ(clamp("    activation: relu6\n"), std::make_pair(-5, 7));
  EXPECT_EQ(clamp("    act_min: -20\n    act_max: 30\n"),
            std::make_pair(-20, 30));
}

TEST(NetworkYamlTest, RtlArrayMustBeBuilt) {
  const RunConfig c = ParseRunConfig(
      "hardware:\n"
      "  array: [8, 8]\n" +
          std::string(kHeader) + kConv,
      "net.yaml", kData);
  EXPECT_EQ(c.array_line, 2);
  EXPECT_NO_THROW(RequireRtlArray(c, {{4, 4}, {8, 8}}));
  try {
    RequireRtlArray(c, {{4, 4}, {16, 16}});
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("net.yaml:2: field 'hardware.array'"));
    EXPECT_THAT(e.what(), HasSubstr("built: 4x4, 16x16"));
    EXPECT_THAT(e.what(), HasSubstr("got 8x8"));
    EXPECT_THAT(e.what(), HasSubstr("-DSPARQ_RTL_CONFIGS=\"4x4;16x16;8x8\""));
  }
  try {
    RequireRtlArray(c, {});
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("built: none, RTL was not built"));
    EXPECT_THAT(e.what(), HasSubstr("-DSPARQ_BUILD_RTL=ON "
                                    "-DSPARQ_RTL_CONFIGS=\"4x4;16x16;8x8\""));
  }
}

// hardware.nm24: false asks for the RxC-nonm build (no 2:4 mode); a build
// that exists only with the other choice is an error at hardware.nm24.
TEST(NetworkYamlTest, Nm24FieldSelectsTheNonmBuild) {
  const RunConfig d = ParseRunConfig(
      "hardware:\n  array: [4, 4]\n" + std::string(kHeader) + kConv, "net.yaml",
      kData);
  EXPECT_TRUE(d.nm24);
  const RunConfig c = ParseRunConfig(
      "hardware:\n"
      "  nm24: false\n"
      "  array: [4, 4]\n" +
          std::string(kHeader) + kConv,
      "net.yaml", kData);
  EXPECT_FALSE(c.nm24);
  EXPECT_EQ(c.nm24_line, 2);
  EXPECT_NO_THROW(RequireRtlArray(c, {{4, 4}, {4, 4, 128, false}}));
  EXPECT_NO_THROW(RequireRtlArray(d, {{4, 4}, {4, 4, 128, false}}));
  try {
    RequireRtlArray(c, {{4, 4}, {16, 16}});
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("net.yaml:2: field 'hardware.nm24'"));
    EXPECT_THAT(e.what(), HasSubstr("built: 4x4, 16x16"));
    EXPECT_THAT(e.what(), HasSubstr("got false (4x4-nonm)"));
    EXPECT_THAT(e.what(),
                HasSubstr("-DSPARQ_RTL_CONFIGS=\"4x4;16x16;4x4-nonm\""));
  }
  try {
    RequireRtlArray(d, {{4, 4, 128, false}});
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("field 'hardware.nm24'"));
    EXPECT_THAT(e.what(), HasSubstr("built: 4x4-nonm"));
    EXPECT_THAT(e.what(), HasSubstr("got true (4x4)"));
  }
  try {
    ParseRunConfig("hardware:\n  nm24: maybe\n" + std::string(kHeader) + kConv,
                   "net.yaml", kData);
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("net.yaml:2: field 'hardware.nm24': "
                                    "expected true or false"));
    EXPECT_THAT(e.what(), HasSubstr("maybe"));
  }
}

// ------------------------------------------------------------------ errors

TEST(NetworkYamlErrorTest, MissingFile) {
  try {
    LoadRunConfig(kData + "/no_such.yaml");
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no_such.yaml: cannot open"));
  }
}

TEST(NetworkYamlErrorTest, MalformedYaml) {
  EXPECT_THAT(ErrorOf("network:\n  input: {shape: [1, 2\nlayers: []\n"),
              HasSubstr("net.yaml:3: malformed YAML"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("net.yaml:1: field '(top level)'"));
  EXPECT_THAT(ErrorOf("just text\n"),
              HasSubstr("field '(top level)': expected a mapping"));
}

TEST(NetworkYamlErrorTest, UnknownField) {
  EXPECT_THAT(LayerError(std::string(kConv) + "    kernal: 3\n"),
              HasSubstr("net.yaml:15: field 'layers[0].kernal': unknown "
                        "field (did you mean 'kernel'?); expected one of: "
                        "name, type, input, out_channels, kernel, stride, "
                        "padding, dilation, groups, weights, bias, "
                        "engine, input_scale,"));
  EXPECT_THAT(
      ErrorOf(std::string("hardware: {arrays: [4, 4]}\n") + kHeader + kConv),
      HasSubstr("net.yaml:1: field 'hardware.arrays': unknown field"));
  EXPECT_THAT(ErrorOf(std::string(kHeader) + kConv + "extra: 1\n"),
              HasSubstr("net.yaml:15: field 'extra': unknown field"));
  // A field of another layer type.
  EXPECT_THAT(LayerError("  - {name: f, type: flatten, kernel: 2}\n"),
              HasSubstr("net.yaml:8: field 'layers[0].kernel': not a field "
                        "of a flatten layer"));
  EXPECT_THAT(LayerError(std::string(kConv) + "    kernel: 1\n"),
              HasSubstr("net.yaml:15: field 'layers[0].kernel': duplicate"));
}

TEST(NetworkYamlErrorTest, WrongType) {
  EXPECT_THAT(LayerError("  - name: c\n"
                         "    type: conv\n"
                         "    out_channels: 4\n"
                         "    kernel: abc\n"),
              HasSubstr("net.yaml:11: field 'layers[0].kernel': expected an "
                        "integer in [1, 4096], got 'abc'"));
  EXPECT_THAT(LayerError("  - name: c\n"
                         "    type: conv\n"
                         "    out_channels: \"4\"\n"),
              HasSubstr("net.yaml:10: field 'layers[0].out_channels': "
                        "expected an integer in [1, 65536], got the string "
                        "'4'"));
  EXPECT_THAT(LayerError(std::string(kConv) + "    stride: [1, 2, 3]\n"),
              HasSubstr("net.yaml:15: field 'layers[0].stride': expected a "
                        "list of 2 integers"));
  EXPECT_THAT(LayerError(std::string(kConv) + "    padding: full\n"),
              HasSubstr("field 'layers[0].padding': expected an integer >= "
                        "0, a list [top, left, bottom, right], 'same' or "
                        "'valid', got 'full'"));
  EXPECT_THAT(LayerError(std::string(kConv) + "    activation: gelu\n"),
              HasSubstr("field 'layers[0].activation': expected one of none, "
                        "relu, relu6, got 'gelu'"));
  EXPECT_THAT(LayerError("  - {name: c, type: pool}\n"),
              HasSubstr("net.yaml:8: field 'layers[0].type': expected one of "
                        "conv, depthwise, fc, maxpool, avgpool, add, flatten, "
                        "softmax, reshape, pad, mean, concat, got 'pool'"));
  EXPECT_THAT(ErrorOf("network: [1, 2]\nlayers: []\n"),
              HasSubstr("net.yaml:1: field 'network': expected a mapping"));
  EXPECT_THAT(LayerError(std::string(kConv) + "    output_zero_point: 200\n"),
              HasSubstr("field 'layers[0].output_zero_point': expected an "
                        "integer in [-128, 127], got '200'"));
  EXPECT_THAT(LayerError(std::string(kConv) + "    act_min: 10\n"
                                              "    act_max: 5\n"),
              HasSubstr("field 'layers[0].act_max': expected an integer in "
                        "[10, 127], got '5'"));
  EXPECT_THAT(
      ErrorOf("hardware: {array: [12, 16]}\n" + std::string(kHeader) + kConv),
      HasSubstr("net.yaml:1: field 'hardware.array[0]': expected a "
                "power of two from 1 to 16"));
  EXPECT_THAT(ErrorOf("hardware: {dram: {stall: 1.5}}\n" +
                      std::string(kHeader) + kConv),
              HasSubstr("field 'hardware.dram.stall': expected a number >= 0 "
                        "and < 1, got '1.5'"));
}

TEST(NetworkYamlErrorTest, MissingField) {
  EXPECT_THAT(LayerError("  - name: c\n"
                         "    type: conv\n"
                         "    kernel: 3\n"),
              HasSubstr("net.yaml:8: field 'layers[0].out_channels': expected "
                        "a positive integer, got nothing (the field is "
                        "missing)"));
  EXPECT_THAT(LayerError("  - name: c\n"
                         "    type: conv\n"
                         "    out_channels: 4\n"
                         "    kernel: 3\n"
                         "    weight_scale: 0.5\n"
                         "    output_scale: 0.5\n"),
              HasSubstr("field 'layers[0].weights': expected {npy: FILE} or "
                        "{random: {seed, min, max}}, got nothing"));
  EXPECT_THAT(LayerError("  - name: c\n"
                         "    type: conv\n"
                         "    out_channels: 4\n"
                         "    kernel: 3\n"
                         "    weights: {random: {seed: 2}}\n"),
              HasSubstr("field 'layers[0].weight_scale': expected weight_scale "
                        "and output_scale, or multiplier and shift"));
  EXPECT_THAT(LayerError(std::string(kConv).substr(
                  0, std::string(kConv).rfind("    output_scale"))),
              HasSubstr("field 'layers[0].output_scale': expected a positive "
                        "number"));
  EXPECT_THAT(LayerError("  - {type: flatten}\n"),
              HasSubstr("net.yaml:8: field 'layers[0].name'"));
  EXPECT_THAT(ErrorOf("layers: []\n"),
              HasSubstr("field 'network': expected a mapping"));
  EXPECT_THAT(ErrorOf("network:\n  input: {shape: [1, 4]}\nlayers: []\n"),
              HasSubstr("net.yaml:2: field 'network.input': expected exactly "
                        "one of 'npy: FILE' or 'random: {seed, min, max}', "
                        "got neither"));
  EXPECT_THAT(
      LayerError(std::string(kConv) + "  - {name: s, type: add, input: c}\n"),
      HasSubstr("field 'layers[1].input': expected a list of two "
                "earlier tensor names"));
  EXPECT_THAT(LayerError("  - name: c\n"
                         "    type: conv\n"
                         "    out_channels: 4\n"
                         "    kernel: 3\n"
                         "    weights: {random: {min: 1}}\n"),
              HasSubstr("net.yaml:12: field 'layers[0].weights.random.seed': "
                        "expected an integer seed, got nothing"));
}

TEST(NetworkYamlTest, PrecisionSelectsTheMode) {
  const RunConfig cfg = Parse(
      "  - name: c\n"
      "    type: conv\n"
      "    out_channels: 4\n"
      "    kernel: 3\n"
      "    weights: {random: {seed: 2, min: -1, max: 1}}\n"
      "    weight_scale: 0.5\n"
      "    output_scale: 0.5\n"
      "    precision: a8w2\n");
  EXPECT_EQ(cfg.net.layers[0].precision, Precision::kA8W2);
  EXPECT_EQ(Parse(kConv).net.layers[0].precision, Precision::kA8W8);
}

TEST(NetworkYamlErrorTest, UnknownOrInconsistentPrecision) {
  EXPECT_THAT(LayerError(std::string(kConv) + "    precision: int4\n"),
              HasSubstr("net.yaml:15: field 'layers[0].precision': expected "
                        "one of a8w8, a8w4, a8w2, a4w4, a1w1, a16w8, got "));
  // a16w8 reads int16 tensors: the int8 network input is not one.
  EXPECT_THAT(LayerError(std::string(kConv) + "    precision: a16w8\n"),
              HasSubstr("expected an int16 tensor for precision a16w8 (the "
                        "network input with 'dtype: int16', or an a16w8 "
                        "layer's output), got int8 tensor 'input'"));
  // a1w1 weights are -1 or +1: random int8 weights are not.
  EXPECT_THAT(LayerError(std::string(kConv) + "    precision: a1w1\n"),
              HasSubstr("net.yaml:15: field 'layers[0].precision': expected "
                        "weights -1 or +1 for a1w1, got weight "));
  // Random weights in -127..127 do not fit int4.
  EXPECT_THAT(LayerError(std::string(kConv) + "    precision: a8w4\n"),
              HasSubstr("net.yaml:15: field 'layers[0].precision': expected "
                        "weights in [-8, 7] for a8w4, got weight "));
}

TEST(NetworkYamlErrorTest, QuantizationConflicts) {
  EXPECT_THAT(LayerError(std::string(kConv) + "    multiplier: 1073741824\n"
                                              "    shift: -3\n"),
              HasSubstr("field 'layers[0].weight_scale': expected either "
                        "scales (weight_scale, output_scale) or a ready-made "
                        "multiplier and shift, got both"));
  const std::string ready =
      "  - name: c\n"
      "    type: conv\n"
      "    out_channels: 2\n"
      "    kernel: 3\n"
      "    weights: {random: {seed: 2}}\n";
  EXPECT_THAT(LayerError(ready + "    multiplier: [1073741824, 5]\n"
                                 "    shift: 0\n"),
              HasSubstr("net.yaml:13: field 'layers[0].multiplier[1]': "
                        "expected 0 or an integer in [2^30, 2^31)"));
  EXPECT_THAT(LayerError(ready + "    multiplier: 1073741824\n"),
              HasSubstr("field 'layers[0].shift': expected a list of shifts"));
  EXPECT_THAT(LayerError(ready + "    multiplier: [1073741824, 1073741824, "
                                 "1073741824]\n    shift: 0\n"),
              HasSubstr("field 'layers[0].multiplier': expected one integer "
                        "or a list of 2 (one per output channel), got a list "
                        "of 3 items"));
  EXPECT_THAT(LayerError(ready + "    multiplier: 1073741824\n"
                                 "    shift: 0\n"
                                 "    activation: relu6\n"),
              HasSubstr("field 'layers[0].activation': expected an output "
                        "scale for relu6"));
  EXPECT_THAT(LayerError(std::string(kConv) + "    activation: relu\n"
                                              "    act_min: 0\n"),
              HasSubstr("field 'layers[0].act_min': expected either "
                        "'activation' or 'act_min'/'act_max', not both"));
  // No input scale anywhere: the network input has none here.
  EXPECT_THAT(ErrorOf("network:\n"
                      "  input: {shape: [1, 4, 4, 2], random: {seed: 1}}\n"
                      "layers:\n" +
                      std::string(kConv)),
              HasSubstr("net.yaml:4: field 'layers[0].input_scale': expected "
                        "a positive number (tensor 'input' has no known "
                        "scale"));
}

TEST(NetworkYamlErrorTest, ShapesThatDoNotChain) {
  EXPECT_THAT(LayerError("  - {name: f, type: flatten}\n" + std::string(kConv)),
              HasSubstr("net.yaml:9: field 'layers[1].input': expected an "
                        "NHWC tensor (rank 4) for a conv layer, got 'f' of "
                        "shape [1, 72]"));
  EXPECT_THAT(LayerError(std::string(kConv) +
                         "  - {name: p, type: maxpool, kernel: 2}\n"
                         "  - {name: s, type: add, input: [c, p],"
                         " output_scale: 1}\n"),
              HasSubstr("net.yaml:16: field 'layers[2].input': expected two "
                        "tensors of the same shape, got 'c' [1, 4, 4, 4] and "
                        "'p' [1, 2, 2, 4]"));
  EXPECT_THAT(LayerError("  - name: c\n"
                         "    type: conv\n"
                         "    out_channels: 4\n"
                         "    kernel: [7, 3]\n"),
              HasSubstr("net.yaml:11: field 'layers[0].kernel': expected a "
                        "kernel that fits the padded input 6x6"));
  EXPECT_THAT(LayerError(std::string(kConv) + "    groups: 3\n"),
              HasSubstr("field 'layers[0].groups': expected a divisor of the "
                        "input channels (2) and of out_channels (4), got 3"));
  EXPECT_THAT(LayerError(std::string(kConv) + "  - {name: g, type: flatten, "
                                              "input: nothing}\n"),
              HasSubstr("net.yaml:15: field 'layers[1].input': expected "
                        "'input' or the name of an earlier layer, got "
                        "'nothing'"));
  EXPECT_THAT(LayerError(std::string(kConv) + kConv),
              HasSubstr("net.yaml:15: field 'layers[1].name': expected a name "
                        "not used by an earlier layer, got 'c'"));
  EXPECT_THAT(ErrorOf("network:\n"
                      "  input: {shape: [1, 4, 4], random: {seed: 1}}\n"
                      "layers: []\n"),
              HasSubstr("net.yaml:2: field 'network.input.shape': expected a "
                        "list [N, H, W, C] (NHWC) or [N, features], got a "
                        "list of 3 items"));
}

// .npy fixtures in tests/data/yaml: w_4x3x3x2 fits a conv 2 -> 4 with a 3x3
// kernel; the others are wrong on purpose.
std::string NpyConv(const std::string& weights) {
  return "  - name: c\n"
         "    type: conv\n"
         "    out_channels: 4\n"
         "    kernel: 3\n"
         "    weights: {npy: " +
         weights +
         "}\n"  // line 12
         "    weight_scale: 0.5\n"
         "    output_scale: 0.5\n";
}

TEST(NetworkYamlTest, NpyWeightsAndBiasFromFixtures) {
  const RunConfig c =
      Parse(NpyConv("w_4x3x3x2.npy") + "    bias: {npy: b_4.npy}\n");
  const Tensor<int8_t> w = LoadNpy<int8_t>(kData + "/w_4x3x3x2.npy");
  EXPECT_EQ(c.net.layers[0].weights.shape, w.shape);
  EXPECT_EQ(c.net.layers[0].weights.data, w.data);
  EXPECT_EQ(std::vector<int8_t>(w.data.begin(), w.data.begin() + 4),
            (std::vector<int8_t>{119, 63, -1, 33}));
  EXPECT_EQ(c.net.layers[0].bias, (std::vector<int32_t>{100, -200, 300, -400}));
}

TEST(NetworkYamlErrorTest, MissingNpy) {
  const std::string e = LayerError(NpyConv("missing.npy"));
  EXPECT_THAT(e, HasSubstr("net.yaml:12: field 'layers[0].weights.npy': "));
  EXPECT_THAT(e, HasSubstr("tests/data/yaml/missing.npy: cannot open"));
}

TEST(NetworkYamlErrorTest, TruncatedNpy) {
  const std::string e = LayerError(NpyConv("w_truncated.npy"));
  EXPECT_THAT(e, HasSubstr("net.yaml:12: field 'layers[0].weights.npy': "));
  EXPECT_THAT(e, HasSubstr("w_truncated.npy: truncated data"));
}

TEST(NetworkYamlErrorTest, NpyDtypeMismatch) {
  const std::string e = LayerError(NpyConv("w_int32.npy"));
  EXPECT_THAT(e, HasSubstr("net.yaml:12: field 'layers[0].weights.npy': "));
  EXPECT_THAT(e, HasSubstr("w_int32.npy: wrong dtype"));
  EXPECT_THAT(
      LayerError(NpyConv("w_4x3x3x2.npy") + "    bias: {npy: w_4x3x3x2.npy}\n"),
      HasSubstr("net.yaml:15: field 'layers[0].bias.npy': "));
}

TEST(NetworkYamlErrorTest, NpyWrongShape) {
  EXPECT_THAT(LayerError(NpyConv("w_4x3x3x3.npy")),
              HasSubstr("net.yaml:12: field 'layers[0].weights.npy': expected "
                        "shape [4, 3, 3, 2] (OHWI: out_channels, kh, kw, "
                        "in_channels/groups), got [4, 3, 3, 3] in "));
}

}  // namespace
}  // namespace sparq

namespace sparq {
namespace {

TEST(NetworkYamlTest, EngineFieldSelectsTheComputeEngine) {
  EXPECT_EQ(Parse(kConv).net.layers[0].engine, LayerEngine::kAuto);
  EXPECT_EQ(Parse(std::string(kConv) + "    engine: sparse\n")
                .net.layers[0].engine,
            LayerEngine::kSparse);
  EXPECT_EQ(Parse(std::string(kConv) + "    engine: dense\n")
                .net.layers[0].engine,
            LayerEngine::kDense);
  const std::string e = LayerError(std::string(kConv) + "    engine: fast\n");
  EXPECT_THAT(e, HasSubstr("net.yaml:15"));
  EXPECT_THAT(e, HasSubstr("engine"));
  EXPECT_THAT(e, HasSubstr("one of auto, dense, sparse"));
}

}  // namespace
}  // namespace sparq
