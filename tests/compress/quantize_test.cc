#include "golden/compress/quantize.h"

#include <gtest/gtest.h>

#include <numeric>

#include "golden/compress/train.h"
#include "tests/compress/test_util.h"

namespace sparq {
namespace {

using testing::Randomize;

// conv 5x5/4 stride 2 -> relu -> maxpool -> flatten -> fc 196x10.
Model TinyModel(WeightQuant q, uint32_t seed) {
  std::mt19937 rng(seed);
  Model m;
  ConvSpec s;
  s.in_c = 1;
  s.out_c = 4;
  s.kh = s.kw = 5;
  s.stride_h = s.stride_w = 2;
  s.pad_h = s.pad_w = 2;
  auto conv = std::make_unique<Conv2d>("conv", s);
  Randomize(conv.get(), &rng);
  conv->set_quant(q);
  auto fc = std::make_unique<Linear>("fc", 7 * 7 * 4, 10);
  Randomize(fc.get(), &rng);
  fc->weight().value *= 0.2f;
  fc->set_quant(q);
  m.Add(std::move(conv));
  m.Add(std::make_unique<ReLU>("relu"));
  m.Add(std::make_unique<MaxPool2d>("pool", 2, 2));
  m.Add(std::make_unique<Flatten>("flat"));
  m.Add(std::move(fc));
  return m;
}

Act Dequantize(const Tensor<int8_t>& t, const ActQuant& q) {
  Act a;
  a.n = t.dim(0);
  if (t.rank() == 4) {
    a.h = t.dim(1);
    a.w = t.dim(2);
  }
  a.c = t.shape.back();
  a.x.resize(static_cast<int64_t>(t.size()) / a.c, a.c);
  for (size_t i = 0; i < t.size(); ++i) {
    a.x.data()[i] = q.scale * (t.data[i] - q.zero_point);
  }
  return a;
}

// Each integer conv/fc layer, fed its own integer input, must equal the float
// layer on the quantization grid (dequantized input, per-channel quantized
// weights) to within half an output step, plus the bias rounding.
void CheckLayersOnTheGrid(WeightQuant mode) {
  Model model = TinyModel(mode, 1);
  const Dataset ds = LoadFashionMnist(kFashionMnistDir, "train", 64);
  const QuantizedModel qm = QuantizeModel(model, ds);
  ASSERT_EQ(qm.net.layers.size(), 4u);  // conv(+relu), pool, flatten, fc
  Network net = qm.net;
  net.input = MakeIntegerInput(ds, 0, 16);
  const auto values = RunNetworkReference(net);
  const int conv_layers[] = {0, 3};
  const int model_index[] = {0, 4};
  for (int k = 0; k < 2; ++k) {
    const int li = conv_layers[k];
    const sparq::Layer& layer = net.layers[static_cast<size_t>(li)];
    const ActQuant in_q = li == 0 ? ActQuant{kInputScale, kInputZeroPoint}
                                  : qm.act[static_cast<size_t>(li - 1)];
    const ActQuant out_q = qm.act[static_cast<size_t>(li)];
    const Tensor<int8_t>& in_t = values.at(layer.inputs[0]);
    const Tensor<int8_t>& out_t = values.at(layer.name);
    // Codes stay in the mode's range.
    const int qmax =
        mode == WeightQuant::kInt4                                      ? 7
        : mode == WeightQuant::kTernary || mode == WeightQuant::kBinary ? 1
                                                                        : 127;
    for (int8_t w : layer.weights.data) {
      ASSERT_LE(std::abs(int{w}), qmax);
      if (mode == WeightQuant::kBinary) {
        ASSERT_NE(w, 0);
      }
    }
    auto* wl = dynamic_cast<WeightLayer*>(model.layer(model_index[k]));
    if (wl->quant() == WeightQuant::kFloat) wl->set_quant(WeightQuant::kInt8);
    Act ref = wl->Forward(Dequantize(in_t, in_q), false);
    const bool relu = k == 0;
    const float lo =
        out_q.scale * (std::max(layer.quant.act_min, -128) - out_q.zero_point);
    const float hi = out_q.scale * (127 - out_q.zero_point);
    const Act got = Dequantize(out_t, out_q);
    ASSERT_EQ(got.x.size(), ref.x.size());
    const auto& ws = qm.weight_scales[static_cast<size_t>(li)];
    for (int64_t i = 0; i < ref.x.size(); ++i) {
      const int c = static_cast<int>(i % ref.x.cols());
      float v = ref.x.data()[i];
      if (relu) v = std::max(v, 0.0f);
      v = std::clamp(v, lo, hi);
      // Half an output step from the final rounding, plus the first
      // rounding of TFLite's double-rounding requantization (half a unit
      // before the right shift), half an accumulator step from the bias
      // rounding, and float round-off of the reference (0.1% of a step).
      const int right = std::max(0, -layer.quant.shift[static_cast<size_t>(c)]);
      const float tol =
          (0.5005f + 0.5f / static_cast<float>(1 << right)) * out_q.scale +
          0.5f * in_q.scale * ws[static_cast<size_t>(c)] + 1e-5f * std::fabs(v);
      ASSERT_NEAR(got.x.data()[i], v, tol) << WeightQuantName(mode) << " layer "
                                           << layer.name << " element " << i;
    }
  }
}

TEST(QuantizeTest, Int8LayersEqualFloatOnTheGrid) {
  CheckLayersOnTheGrid(WeightQuant::kFloat);
}
TEST(QuantizeTest, Int4LayersEqualFloatOnTheGrid) {
  CheckLayersOnTheGrid(WeightQuant::kInt4);
}
TEST(QuantizeTest, TernaryLayersEqualFloatOnTheGrid) {
  CheckLayersOnTheGrid(WeightQuant::kTernary);
}
TEST(QuantizeTest, BinaryLayersEqualFloatOnTheGrid) {
  CheckLayersOnTheGrid(WeightQuant::kBinary);
}

// conv (int8) -> maxpool -> flatten -> sign -> fc (binary weights): the fc
// runs as XNOR-popcount on the signs of its integer input and must equal the
// float fc on the signs within the requantization rounding.
TEST(QuantizeTest, BinaryActivationLayerEqualsFloatOnTheGrid) {
  Model model = TinyModel(WeightQuant::kFloat, 2);
  model.Erase(1);  // the ReLU: a sign after it would always be +1
  model.Insert(3, std::make_unique<SignAct>("sign"));
  auto* fc = dynamic_cast<WeightLayer*>(model.layer(4));
  fc->set_quant(WeightQuant::kBinary);
  const Dataset ds = LoadFashionMnist(kFashionMnistDir, "train", 64);
  const QuantizedModel qm = QuantizeModel(model, ds);
  ASSERT_EQ(qm.binary_input, (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(qm.sign_output, (std::vector<bool>{true, false, false, false}));
  const sparq::Layer& l = qm.net.layers[3];
  EXPECT_EQ(l.quant.in_zp, 0);
  const auto values = RunQuantized(qm, MakeIntegerInput(ds, 0, 16));
  const Tensor<int8_t>& flat = values.at("flat");
  // The conv emits the sign of its accumulator: it equals the sign of the
  // float conv (int8 weights, exact input) wherever the value is farther
  // from 0 than the bias rounding and float round-off can move it.
  {
    auto* conv = dynamic_cast<WeightLayer*>(model.layer(0));
    conv->set_quant(WeightQuant::kInt8);
    std::vector<int> idx(16);
    std::iota(idx.begin(), idx.end(), 0);
    Act a = MakeBatch(ds, idx);
    for (int i = 0; i < 3; ++i) a = model.layer(i)->Forward(a, false);
    ASSERT_EQ(static_cast<size_t>(a.x.size()), flat.size());
    int decided = 0;
    for (size_t i = 0; i < flat.size(); ++i) {
      const float v = a.x.data()[i];
      const float ws = qm.weight_scales[0][i % 4];
      if (std::fabs(v) <= kInputScale * ws + 1e-4f) continue;
      ++decided;
      ASSERT_EQ(flat.data[i], v >= 0 ? 1 : -1) << i << " " << v;
    }
    EXPECT_GT(decided, static_cast<int>(flat.size() * 9 / 10));
  }
  const Tensor<int8_t>& out = values.at(l.name);
  ASSERT_EQ(out.shape, (Shape{16, 10}));
  Act signs;
  signs.n = 16;
  signs.c = flat.dim(1);
  signs.x.resize(16, signs.c);
  const int zp = qm.act[2].zero_point;
  for (size_t i = 0; i < flat.size(); ++i) {
    signs.x.data()[i] = flat.data[i] >= zp ? 1.0f : -1.0f;
  }
  const Mat ref = fc->Forward(signs, false).x;
  const ActQuant oq = qm.act[3];
  const auto& ws = qm.weight_scales[3];
  for (int i = 0; i < ref.size(); ++i) {
    const int c = i % 10;
    const int right = std::max(0, -l.quant.shift[static_cast<size_t>(c)]);
    const float v = std::clamp(ref.data()[i], oq.scale * (-128 - oq.zero_point),
                               oq.scale * (127 - oq.zero_point));
    const float tol =
        (0.5005f + 0.5f / static_cast<float>(1 << right)) * oq.scale +
        0.5f * ws[static_cast<size_t>(c)] + 1e-5f * std::fabs(v);
    ASSERT_NEAR(oq.scale * (out.data[static_cast<size_t>(i)] - oq.zero_point),
                v, tol)
        << i;
  }
}

TEST(QuantizeTest, ZeroIsExactlyRepresentable) {
  for (auto [lo, hi] :
       {std::pair{0.0f, 6.0f}, {-1.0f, 3.0f}, {-5.0f, -1.0f}, {0.5f, 2.0f}}) {
    const ActQuant q = ChooseActQuant(lo, hi);
    EXPECT_GE(q.zero_point, -128);
    EXPECT_LE(q.zero_point, 127);
    // The real range is covered within half a step at both ends.
    EXPECT_LE(q.scale * (-128 - q.zero_point),
              std::min(lo, 0.0f) + 0.5f * q.scale);
    EXPECT_GE(q.scale * (127 - q.zero_point),
              std::max(hi, 0.0f) - 0.5f * q.scale);
  }
  EXPECT_EQ(ChooseActQuant(0, 6).zero_point, -128);
}

TEST(QuantizeTest, InputQuantizationIsExact) {
  const Dataset ds = LoadFashionMnist(kFashionMnistDir, "t10k", 3);
  const Tensor<int8_t> t = MakeIntegerInput(ds, 1, 2);
  ASSERT_EQ(t.shape, (Shape{2, 28, 28, 1}));
  for (size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(t.data[i], static_cast<int>(ds.pixels[784 + i]) - 128);
  }
}

}  // namespace
}  // namespace sparq
