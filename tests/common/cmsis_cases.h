// The converted CMSIS-NN unit-test vectors of tests/data/cmsis_nn/ (format in
// its README.md), loaded into golden's types: int8 cases, packed-int4-weight
// cases (weights unpacked to int8 in [-8, 7]) and int16x8 cases (A16W8, int64
// or int32 bias). Shared by the golden test and executor tests that run the
// same vectors.

#ifndef SPARQ_TESTS_COMMON_CMSIS_CASES_H_
#define SPARQ_TESTS_COMMON_CMSIS_CASES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "golden/int16_layers.h"
#include "golden/layers.h"
#include "golden/network.h"
#include "golden/tensor.h"

namespace sparq {

struct CmsisCase {
  std::string name;
  std::string kind;     // "conv", "depthwise" (groups == Cin) or "fc"
  int act_bits = 8;     // 8: input8/output8/q8; 16: input16/output16/q16
  int weight_bits = 8;  // 4: packed_weights holds upstream's bytes
  int bias_bits = 32;   // 32: bias32; 64: bias64 (int16x8 only)
  ConvGeometry geom;    // conv and depthwise

  Tensor<int8_t> weights;  // OHWI or [out][in], int4 cases unpacked
  std::vector<uint8_t> packed_weights;
  std::vector<int32_t> bias32;
  std::vector<int64_t> bias64;

  Tensor<int8_t> input8, output8;
  QuantParams q8;
  Tensor<int16_t> input16, output16;
  Int16QuantParams q16;
};

// Case names (directories holding params.txt) under `dir`, sorted.
std::vector<std::string> ListCmsisCases(const std::string& dir);

// Throws InputError naming the file for missing or malformed data.
CmsisCase LoadCmsisCase(const std::string& dir, const std::string& name);

// An 8-bit-activation case as a one-layer network named "layer" reading
// "input": weights, int32 bias, geometry and requantization of the case,
// in A8W4 when its weights are packed int4, else A8W8.
Network CmsisLayerNetwork(const CmsisCase& c);

// An int16x8 case (act_bits 16) as a one-layer A16W8 network named "layer"
// reading "input": the input as its little-endian bytes (Int16ToBytes), the
// int64 bias, or the int32 one when the case has 32-bit biases.
Network CmsisInt16LayerNetwork(const CmsisCase& c);

}  // namespace sparq

#endif  // SPARQ_TESTS_COMMON_CMSIS_CASES_H_
