// sparq's TFLite import: third-party models (person_detect, hello_world from
// TensorFlow Lite Micro, tests/data/tflite) import and run on the machine
// model with the upstream decisions; a small model built here with every
// supported operator imports with TFLite's quantization arithmetic; corrupt,
// truncated, float and unsupported models are InputErrors naming the
// operator and tensor.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/npy.h"
#include "golden/random.h"
#include "golden/requant.h"
#include "sim/model_device.h"
#include "sim/network_yaml.h"
#include "sim/rtl_device.h"
#include "sim/tflite/importer.h"
#include "sim/tflite/tflite_subset_generated.h"
#include "sw/compiler.h"
#include "sw/runtime.h"
#include "tests/common/build_paths.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kData = std::string(SPARQ_SOURCE_DIR) + "/tests/data/tflite/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("sparq_tflite_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const {
    return (path_ / name).string();
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

RunConfig LoadImported(const TfliteImport& m, const TempDir& dir) {
  WriteTfliteImport(m, dir.str(), "model.yaml");
  return LoadRunConfig(dir / "model.yaml");
}

// Runs on the machine model and checks every layer against golden's
// reference; returns the device's outputs.
std::vector<LayerRun> RunOnModel(const RunConfig& cfg) {
  const HwConfig hw = HwConfig::ForArray(cfg.rows, cfg.cols);
  const CompiledNetwork compiled = Compile(cfg.net, hw);
  auto dev = MakeModelDevice(hw);
  std::vector<LayerRun> runs = RunNetwork(cfg.net, compiled, *dev);
  const auto ref = RunNetworkReference(cfg.net);
  for (const LayerRun& r : runs) {
    EXPECT_EQ(r.output.data, ref.at(r.name).data) << r.name;
  }
  return runs;
}

// Builds a one-subgraph TFLite model with the generated builders.
class ModelBuilder {
 public:
  ModelBuilder() { buffers_.push_back(tflite::CreateBuffer(fbb_)); }

  int Tensor(const std::string& name, std::vector<int32_t> shape,
             tflite::TensorType type, std::vector<float> scales = {},
             std::vector<int64_t> zps = {}, uint32_t buffer = 0, int qdim = 0) {
    flatbuffers::Offset<tflite::QuantizationParameters> q = 0;
    if (!scales.empty()) {
      q = tflite::CreateQuantizationParametersDirect(
          fbb_, nullptr, nullptr, &scales, &zps,
          tflite::QuantizationDetails_NONE, 0, qdim);
    }
    tensors_.push_back(tflite::CreateTensorDirect(fbb_, &shape, type, buffer,
                                                  name.c_str(), q));
    return static_cast<int>(tensors_.size()) - 1;
  }
  int Act(const std::string& name, std::vector<int32_t> shape, float scale,
          int64_t zp) {
    return Tensor(name, std::move(shape), tflite::TensorType_INT8, {scale},
                  {zp});
  }
  // Constant int8 weights with seeded values in [-127, 127].
  int Weights(const std::string& name, std::vector<int32_t> shape,
              std::vector<float> scales, int qdim, uint64_t seed) {
    size_t n = 1;
    for (int32_t d : shape) n *= static_cast<size_t>(d);
    SplitMix64 rng(seed);
    std::vector<uint8_t> bytes(n);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng.Uniform(-127, 127));
    const std::vector<int64_t> zps(scales.size(), 0);
    return Tensor(name, std::move(shape), tflite::TensorType_INT8, scales, zps,
                  Buffer(bytes), qdim);
  }
  int Int32(const std::string& name, std::vector<int32_t> shape,
            const std::vector<int32_t>& values) {
    std::vector<uint8_t> bytes(values.size() * 4);
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return Tensor(name, std::move(shape), tflite::TensorType_INT32, {}, {},
                  Buffer(bytes));
  }
  template <typename Options>
  void Op(int32_t code, std::vector<int32_t> in, std::vector<int32_t> out,
          tflite::BuiltinOptions type, flatbuffers::Offset<Options> options) {
    OpRaw(code, std::move(in), std::move(out), type, options.Union());
  }
  void OpRaw(int32_t code, std::vector<int32_t> in, std::vector<int32_t> out,
             tflite::BuiltinOptions type = tflite::BuiltinOptions_NONE,
             flatbuffers::Offset<void> options = 0) {
    codes_.push_back(tflite::CreateOperatorCode(
        fbb_, static_cast<int8_t>(std::min(code, 127)), 0, 1,
        static_cast<tflite::BuiltinOperator>(code)));
    ops_.push_back(tflite::CreateOperatorDirect(
        fbb_, static_cast<uint32_t>(codes_.size() - 1), &in, &out, type,
        options));
  }
  flatbuffers::FlatBufferBuilder& fbb() { return fbb_; }

  std::string Finish(std::vector<int32_t> inputs,
                     std::vector<int32_t> outputs) {
    auto sg = tflite::CreateSubGraphDirect(fbb_, &tensors_, &inputs, &outputs,
                                           &ops_, "main");
    std::vector<flatbuffers::Offset<tflite::SubGraph>> sgs = {sg};
    fbb_.Finish(
        tflite::CreateModelDirect(fbb_, 3, &codes_, &sgs, "test", &buffers_),
        tflite::ModelIdentifier());
    return std::string(reinterpret_cast<const char*>(fbb_.GetBufferPointer()),
                       fbb_.GetSize());
  }

 private:
  uint32_t Buffer(const std::vector<uint8_t>& bytes) {
    buffers_.push_back(tflite::CreateBufferDirect(fbb_, &bytes));
    return static_cast<uint32_t>(buffers_.size() - 1);
  }

  flatbuffers::FlatBufferBuilder fbb_;
  std::vector<flatbuffers::Offset<tflite::Buffer>> buffers_;
  std::vector<flatbuffers::Offset<tflite::Tensor>> tensors_;
  std::vector<flatbuffers::Offset<tflite::OperatorCode>> codes_;
  std::vector<flatbuffers::Offset<tflite::Operator>> ops_;
};

// Scales with many significant bits, so that float/double or short-decimal
// slips change the multipliers.
constexpr float kInScale = 0.0123456789f;
constexpr float kConvW0 = 0.00312345678f, kConvW1 = 0.00712345678f,
                kConvW2 = 0.00111111111f;
constexpr float kConvOut = 0.0712345678f;
constexpr float kMeanOut = 0.0312345678f;

// input -> PAD -> CONV_2D (per channel, RELU6) -> DEPTHWISE_CONV_2D (x2,
// SAME, stride 2, RELU) -> {MEAN, AVERAGE_POOL_2D, MAX_POOL_2D} ->
// CONCATENATION -> ADD -> RESHAPE -> FULLY_CONNECTED -> SOFTMAX.
std::string EveryOperatorModel() {
  ModelBuilder b;
  const int x = b.Act("x", {1, 4, 4, 2}, kInScale, -3);
  const int pads = b.Int32("pads", {4, 2}, {0, 0, 1, 1, 1, 1, 0, 0});
  const int padded = b.Act("padded", {1, 6, 6, 2}, kInScale, -3);
  b.Op(tflite::BuiltinOperator_PAD, {x, pads}, {padded},
       tflite::BuiltinOptions_PadOptions, tflite::CreatePadOptions(b.fbb()));

  const int cw =
      b.Weights("cw", {3, 3, 3, 2}, {kConvW0, kConvW1, kConvW2}, 0, 1);
  const int cb = b.Int32("cb", {3}, {100, -2000, 30000});
  const int conv = b.Act("conv", {1, 4, 4, 3}, kConvOut, -10);
  b.Op(tflite::BuiltinOperator_CONV_2D, {padded, cw, cb}, {conv},
       tflite::BuiltinOptions_Conv2DOptions,
       tflite::CreateConv2DOptions(b.fbb(), tflite::Padding_VALID, 1, 1,
                                   tflite::ActivationFunctionType_RELU6));

  std::vector<float> dws;
  for (int c = 0; c < 6; ++c)
    dws.push_back(0.0021f * static_cast<float>(c + 1));
  const int dw_w = b.Weights("dw_w", {1, 3, 3, 6}, dws, 3, 2);
  const int dw = b.Act("dw", {1, 2, 2, 6}, 0.0512345f, 4);
  b.Op(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, {conv, dw_w, -1}, {dw},
       tflite::BuiltinOptions_DepthwiseConv2DOptions,
       tflite::CreateDepthwiseConv2DOptions(
           b.fbb(), tflite::Padding_SAME, 2, 2, 2,
           tflite::ActivationFunctionType_RELU));

  const int axes = b.Int32("axes", {2}, {2, 1});
  const int mean = b.Act("mean", {1, 1, 1, 6}, kMeanOut, 1);
  b.Op(tflite::BuiltinOperator_MEAN, {dw, axes}, {mean},
       tflite::BuiltinOptions_ReducerOptions,
       tflite::CreateReducerOptions(b.fbb(), true));
  const int avg = b.Act("avg", {1, 1, 1, 6}, 0.0512345f, 4);
  b.Op(tflite::BuiltinOperator_AVERAGE_POOL_2D, {dw}, {avg},
       tflite::BuiltinOptions_Pool2DOptions,
       tflite::CreatePool2DOptions(b.fbb(), tflite::Padding_VALID, 2, 2, 2, 2));
  const int max = b.Act("max", {1, 1, 1, 6}, 0.0512345f, 4);
  b.Op(tflite::BuiltinOperator_MAX_POOL_2D, {dw}, {max},
       tflite::BuiltinOptions_Pool2DOptions,
       tflite::CreatePool2DOptions(b.fbb(), tflite::Padding_VALID, 2, 2, 2, 2));
  const int cat = b.Act("cat", {1, 1, 1, 18}, 0.0512345f, 4);
  b.Op(tflite::BuiltinOperator_CONCATENATION, {mean, avg, max}, {cat},
       tflite::BuiltinOptions_ConcatenationOptions,
       tflite::CreateConcatenationOptions(b.fbb(), -1));
  const int sum = b.Act("sum", {1, 1, 1, 18}, 0.0912345f, 0);
  b.Op(tflite::BuiltinOperator_ADD, {cat, avg == 0 ? cat : cat}, {sum},
       tflite::BuiltinOptions_AddOptions, tflite::CreateAddOptions(b.fbb()));
  const int flat = b.Act("flat", {1, 18}, 0.0912345f, 0);
  b.Op(tflite::BuiltinOperator_RESHAPE, {sum}, {flat},
       tflite::BuiltinOptions_ReshapeOptions,
       tflite::CreateReshapeOptions(b.fbb()));
  const int fw = b.Weights("fw", {5, 18}, {0.0111f}, 0, 3);
  const int logits = b.Act("logits", {1, 5}, 0.2012345f, 3);
  b.Op(tflite::BuiltinOperator_FULLY_CONNECTED, {flat, fw, -1}, {logits},
       tflite::BuiltinOptions_FullyConnectedOptions,
       tflite::CreateFullyConnectedOptions(b.fbb()));
  const int prob = b.Act("prob", {1, 5}, 1.f / 256, -128);
  b.Op(tflite::BuiltinOperator_SOFTMAX, {logits}, {prob},
       tflite::BuiltinOptions_SoftmaxOptions,
       tflite::CreateSoftmaxOptions(b.fbb(), 0.75f));
  return b.Finish({x}, {prob});
}

int32_t TfliteMultiplier(float in, float w, float out, int* shift) {
  int32_t m = 0;
  QuantizeMultiplier(static_cast<double>(in) * static_cast<double>(w) /
                         static_cast<double>(out),
                     &m, shift);
  return m;
}

TEST(TfliteImportTest, EveryOperatorImportsWithTfliteArithmetic) {
  TempDir dir;
  const TfliteImport m = ImportTfliteBytes(EveryOperatorModel(), "every.tflite",
                                           TfliteImportOptions{});
  const RunConfig cfg = LoadImported(m, dir);
  std::vector<std::string> kinds;
  for (const Layer& l : cfg.net.layers) kinds.push_back(LayerKindName(l.kind));
  EXPECT_EQ(kinds, (std::vector<std::string>{
                       "pad", "conv", "conv", "mean", "avgpool", "maxpool",
                       "concat", "add", "reshape", "fc", "softmax"}));
  EXPECT_EQ(cfg.net.input.shape, (Shape{1, 4, 4, 2}));
  EXPECT_EQ(cfg.quant.at("input").zero_point, -3);
  // Scales read back as the exact float32 values.
  EXPECT_EQ(*cfg.quant.at("input").scale, static_cast<double>(kInScale));

  const Layer& conv = cfg.net.layers[1];
  const float ws[] = {kConvW0, kConvW1, kConvW2};
  for (int c = 0; c < 3; ++c) {
    int shift = 0;
    EXPECT_EQ(conv.quant.multiplier[c],
              TfliteMultiplier(kInScale, ws[c], kConvOut, &shift));
    EXPECT_EQ(conv.quant.shift[c], shift);
  }
  EXPECT_EQ(conv.quant.in_zp, -3);
  EXPECT_EQ(conv.quant.out_zp, -10);
  // RELU6: zp + round(6 / 0.0712345678) = -10 + 84.
  EXPECT_EQ(conv.quant.act_min, -10);
  EXPECT_EQ(conv.quant.act_max, 74);
  EXPECT_EQ(conv.bias, (std::vector<int32_t>{100, -2000, 30000}));

  // Depthwise: [1, 3, 3, 6] reordered to OHWI [6, 3, 3, 1], groups 3.
  const Layer& dw = cfg.net.layers[2];
  EXPECT_EQ(dw.geom.groups, 3);
  EXPECT_EQ(dw.weights.shape, (Shape{6, 3, 3, 1}));
  const Tensor<int8_t> dw_tfl = LoadNpy<int8_t>(dir / "op002_depthwise_w.npy");
  EXPECT_EQ(dw_tfl.shape, (Shape{1, 3, 3, 6}));
  for (int o = 0; o < 6; ++o) {
    EXPECT_EQ(dw.weights.at(o, 1, 2, 0), dw_tfl.at(0, 1, 2, o));
  }
  // SAME, stride 2 on 4x4 with a 3x3 kernel: 1 pixel of padding, at the end.
  EXPECT_EQ(dw.geom.pad_top, 0);
  EXPECT_EQ(dw.geom.pad_bottom, 1);

  const Layer& mean = cfg.net.layers[3];
  int32_t mm = 0;
  int ms = 0;
  QuantizeMultiplier(0.0512345f / static_cast<double>(kMeanOut), &mm, &ms);
  EXPECT_EQ(static_cast<double>(0.0512345f) / static_cast<double>(kMeanOut),
            *cfg.quant.at("op002_depthwise").scale /
                *cfg.quant.at("op003_mean").scale);
  EXPECT_EQ(mean.mean.multiplier, mm);
  EXPECT_EQ(mean.mean.shift, ms);

  const Layer& cat = cfg.net.layers[6];
  EXPECT_EQ(cat.concat.axis, 3);
  EXPECT_EQ(cat.concat.in_scales[0], static_cast<double>(kMeanOut));
  EXPECT_EQ(cfg.net.layers[7].add.a_scale, static_cast<double>(0.0512345f));
  EXPECT_EQ(cfg.net.layers[7].add.out_scale, static_cast<double>(0.0912345f));

  const SoftmaxParams sp = SoftmaxParamsFromScale(
      static_cast<double>(0.75f), static_cast<double>(0.2012345f));
  EXPECT_EQ(cfg.net.layers[10].softmax.input_multiplier, sp.input_multiplier);
  EXPECT_EQ(cfg.net.layers[10].softmax.input_left_shift, sp.input_left_shift);
  EXPECT_EQ(cfg.net.layers[10].softmax.diff_min, sp.diff_min);

  const std::vector<LayerRun> runs = RunOnModel(cfg);
  ASSERT_EQ(runs.size(), 11u);
  // The softmax of five logits sums to about 1 (256 steps of 1/256).
  int sum = 0;
  for (int8_t v : runs.back().output.data) sum += v + 128;
  EXPECT_NEAR(sum, 256, 5);
}

std::string ErrorOf(const std::string& bytes) {
  try {
    ImportTfliteBytes(bytes, "m.tflite", TfliteImportOptions{});
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(TfliteImportTest, UnsupportedOperatorIsNamed) {
  ModelBuilder b;
  const int x = b.Act("x", {1, 4}, 0.1f, 0);
  const int y = b.Act("y", {1, 4}, 0.1f, 0);
  const int z = b.Act("z", {1, 4}, 0.1f, 0);
  b.Op(tflite::BuiltinOperator_RESHAPE, {x}, {y},
       tflite::BuiltinOptions_ReshapeOptions,
       tflite::CreateReshapeOptions(b.fbb()));
  b.OpRaw(18, {y, y}, {z});  // MUL
  EXPECT_EQ(ErrorOf(b.Finish({x}, {z})),
            "m.tflite: operator 1 (MUL): operator not supported by sparq "
            "import (docs/import.md lists the supported ones)");
}

TEST(TfliteImportTest, FloatModelIsRejected) {
  ModelBuilder b;
  const int x = b.Tensor("x", {1, 4}, tflite::TensorType_FLOAT32);
  const int y = b.Tensor("y", {1, 4}, tflite::TensorType_FLOAT32);
  b.Op(tflite::BuiltinOperator_RESHAPE, {x}, {y},
       tflite::BuiltinOptions_ReshapeOptions,
       tflite::CreateReshapeOptions(b.fbb()));
  EXPECT_THAT(ErrorOf(b.Finish({x}, {y})),
              HasSubstr("tensor 0 'x': the network input is FLOAT32"));
}

TEST(TfliteImportTest, QuantizationSparqCannotHonourIsNamed) {
  {
    ModelBuilder b;  // per-channel activation scales
    const int x = b.Tensor("x", {1, 2}, tflite::TensorType_INT8, {0.1f, 0.2f},
                           {0, 0}, 0, 1);
    const int y = b.Act("y", {1, 2}, 0.1f, 0);
    b.Op(tflite::BuiltinOperator_RESHAPE, {x}, {y},
         tflite::BuiltinOptions_ReshapeOptions,
         tflite::CreateReshapeOptions(b.fbb()));
    EXPECT_EQ(ErrorOf(b.Finish({x}, {y})),
              "m.tflite: tensor 0 'x': expected one scale and one zero point "
              "(per-tensor activation quantization)");
  }
  {
    ModelBuilder b;  // asymmetric weights
    const int x = b.Act("x", {1, 2}, 0.1f, 0);
    const int w = b.Tensor("w", {3, 2}, tflite::TensorType_INT8, {0.1f}, {5});
    const int y = b.Act("y", {1, 3}, 0.1f, 0);
    b.Op(tflite::BuiltinOperator_FULLY_CONNECTED, {x, w, -1}, {y},
         tflite::BuiltinOptions_FullyConnectedOptions,
         tflite::CreateFullyConnectedOptions(b.fbb()));
    EXPECT_EQ(ErrorOf(b.Finish({x}, {y})),
              "m.tflite: operator 0 (FULLY_CONNECTED): tensor 1 'w': weight "
              "zero point 5 (sparq needs symmetric weights, zero point 0)");
  }
  {
    ModelBuilder b;  // int8 softmax output not at 1/256, -128
    const int x = b.Act("x", {1, 2}, 0.1f, 0);
    const int y = b.Act("y", {1, 2}, 0.1f, 0);
    b.Op(tflite::BuiltinOperator_SOFTMAX, {x}, {y},
         tflite::BuiltinOptions_SoftmaxOptions,
         tflite::CreateSoftmaxOptions(b.fbb(), 1.f));
    EXPECT_THAT(ErrorOf(b.Finish({x}, {y})),
                HasSubstr("operator 0 (SOFTMAX): tensor 1 'y': output scale"));
  }
}

// float input -> QUANTIZE -> FULLY_CONNECTED -> DEQUANTIZE -> float output:
// the quantized tensor becomes sparq's network input and the int8 tensor
// before DEQUANTIZE the last layer; a QUANTIZE inside the graph is refused.
TEST(TfliteImportTest, QuantizeAndDequantizeAtTheEdges) {
  const auto model = [](bool inner_quantize) {
    ModelBuilder b;
    const int x = b.Tensor("x", {1, 3}, tflite::TensorType_FLOAT32);
    const int q = b.Act("q", {1, 3}, 0.25f, 7);
    b.OpRaw(tflite::BuiltinOperator_QUANTIZE, {x}, {q});
    const int w = b.Weights("w", {2, 3}, {0.5f}, 0, 4);
    const int y = b.Act("y", {1, 2}, 0.75f, -2);
    b.Op(tflite::BuiltinOperator_FULLY_CONNECTED, {q, w, -1}, {y},
         tflite::BuiltinOptions_FullyConnectedOptions,
         tflite::CreateFullyConnectedOptions(b.fbb()));
    int last = y;
    if (inner_quantize) {
      last = b.Act("y2", {1, 2}, 0.5f, 0);
      b.OpRaw(tflite::BuiltinOperator_QUANTIZE, {y}, {last});
    }
    const int out = b.Tensor("out", {1, 2}, tflite::TensorType_FLOAT32);
    b.OpRaw(tflite::BuiltinOperator_DEQUANTIZE, {last}, {out});
    return b.Finish({x}, {out});
  };
  TempDir dir;
  const RunConfig cfg = LoadImported(
      ImportTfliteBytes(model(false), "m.tflite", TfliteImportOptions{}), dir);
  ASSERT_EQ(cfg.net.layers.size(), 1u);
  EXPECT_EQ(cfg.net.layers[0].kind, LayerKind::kFc);
  EXPECT_EQ(cfg.net.input.shape, (Shape{1, 3}));
  EXPECT_EQ(*cfg.quant.at("input").scale, 0.25);
  EXPECT_EQ(cfg.quant.at("input").zero_point, 7);
  EXPECT_EQ(cfg.net.layers[0].quant.in_zp, 7);
  EXPECT_EQ(ErrorOf(model(true)),
            "m.tflite: operator 2 (QUANTIZE): QUANTIZE is supported only on "
            "the float network input");
}

// person_detect on the person / no_person images of TFLM's test: the
// scores of `run` (every layer also checked against golden) must decide as
// upstream's.
void ExpectPersonDetectDecides(
    const std::function<std::vector<LayerRun>(const RunConfig&)>& run) {
  for (const std::string image : {"person", "no_person"}) {
    TempDir dir;
    // 96x96 8-bit BMP, rows bottom-up from byte 1078; fed top-down, each
    // byte reinterpreted as int8 (the upstream test's convention).
    const std::string bmp = ReadFile(kData + image + ".bmp");
    ASSERT_EQ(bmp.size(), 1078u + 96 * 96);
    Tensor<int8_t> in({1, 96, 96, 1});
    for (int y = 0; y < 96; ++y) {
      std::memcpy(&in.data[static_cast<size_t>(y) * 96],
                  bmp.data() + 1078 + (95 - y) * 96, 96);
    }
    SaveNpy(dir / "in.npy", in);
    TfliteImportOptions o;
    o.input_npy = dir / "in.npy";
    const TfliteImport m = ImportTflite(kData + "person_detect.tflite", o);
    const RunConfig cfg = LoadImported(m, dir);
    ASSERT_EQ(cfg.net.layers.size(), 31u);
    const std::vector<LayerRun> runs = run(cfg);
    const std::vector<int8_t>& scores = runs.back().output.data;
    ASSERT_EQ(scores.size(), 2u);  // [not person, person]
    if (image == "person") {
      EXPECT_GT(scores[1], scores[0]);
    } else {
      EXPECT_GT(scores[0], scores[1]);
    }
  }
}

TEST(TfliteImportTest, PersonDetectDecidesLikeUpstream) {
  if (!fs::exists(kData + "person_detect.tflite")) {
    GTEST_SKIP() << "person_detect.tflite not present";
  }
  ExpectPersonDetectDecides(RunOnModel);
}

#ifdef SPARQ_TEST_RTL_4X4
// The same on the verilated 4x4 array, every layer against golden.
TEST(TfliteImportTest, PersonDetectDecidesLikeUpstreamOnRtl) {
  if (!fs::exists(kData + "person_detect.tflite")) {
    GTEST_SKIP() << "person_detect.tflite not present";
  }
  ExpectPersonDetectDecides([](const RunConfig& cfg) {
    const HwConfig hw = HwConfig::ForArray(4, 4);
    const CompiledNetwork compiled = Compile(cfg.net, hw);
    auto dev = MakeRtlDevice(hw);
    std::vector<LayerRun> runs = RunNetwork(cfg.net, compiled, *dev);
    const auto ref = RunNetworkReference(cfg.net);
    for (const LayerRun& r : runs) {
      EXPECT_EQ(r.output.data, ref.at(r.name).data) << r.name;
    }
    return runs;
  });
}
#endif

TEST(TfliteImportTest, HelloWorldApproximatesSine) {
  if (!fs::exists(kData + "hello_world_int8.tflite")) {
    GTEST_SKIP() << "hello_world_int8.tflite not present";
  }
  TempDir dir;
  const TfliteImport m =
      ImportTflite(kData + "hello_world_int8.tflite", TfliteImportOptions{});
  RunConfig cfg = LoadImported(m, dir);
  const double in_scale = *cfg.quant.at("input").scale;
  const int32_t in_zp = cfg.quant.at("input").zero_point;
  const std::string last = cfg.net.layers.back().name;
  const double out_scale = *cfg.quant.at(last).scale;
  const int32_t out_zp = cfg.quant.at(last).zero_point;
  for (double x : {0.0, 0.5, 1.0, 1.57, 2.5, 3.14, 4.0, 5.0, 6.0}) {
    cfg.net.input = Tensor<int8_t>({1, 1});
    cfg.net.input.data[0] =
        static_cast<int8_t>(std::lround(x / in_scale) + in_zp);
    const std::vector<LayerRun> runs = RunOnModel(cfg);
    const double y = out_scale * (runs.back().output.data[0] - out_zp);
    EXPECT_NEAR(y, std::sin(x), 0.15) << "x = " << x;
  }
}

TEST(TfliteImportTest, TruncatedAndCorruptFilesAreInputErrors) {
  const std::string good = ReadFile(kData + "hello_world_int8.tflite");
  if (good.empty()) GTEST_SKIP() << "hello_world_int8.tflite not present";
  EXPECT_THAT(ErrorOf(""), HasSubstr("not a TFLite model"));
  EXPECT_THAT(ErrorOf("TFL3TFL3"), HasSubstr("corrupt or truncated"));
  size_t rejected = 0;
  for (size_t len = 0; len < good.size(); len += 1 + len / 64) {
    const std::string e = ErrorOf(good.substr(0, len));
    EXPECT_NE(e, "no error") << "truncated to " << len;
    rejected += e != "no error";
  }
  EXPECT_GT(rejected, 50u);
  // Byte flips anywhere: an InputError or a model that imports, never a
  // crash. Flips in the tables (the file's first and last kilobytes) mostly
  // must be caught.
  SplitMix64 rng(7);
  size_t flips_rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bad = good;
    const size_t pos = static_cast<size_t>(
        rng.Uniform(0, static_cast<int64_t>(good.size()) - 1));
    bad[pos] = static_cast<char>(bad[pos] ^ (1 << rng.Uniform(0, 7)));
    flips_rejected += ErrorOf(bad) != "no error";
  }
  EXPECT_GT(flips_rejected, 0u);
}

}  // namespace
}  // namespace sparq
