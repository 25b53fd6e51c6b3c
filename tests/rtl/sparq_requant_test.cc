// rtl/sparq_requant.sv against golden RequantizeOne: every lane output of a
// long random stream plus hand-picked corner cases is compared bit-exactly.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "Vsparq_requant.h"
#include "golden/random.h"
#include "golden/requant.h"
#include "tests/rtl/rtl_test_util.h"
#include "verilated.h"

namespace sparq {
namespace {

constexpr int kLatency = 2;  // sparq_requant pipeline stages
constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

struct Vector {
  int32_t x, mult;
  int shift;
  int32_t zp, lo, hi;
};

// Streams vectors through the lane, one per cycle, and compares each result
// when it leaves the pipeline; the first few mismatches are reported.
class RequantBench : public rtltest::BlockBench<Vsparq_requant> {
 public:
  explicit RequantBench(const std::vector<Vector>& vecs) : vecs_(vecs) {}

  // Returns the number of mismatches.
  int Run() {
    RunCycles(vecs_.size() + kLatency);
    EXPECT_EQ(checked_, vecs_.size());
    EXPECT_FALSE(assertion_failed());
    return mismatches_;
  }

 private:
  void Drive() override {
    if (cycle() >= vecs_.size()) return;
    const Vector& v = vecs_[cycle()];
    Vsparq_requant& m = top();
    m.x_i = static_cast<uint32_t>(v.x);
    m.mult_i = static_cast<uint32_t>(v.mult);
    m.shift_i = static_cast<uint8_t>(v.shift);
    m.zp_i = static_cast<uint8_t>(v.zp);
    m.min_i = static_cast<uint8_t>(v.lo);
    m.max_i = static_cast<uint8_t>(v.hi);
  }

  // Before edge c the output holds what edge c - 1 completed: vector
  // c - kLatency.
  void Sample() override {
    if (cycle() < kLatency) return;
    const size_t idx = cycle() - kLatency;
    const Vector& v = vecs_[idx];
    const int32_t got = static_cast<int8_t>(top().q_o);
    const int32_t want = RequantizeOne(v.x, v.mult, v.shift, v.zp, v.lo, v.hi);
    ++checked_;
    if (got != want && ++mismatches_ <= 5) {
      ADD_FAILURE() << "vector " << idx << ": x=" << v.x << " mult=" << v.mult
                    << " shift=" << v.shift << " zp=" << v.zp << " clamp=["
                    << v.lo << "," << v.hi << "]: rtl " << got << ", golden "
                    << want;
    }
  }

  const std::vector<Vector>& vecs_;
  size_t checked_ = 0;
  int mismatches_ = 0;
};

int RunVectors(const std::vector<Vector>& vecs) {
  return RequantBench(vecs).Run();
}

int32_t RandomValue(SplitMix64& rng) {
  // Full-range values and small ones, where the rounding decisions are.
  const int bits = static_cast<int>(rng.Uniform(1, 32));
  const uint32_t raw = static_cast<uint32_t>(rng.Next());
  if (bits == 32) return static_cast<int32_t>(raw);
  const int32_t mag = static_cast<int32_t>(raw & ((uint32_t{1} << bits) - 1));
  return (rng.Next() & 1) ? -mag : mag;
}

TEST(SparqRequantTest, CornerCasesMatchGolden) {
  std::vector<Vector> v;
  // SRDHM's only saturating product, and its neighbours.
  v.push_back({kMin, kMin, 0, 0, -128, 127});
  v.push_back({kMin, kMin, 0, -128, -128, 127});
  v.push_back({kMin + 1, kMin, 0, 0, -128, 127});
  // SRDHM ties: mult = 2^30 halves x, odd x sits exactly between two integers.
  for (int32_t x : {1, -1, 3, -3, 5, -5, 255, -255}) {
    v.push_back({x, 1 << 30, 0, 0, -128, 127});
  }
  // RoundingDivideByPOT ties (mult ~ 1.0, shift -1 / -2): away from zero.
  for (int32_t x : {1, -1, 3, -3, 6, -6, 10, -10}) {
    v.push_back({x, kMax, -1, 0, -128, 127});
    v.push_back({x, kMax, -2, 0, -128, 127});
  }
  // Extreme shifts; the left shift wraps.
  for (int32_t x : {1, -1, 0x12345, -0x12345, kMax, kMin, 0x40000000}) {
    v.push_back({x, 1 << 30, 30, 3, -128, 127});
    v.push_back({x, kMax, -31, -3, -128, 127});
    v.push_back({x, 1518500250, -7, 10, -100, 100});
  }
  // Zero multiplier; clamp bounds (ReLU, ReLU6-like, a single value).
  v.push_back({123456, 0, 5, 7, -128, 127});
  v.push_back({-5000, 1 << 30, -4, -20, -20, 127});
  v.push_back({90000, 1 << 30, -4, -20, -20, 6});
  v.push_back({90000, 1 << 30, -4, 0, 5, 5});
  // r + zp beyond int32 must saturate at the clamp, not wrap.
  v.push_back({kMax, kMax, 0, 127, -128, 127});
  v.push_back({kMin, kMax, 0, -128, -128, 127});
  EXPECT_EQ(RunVectors(v), 0);
}

TEST(SparqRequantTest, RandomStreamMatchesGolden) {
  SplitMix64 rng(20240601);
  const auto next = [&rng] { return static_cast<uint32_t>(rng.Next()); };
  std::vector<Vector> v;
  for (int i = 0; i < 200000; ++i) {
    Vector t;
    t.x = RandomValue(rng);
    switch (next() % 8) {
      case 0:  // any int32 multiplier, the lane must not assume the range
        t.mult = static_cast<int32_t>(next());
        break;
      case 1:
        t.mult = 0;
        break;
      default:  // QuantizeMultiplier's range [2^30, 2^31)
        t.mult = static_cast<int32_t>((1u << 30) + (next() & ((1u << 30) - 1)));
    }
    t.shift = static_cast<int>(rng.Uniform(-31, 30));
    t.zp = static_cast<int>(rng.Uniform(-128, 127));
    int a = static_cast<int>(rng.Uniform(-128, 127));
    int b = static_cast<int>(rng.Uniform(-128, 127));
    if (next() % 2) {
      a = -128;
      b = 127;
    }
    t.lo = std::min(a, b);
    t.hi = std::max(a, b);
    v.push_back(t);
  }
  EXPECT_EQ(RunVectors(v), 0);
}

}  // namespace
}  // namespace sparq
