#include "golden/compress/lowrank.h"

#include <gtest/gtest.h>

#include "tests/compress/test_util.h"

namespace sparq {
namespace {

using testing::RandomAct;
using testing::Randomize;
using testing::RelError;
using testing::RunAll;

Conv2d MakeConv(int in, int out, int k, int stride, int pad, uint32_t seed) {
  ConvSpec s;
  s.in_c = in;
  s.out_c = out;
  s.kh = s.kw = k;
  s.stride_h = s.stride_w = stride;
  s.pad_h = s.pad_w = pad;
  Conv2d c("conv", s);
  std::mt19937 rng(seed);
  Randomize(&c, &rng);
  return c;
}

TEST(LowRankTest, SvdAtFullRankReconstructs) {
  std::mt19937 rng(1);
  Linear fc("fc", 12, 8);
  Randomize(&fc, &rng);
  const Act in = RandomAct(5, 1, 1, 12, &rng);
  ModuleList parts = SvdDecompose(fc, 8);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0]->name(), "fc_a");
  EXPECT_LT(RelError(RunAll(parts, in).x, fc.Forward(in, false).x), 1e-5);
}

TEST(LowRankTest, SvdErrorDoesNotGrowWithRank) {
  std::mt19937 rng(2);
  Linear fc("fc", 20, 10);
  Randomize(&fc, &rng);
  const Act in = RandomAct(16, 1, 1, 20, &rng);
  const Mat ref = fc.Forward(in, false).x;
  double prev = INFINITY;
  for (int r = 1; r <= 10; ++r) {
    ModuleList parts = SvdDecompose(fc, r);
    const double err = RelError(RunAll(parts, in).x, ref);
    EXPECT_LE(err, prev + 1e-6) << "rank " << r;
    prev = err;
  }
  EXPECT_LT(prev, 1e-5);
}

TEST(LowRankTest, Tucker2AtFullRankReconstructs) {
  const Conv2d conv = MakeConv(6, 8, 3, 2, 1, 3);
  std::mt19937 rng(4);
  const Act in = RandomAct(2, 7, 7, 6, &rng);
  ModuleList parts = Tucker2Decompose(conv, 6, 8);
  ASSERT_EQ(parts.size(), 3u);
  Conv2d copy = conv;
  const Act out = RunAll(parts, in);
  const Act ref = copy.Forward(in, false);
  ASSERT_EQ(out.h, ref.h);
  ASSERT_EQ(out.w, ref.w);
  EXPECT_LT(RelError(out.x, ref.x), 1e-5);
}

TEST(LowRankTest, Tucker2ErrorDoesNotGrowWithRank) {
  const Conv2d conv = MakeConv(8, 8, 3, 1, 1, 5);
  std::mt19937 rng(6);
  const Act in = RandomAct(2, 6, 6, 8, &rng);
  Conv2d copy = conv;
  const Mat ref = copy.Forward(in, false).x;
  double prev = INFINITY;
  for (int r = 1; r <= 8; ++r) {
    ModuleList parts = Tucker2Decompose(conv, r, r);
    const double err = RelError(RunAll(parts, in).x, ref);
    EXPECT_LE(err, prev + 1e-6) << "rank " << r;
    prev = err;
  }
  EXPECT_LT(prev, 1e-5);
}

TEST(LowRankTest, GroupedTucker2HasBlockDiagonalCore) {
  const Conv2d conv = MakeConv(8, 12, 3, 1, 1, 7);
  ModuleList parts = GroupedTucker2Decompose(conv, 8, 12, 4);
  ASSERT_EQ(parts.size(), 3u);
  const auto* core = dynamic_cast<const Conv2d*>(parts[1].get());
  ASSERT_NE(core, nullptr);
  EXPECT_EQ(core->spec().groups, 4);
  EXPECT_EQ(core->weight().value.rows(), 12);
  EXPECT_EQ(core->weight().value.cols(), 9 * 2);
  // One group reproduces plain Tucker-2.
  std::mt19937 rng(8);
  const Act in = RandomAct(1, 5, 5, 8, &rng);
  ModuleList one = GroupedTucker2Decompose(conv, 8, 12, 1);
  Conv2d copy = conv;
  EXPECT_LT(RelError(RunAll(one, in).x, copy.Forward(in, false).x), 1e-5);
}

TEST(LowRankTest, CpRecoversAnExactLowRankKernel) {
  // W = sum of 3 rank-one terms: CP at rank 3 must find it.
  constexpr int kRank = 3;
  ConvSpec s;
  s.in_c = 4;
  s.out_c = 5;
  s.kh = s.kw = 3;
  s.pad_h = s.pad_w = 1;
  Conv2d conv("conv", s);
  std::mt19937 rng(9);
  std::normal_distribution<float> nd;
  Mat a(5, kRank), b(3, kRank), c(3, kRank), d(4, kRank);
  for (Mat* m : {&a, &b, &c, &d}) {
    for (int i = 0; i < m->size(); ++i) m->data()[i] = nd(rng);
  }
  Mat& w = conv.weight().value;
  w.setZero();
  for (int o = 0; o < 5; ++o)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 3; ++x)
        for (int i = 0; i < 4; ++i)
          for (int r = 0; r < kRank; ++r)
            w(o, (y * 3 + x) * 4 + i) += a(o, r) * b(y, r) * c(x, r) * d(i, r);
  CpOptions opt;
  opt.iterations = 2000;
  opt.tolerance = 1e-12;
  double err = 1;
  ModuleList parts = CpDecompose(conv, kRank, opt, &err);
  EXPECT_LT(err, 1e-5);
  ASSERT_EQ(parts.size(), 4u);
  const auto* dw = dynamic_cast<const Conv2d*>(parts[1].get());
  EXPECT_EQ(dw->spec().groups, kRank);
  EXPECT_EQ(dw->spec().kh, 3);
  EXPECT_EQ(dw->spec().kw, 1);
  const Act in = RandomAct(2, 5, 5, 4, &rng);
  EXPECT_LT(RelError(RunAll(parts, in).x, conv.Forward(in, false).x), 1e-4);
}

TEST(LowRankTest, CpErrorDoesNotGrowWithRank) {
  const Conv2d conv = MakeConv(4, 6, 3, 1, 1, 10);
  double prev = INFINITY;
  for (int r : {1, 2, 4, 8, 16, 32}) {
    double err = 0;
    CpOptions opt;
    opt.iterations = 300;
    CpDecompose(conv, r, opt, &err);
    EXPECT_LE(err, prev + 1e-6) << "rank " << r;
    prev = err;
  }
}

TEST(LowRankTest, RankForEnergy) {
  Eigen::VectorXf sv(4);
  sv << 3, 2, 1, 0;  // energies 9, 4, 1, 0 of 14
  EXPECT_EQ(RankForEnergy(sv, 0.5), 1);
  EXPECT_EQ(RankForEnergy(sv, 0.9), 2);
  EXPECT_EQ(RankForEnergy(sv, 0.95), 3);
  EXPECT_EQ(RankForEnergy(sv, 1.0), 3);
}

}  // namespace
}  // namespace sparq
