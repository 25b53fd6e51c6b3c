// Runs TFLite Micro's SEANet int16x8 CONV_2D layers (tests/data/tflm_seanet,
// converted by its convert.py, expected outputs from TFLite Micro) through the
// A16W8 reference and compares every output element. Unlike the CMSIS-NN
// vectors, these are layers of a network model, and their multipliers are
// derived from the float scales of the .tflite.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden/int16_layers.h"
#include "tests/common/build_paths.h"
#include "tests/common/cmsis_cases.h"

namespace sparq {
namespace {

std::string DataDir() {
  return std::string(SPARQ_SOURCE_DIR) + "/tests/data/tflm_seanet";
}

TEST(TflmSeanetTest, BothLayersArePresent) {
  EXPECT_EQ(ListCmsisCases(DataDir()),
            (std::vector<std::string>{"conv0", "conv15"}));
}

class TflmSeanetLayer : public ::testing::TestWithParam<std::string> {};

TEST_P(TflmSeanetLayer, MatchesTfliteMicroBitExactly) {
  const CmsisCase c = LoadCmsisCase(DataDir(), GetParam());
  ASSERT_EQ(c.act_bits, 16);
  ASSERT_EQ(c.kind, "conv");
  const Tensor<int16_t> out =
      c.bias_bits == 64
          ? Conv2dInt16(c.input16, c.weights, c.bias64, c.geom, c.q16)
          : Conv2dInt16Bias32(c.input16, c.weights, c.bias32, c.geom, c.q16);
  ASSERT_EQ(out.shape, c.output16.shape);
  ASSERT_FALSE(out.data.empty());
  int mismatches = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out.data[i] != c.output16.data[i] && ++mismatches <= 5) {
      ADD_FAILURE() << c.name << " element " << i << ": got " << out.data[i]
                    << ", TFLite Micro " << c.output16.data[i];
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << out.size() << " elements";
}

INSTANTIATE_TEST_SUITE_P(Layers, TflmSeanetLayer,
                         ::testing::ValuesIn(ListCmsisCases(DataDir())),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param;
                         });

}  // namespace
}  // namespace sparq
