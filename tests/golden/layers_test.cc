// Layers against naive implementations written here independently (padding
// materialized with in_zp, int64 sums reduced mod 2^32) and hand-checked
// values for the host ops.

#include "golden/layers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ostream>
#include <vector>

#include "golden/errors.h"
#include "golden/random.h"
#include "golden/requant.h"

namespace sparq {
namespace {

int32_t Mod32(int64_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
}

Tensor<int8_t> RandomInt8(const Shape& shape, SplitMix64& rng) {
  Tensor<int8_t> t(shape);
  for (auto& v : t.data) v = static_cast<int8_t>(rng.Uniform(-128, 127));
  return t;
}

// Direct definition: pad the input with in_zp, then slide the kernel.
Tensor<int32_t> NaiveConvAcc(const Tensor<int8_t>& x, const Tensor<int8_t>& w,
                             const std::vector<int32_t>& bias,
                             const ConvGeometry& g, int32_t zp) {
  const int n_ = x.dim(0), h = x.dim(1), wd = x.dim(2), c = x.dim(3);
  const int ph = h + g.pad_top + g.pad_bottom;
  const int pw = wd + g.pad_left + g.pad_right;
  Tensor<int32_t> padded({n_, ph, pw, c}, zp);
  for (int n = 0; n < n_; ++n)
    for (int y = 0; y < h; ++y)
      for (int xx = 0; xx < wd; ++xx)
        for (int ch = 0; ch < c; ++ch)
          padded.at(n, y + g.pad_top, xx + g.pad_left, ch) = x.at(n, y, xx, ch);
  const int o_ = w.dim(0), kh = w.dim(1), kw = w.dim(2), ig = w.dim(3);
  const int og = o_ / g.groups;
  const int oh_ = (ph - g.dilation_h * (kh - 1) - 1) / g.stride_h + 1;
  const int ow_ = (pw - g.dilation_w * (kw - 1) - 1) / g.stride_w + 1;
  Tensor<int32_t> out({n_, oh_, ow_, o_});
  for (int n = 0; n < n_; ++n)
    for (int oy = 0; oy < oh_; ++oy)
      for (int ox = 0; ox < ow_; ++ox)
        for (int o = 0; o < o_; ++o) {
          const int group = o / og;
          int64_t s = bias.empty() ? 0 : bias[o];
          for (int ky = 0; ky < kh; ++ky)
            for (int kx = 0; kx < kw; ++kx)
              for (int i = 0; i < ig; ++i) {
                const int64_t a = padded.at(
                    n, oy * g.stride_h + ky * g.dilation_h,
                    ox * g.stride_w + kx * g.dilation_w, group * ig + i);
                s += (a - zp) * w.at(o, ky, kx, i);
              }
          out.at(n, oy, ox, o) = Mod32(s);
        }
  return out;
}

struct ConvCase {
  const char* name;
  Shape input;    // NHWC
  Shape weights;  // OHWI
  ConvGeometry geom;
  int32_t in_zp;
};

void PrintTo(const ConvCase& c, std::ostream* os) { *os << c.name; }

class ConvVsNaive : public ::testing::TestWithParam<ConvCase> {};

ConvGeometry Geom(int sh, int sw, int pt, int pl, int pb, int pr, int dh,
                  int dw, int groups) {
  ConvGeometry g;
  g.stride_h = sh;
  g.stride_w = sw;
  g.pad_top = pt;
  g.pad_left = pl;
  g.pad_bottom = pb;
  g.pad_right = pr;
  g.dilation_h = dh;
  g.dilation_w = dw;
  g.groups = groups;
  return g;
}

TEST_P(ConvVsNaive, AccumulatorsAndOutputsMatchEveryElement) {
  const ConvCase& c = GetParam();
  SplitMix64 rng(42);
  const Tensor<int8_t> x = RandomInt8(c.input, rng);
  const Tensor<int8_t> w = RandomInt8(c.weights, rng);
  const int cout = c.weights[0];
  std::vector<int32_t> bias(cout);
  for (auto& b : bias) b = static_cast<int32_t>(rng.Uniform(-100000, 100000));

  const Tensor<int32_t> expected = NaiveConvAcc(x, w, bias, c.geom, c.in_zp);
  const Tensor<int32_t> acc = Conv2dAccInt32(x, w, bias, c.geom, c.in_zp);
  ASSERT_EQ(acc.shape, expected.shape);
  for (size_t i = 0; i < acc.size(); ++i) {
    ASSERT_EQ(acc.data[i], expected.data[i]) << c.name << " element " << i;
  }

  QuantParams q;
  q.in_zp = c.in_zp;
  q.out_zp = -7;
  q.act_min = -100;
  q.act_max = 120;
  // Scale so that the largest accumulator maps to about 128: most outputs
  // then land inside the activation range rather than on the clamp.
  int64_t max_abs = 1;
  for (int32_t v : expected.data)
    max_abs = std::max<int64_t>(max_abs, std::abs(int64_t{v}));
  const int base_shift =
      -static_cast<int>(std::ceil(std::log2(max_abs / 128.0 + 1)));
  for (int o = 0; o < cout; ++o) {
    q.multiplier.push_back(
        static_cast<int32_t>(rng.Uniform(1 << 30, 0x7fffffff)));
    q.shift.push_back(std::max(-31, base_shift - o % 2));
  }
  const Tensor<int8_t> y = Conv2dInt8(x, w, bias, c.geom, q);
  ASSERT_EQ(y.shape, expected.shape);
  int clamped = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const int o = static_cast<int>(i % cout);
    const int32_t want =
        RequantizeOne(expected.data[i], q.multiplier[o], q.shift[o], q.out_zp,
                      q.act_min, q.act_max);
    ASSERT_EQ(y.data[i], want) << c.name << " element " << i;
    clamped += want == q.act_min || want == q.act_max;
  }
  // The shifts are chosen so that most outputs are in range, not clamped.
  EXPECT_LT(clamped, static_cast<int>(y.size()) / 2) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Layers, ConvVsNaive,
    ::testing::Values(ConvCase{"plain3x3",
                               {1, 6, 7, 5},
                               {4, 3, 3, 5},
                               Geom(1, 1, 1, 1, 1, 1, 1, 1, 1),
                               -3},
                      ConvCase{"strided",
                               {2, 9, 8, 3},
                               {6, 3, 3, 3},
                               Geom(2, 3, 1, 1, 1, 1, 1, 1, 1),
                               5},
                      ConvCase{"asym_pad",
                               {1, 7, 6, 4},
                               {3, 3, 2, 4},
                               Geom(1, 1, 0, 2, 2, 1, 1, 1, 1),
                               100},
                      ConvCase{"dilated",
                               {1, 10, 11, 2},
                               {3, 3, 3, 2},
                               Geom(1, 1, 2, 3, 2, 3, 2, 3, 1),
                               -128},
                      ConvCase{"depthwise",
                               {2, 6, 6, 4},
                               {4, 3, 3, 1},
                               Geom(1, 1, 1, 1, 1, 1, 1, 1, 4),
                               12},
                      ConvCase{"depthwise_mult3",
                               {1, 5, 7, 3},
                               {9, 2, 3, 1},
                               Geom(2, 1, 0, 1, 1, 1, 1, 1, 3),
                               -20},
                      ConvCase{"grouped2",
                               {1, 5, 5, 6},
                               {8, 3, 3, 3},
                               Geom(1, 1, 1, 1, 1, 1, 1, 1, 2),
                               0},
                      ConvCase{"grouped3_strided_dilated",
                               {1, 9, 9, 6},
                               {6, 2, 2, 2},
                               Geom(2, 2, 1, 0, 0, 1, 2, 2, 3),
                               33},
                      ConvCase{"pointwise",
                               {3, 4, 4, 16},
                               {10, 1, 1, 16},
                               Geom(1, 1, 0, 0, 0, 0, 1, 1, 1),
                               -1},
                      ConvCase{"kernel_bigger_than_input",
                               {1, 2, 2, 2},
                               {2, 3, 3, 2},
                               Geom(1, 1, 1, 1, 1, 1, 1, 1, 1),
                               7}),
    [](const ::testing::TestParamInfo<ConvCase>& info) {
      return std::string(info.param.name);
    });

TEST(LayersTest, ConvOutSize) {
  EXPECT_EQ(ConvOutSize(56, 3, 1, 1, 1, 1), 56);
  EXPECT_EQ(ConvOutSize(56, 3, 2, 1, 1, 1), 28);
  EXPECT_EQ(ConvOutSize(224, 7, 2, 3, 3, 1), 112);
  EXPECT_EQ(ConvOutSize(10, 3, 1, 0, 0, 2), 6);
  EXPECT_EQ(ConvOutSize(5, 4, 2, 1, 2, 1), 3);
}

TEST(LayersTest, ConvAccumulatorWrapsAround) {
  // 70000 taps of (-128 - 127) * -128 = 32640 sum to 2284800000, which wraps
  // to 2284800000 - 2^32.
  const int k = 70000;
  Tensor<int8_t> x({1, 1, 1, k}, -128);
  Tensor<int8_t> w({1, 1, 1, k}, -128);
  const Tensor<int32_t> acc = Conv2dAccInt32(x, w, {}, ConvGeometry{}, 127);
  EXPECT_EQ(acc.data[0], -2010167296);
  // The bias also wraps: INT32_MAX + 32640 * 1.
  Tensor<int8_t> x1({1, 1, 1, 1}, -128);
  Tensor<int8_t> w1({1, 1, 1, 1}, -128);
  EXPECT_EQ(Conv2dAccInt32(x1, w1, {2147483647}, ConvGeometry{}, 127).data[0],
            -2147483648 + 32639);
  const Tensor<int32_t> fc = FullyConnectedAccInt32(
      Tensor<int8_t>({1, k}, -128), Tensor<int8_t>({1, k}, -128), {}, 127);
  EXPECT_EQ(fc.data[0], -2010167296);
}

TEST(LayersTest, FullyConnectedFlattensNhwc) {
  SplitMix64 rng(5);
  const Tensor<int8_t> x = RandomInt8({2, 3, 2, 4}, rng);
  const Tensor<int8_t> w = RandomInt8({5, 24}, rng);
  const std::vector<int32_t> bias = {1, -2, 300, -4000, 50000};
  const int32_t zp = -9;
  const Tensor<int32_t> acc = FullyConnectedAccInt32(x, w, bias, zp);
  ASSERT_EQ(acc.shape, (Shape{2, 5}));
  for (int n = 0; n < 2; ++n) {
    for (int o = 0; o < 5; ++o) {
      int64_t s = bias[o];
      for (int h = 0; h < 3; ++h)
        for (int ww = 0; ww < 2; ++ww)
          for (int c = 0; c < 4; ++c)
            s += (int64_t{x.at(n, h, ww, c)} - zp) *
                 w.data[o * 24 + (h * 2 + ww) * 4 + c];
      EXPECT_EQ(acc.data[n * 5 + o], Mod32(s)) << n << "," << o;
    }
  }
  QuantParams q;
  q.in_zp = zp;
  q.out_zp = 3;
  q.multiplier.assign(5, 1 << 30);
  q.shift.assign(5, -6);
  const Tensor<int8_t> y = FullyConnectedInt8(x, w, bias, q);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(y.data[i], RequantizeOne(acc.data[i], 1 << 30, -6, 3, -128, 127));
  }
}

TEST(LayersTest, ShapeErrorsAreInputErrors) {
  Tensor<int8_t> x({1, 4, 4, 8});
  ConvGeometry g;
  EXPECT_THROW(Conv2dAccInt32(x, Tensor<int8_t>({2, 3, 3, 4}), {}, g, 0),
               InputError);
  g.groups = 2;
  EXPECT_NO_THROW(Conv2dAccInt32(x, Tensor<int8_t>({2, 3, 3, 4}), {}, g, 0));
  g.groups = 3;
  EXPECT_THROW(Conv2dAccInt32(x, Tensor<int8_t>({3, 3, 3, 8}), {}, g, 0),
               InputError);
  g.groups = 1;
  EXPECT_THROW(Conv2dAccInt32(x, Tensor<int8_t>({2, 3, 3, 8}), {1, 2, 3}, g, 0),
               InputError);
  EXPECT_THROW(Conv2dAccInt32(x, Tensor<int8_t>({2, 5, 5, 8}), {}, g, 0),
               InputError);
  EXPECT_THROW(FullyConnectedAccInt32(x, Tensor<int8_t>({2, 100}), {}, 0),
               InputError);
  QuantParams q;  // no multipliers for 2 channels
  EXPECT_THROW(FullyConnectedInt8(x, Tensor<int8_t>({2, 128}), {}, q),
               InputError);
  try {
    Conv2dAccInt32(x, Tensor<int8_t>({2, 3, 3, 16}), {}, g, 0);
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "input has 8 channels but weights expect 16 (groups 1)");
  }
}

void NaiveGemm(int m, int n, int k, const std::vector<int8_t>& a, int lda,
               const std::vector<int8_t>& b, int ldb, std::vector<int32_t>* c,
               int ldc, bool accumulate) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      int64_t s = accumulate ? (*c)[i * ldc + j] : 0;
      for (int kk = 0; kk < k; ++kk)
        s += int64_t{a[i * lda + kk]} * b[kk * ldb + j];
      (*c)[i * ldc + j] = Mod32(s);
    }
}

TEST(LayersTest, GemmMatchesNaiveWithStridesAndAccumulate) {
  SplitMix64 rng(11);
  struct Dims {
    int m, n, k;
  };
  for (const Dims& dim :
       {Dims{1, 1, 1}, Dims{4, 16, 16}, Dims{7, 5, 3}, Dims{13, 33, 70},
        Dims{64, 64, 576}, Dims{3, 1, 9}, Dims{0, 4, 4}, Dims{5, 3, 0}}) {
    for (bool accumulate : {false, true}) {
      const int lda = dim.k + 3, ldb = dim.n + 2, ldc = dim.n + 1;
      std::vector<int8_t> a(static_cast<size_t>(dim.m) * lda + 1);
      std::vector<int8_t> b(static_cast<size_t>(dim.k) * ldb + 1);
      std::vector<int32_t> c(static_cast<size_t>(dim.m) * ldc + 1);
      for (auto& v : a) v = static_cast<int8_t>(rng.Uniform(-128, 127));
      for (auto& v : b) v = static_cast<int8_t>(rng.Uniform(-128, 127));
      for (auto& v : c) v = static_cast<int32_t>(rng.Uniform(-2000000000, 2000000000));
      std::vector<int32_t> expected = c;
      NaiveGemm(dim.m, dim.n, dim.k, a, lda, b, ldb, &expected, ldc,
                accumulate);
      GemmInt8Int32(dim.m, dim.n, dim.k, a.data(), lda, b.data(), ldb, c.data(),
                    ldc, accumulate);
      // Compares every element including the ldc padding, which must be
      // left untouched.
      ASSERT_EQ(c, expected) << dim.m << "x" << dim.n << "x" << dim.k
                             << " accumulate=" << accumulate;
    }
  }
}

TEST(LayersTest, GemmWrapsAround) {
  // 140000 * (-128 * -128) = 2293760000 wraps to 2293760000 - 2^32; with
  // accumulate the starting value INT32_MIN wraps once more.
  const int k = 140000;
  std::vector<int8_t> a(k, -128), b(k, -128);
  int32_t c = 0;
  GemmInt8Int32(1, 1, k, a.data(), k, b.data(), 1, &c, 1, false);
  EXPECT_EQ(c, -2001207296);
  c = -2147483647 - 1;
  GemmInt8Int32(1, 1, k, a.data(), k, b.data(), 1, &c, 1, true);
  EXPECT_EQ(c, 146276352);  // -2^31 + 2293760000
}

Tensor<int8_t> FromValues(const Shape& shape, const std::vector<int>& v) {
  Tensor<int8_t> t(shape);
  for (size_t i = 0; i < v.size(); ++i) t.data[i] = static_cast<int8_t>(v[i]);
  return t;
}

TEST(LayersTest, MaxPoolHandValues) {
  const Tensor<int8_t> x = FromValues({1, 4, 4, 1}, {1, 2, -3, 4,     //
                                                     -5, 6, 7, -8,    //
                                                     9, -10, 11, 12,  //
                                                     -128, -1, 0, 127});
  PoolParams p;  // 2x2 stride 2
  Tensor<int8_t> y = MaxPool2dInt8(x, p);
  EXPECT_EQ(y.shape, (Shape{1, 2, 2, 1}));
  EXPECT_EQ(y.data, (std::vector<int8_t>{6, 7, 9, 127}));
  p.act_min = 8;
  p.act_max = 100;
  EXPECT_EQ(MaxPool2dInt8(x, p).data, (std::vector<int8_t>{8, 8, 9, 100}));
  // 3x3 stride 2 pad 1: windows clipped to the image.
  PoolParams q;
  q.kh = q.kw = 3;
  q.pad_top = q.pad_left = q.pad_bottom = q.pad_right = 1;
  y = MaxPool2dInt8(x, q);
  EXPECT_EQ(y.shape, (Shape{1, 2, 2, 1}));
  // (0,0): rows 0-1, cols 0-1 -> 6; (0,1): rows 0-1, cols 1-3 -> 7;
  // (1,0): rows 1-3, cols 0-1 -> 9; (1,1): rows 1-3, cols 1-3 -> 127.
  EXPECT_EQ(y.data, (std::vector<int8_t>{6, 7, 9, 127}));
}

TEST(LayersTest, AvgPoolRoundsHalfAwayFromZeroOverInBoundsTaps) {
  // Two channels; windows 2x2.
  const Tensor<int8_t> x = FromValues(
      {1, 2, 4, 2}, {1, -1, 2, -2, 1, 3, 1, 3, 0, 0, 1, -1, 2, 3, 3, 3});
  PoolParams p;
  Tensor<int8_t> y = AvgPool2dInt8(x, p);
  EXPECT_EQ(y.shape, (Shape{1, 1, 2, 2}));
  // ch0: {1,2,0,1}=4/4=1, {1,1,2,3}=7/4=1.75->2; ch1: {-1,-2,0,-1}=-4/4=-1,
  // {3,3,3,3}=3.
  EXPECT_EQ(y.data, (std::vector<int8_t>{1, -1, 2, 3}));
  // 1x2 windows: ties. ch0 {1,2} 1.5->2, ch1 {-1,-2} -1.5->-2.
  p.kh = 1;
  p.kw = 2;
  p.stride_h = 1;
  y = AvgPool2dInt8(x, p);
  EXPECT_EQ(y.shape, (Shape{1, 2, 2, 2}));
  EXPECT_EQ(y.data, (std::vector<int8_t>{2, -2, 1, 3, 1, -1, 3, 3}));
  // Padding: 2x2 window at the top-left corner with pad 1 has one tap, so
  // it divides by 1, not 4.
  PoolParams q;
  q.pad_top = q.pad_left = 1;
  q.pad_bottom = q.pad_right = 1;
  y = AvgPool2dInt8(x, q);
  EXPECT_EQ(y.shape, (Shape{1, 2, 3, 2}));
  // (0,0) {1}|{-1}; (0,1) {2,1} 1.5->2 | {-2,3} 0.5->1; (0,2) {1}|{3};
  // (1,0) {0}|{0}; (1,1) {1,2} 1.5->2 | {-1,3} 1; (1,2) {3}|{3}.
  EXPECT_EQ(y.data, (std::vector<int8_t>{1, -1, 2, 1, 1, 3, 0, 0, 2, 1, 3, 3}));
}

TEST(LayersTest, AddMatchesHandComputedTfliteArithmetic) {
  // Equal unit scales: twice_max = 2, input multipliers 0.5 = (2^30, 0),
  // output multiplier 2 / 2^20 = (2^30, -18). 3 + 4: (3<<20)*0.5 +
  // (4<<20)*0.5 = 3670016; * 0.5 = 1835008; / 2^18 = 7.
  AddParams p;
  Tensor<int8_t> a = FromValues({1, 1, 1, 4}, {3, -100, 100, 0});
  Tensor<int8_t> b = FromValues({1, 1, 1, 4}, {4, -100, 100, -128});
  EXPECT_EQ(AddInt8(a, b, p).data, (std::vector<int8_t>{7, -128, 127, -128}));
  // Output scale 2: 1 + 0 = 0.5 and -1 + 0 = -0.5 round away from zero.
  p.out_scale = 2;
  a = FromValues({1, 1, 1, 4}, {1, -1, 3, -3});
  b = FromValues({1, 1, 1, 4}, {0, 0, 0, 0});
  EXPECT_EQ(AddInt8(a, b, p).data, (std::vector<int8_t>{1, -1, 2, -2}));
  // Different scales and zero points: a_scale 0.5, b_scale 0.25, out 0.1,
  // a_zp 10, b_zp -20, out_zp 5. twice_max = 1, so the input multipliers are
  // 0.5 = (2^30, 0) and 0.25 = (2^30, -1); the output multiplier
  // 1 / (2^20 * 0.1) = 0.625 * 2^-16 = (1342177280, -16), exact.
  //   (30, -4):  20<<20 * 0.5 + 16<<20 * 0.25 = 14680064 -> 140, +5 -> 127
  //   (12, -16): 1048576 + 1048576 = 2097152 -> 20, +5 = 25
  //   (5, -20):  -2621440 + 0 -> -25, +5 = -20
  //   (11, -19): 524288 + 262144 = 786432 -> 7.5 (tie) -> 8, +5 = 13
  //   (10, -23): 0 - 786432 -> -7.5 (tie) -> -8, +5 = -3
  p = AddParams{};
  p.a_scale = 0.5;
  p.b_scale = 0.25;
  p.out_scale = 0.1;
  p.a_zp = 10;
  p.b_zp = -20;
  p.out_zp = 5;
  a = FromValues({1, 1, 1, 5}, {30, 12, 5, 11, 10});
  b = FromValues({1, 1, 1, 5}, {-4, -16, -20, -19, -23});
  EXPECT_EQ(AddInt8(a, b, p).data, (std::vector<int8_t>{127, 25, -20, 13, -3}));
  EXPECT_THROW(AddInt8(a, Tensor<int8_t>({1, 1, 2, 2}), p), InputError);
}

// Naive float conv in double, also returning sum |terms| per output for the
// error bound.
void NaiveConvFloat(const Tensor<float>& x, const Tensor<float>& w,
                    const std::vector<float>& bias, const ConvGeometry& g,
                    Tensor<double>* out, Tensor<double>* mag) {
  const int o_ = w.dim(0), kh = w.dim(1), kw = w.dim(2), ig = w.dim(3);
  const int og = o_ / g.groups;
  for (int n = 0; n < out->dim(0); ++n)
    for (int oy = 0; oy < out->dim(1); ++oy)
      for (int ox = 0; ox < out->dim(2); ++ox)
        for (int o = 0; o < o_; ++o) {
          double s = bias.empty() ? 0 : bias[o];
          double m = std::fabs(s);
          for (int ky = 0; ky < kh; ++ky)
            for (int kx = 0; kx < kw; ++kx) {
              const int y = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
              const int xx = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
              if (y < 0 || y >= x.dim(1) || xx < 0 || xx >= x.dim(2)) continue;
              for (int i = 0; i < ig; ++i) {
                const double t = double{x.at(n, y, xx, (o / og) * ig + i)} *
                                 w.at(o, ky, kx, i);
                s += t;
                m += std::fabs(t);
              }
            }
          out->at(n, oy, ox, o) = s;
          mag->at(n, oy, ox, o) = m;
        }
}

TEST(LayersTest, FloatConvMatchesNaiveLoops) {
  SplitMix64 rng(3);
  const auto nd = [](SplitMix64& r) { return static_cast<float>(4 * r.Unit() - 2); };
  const ConvCase cases[] = {
      {"plain", {2, 7, 6, 5}, {4, 3, 3, 5}, Geom(1, 1, 1, 1, 1, 1, 1, 1, 1), 0},
      {"strided_asym",
       {1, 9, 8, 3},
       {6, 3, 2, 3},
       Geom(2, 3, 0, 1, 2, 1, 1, 1, 1),
       0},
      {"dilated_grouped",
       {1, 10, 10, 6},
       {4, 3, 3, 3},
       Geom(1, 1, 2, 2, 2, 2, 2, 2, 2),
       0},
      {"depthwise",
       {1, 6, 6, 4},
       {8, 3, 3, 1},
       Geom(1, 1, 1, 1, 1, 1, 1, 1, 4),
       0},
  };
  for (const ConvCase& c : cases) {
    Tensor<float> x(c.input), w(c.weights);
    for (auto& v : x.data) v = nd(rng);
    for (auto& v : w.data) v = nd(rng);
    std::vector<float> bias(c.weights[0]);
    for (auto& v : bias) v = nd(rng);
    const Tensor<float> y = Conv2dFloat(x, w, bias, c.geom);
    const Shape s = Conv2dOutputShape(c.input, c.weights, c.geom);
    ASSERT_EQ(y.shape, s) << c.name;
    Tensor<double> ref(s), mag(s);
    NaiveConvFloat(x, w, bias, c.geom, &ref, &mag);
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_LE(std::fabs(y.data[i] - ref.data[i]), 1e-5 * mag.data[i])
          << c.name << " element " << i;
    }
  }
}

TEST(LayersTest, FloatFullyConnectedMatchesNaiveLoops) {
  SplitMix64 rng(4);
  const auto nd = [](SplitMix64& r) { return static_cast<float>(4 * r.Unit() - 2); };
  Tensor<float> x({3, 2, 2, 5}), w({7, 20});
  for (auto& v : x.data) v = nd(rng);
  for (auto& v : w.data) v = nd(rng);
  std::vector<float> bias(7);
  for (auto& v : bias) v = nd(rng);
  const Tensor<float> y = FullyConnectedFloat(x, w, bias);
  ASSERT_EQ(y.shape, (Shape{3, 7}));
  for (int n = 0; n < 3; ++n)
    for (int o = 0; o < 7; ++o) {
      double s = bias[o], m = std::fabs(bias[o]);
      for (int i = 0; i < 20; ++i) {
        const double t = double{x.data[n * 20 + i]} * w.data[o * 20 + i];
        s += t;
        m += std::fabs(t);
      }
      EXPECT_LE(std::fabs(y.data[n * 7 + o] - s), 1e-5 * m) << n << "," << o;
    }
}

}  // namespace
}  // namespace sparq
