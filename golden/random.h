// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): the one generator for everything whose output is
// recorded or compared (random weights named by a seed in a YAML file, DRAM
// stall patterns, random layers in tests and the bench). Unlike the std::
// distributions, whose output is implementation-defined, a seed gives the same
// sequence with every compiler and standard library (docs/yaml.md).

#ifndef SPARQ_GOLDEN_RANDOM_H_
#define SPARQ_GOLDEN_RANDOM_H_

#include <cstdint>

namespace sparq {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // lo + Next() % (hi - lo + 1), for lo <= hi. The modulo bias (below 2^-32
  // for the ranges sparq draws) is part of the documented sequence.
  int64_t Uniform(int64_t lo, int64_t hi) {
    const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
    if (range == 0) return static_cast<int64_t>(Next());  // the full 64-bit range
    return static_cast<int64_t>(static_cast<uint64_t>(lo) + Next() % range);
  }

  // A double in [0, 1) from the top 53 bits.
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // True with probability p (p <= 0: never; p >= 1: always).
  bool Bernoulli(double p) { return Unit() < p; }

 private:
  uint64_t state_;
};

}  // namespace sparq

#endif  // SPARQ_GOLDEN_RANDOM_H_
