// Compares a device's layer output with golden's, element by element.

#ifndef SPARQ_SIM_CHECKER_H_
#define SPARQ_SIM_CHECKER_H_

#include <cstdint>
#include <string>

#include "golden/tensor.h"

namespace sparq {

struct CompareResult {
  uint64_t compared = 0;
  uint64_t mismatches = 0;
  bool shape_mismatch = false;
  // First mismatching element (valid when mismatches > 0).
  uint64_t first_index = 0;  // flat NHWC index
  Shape first_coord;         // its coordinates
  int first_expected = 0;
  int first_got = 0;
  Shape expected_shape;  // reported when shape_mismatch
  Shape got_shape;
  bool ok() const { return mismatches == 0 && !shape_mismatch; }
};

CompareResult CompareTensors(const Tensor<int8_t>& expected,
                             const Tensor<int8_t>& got);

// "layer conv2: 3 of 200704 outputs differ; first at index 17 [0,0,0,17]:
// expected -5, got 12"
std::string DescribeMismatch(const std::string& layer, const CompareResult& r);

}  // namespace sparq

#endif  // SPARQ_SIM_CHECKER_H_
