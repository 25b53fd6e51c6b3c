// The CMSIS-NN packed-int4 vectors (tests/data/cmsis_nn, int8 activations x
// int4 weights) as A8W4 layers on the verilated 4x4 array and on the machine
// model: every output element equals TFLite's expected output (and golden's
// layer reference). The depthwise case runs on the depthwise unit, which
// reads the int4 weights as int8 bytes (it has no narrow mode).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden/network.h"
#include "sim/checker.h"
#include "sim/model_device.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/runtime.h"
#include "tests/common/build_paths.h"
#include "tests/common/cmsis_cases.h"

namespace sparq {
namespace {

std::string DataDir() {
  return std::string(SPARQ_SOURCE_DIR) + "/tests/data/cmsis_nn";
}

std::vector<std::string> Int4Cases() {
  std::vector<std::string> out;
  for (const std::string& name : ListCmsisCases(DataDir())) {
    const CmsisCase c = LoadCmsisCase(DataDir(), name);
    if (c.weight_bits == 4 && c.act_bits == 8) out.push_back(name);
  }
  return out;
}


void ExpectEqualEveryElement(const Tensor<int8_t>& got,
                             const Tensor<int8_t>& want,
                             const std::string& what) {
  const CompareResult r = CompareTensors(want, got);
  EXPECT_TRUE(r.ok()) << what << ": " << DescribeMismatch("layer", r);
  EXPECT_EQ(r.compared, want.size()) << what;
}

TEST(RtlCmsisInt4Test, AllEightCasesArePresent) {
  EXPECT_EQ(Int4Cases().size(), 8u);
}

class RtlCmsisInt4 : public ::testing::TestWithParam<std::string> {};

TEST_P(RtlCmsisInt4, MatchesTfliteOnRtlAndModel) {
  const CmsisCase c = LoadCmsisCase(DataDir(), GetParam());
  const Network net = CmsisLayerNetwork(c);  // a8w4: int4 weights
  for (int8_t w : c.weights.data) ASSERT_TRUE(w >= -8 && w <= 7);
  const auto ref = RunNetworkReference(net);
  ExpectEqualEveryElement(ref.at("layer"), c.output8, "golden");

  const HwConfig hw = HwConfig::ForArray(4, 4);
  const CompiledNetwork compiled = Compile(net, hw);
  ASSERT_EQ(compiled.layers.size(), 1u);
  EXPECT_EQ(compiled.layers[0].precision, Precision::kA8W4);

  RtlOptions patient;
  patient.max_idle_wait = 20000000;
  auto rtl = MakeRtlDevice(hw, patient);
  const std::vector<LayerRun> runs = RunNetwork(net, compiled, *rtl);
  ASSERT_EQ(runs.size(), 1u);
  ExpectEqualEveryElement(runs[0].output, c.output8, "rtl");

  auto model = MakeModelDevice(hw);
  const std::vector<LayerRun> mruns = RunNetwork(net, compiled, *model);
  ExpectEqualEveryElement(mruns[0].output, c.output8, "model");
  EXPECT_EQ(runs[0].counters[kCtrUsefulMacs], runs[0].macs);
}

INSTANTIATE_TEST_SUITE_P(Vectors, RtlCmsisInt4, ::testing::ValuesIn(Int4Cases()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param;
                         });

}  // namespace
}  // namespace sparq
