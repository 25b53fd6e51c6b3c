// The compiler's size checks (docs/compiler.md, "Sizes"): every tensor it
// places in DRAM, every weight tensor and every layer's multiply-accumulates
// are counted with golden/checked.h and held to the caps of docs/yaml.md
// ("Limits") before the lowering multiplies any of them, and every DRAM
// placement's end is a checked sum. The YAML reader enforces the same caps
// with the file and line; these checks cover networks that come from
// elsewhere (the TFLite importer, a program that builds one), where a shape
// whose element count overflows used to wrap the DRAM allocator.
//
// What they bound: each dimension of a checked tensor is at most 2^28 (or the
// tensor is empty), so a product of two dimensions, or of a dimension and an
// ISA field, fits int64; byte counts of a tensor fit 32 bits once placed.

#ifndef SPARQ_SW_SIZE_CHECKS_H_
#define SPARQ_SW_SIZE_CHECKS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "golden/tensor.h"

namespace sparq {

// The elements of `shape`. Throws InputError naming `what` when a dimension
// is negative or the count overflows or exceeds kMaxTensorElements.
uint64_t CheckedTensorElements(const Shape& shape, const std::string& what);

// The product of `factors` (a layer's images, output pixels, output channels,
// kernel taps and input channels per group). Throws InputError when it
// overflows or exceeds kMaxLayerMacs.
uint64_t CheckedLayerMacs(const std::vector<int64_t>& factors);

// Whether [addr, addr + bytes) ends at or below `limit`, the sum checked.
bool FitsBelow(uint64_t addr, uint64_t bytes, uint64_t limit);

}  // namespace sparq

#endif  // SPARQ_SW_SIZE_CHECKS_H_
