// Checked size arithmetic and the size caps every reader enforces before it
// allocates (docs/yaml.md, "Limits"). A product that overflows is reported
// as such instead of wrapping to a small number that a later loop would
// read past.

#ifndef SPARQ_GOLDEN_CHECKED_H_
#define SPARQ_GOLDEN_CHECKED_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace sparq {

// Elements of one tensor (activations, weights, a .npy array): 2^28, i.e.
// 256 MiB of int8 or 1 GiB of int32/float.
constexpr uint64_t kMaxTensorElements = uint64_t{1} << 28;
// Elements of a whole network (input, every weight and bias, every layer
// output): twice the modelled 256 MiB DRAM, which must hold them all anyway.
constexpr uint64_t kMaxNetworkElements = uint64_t{1} << 29;
// Multiply-accumulates of one layer: about 10 s to compile on the 16x16
// array (a quarter million instructions) and as long on golden's reference;
// ResNet-50's largest layer needs 2^28.
constexpr uint64_t kMaxLayerMacs = uint64_t{1} << 32;
// Bytes of a text file sparq reads (run config, recipe).
constexpr uint64_t kMaxTextFileBytes = uint64_t{1} << 24;
// Bytes of a .npy file: the largest tensor of 4-byte elements and a header.
constexpr uint64_t kMaxNpyFileBytes = kMaxTensorElements * 4 + (1 << 16);
// Characters of a layer or network name (names become file names).
constexpr size_t kMaxNameLength = 128;
// Layers of one network.
constexpr size_t kMaxLayers = 4096;

// a * b, or nothing when the product does not fit 64 bits.
inline std::optional<uint64_t> CheckedMul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// a + b, or nothing when the sum does not fit 64 bits.
inline std::optional<uint64_t> CheckedAdd(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// The product of `dims`, or nothing when a dimension is negative or the
// product does not fit 64 bits.
template <typename Int>
std::optional<uint64_t> CheckedProduct(const std::vector<Int>& dims) {
  uint64_t n = 1;
  for (const Int d : dims) {
    if (d < 0) return std::nullopt;
    const std::optional<uint64_t> next =
        CheckedMul(n, static_cast<uint64_t>(d));
    if (!next) return std::nullopt;
    n = *next;
  }
  return n;
}

// True when the product of `dims` is known and at most `cap`.
template <typename Int>
bool ProductAtMost(const std::vector<Int>& dims, uint64_t cap) {
  const std::optional<uint64_t> n = CheckedProduct(dims);
  return n && *n <= cap;
}

}  // namespace sparq

#endif  // SPARQ_GOLDEN_CHECKED_H_
