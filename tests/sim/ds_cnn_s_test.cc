// CMSIS-NN's ds_cnn_s network (tests/data/ds_cnn_s, converted from ARM's C
// headers): the whole keyword-spotting network runs on the machine model of
// the 4x4 array (machine model, and the verilated RTL when built) and its
// softmax must equal, element by element, the output the TFLite interpreter
// produced.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden/npy.h"
#include "sim/model_device.h"
#include "sim/network_yaml.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/runtime.h"
#include "tests/common/build_paths.h"

namespace sparq {
namespace {

const std::string kDir =
    std::string(SPARQ_SOURCE_DIR) + "/tests/data/ds_cnn_s/";

// Runs ds_cnn_s on `dev` (made for the YAML's 4x4 array) and checks the
// softmax against TFLite's and every layer against golden.
void ExpectReproducesTfliteSoftmax(Device& dev, const HwConfig& hw) {
  const RunConfig cfg = LoadRunConfig(kDir + "ds_cnn_s.yaml");
  ASSERT_EQ(cfg.net.layers.size(), 12u);
  EXPECT_EQ(cfg.rows, hw.rows);
  const CompiledNetwork compiled = Compile(cfg.net, hw);
  const std::vector<LayerRun> runs = RunNetwork(cfg.net, compiled, dev);
  ASSERT_EQ(runs.size(), 12u);
  const Tensor<int8_t> expected =
      LoadNpy<int8_t>(kDir + "expected_softmax.npy");
  ASSERT_EQ(runs.back().name, "softmax");
  EXPECT_EQ(runs.back().output.shape, expected.shape);
  EXPECT_EQ(runs.back().output.data, expected.data);
  // Keyword 8 wins, as in the reference output.
  EXPECT_EQ(runs.back().output.data[8], 103);

  // Every intermediate layer of the device run equals golden's reference.
  const auto ref = RunNetworkReference(cfg.net);
  for (const LayerRun& r : runs) {
    EXPECT_EQ(r.output.data, ref.at(r.name).data) << r.name;
  }
}

TEST(DsCnnSTest, MachineModelReproducesTfliteSoftmax) {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  auto dev = MakeModelDevice(hw);
  ExpectReproducesTfliteSoftmax(*dev, hw);
}

#ifdef SPARQ_TEST_RTL_4X4
// The same on the verilated 4x4 array (DRAM latency 20, 10% stalls).
TEST(DsCnnSTest, RtlReproducesTfliteSoftmax) {
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.dram_stall = 0.1;
  auto dev = MakeRtlDevice(hw);
  ExpectReproducesTfliteSoftmax(*dev, hw);
}
#endif

}  // namespace
}  // namespace sparq
