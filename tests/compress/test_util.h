// Helpers shared by the compress tests.

#ifndef SPARQ_TESTS_COMPRESS_TEST_UTIL_H_
#define SPARQ_TESTS_COMPRESS_TEST_UTIL_H_

#include <random>

#include "golden/compress/nn.h"

namespace sparq {
namespace testing {

inline Mat RandomMat(int rows, int cols, std::mt19937* rng, float lo = -1,
                     float hi = 1) {
  std::uniform_real_distribution<float> d(lo, hi);
  Mat m(rows, cols);
  for (int i = 0; i < m.size(); ++i) m.data()[i] = d(*rng);
  return m;
}

inline Act RandomAct(int n, int h, int w, int c, std::mt19937* rng) {
  Act a;
  a.n = n;
  a.h = h;
  a.w = w;
  a.c = c;
  a.x = RandomMat(n * h * w, c, rng);
  return a;
}

inline void Randomize(WeightLayer* l, std::mt19937* rng) {
  l->weight().value =
      RandomMat(static_cast<int>(l->weight().value.rows()),
                static_cast<int>(l->weight().value.cols()), rng);
  l->bias().value = RandomMat(1, static_cast<int>(l->bias().value.cols()), rng);
}

// ||a - b|| / ||b||.
inline double RelError(const Mat& a, const Mat& b) {
  return (a - b).cast<double>().norm() / b.cast<double>().norm();
}

inline Act RunAll(std::vector<std::unique_ptr<Module>>& layers, Act a) {
  for (auto& l : layers) a = l->Forward(a, false);
  return a;
}

}  // namespace testing
}  // namespace sparq

#endif  // SPARQ_TESTS_COMPRESS_TEST_UTIL_H_
