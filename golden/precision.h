// Precision modes of a conv / fc layer (docs/architecture.md, "Processing
// element and modes"): the operand widths the integer reference checks and
// the accelerator runs the layer in. Every mode follows the int8 contract's
// accumulate-then-requantize path; a narrow mode only restricts the operand
// ranges (A8W4: weights in [-8, 7]; A8W2: weights in {-1, 0, +1}).

#ifndef SPARQ_GOLDEN_PRECISION_H_
#define SPARQ_GOLDEN_PRECISION_H_

#include <cstdint>
#include <string>
#include <vector>

namespace sparq {

enum class Precision { kA8W8, kA8W4, kA8W2, kA4W4, kA1W1, kA16W8 };

// "a8w8", "a8w4", ... (the YAML spelling).
const char* PrecisionName(Precision p);
// Parses the YAML spelling; false when `name` is none of them.
bool ParsePrecision(const std::string& name, Precision* p);
// Weight range of a mode, inclusive.
void WeightRange(Precision p, int* lo, int* hi);
// True when the accelerator runs the mode (all of them since A16W8 runs on
// the array).
bool PrecisionOnAccelerator(Precision p);

// Throws InputError naming `what`, the first offending element and the range
// when a weight lies outside the mode's range.
void CheckWeightRange(Precision p, const std::vector<int8_t>& weights,
                      const std::string& what);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_PRECISION_H_
