// Unit tests of rtl/sparq_gemm_engine.sv on three verilated shapes (4x4, 8x4,
// 16x16): random GEMM programs whose ACC results are compared element by
// element with a program-order reference, the token and SRAM-port protocol
// checked on every cycle (gemm_engine_tb.h), and the engine's issue rate.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "Vgemm_engine_16x16.h"
#include "Vgemm_engine_4x4.h"
#include "Vgemm_engine_8x4.h"
#include "tests/rtl/gemm_engine/gemm_engine_tb.h"

namespace sparq {
namespace {

struct Shape4x4 {
  using Model = Vgemm_engine_4x4;
  static constexpr TbShape kShape{4, 4};
};
struct Shape8x4 {
  using Model = Vgemm_engine_8x4;
  static constexpr TbShape kShape{8, 4};
};
struct Shape16x16 {
  using Model = Vgemm_engine_16x16;
  static constexpr TbShape kShape{16, 16};
};

constexpr int64_t kMaxCycles = 4'000'000;

int RandInt(SplitMix64* rng, int lo, int hi) {  // inclusive
  return static_cast<int>(rng->Uniform(lo, hi));
}
bool Coin(SplitMix64* rng, double p) {
  return rng->Bernoulli(p);
}

struct GenOptions {
  int max_m = 64;
  double single_row = 0.2;  // share of m_rows = 1
};

// Random GEMMs over the whole SRAMs, biased towards what stresses the ACC
// pipeline: a GEMM accumulating onto the rows of the previous one (a K loop),
// or starting on the previous one's last or second-to-last row (the same ACC
// row one or two cycles apart when the two stream back to back).
std::vector<GemmInstr> RandomProgram(const TbShape& s, int n, SplitMix64* rng,
                                     const GenOptions& o) {
  std::vector<GemmInstr> prog;
  int64_t prev_base = 0, prev_m = 1;
  for (int i = 0; i < n; ++i) {
    GemmInstr g;
    g.m_rows = Coin(rng, o.single_row) ? 1 : RandInt(rng, 1, o.max_m);
    const int pick = RandInt(rng, 0, 99);
    g.act_stride = pick < 15 ? 0 : pick < 60 ? 1 : RandInt(rng, 2, 40);
    g.act_base =
        RandInt(rng, 0, s.act_lines() - 1 - (g.m_rows - 1) * g.act_stride);
    g.wgt_base = RandInt(rng, 0, s.wgt_lines() - s.rows);
    const int how = RandInt(rng, 0, 99);
    int64_t base = -1;
    if (how < 30) {
      base = prev_base;
    } else if (how < 42) {
      base = prev_base + prev_m - 1;
    } else if (how < 52) {
      base = prev_base + prev_m - 2;
    } else if (how < 60) {
      base = prev_base + prev_m;
    }
    if (base < 0 || base + g.m_rows > s.acc_rows()) {
      base = RandInt(rng, 0, s.acc_rows() - static_cast<int>(g.m_rows));
      g.accumulate = Coin(rng, 0.5);
    } else {
      g.accumulate = Coin(rng, 0.8);
    }
    g.acc_base = base;
    g.k_valid = RandInt(rng, 1, s.rows);
    g.n_valid = RandInt(rng, 1, s.cols);
    g.pop_prev = Coin(rng, 0.5);
    g.pop_next = Coin(rng, 0.5);
    g.push_prev = Coin(rng, 0.5);
    g.push_next = Coin(rng, 0.5);
    prev_base = g.acc_base;
    prev_m = g.m_rows;
    prog.push_back(g);
  }
  return prog;
}

// Runs prog on a fresh engine and compares every defined ACC element.
template <class Shape>
void RunAndCompare(const std::vector<GemmInstr>& prog, const TbTraffic& traffic,
                   uint32_t seed, GemmEngineTb<typename Shape::Model>* tb) {
  GemmReference ref(Shape::kShape, &tb->act(), &tb->wgt());
  for (const GemmInstr& g : prog) ref.Apply(g);
  tb->Submit(prog, traffic);
  ASSERT_TRUE(tb->RunToIdle(kMaxCycles))
      << tb->error() << " (seed " << seed << ")";
  const int64_t compared = tb->CompareAcc(ref);
  ASSERT_GE(compared, 0) << tb->error() << " (seed " << seed << ")";

  uint64_t rows = 0, macs = 0;
  std::vector<bool> written(Shape::kShape.acc_rows(), false);
  for (const GemmInstr& g : prog) {
    rows += g.m_rows;
    macs += g.m_rows * g.k_valid * g.n_valid;
    for (int64_t m = 0; m < g.m_rows && !g.accumulate; ++m)
      written[g.acc_base + m] = true;
  }
  const int64_t overwritten = std::count(written.begin(), written.end(), true);
  EXPECT_EQ(compared, overwritten)
      << "every row a GEMM overwrote must be compared";
  EXPECT_EQ(tb->rows_issued(), rows);
  EXPECT_EQ(tb->useful_macs(), macs);
}

template <class Shape>
class GemmEngineTest : public ::testing::Test {};
using Shapes = ::testing::Types<Shape4x4, Shape8x4, Shape16x16>;
TYPED_TEST_SUITE(GemmEngineTest, Shapes);

TYPED_TEST(GemmEngineTest, RandomProgramsBackToBack) {
  uint64_t adjacent = 0, gap2 = 0;
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    GemmEngineTb<typename TypeParam::Model> tb(TypeParam::kShape, seed);
    const auto prog =
        RandomProgram(TypeParam::kShape, 120, &tb.rng(), GenOptions{});
    RunAndCompare<TypeParam>(prog, TbTraffic{}, seed, &tb);
    if (::testing::Test::HasFatalFailure()) return;
    adjacent += tb.rmw_adjacent();
    gap2 += tb.rmw_gap2();
  }
  // The forwarding path and the read-after-write through the bank were used.
  EXPECT_GT(adjacent, 0u);
  EXPECT_GT(gap2, 0u);
}

TYPED_TEST(GemmEngineTest, RandomProgramsWithGapsAndTokenDelays) {
  for (uint32_t seed = 11; seed <= 14; ++seed) {
    GemmEngineTb<typename TypeParam::Model> tb(TypeParam::kShape, seed);
    const auto prog =
        RandomProgram(TypeParam::kShape, 80, &tb.rng(), GenOptions{});
    TbTraffic traffic;
    traffic.gap_prob = 0.3;
    traffic.max_gap = 40;
    traffic.token_prob = 0.04;
    RunAndCompare<TypeParam>(prog, traffic, seed, &tb);
    if (::testing::Test::HasFatalFailure()) return;
    EXPECT_GT(tb.stall_load() + tb.stall_store(), 0u);
  }
}

// K loops of single-row GEMMs onto one ACC row: every tile read-modify-writes
// the row the previous tile has just written.
TYPED_TEST(GemmEngineTest, SingleRowAccumulationChains) {
  const TbShape s = TypeParam::kShape;
  GemmEngineTb<typename TypeParam::Model> tb(s, 21);
  SplitMix64& rng = tb.rng();
  std::vector<GemmInstr> prog;
  for (int chain = 0; chain < 40; ++chain) {
    const int row = RandInt(&rng, 0, s.acc_rows() - 1);
    const int len = RandInt(&rng, 1, 8);
    for (int k = 0; k < len; ++k) {
      GemmInstr g;
      g.m_rows = 1;
      g.act_base = RandInt(&rng, 0, s.act_lines() - 1);
      g.wgt_base = RandInt(&rng, 0, s.wgt_lines() - s.rows);
      g.acc_base = row;
      g.accumulate = k > 0;
      g.k_valid = s.rows;
      g.n_valid = s.cols;
      prog.push_back(g);
    }
  }
  RunAndCompare<TypeParam>(prog, TbTraffic{}, 21, &tb);
}

// Each GEMM pushes c2l/c2s; in the cycle it does, its last ACC row (whose
// column C-1 is written last) is read through the store port and must already
// hold the final values. ACC regions are disjoint, so nothing later changes
// them.
TYPED_TEST(GemmEngineTest, TokensPushedAfterLastColumnLands) {
  const TbShape s = TypeParam::kShape;
  GemmEngineTb<typename TypeParam::Model> tb(s, 31);
  SplitMix64& rng = tb.rng();
  const int regions = 24, region_rows = 32;
  ASSERT_LE(regions * region_rows, s.acc_rows());
  std::vector<GemmInstr> prog;
  for (int i = 0; i < regions; ++i) {  // defined starting values
    GemmInstr g;
    g.m_rows = region_rows;
    g.act_base = RandInt(&rng, 0, s.act_lines() - region_rows);
    g.act_stride = 1;
    g.wgt_base = RandInt(&rng, 0, s.wgt_lines() - s.rows);
    g.acc_base = i * region_rows;
    prog.push_back(g);
  }
  for (int i = 0; i < regions; ++i) {
    GemmInstr g;
    g.m_rows = RandInt(&rng, 1, region_rows);
    g.act_base = RandInt(&rng, 0, s.act_lines() - region_rows);
    g.act_stride = 1;
    g.wgt_base = RandInt(&rng, 0, s.wgt_lines() - s.rows);
    g.acc_base = i * region_rows +
                 RandInt(&rng, 0, region_rows - static_cast<int>(g.m_rows));
    g.accumulate = Coin(&rng, 0.5);
    g.push_prev = i % 2;
    g.push_next = 1;
    prog.push_back(g);
  }
  GemmReference ref(s, &tb.act(), &tb.wgt());
  for (const GemmInstr& g : prog) ref.Apply(g);
  int probed = 0;
  tb.set_push_probe([&](int i, int* row, std::vector<uint32_t>* expect) {
    if (i < regions) return false;
    const GemmInstr& g = prog[i];
    *row = static_cast<int>(g.acc_base + g.m_rows - 1);
    expect->resize(s.cols);
    for (int c = 0; c < s.cols; ++c) (*expect)[c] = ref.acc(*row, c);
    ++probed;
    return true;
  });
  tb.Submit(prog, TbTraffic{});
  ASSERT_TRUE(tb.RunToIdle(kMaxCycles)) << tb.error();
  EXPECT_EQ(probed, regions);
  ASSERT_GE(tb.CompareAcc(ref), 0) << tb.error();
}

// Back-to-back tiles of m_rows rows start every max(m_rows, R, C - 1) cycles:
// the ACT port, the weight port (R lines per tile) and the PE bank the tile
// reuses (free once the tile two back has crossed all C columns).
TYPED_TEST(GemmEngineTest, TilesStreamWithoutExtraBubbles) {
  const TbShape s = TypeParam::kShape;
  const std::vector<int> ms = {
      1,          2,          s.rows - 1,     s.rows, s.rows + 1,
      s.cols - 1, s.cols + 1, 2 * s.rows + 3, 49};
  for (int m : ms) {
    GemmEngineTb<typename TypeParam::Model> tb(s, 41);
    std::vector<GemmInstr> prog;
    for (int i = 0; i < 12; ++i) {
      GemmInstr g;
      g.m_rows = m;
      g.act_base = 64 * i;
      g.act_stride = 1;
      g.wgt_base = s.rows * i;
      g.acc_base = m * (i % 2);
      g.accumulate = i >= 2;
      g.pop_prev = 1;
      g.pop_next = i % 3 == 0;
      g.k_valid = s.rows;
      g.n_valid = s.cols;
      prog.push_back(g);
    }
    RunAndCompare<TypeParam>(prog, TbTraffic{}, 41, &tb);
    if (::testing::Test::HasFatalFailure()) return;
    const int64_t expect = std::max({m, s.rows, s.cols - 1});
    for (size_t i = 2; i < prog.size(); ++i) {
      EXPECT_EQ(tb.log()[i].first_row - tb.log()[i - 1].first_row, expect)
          << "m_rows " << m << ", tile " << i;
    }
    // The bubbles between tiles are counted as weight stalls.
    EXPECT_GE(tb.stall_weights(),
              static_cast<uint64_t>(expect - m) * (prog.size() - 2));
  }
}

// int32 accumulation wraps: -128 * -128 summed over all R rows, accumulated
// past 2^31 into the same ACC rows.
TYPED_TEST(GemmEngineTest, AccumulatorWrapsAroundInt32) {
  const TbShape s = TypeParam::kShape;
  GemmEngineTb<typename TypeParam::Model> tb(s, 51);
  std::fill(tb.act().begin(), tb.act().begin() + 2 * s.rows, int8_t{-128});
  tb.act()[s.rows] = 127;  // line 1 differs in one byte
  std::fill(tb.wgt().begin(), tb.wgt().begin() + s.rows * s.cols, int8_t{-128});
  const int64_t per_tile = int64_t{s.rows} * 16384;
  const int tiles = static_cast<int>((int64_t{1} << 31) / per_tile) + 5;
  std::vector<GemmInstr> prog;
  for (int i = 0; i < tiles; ++i) {
    GemmInstr g;
    g.m_rows = 2;
    g.act_base = 0;
    g.act_stride = 1;
    g.acc_base = 7;
    g.accumulate = i > 0;
    g.k_valid = s.rows;
    g.n_valid = s.cols;
    prog.push_back(g);
  }
  RunAndCompare<TypeParam>(prog, TbTraffic{}, 51, &tb);
  const std::vector<uint32_t> row = tb.ReadAccRow(7);
  const int64_t unwrapped = per_tile * tiles;
  ASSERT_GT(unwrapped, INT32_MAX);
  EXPECT_EQ(static_cast<int32_t>(row[0]),
            static_cast<int32_t>(static_cast<uint32_t>(unwrapped)));
}

// Rows issued per cycle of long back-to-back GEMMs on the default array, from
// the first row issued to the last. Cycle counts, not wall time.
double IssueRate16x16(int m_rows, int tiles, int64_t* total_cycles) {
  const TbShape s = Shape16x16::kShape;
  GemmEngineTb<Vgemm_engine_16x16> tb(s, 61);
  std::vector<GemmInstr> prog;
  for (int i = 0; i < tiles; ++i) {
    GemmInstr g;
    g.m_rows = m_rows;
    g.act_base = (i * 97) % 4096;
    g.act_stride = 1;
    g.wgt_base = (s.rows * i) % (s.wgt_lines() - s.rows);
    g.acc_base = (i % 4) * m_rows;
    g.accumulate = i >= 4;
    g.pop_prev = 1;
    g.pop_next = i % 4 == 0;
    g.push_prev = 1;
    g.push_next = i % 4 == 3;
    g.k_valid = s.rows;
    g.n_valid = s.cols;
    prog.push_back(g);
  }
  RunAndCompare<Shape16x16>(prog, TbTraffic{}, 61, &tb);
  if (::testing::Test::HasFatalFailure()) return 0;
  const int64_t span =
      tb.log().back().last_row - tb.log().front().first_row + 1;
  *total_cycles = tb.log().back().done;
  return static_cast<double>(m_rows) * tiles / span;
}

TEST(GemmEngineThroughputTest, LongGemmsKeepTheArrayBusy) {
  for (int m : {49, 224}) {
    int64_t total = 0;
    const double rate = IssueRate16x16(m, 40, &total);
    if (::testing::Test::HasFatalFailure()) return;
    std::printf(
        "16x16, 40 GEMMs of m_rows=%d: %.4f rows/cycle while streaming, "
        "%lld cycles from reset to the last done\n",
        m, rate, static_cast<long long>(total));
    EXPECT_GE(rate, 0.95) << "m_rows " << m;
  }
}

}  // namespace
}  // namespace sparq
