// Runs the CMSIS-NN unit-test vectors (expected outputs produced by the TFLite
// interpreter) converted by tests/data/cmsis_nn/convert.py through golden and
// compares every output element: int8 cases through Conv2dInt8 /
// FullyConnectedInt8, packed-int4 cases through the same kernels after
// UnpackInt4, int16x8 cases through the A16W8 reference
// (golden/int16_layers.h).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/int16_layers.h"
#include "golden/layers.h"
#include "tests/common/build_paths.h"
#include "tests/common/cmsis_cases.h"

namespace sparq {
namespace {

// Cases converted by convert.py (see tests/data/cmsis_nn/README.md): 22 int8,
// 8 with packed int4 weights, 6 int16x8.
constexpr size_t kExpectedCases = 36;

std::string DataDir() {
  return std::string(SPARQ_SOURCE_DIR) + "/tests/data/cmsis_nn";
}

TEST(CmsisNnTest, AllConvertedCasesArePresent) {
  const std::vector<std::string> cases = ListCmsisCases(DataDir());
  EXPECT_EQ(cases.size(), kExpectedCases) << "in " << DataDir();
  int int4 = 0, int16 = 0, bias64 = 0;
  for (const std::string& name : cases) {
    const CmsisCase c = LoadCmsisCase(DataDir(), name);
    int4 += c.weight_bits == 4;
    int16 += c.act_bits == 16;
    bias64 += c.bias_bits == 64;
  }
  EXPECT_EQ(int4, 8);
  EXPECT_EQ(int16, 6);
  EXPECT_EQ(bias64, 4);
  EXPECT_THROW(LoadCmsisCase(DataDir(), "no_such_case"), InputError);
}

template <typename T>
void ExpectAllEqual(const Tensor<T>& out, const Tensor<T>& expected,
                    const std::string& name) {
  ASSERT_EQ(out.shape, expected.shape);
  ASSERT_FALSE(out.data.empty());
  int mismatches = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out.data[i] != expected.data[i] && ++mismatches <= 5) {
      ADD_FAILURE() << name << " element " << i << ": got " << int{out.data[i]}
                    << ", TFLite " << int{expected.data[i]};
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << out.size() << " elements";
}

Tensor<int16_t> RunInt16(const CmsisCase& c) {
  const bool fc = c.kind == "fc";
  if (c.bias_bits == 64) {
    return fc ? FullyConnectedInt16(c.input16, c.weights, c.bias64, c.q16)
              : Conv2dInt16(c.input16, c.weights, c.bias64, c.geom, c.q16);
  }
  return fc ? FullyConnectedInt16Bias32(c.input16, c.weights, c.bias32, c.q16)
            : Conv2dInt16Bias32(c.input16, c.weights, c.bias32, c.geom, c.q16);
}

class CmsisNnCase : public ::testing::TestWithParam<std::string> {};

TEST_P(CmsisNnCase, MatchesTfliteOutputBitExactly) {
  const CmsisCase c = LoadCmsisCase(DataDir(), GetParam());
  if (c.act_bits == 16) {
    ExpectAllEqual(RunInt16(c), c.output16, c.name);
  } else if (c.kind == "fc") {
    ExpectAllEqual(FullyConnectedInt8(c.input8, c.weights, c.bias32, c.q8),
                   c.output8, c.name);
  } else {
    ExpectAllEqual(Conv2dInt8(c.input8, c.weights, c.bias32, c.geom, c.q8),
                   c.output8, c.name);
  }
}

INSTANTIATE_TEST_SUITE_P(Vectors, CmsisNnCase,
                         ::testing::ValuesIn(ListCmsisCases(DataDir())),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param;
                         });

}  // namespace
}  // namespace sparq
