#include "golden/compress/prune.h"

#include <gtest/gtest.h>

#include "golden/errors.h"
#include "tests/compress/test_util.h"

namespace sparq {
namespace {

using testing::RandomAct;
using testing::Randomize;
using testing::RandomMat;

TEST(PruneTest, MagnitudeHitsTheSparsityExactly) {
  std::mt19937 rng(1);
  Linear fc("fc", 37, 11);  // 407 weights
  Randomize(&fc, &rng);
  // Ties: a block of equal magnitudes straddles the cut.
  fc.weight().value.row(0).setConstant(0.01f);
  fc.weight().value.row(1).setConstant(-0.01f);
  for (double sp : {0.0, 0.1, 0.5, 0.75, 0.9, 0.99, 1.0}) {
    Linear l = fc;
    MagnitudePrune(&l, sp);
    const int64_t zeros = l.weight().value.size() - l.weight().NonZeros();
    EXPECT_EQ(zeros, std::llround(sp * 407)) << sp;
    EXPECT_EQ((l.weight().mask.array() == 0).count(), zeros);
  }
}

TEST(PruneTest, MagnitudeRemovesTheSmallestAndIsMonotone) {
  std::mt19937 rng(2);
  Linear fc("fc", 20, 10);
  Randomize(&fc, &rng);
  const Mat orig = fc.weight().value;
  MagnitudePrune(&fc, 0.5);
  const Mat mask50 = fc.weight().mask;
  float max_pruned = 0, min_kept = INFINITY;
  for (int i = 0; i < orig.size(); ++i) {
    const float m = std::fabs(orig.data()[i]);
    if (mask50.data()[i] == 0)
      max_pruned = std::max(max_pruned, m);
    else
      min_kept = std::min(min_kept, m);
  }
  EXPECT_LE(max_pruned, min_kept);
  // Retraining may grow survivors past pruned ones; those stay pruned.
  fc.weight().value = RandomMat(10, 20, &rng);
  fc.weight().ApplyMask();
  MagnitudePrune(&fc, 0.8);
  for (int i = 0; i < orig.size(); ++i) {
    if (mask50.data()[i] == 0) {
      EXPECT_EQ(fc.weight().mask.data()[i], 0) << i;
    }
  }
  EXPECT_EQ(fc.weight().NonZeros(), 40);
}

TEST(PruneTest, NmGroupsAreValidAndKeepTheLargest) {
  std::mt19937 rng(3);
  Linear fc("fc", 26, 9);  // 6 full groups of 4 and a partial group of 2
  Randomize(&fc, &rng);
  const Mat orig = fc.weight().value;
  NmPrune(&fc, 2, 4);
  const Mat& w = fc.weight().value;
  EXPECT_TRUE(IsNmSparse(w, 2, 4));
  for (int r = 0; r < 9; ++r) {
    for (int g0 = 0; g0 < 24; g0 += 4) {
      EXPECT_EQ((w.row(r).segment(g0, 4).array() != 0).count(), 2);
      // Every kept weight is at least as large as every dropped one.
      float min_kept = INFINITY, max_dropped = 0;
      for (int j = g0; j < g0 + 4; ++j) {
        const float m = std::fabs(orig(r, j));
        if (w(r, j) != 0)
          min_kept = std::min(min_kept, m);
        else
          max_dropped = std::max(max_dropped, m);
      }
      EXPECT_GE(min_kept, max_dropped);
    }
    EXPECT_EQ(w(r, 24), orig(r, 24));  // partial group of 2 keeps both
    EXPECT_EQ(w(r, 25), orig(r, 25));
  }
  EXPECT_EQ(fc.weight().NonZeros(), 9 * (6 * 2 + 2));
  Mat bad = w;
  bad(0, 1) = bad(0, 2) = bad(0, 3) = bad(0, 0) = 1;
  EXPECT_FALSE(IsNmSparse(bad, 2, 4));
}

// conv -> relu -> pool -> conv -> relu -> pool -> flatten -> fc.
Model SmallCnn(std::mt19937* rng) {
  Model m;
  ConvSpec a;
  a.in_c = 2;
  a.out_c = 6;
  a.kh = a.kw = 3;
  a.pad_h = a.pad_w = 1;
  ConvSpec b = a;
  b.in_c = 6;
  b.out_c = 5;
  auto c1 = std::make_unique<Conv2d>("c1", a);
  auto c2 = std::make_unique<Conv2d>("c2", b);
  auto fc = std::make_unique<Linear>("fc", 2 * 2 * 5, 3);
  Randomize(c1.get(), rng);
  Randomize(c2.get(), rng);
  Randomize(fc.get(), rng);
  m.Add(std::move(c1));
  m.Add(std::make_unique<ReLU>("r1"));
  m.Add(std::make_unique<MaxPool2d>("p1", 2, 2));
  m.Add(std::move(c2));
  m.Add(std::make_unique<ReLU>("r2"));
  m.Add(std::make_unique<MaxPool2d>("p2", 2, 2));
  m.Add(std::make_unique<Flatten>("flat"));
  m.Add(std::move(fc));
  return m;
}

// Removing filters must equal zeroing them (weights and bias): a zero
// channel after ReLU contributes nothing downstream.
void ExpectShrinkEqualsZeroing(const std::string& name, int keep) {
  std::mt19937 rng(4);
  Model m = SmallCnn(&rng);
  const Act in = RandomAct(3, 8, 8, 2, &rng);
  Model pruned = m;
  const std::vector<int> kept = PruneFilters(&pruned, name, keep, {8, 8, 2});
  ASSERT_EQ(static_cast<int>(kept.size()), keep);
  auto* conv = dynamic_cast<Conv2d*>(m.layer(m.Find(name)));
  for (int o = 0; o < conv->spec().out_c; ++o) {
    if (std::find(kept.begin(), kept.end(), o) == kept.end()) {
      conv->weight().value.row(o).setZero();
      conv->bias().value(0, o) = 0;
    }
  }
  const Mat ref = m.Forward(in, false).x;
  const Mat out = pruned.Forward(in, false).x;
  ASSERT_EQ(out.rows(), ref.rows());
  ASSERT_EQ(out.cols(), ref.cols());
  for (int i = 0; i < ref.size(); ++i) {
    EXPECT_NEAR(out.data()[i], ref.data()[i], 1e-5f) << i;
  }
  EXPECT_EQ(
      dynamic_cast<Conv2d*>(pruned.layer(pruned.Find(name)))->spec().out_c,
      keep);
}

TEST(PruneTest, FilterPruningShrinksConvAndConvConsumer) {
  ExpectShrinkEqualsZeroing("c1", 4);
}

TEST(PruneTest, FilterPruningShrinksConvAndFcConsumer) {
  ExpectShrinkEqualsZeroing("c2", 2);
}

TEST(PruneTest, FilterPruningKeepsTheLargestL1Norms) {
  std::mt19937 rng(5);
  Model m = SmallCnn(&rng);
  auto* conv = dynamic_cast<Conv2d*>(m.layer(0));
  for (int o = 0; o < 6; ++o)
    conv->weight().value.row(o).setConstant(0.1f * (o % 3 + 1) *
                                            (o < 3 ? 1 : -1.01f));
  // L1 norms: o=0:1.8 1:3.6 2:5.4 3:1.818 4:3.636 5:5.454 (x 18 taps / 18)
  EXPECT_EQ(PruneFilters(&m, "c1", 3, {8, 8, 2}), (std::vector<int>{2, 4, 5}));
}

TEST(PruneTest, FilterPruningRejectsBadRequests) {
  std::mt19937 rng(6);
  Model m = SmallCnn(&rng);
  EXPECT_THROW(PruneFilters(&m, "fc", 2, {8, 8, 2}), InputError);
  EXPECT_THROW(PruneFilters(&m, "nope", 2, {8, 8, 2}), InputError);
  EXPECT_THROW(PruneFilters(&m, "c1", 0, {8, 8, 2}), InputError);
  EXPECT_THROW(PruneFilters(&m, "c1", 7, {8, 8, 2}), InputError);
}

}  // namespace
}  // namespace sparq
