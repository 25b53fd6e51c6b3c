#include "golden/precision.h"

#include <array>
#include <string>
#include <vector>

#include "golden/errors.h"

namespace sparq {
namespace {

struct ModeInfo {
  Precision p;
  const char* name;
  int w_lo, w_hi;
  bool on_accelerator;
};

constexpr std::array<ModeInfo, 6> kModes = {{
    {Precision::kA8W8, "a8w8", -128, 127, true},
    {Precision::kA8W4, "a8w4", -8, 7, true},
    {Precision::kA8W2, "a8w2", -1, 1, true},
    {Precision::kA4W4, "a4w4", -8, 7, true},
    {Precision::kA1W1, "a1w1", -1, 1, true},
    {Precision::kA16W8, "a16w8", -128, 127, true},
}};

const ModeInfo& Info(Precision p) {
  return kModes[static_cast<size_t>(p)];
}

}  // namespace

const char* PrecisionName(Precision p) { return Info(p).name; }

bool ParsePrecision(const std::string& name, Precision* p) {
  for (const ModeInfo& m : kModes) {
    if (name == m.name) {
      *p = m.p;
      return true;
    }
  }
  return false;
}

void WeightRange(Precision p, int* lo, int* hi) {
  *lo = Info(p).w_lo;
  *hi = Info(p).w_hi;
}

bool PrecisionOnAccelerator(Precision p) { return Info(p).on_accelerator; }

void CheckWeightRange(Precision p, const std::vector<int8_t>& weights,
                      const std::string& what) {
  int lo = 0, hi = 0;
  WeightRange(p, &lo, &hi);
  for (size_t i = 0; i < weights.size(); ++i) {
    const int v = weights[i];
    // Binary weights are +-1: zero has no code.
    const bool bad =
        v < lo || v > hi || (p == Precision::kA1W1 && v == 0);
    if (bad) {
      throw InputError(what + ": weight " + std::to_string(i) + " = " +
                       std::to_string(v) + " is outside precision " +
                       PrecisionName(p) + " (expected " +
                       (p == Precision::kA1W1
                            ? std::string("-1 or +1")
                            : "[" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "]") +
                       ")");
    }
  }
}

}  // namespace sparq
