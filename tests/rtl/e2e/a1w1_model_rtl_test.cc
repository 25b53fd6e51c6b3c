// The binary-activation Fashion-MNIST model of `sparq compress`
// (models/recipes/binary_act.yaml: binary weights and activations in conv2
// and fc1) in precision a1w1 on the verilated 4x4 array. The recipe runs as
// shipped except for the data (fine-tuning on a 256-image subset, so the
// test takes seconds). The model goes through the files `sparq compress`
// writes and `sparq run` reads (model.yaml, weights/*.npy); the tensors the
// a1w1 layers read are binary in DRAM (packed by the runtime after the
// host-side maxpool / flatten), and every output element of every layer is
// compared with golden's integer reference (XNOR-popcount for a1w1), on the
// RTL and on the machine model, whose exact counters must agree.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "golden/compress/recipe.h"
#include "golden/network.h"
#include "sim/checker.h"
#include "sim/cmd_compress.h"
#include "sim/model_device.h"
#include "sim/network_yaml.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/runtime.h"
#include "tests/common/build_paths.h"
#include "tests/common/network_on_rtl.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;

TEST(A1W1ModelRtlTest, BinaryActModelRunsInA1W1) {
  Recipe r = LoadRecipe(std::string(SPARQ_SOURCE_DIR) +
                        "/models/recipes/binary_act.yaml");
  r.train_limit = 256;
  r.test_limit = 40;
  r.calib_images = 64;
  r.progress = false;
  const CompressResult res = RunRecipe(r);
  const fs::path dir = fs::temp_directory_path() /
                       ("sparq_a1w1_model_" + std::to_string(::getpid()));
  WriteCompressedModel(res, r, dir.string(), 2);
  const RunConfig cfg = LoadRunConfig((dir / "model.yaml").string());
  fs::remove_all(dir);
  const Network& net = cfg.net;
  int a1w1 = 0;
  for (const Layer& l : net.layers) {
    if (l.precision == Precision::kA1W1) {
      EXPECT_TRUE(l.name == "conv2" || l.name == "fc1") << l.name;
      ++a1w1;
    }
  }
  EXPECT_EQ(a1w1, 2);

  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.dram_latency = 7;
  hw.dram_stall = 0.05;
  const CompiledNetwork compiled = Compile(net, hw);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    if (net.layers[i].precision == Precision::kA1W1) {
      EXPECT_TRUE(compiled.tensors.at(net.layers[i].inputs[0]).binary)
          << net.layers[i].name;
    }
  }
  ExpectNetworkMatchesOnRtlAndModel(
      net, compiled, hw,
      {kCtrInstrs, kCtrArrayBusy, kCtrMacsIssued, kCtrUsefulMacs});
}

}  // namespace
}  // namespace sparq
