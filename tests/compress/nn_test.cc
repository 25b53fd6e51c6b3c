#include "golden/compress/nn.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "golden/compress/train.h"

namespace sparq {
namespace {

constexpr float kEps = 1e-2f;

Mat RandomMat(int rows, int cols, std::mt19937* rng, float lo = -1,
              float hi = 1) {
  std::uniform_real_distribution<float> d(lo, hi);
  Mat m(rows, cols);
  for (int i = 0; i < m.size(); ++i) m.data()[i] = d(*rng);
  return m;
}

Act RandomAct(int n, int h, int w, int c, std::mt19937* rng) {
  Act a;
  a.n = n;
  a.h = h;
  a.w = w;
  a.c = c;
  a.x = RandomMat(n * h * w, c, rng);
  return a;
}

// loss = sum(out .* r): its gradient with respect to out is r.
double ProbeLoss(Module& layer, const Act& in, const Mat& r) {
  const Act out = layer.Forward(in, false);
  return (out.x.cast<double>().array() * r.cast<double>().array()).sum();
}

void ExpectClose(double numeric, double analytic, const std::string& what) {
  EXPECT_NEAR(analytic, numeric, 2e-3 + 1e-2 * std::fabs(numeric)) << what;
}

// Checks every input element and every parameter element of `layer` against
// central finite differences.
void CheckLayerGradients(Module& layer, const Act& in, uint32_t seed) {
  std::mt19937 rng(seed);
  const Act out = layer.Forward(in, true);
  const Mat r = RandomMat(static_cast<int>(out.x.rows()),
                          static_cast<int>(out.x.cols()), &rng);
  for (Param* p : layer.Params()) p->grad.setZero();
  Act g = out;
  g.x = r;
  layer.Forward(in, true);
  const Act din = layer.Backward(g);
  ASSERT_EQ(din.x.rows(), in.x.rows());
  ASSERT_EQ(din.x.cols(), in.x.cols());
  Act probe = in;
  for (int i = 0; i < in.x.size(); ++i) {
    const float orig = probe.x.data()[i];
    probe.x.data()[i] = orig + kEps;
    const double up = ProbeLoss(layer, probe, r);
    probe.x.data()[i] = orig - kEps;
    const double down = ProbeLoss(layer, probe, r);
    probe.x.data()[i] = orig;
    ExpectClose((up - down) / (2 * kEps), din.x.data()[i],
                std::string(layer.Kind()) + " input " + std::to_string(i));
  }
  int pi = 0;
  for (Param* p : layer.Params()) {
    for (int i = 0; i < p->value.size(); ++i) {
      if (p->mask.size() != 0 && p->mask.data()[i] == 0) continue;
      const float orig = p->value.data()[i];
      p->value.data()[i] = orig + kEps;
      const double up = ProbeLoss(layer, in, r);
      p->value.data()[i] = orig - kEps;
      const double down = ProbeLoss(layer, in, r);
      p->value.data()[i] = orig;
      ExpectClose((up - down) / (2 * kEps), p->grad.data()[i],
                  std::string(layer.Kind()) + " param " + std::to_string(pi) +
                      " element " + std::to_string(i));
    }
    ++pi;
  }
}

Conv2d RandomConv(const ConvSpec& s, uint32_t seed) {
  std::mt19937 rng(seed);
  Conv2d c("c", s);
  c.weight().value = RandomMat(static_cast<int>(c.weight().value.rows()),
                               static_cast<int>(c.weight().value.cols()), &rng);
  c.bias().value = RandomMat(1, s.out_c, &rng);
  return c;
}

TEST(NnGradientTest, Conv2dPlain) {
  ConvSpec s;
  s.in_c = 3;
  s.out_c = 4;
  s.kh = s.kw = 3;
  Conv2d c = RandomConv(s, 1);
  std::mt19937 rng(2);
  CheckLayerGradients(c, RandomAct(2, 5, 5, 3, &rng), 3);
}

TEST(NnGradientTest, Conv2dStridePaddingRectangular) {
  ConvSpec s;
  s.in_c = 2;
  s.out_c = 3;
  s.kh = 3;
  s.kw = 2;
  s.stride_h = 2;
  s.stride_w = 1;
  s.pad_h = 1;
  s.pad_w = 1;
  Conv2d c = RandomConv(s, 4);
  std::mt19937 rng(5);
  CheckLayerGradients(c, RandomAct(2, 6, 5, 2, &rng), 6);
}

TEST(NnGradientTest, Conv2dGroups) {
  ConvSpec s;
  s.in_c = 4;
  s.out_c = 6;
  s.kh = s.kw = 3;
  s.pad_h = s.pad_w = 1;
  s.groups = 2;
  Conv2d c = RandomConv(s, 7);
  std::mt19937 rng(8);
  CheckLayerGradients(c, RandomAct(1, 4, 4, 4, &rng), 9);
}

TEST(NnGradientTest, Conv2dDepthwiseKx1) {
  ConvSpec s;
  s.in_c = 3;
  s.out_c = 3;
  s.kh = 3;
  s.kw = 1;
  s.pad_h = 1;
  s.groups = 3;
  Conv2d c = RandomConv(s, 10);
  std::mt19937 rng(11);
  CheckLayerGradients(c, RandomAct(2, 5, 4, 3, &rng), 12);
}

TEST(NnGradientTest, Conv2dPointwiseWithMask) {
  ConvSpec s;
  s.in_c = 5;
  s.out_c = 4;
  Conv2d c = RandomConv(s, 13);
  std::mt19937 rng(14);
  c.weight().mask = (RandomMat(4, 5, &rng).array() > 0).cast<float>().matrix();
  c.weight().ApplyMask();
  CheckLayerGradients(c, RandomAct(2, 3, 3, 5, &rng), 15);
}

TEST(NnGradientTest, Linear) {
  std::mt19937 rng(16);
  Linear l("fc", 7, 5);
  l.weight().value = RandomMat(5, 7, &rng);
  l.bias().value = RandomMat(1, 5, &rng);
  CheckLayerGradients(l, RandomAct(3, 1, 1, 7, &rng), 17);
}

TEST(NnGradientTest, ReLUAwayFromTheKink) {
  std::mt19937 rng(18);
  Act in = RandomAct(2, 3, 3, 4, &rng);
  // Keep |x| > eps so that finite differences do not straddle 0.
  for (int i = 0; i < in.x.size(); ++i) {
    float& v = in.x.data()[i];
    v = v >= 0 ? v + 0.1f : v - 0.1f;
  }
  ReLU r("relu");
  CheckLayerGradients(r, in, 19);
}

TEST(NnGradientTest, MaxPoolWithDistinctValues) {
  std::mt19937 rng(20);
  Act in = RandomAct(2, 4, 6, 3, &rng);
  // Values 0.05 apart: no perturbation of eps changes which one is the max.
  std::vector<int> perm(static_cast<size_t>(in.x.size()));
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  for (int i = 0; i < in.x.size(); ++i) {
    in.x.data()[i] = 0.05f * static_cast<float>(perm[static_cast<size_t>(i)]);
  }
  MaxPool2d p("pool", 2, 2);
  CheckLayerGradients(p, in, 21);
}

TEST(NnGradientTest, Flatten) {
  std::mt19937 rng(22);
  Flatten f("flatten");
  CheckLayerGradients(f, RandomAct(2, 2, 3, 2, &rng), 23);
}

TEST(NnGradientTest, SoftmaxCrossEntropy) {
  std::mt19937 rng(24);
  Mat logits = RandomMat(4, 10, &rng, -3, 3);
  const std::vector<int> labels{3, 0, 9, 3};
  Mat grad;
  SoftmaxCrossEntropy(logits, labels, &grad);
  Mat unused;
  for (int i = 0; i < logits.size(); ++i) {
    const float orig = logits.data()[i];
    logits.data()[i] = orig + kEps;
    const double up = SoftmaxCrossEntropy(logits, labels, &unused);
    logits.data()[i] = orig - kEps;
    const double down = SoftmaxCrossEntropy(logits, labels, &unused);
    logits.data()[i] = orig;
    ExpectClose((up - down) / (2 * kEps), grad.data()[i], std::to_string(i));
  }
}

// A factorized layer (1x1 reduce -> grouped 3x3 core -> 1x1 expand) with a
// pruning mask on the core, trained end to end through Model::Backward.
TEST(NnGradientTest, FactorizedModelParameters) {
  std::mt19937 rng(25);
  Model m;
  ConvSpec a;
  a.in_c = 4;
  a.out_c = 2;
  ConvSpec b;
  b.in_c = 2;
  b.out_c = 2;
  b.kh = b.kw = 3;
  b.pad_h = b.pad_w = 1;
  b.groups = 2;
  ConvSpec c;
  c.in_c = 2;
  c.out_c = 3;
  for (const ConvSpec& s : {a, b, c}) {
    auto conv = std::make_unique<Conv2d>("f", s);
    conv->weight().value =
        RandomMat(static_cast<int>(conv->weight().value.rows()),
                  static_cast<int>(conv->weight().value.cols()), &rng);
    conv->bias().value = RandomMat(1, s.out_c, &rng);
    m.Add(std::move(conv));
  }
  auto* core = dynamic_cast<Conv2d*>(m.layer(1));
  core->weight().mask = Mat::Ones(2, 9);
  core->weight().mask(0, 4) = 0;
  core->weight().mask(1, 0) = 0;
  core->weight().ApplyMask();
  m.Add(std::make_unique<Flatten>("flat"));
  const Act in = RandomAct(2, 3, 3, 4, &rng);
  const std::vector<int> labels{5, 20};
  auto loss = [&]() {
    Mat g;
    return static_cast<double>(
        SoftmaxCrossEntropy(m.Forward(in, false).x, labels, &g));
  };
  m.ZeroGrad();
  Mat g;
  SoftmaxCrossEntropy(m.Forward(in, true).x, labels, &g);
  m.Backward(g);
  for (Param* p : m.Params()) {
    for (int i = 0; i < p->value.size(); ++i) {
      if (p->mask.size() != 0 && p->mask.data()[i] == 0) {
        continue;
      }
      const float orig = p->value.data()[i];
      p->value.data()[i] = orig + kEps;
      const double up = loss();
      p->value.data()[i] = orig - kEps;
      const double down = loss();
      p->value.data()[i] = orig;
      ExpectClose((up - down) / (2 * kEps), p->grad.data()[i],
                  std::to_string(i));
    }
  }
}

// Sign is not differentiable; its straight-through gradient passes where
// |x| <= 1 (hard-tanh) and blocks elsewhere.
TEST(NnTest, SignActivationAndItsStraightThroughGradient) {
  Act in;
  in.n = 1;
  in.c = 5;
  in.x.resize(1, 5);
  in.x << -2.0f, -0.5f, 0.0f, 0.7f, 1.5f;
  SignAct s("sign");
  const Act out = s.Forward(in, true);
  EXPECT_EQ(out.x, (Mat(1, 5) << -1, -1, 1, 1, 1).finished());
  Act g = out;
  g.x.setConstant(3.0f);
  EXPECT_EQ(s.Backward(g).x, (Mat(1, 5) << 0, 3, 3, 3, 0).finished());
}

TEST(NnTest, MaskedWeightsStayZeroThroughSgd) {
  std::mt19937 rng(26);
  Linear l("fc", 6, 4);
  l.weight().value = RandomMat(4, 6, &rng);
  l.weight().mask = Mat::Ones(4, 6);
  l.weight().mask(1, 2) = 0;
  l.weight().mask(3, 5) = 0;
  l.weight().ApplyMask();
  l.weight().grad = RandomMat(4, 6, &rng);
  SgdStep({&l.weight()}, SgdOptions{});
  EXPECT_EQ(l.weight().value(1, 2), 0.0f);
  EXPECT_EQ(l.weight().value(3, 5), 0.0f);
  EXPECT_EQ(l.weight().NonZeros(), 22);
}

TEST(NnTest, SgdMomentumAndWeightDecay) {
  Param p;
  p.value = Mat::Constant(1, 1, 2.0f);
  p.velocity = Mat::Constant(1, 1, 0.5f);
  p.grad = Mat::Constant(1, 1, 1.0f);
  SgdOptions o;
  o.lr = 0.1f;
  o.momentum = 0.9f;
  o.weight_decay = 0.01f;
  SgdStep({&p}, o);
  // v = 0.9*0.5 + (1 + 0.01*2) = 1.47; w = 2 - 0.1*1.47.
  EXPECT_FLOAT_EQ(p.velocity(0, 0), 1.47f);
  EXPECT_FLOAT_EQ(p.value(0, 0), 2.0f - 0.147f);
}

TEST(NnTest, ConvMatchesDirectSum) {
  ConvSpec s;
  s.in_c = 4;
  s.out_c = 4;
  s.kh = s.kw = 3;
  s.stride_h = s.stride_w = 2;
  s.pad_h = s.pad_w = 1;
  s.groups = 2;
  Conv2d c = RandomConv(s, 27);
  std::mt19937 rng(28);
  const Act in = RandomAct(1, 5, 5, 4, &rng);
  const Act out = c.Forward(in, false);
  ASSERT_EQ(out.h, 3);
  ASSERT_EQ(out.w, 3);
  for (int oy = 0; oy < 3; ++oy) {
    for (int ox = 0; ox < 3; ++ox) {
      for (int o = 0; o < 4; ++o) {
        const int g = o / 2;
        double sum = c.bias().value(0, o);
        for (int ky = 0; ky < 3; ++ky) {
          for (int kx = 0; kx < 3; ++kx) {
            const int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
            if (iy < 0 || iy >= 5 || ix < 0 || ix >= 5) continue;
            for (int i = 0; i < 2; ++i) {
              sum += double{in.x(iy * 5 + ix, g * 2 + i)} *
                     c.weight().value(o, (ky * 3 + kx) * 2 + i);
            }
          }
        }
        EXPECT_NEAR(out.x(oy * 3 + ox, o), sum, 1e-5) << oy << ox << o;
      }
    }
  }
}

TEST(NnTest, QuantizedWeightsStayInRangeWithinHalfAStep) {
  std::mt19937 rng(29);
  const Mat w = RandomMat(8, 50, &rng, -0.3f, 0.2f);
  for (WeightQuant q : {WeightQuant::kInt8, WeightQuant::kInt4}) {
    const int qmax = q == WeightQuant::kInt8 ? 127 : 7;
    std::vector<int8_t> codes;
    std::vector<float> scales;
    QuantizeRows(w, q, &codes, &scales);
    const Mat deq = FakeQuantizeRows(w, q);
    for (int r = 0; r < 8; ++r) {
      EXPECT_FLOAT_EQ(scales[r], w.row(r).cwiseAbs().maxCoeff() / qmax);
      for (int c = 0; c < 50; ++c) {
        const int code = codes[static_cast<size_t>(r * 50 + c)];
        EXPECT_GE(code, -qmax);
        EXPECT_LE(code, qmax);
        EXPECT_LE(std::fabs(deq(r, c) - w(r, c)),
                  0.5f * scales[r] * (1 + 1e-6f))
            << WeightQuantName(q) << " " << r << "," << c;
      }
    }
  }
}

TEST(NnTest, TernaryAndBinaryCodes) {
  Mat w(1, 6);
  w << 0.9f, -0.1f, 0.05f, -0.7f, 0.3f, -0.25f;
  std::vector<int8_t> codes;
  std::vector<float> scales;
  // mean|w| = 0.3833, threshold 0.7 * 0.3833 = 0.2683: keeps 0.9, -0.7, 0.3.
  QuantizeRows(w, WeightQuant::kTernary, &codes, &scales);
  EXPECT_EQ(codes, (std::vector<int8_t>{1, 0, 0, -1, 1, 0}));
  EXPECT_FLOAT_EQ(scales[0], (0.9f + 0.7f + 0.3f) / 3);
  QuantizeRows(w, WeightQuant::kBinary, &codes, &scales);
  EXPECT_EQ(codes, (std::vector<int8_t>{1, -1, 1, -1, 1, -1}));
  EXPECT_FLOAT_EQ(scales[0], 2.3f / 6);
}

TEST(TrainTest, DeterministicForASeed) {
  const Dataset ds = LoadFashionMnist(kFashionMnistDir, "train", 256);
  TrainOptions opt;
  opt.epochs = 1;
  opt.batch = 32;
  opt.seed = 7;
  Model a = MakeBaselineCnn(3);
  Model b = MakeBaselineCnn(3);
  Model c = MakeBaselineCnn(3);
  Train(a, ds, opt);
  Train(b, ds, opt);
  opt.seed = 8;
  Train(c, ds, opt);
  const auto pa = a.Params(), pb = b.Params(), pc = c.Params();
  ASSERT_EQ(pa.size(), pb.size());
  bool any_differs = false;
  for (size_t i = 0; i < pa.size(); ++i) {
    ASSERT_EQ(pa[i]->value.size(), pb[i]->value.size());
    for (int j = 0; j < pa[i]->value.size(); ++j) {
      ASSERT_EQ(pa[i]->value.data()[j], pb[i]->value.data()[j])
          << i << " " << j;
    }
    any_differs |= pa[i]->value != pc[i]->value;
  }
  EXPECT_TRUE(any_differs) << "another shuffling seed must change the weights";
}

}  // namespace
}  // namespace sparq
