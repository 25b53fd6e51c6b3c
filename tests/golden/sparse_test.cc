// golden's sparse product equals the dense int8 GEMM reference bit for bit:
// random densities, zero activations, accumulate, and int32 wrap-around.

#include "golden/sparse.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "golden/layers.h"
#include "golden/random.h"

namespace sparq {
namespace {

int8_t Draw(SplitMix64* rng, double keep) {
  const double u = static_cast<double>(rng->Next() >> 11) / 9007199254740992.0;
  if (u >= keep) return 0;
  return static_cast<int8_t>(static_cast<int>(rng->Next() % 256) - 128);
}

TEST(SparseGoldenTest, EqualsDenseGemm) {
  SplitMix64 rng(3);
  for (int trial = 0; trial < 40; ++trial) {
    const int m = 1 + static_cast<int>(rng.Next() % 5);
    const int k = 1 + static_cast<int>(rng.Next() % 70);
    const int n = 1 + static_cast<int>(rng.Next() % 50);
    const double d = (trial % 5) / 4.0;
    std::vector<int8_t> a(static_cast<size_t>(m) * k), w(static_cast<size_t>(k) * n);
    for (int8_t& v : a) v = Draw(&rng, 0.5);
    for (int8_t& v : w) v = Draw(&rng, d);
    const bool accumulate = trial % 2 == 1;
    std::vector<int32_t> dense(static_cast<size_t>(m) * n, 12345);
    std::vector<int32_t> sparse = dense;
    GemmInt8Int32(m, n, k, a.data(), k, w.data(), n, dense.data(), n, accumulate);
    const CscMatrix csc = CscFromDense(w.data(), n, k, n);
    SparseGemmInt8Int32(m, a.data(), k, csc, sparse.data(), n, accumulate);
    EXPECT_EQ(sparse, dense) << "trial " << trial;
  }
}

TEST(SparseGoldenTest, WrapsLikeTheDenseReference) {
  // 2^31 / (128 * 128) products of -128 * -128 overflow int32.
  const int k = 140000;
  std::vector<int8_t> a(k, -128), w(k, -128);
  int32_t dense = 7, sparse = 7;
  GemmInt8Int32(1, 1, k, a.data(), k, w.data(), 1, &dense, 1, true);
  const CscMatrix csc = CscFromDense(w.data(), 1, k, 1);
  SparseGemmInt8Int32(1, a.data(), k, csc, &sparse, 1, true);
  EXPECT_EQ(sparse, dense);
  EXPECT_LT(dense, 0);  // wrapped
}

TEST(SparseGoldenTest, DropsZerosAndCountsDensity) {
  const std::vector<int8_t> w = {0, 1, 0, 0, -2, 0};  // 3 x 2
  const CscMatrix c = CscFromDense(w.data(), 2, 3, 2);
  EXPECT_EQ(c.values, (std::vector<int8_t>{1, -2}));
  EXPECT_EQ(c.row, (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(c.col_start, (std::vector<int64_t>{0, 1, 1, 2}));
  EXPECT_DOUBLE_EQ(Density(c), 2.0 / 6.0);
}

}  // namespace
}  // namespace sparq
