#include "sw/size_checks.h"

#include <optional>

#include "golden/checked.h"
#include "golden/errors.h"

namespace sparq {

uint64_t CheckedTensorElements(const Shape& shape, const std::string& what) {
  const std::optional<uint64_t> n = CheckedProduct(shape);
  if (!n || *n > kMaxTensorElements) {
    throw InputError(what + " of shape " + ShapeToString(shape) +
                     ": expected at most " +
                     std::to_string(kMaxTensorElements) +
                     " elements (docs/yaml.md, Limits)");
  }
  return *n;
}

uint64_t CheckedLayerMacs(const std::vector<int64_t>& factors) {
  const std::optional<uint64_t> n = CheckedProduct(factors);
  if (!n || *n > kMaxLayerMacs) {
    throw InputError("expected a layer of at most " +
                     std::to_string(kMaxLayerMacs) +
                     " multiply-accumulates (docs/yaml.md, Limits), got " +
                     (n ? std::to_string(*n) : std::string("more than 2^64")));
  }
  return *n;
}

bool FitsBelow(uint64_t addr, uint64_t bytes, uint64_t limit) {
  const std::optional<uint64_t> end = CheckedAdd(addr, bytes);
  return end && *end <= limit;
}

}  // namespace sparq
