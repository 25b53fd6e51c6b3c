#include "sim/checker.h"

#include <cassert>

namespace sparq {
namespace {

Shape Unravel(uint64_t index, const Shape& shape) {
  Shape coord(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    const uint64_t d = static_cast<uint64_t>(shape[i]);
    coord[i] = static_cast<int>(index % d);
    index /= d;
  }
  return coord;
}

std::string CoordToString(const Shape& c) {
  std::string s = "[";
  for (size_t i = 0; i < c.size(); ++i) {
    s += (i ? "," : "") + std::to_string(c[i]);
  }
  return s + "]";
}

}  // namespace

CompareResult CompareTensors(const Tensor<int8_t>& expected,
                             const Tensor<int8_t>& got) {
  assert(expected.data.size() == NumElements(expected.shape));
  assert(got.data.size() == NumElements(got.shape));
  CompareResult r;
  r.expected_shape = expected.shape;
  r.got_shape = got.shape;
  if (expected.shape != got.shape) {
    r.shape_mismatch = true;
    return r;
  }
  r.compared = expected.data.size();
  for (size_t i = 0; i < expected.data.size(); ++i) {
    if (expected.data[i] == got.data[i]) continue;
    if (r.mismatches++ == 0) {
      r.first_index = i;
      r.first_coord = Unravel(i, expected.shape);
      r.first_expected = expected.data[i];
      r.first_got = got.data[i];
    }
  }
  return r;
}

std::string DescribeMismatch(const std::string& layer, const CompareResult& r) {
  if (r.shape_mismatch) {
    return "layer " + layer + ": output shape " + ShapeToString(r.got_shape) +
           " differs from the expected " + ShapeToString(r.expected_shape);
  }
  if (r.mismatches == 0) {
    return "layer " + layer + ": all " + std::to_string(r.compared) +
           " outputs match";
  }
  return "layer " + layer + ": " + std::to_string(r.mismatches) + " of " +
         std::to_string(r.compared) + " outputs differ; first at index " +
         std::to_string(r.first_index) + " " + CoordToString(r.first_coord) +
         ": expected " + std::to_string(r.first_expected) + ", got " +
         std::to_string(r.first_got);
}

}  // namespace sparq
