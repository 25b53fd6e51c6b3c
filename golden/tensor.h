// Dense N-dimensional tensors in row-major order (NHWC for activations, OHWI
// for conv weights, [out][in] for fully-connected weights).

#ifndef SPARQ_GOLDEN_TENSOR_H_
#define SPARQ_GOLDEN_TENSOR_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sparq {

using Shape = std::vector<int>;

// Saturates at SIZE_MAX (a negative dimension or an overflowing product), so
// that every size cap rejects such a shape and no allocation succeeds with a
// wrapped count; readers check shapes with golden/checked.h first.
inline size_t NumElements(const Shape& shape) {
  size_t n = 1;
  for (int d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, static_cast<size_t>(d), &n)) {
      return SIZE_MAX;
    }
  }
  return n;
}

std::string ShapeToString(const Shape& shape);  // "[1, 56, 56, 64]"

template <typename T>
struct Tensor {
  Shape shape;
  std::vector<T> data;

  Tensor() = default;
  explicit Tensor(Shape s, T fill = T{})
      : shape(std::move(s)), data(NumElements(shape), fill) {}

  size_t size() const { return data.size(); }
  int dim(int i) const { return shape[static_cast<size_t>(i)]; }
  int rank() const { return static_cast<int>(shape.size()); }

  // 4-D access, NHWC / OHWI.
  T& at(int n, int h, int w, int c) {
    assert(rank() == 4);
    return data[((static_cast<size_t>(n) * shape[1] + h) * shape[2] + w) *
                    shape[3] + c];
  }
  const T& at(int n, int h, int w, int c) const {
    return const_cast<Tensor*>(this)->at(n, h, w, c);
  }
};

}  // namespace sparq

#endif  // SPARQ_GOLDEN_TENSOR_H_
