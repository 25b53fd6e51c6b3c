#include "sim/cmd_compress.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "golden/compress/model_io.h"
#include "golden/compress/train.h"
#include "golden/errors.h"
#include "golden/npy.h"
#include "golden/precision.h"
#include "sim/network_yaml.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;

class CompressRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sparq_compress_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // A baseline trained briefly on a small subset: enough to be far above
    // chance, fast enough for a unit test.
    const Dataset train = LoadFashionMnist(kFashionMnistDir, "train", 512);
    Model m = MakeBaselineCnn(5);
    TrainOptions opt;
    opt.epochs = 1;
    opt.batch = 32;
    Train(m, train, opt);
    SaveModelWeights(m, (dir_ / "baseline").string());
  }
  void TearDown() override { fs::remove_all(dir_); }

  Recipe SmallRecipe(const std::string& steps) {
    Recipe r = ParseRecipe(
        "baseline: baseline\ntrain_limit: 256\ntest_limit: 40\n"
        "calib_images: 64\nsteps:\n" +
            steps,
        "small.yaml", dir_.string());
    r.progress = false;
    return r;
  }

  fs::path dir_;
};

TEST_F(CompressRunTest, RejectsBadStepsBeforeTraining) {
  // Rules that need no model are checked when the recipe is read.
  try {
    SmallRecipe("  - {method: prune, sparsity: 1.5}\n");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "small.yaml:6: field 'steps[0].sparsity': expected a number "
                  "in (0, 1), got 1.5"),
              std::string::npos)
        << e.what();
  }
  // A recipe built in code gets the same check from RunRecipe.
  Recipe r = SmallRecipe("  - {method: prune, sparsity: 0.5}\n");
  r.steps[0].sparsity = 1.5;
  try {
    RunRecipe(r);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "field 'steps[0].sparsity': expected a number in (0, 1)"),
              std::string::npos)
        << e.what();
  }
  r = SmallRecipe("  - {method: svd, layers: [conv1], rank: 4}\n");
  try {
    RunRecipe(r);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "small.yaml:6: field 'steps[0].layers': expected fc layers "
                  "for svd, got 'conv1', a conv layer"),
              std::string::npos)
        << e.what();
  }
}

// Every output element of every layer of two networks on the same input.
void ExpectSameOutputs(const Network& a_net, const Network& b_net) {
  const auto a = RunNetworkReference(a_net);
  const auto b = RunNetworkReference(b_net);
  ASSERT_EQ(a_net.layers.size(), b_net.layers.size());
  for (const sparq::Layer& l : a_net.layers) {
    ASSERT_EQ(a.at(l.name).shape, b.at(l.name).shape) << l.name;
    for (size_t i = 0; i < a.at(l.name).size(); ++i) {
      ASSERT_EQ(a.at(l.name).data[i], b.at(l.name).data[i])
          << l.name << " " << i;
    }
  }
}

// The written YAML must be accepted by `sparq run`'s parser and describe
// exactly the network golden evaluated, each layer in its precision (narrow
// weights in their packed .npy form): every output element of every layer is
// compared. model_a8w8.yaml is the same network in a8w8.
TEST_F(CompressRunTest, WrittenModelIsTheNetworkSparqRunReads) {
  Recipe r = SmallRecipe(
      "  - {method: tucker2, layers: [conv2], ranks: [8, 16]}\n"
      "  - {method: svd, layers: [fc1], rank: 16}\n"
      "  - {method: nm, layers: [conv2_b], n: 2, m: 4}\n"
      "  - {method: quantize, weights: int4, layers: [fc1_a, conv2_c]}\n"
      "  - {method: quantize, weights: ternary, layers: [fc2]}\n"
      "  - {method: quantize, weights: binary, layers: [conv1]}\n");
  const CompressResult res = RunRecipe(r);
  ASSERT_EQ(res.rows.size(), 7u);
  EXPECT_EQ(res.rows[0].step, "baseline");
  EXPECT_LT(res.rows[1].conv_macs, res.rows[0].conv_macs);
  EXPECT_LT(res.rows[2].params, res.rows[1].params);
  EXPECT_GE(res.rows.back().int_acc, 0.0);
  const std::string out = (dir_ / "out").string();
  WriteCompressedModel(res, r, out, 3);
  const RunConfig cfg = LoadRunConfig(out + "/model.yaml");
  ASSERT_EQ(cfg.net.layers.size(), res.net.layers.size());
  Network mine = res.net;
  mine.input = cfg.net.input;
  ASSERT_EQ(mine.input.shape, (Shape{3, 28, 28, 1}));
  ExpectSameOutputs(mine, cfg.net);
  const std::map<std::string, Precision> narrow = {
      {"fc1_a", Precision::kA8W4},
      {"conv2_c", Precision::kA8W4},
      {"fc2", Precision::kA8W2},
      {"conv1", Precision::kA8W2}};  // binary weights on int8 activations
  for (size_t i = 0; i < cfg.net.layers.size(); ++i) {
    const sparq::Layer& l = cfg.net.layers[i];
    if (IsHostLayer(l.kind)) continue;
    const auto it = narrow.find(l.name);
    const Precision want = it == narrow.end() ? Precision::kA8W8 : it->second;
    EXPECT_EQ(l.precision, want) << l.name;
    EXPECT_EQ(res.net.layers[i].precision, want) << l.name;
    // Narrow weights are stored packed: 2 or 4 per byte.
    if (want != Precision::kA8W8) {
      const Tensor<uint8_t> packed =
          LoadNpy<uint8_t>(out + "/weights/" + l.name + ".weights.npy");
      const size_t k = want == Precision::kA8W4 ? 2 : 4;
      EXPECT_EQ(packed.size(), (l.weights.size() + k - 1) / k) << l.name;
    }
  }
  const RunConfig int8 = LoadRunConfig(out + "/model_a8w8.yaml");
  for (const sparq::Layer& l : int8.net.layers) {
    EXPECT_EQ(l.precision, Precision::kA8W8) << l.name;
  }
  ExpectSameOutputs(cfg.net, int8.net);
  EXPECT_TRUE(fs::exists(out + "/report.md"));
}

// Binary activations: the conv whose output feeds the sign emits +-1 through
// its requantization, and the binary fc runs in a1w1. model.yaml says so
// (the array runs it: tests/rtl/e2e/a1w1_model_rtl_test.cc), and
// model_a8w8.yaml runs the same network in a8w8.
TEST_F(CompressRunTest, BinaryActivationsExportInA1W1) {
  Recipe bad = SmallRecipe("  - {method: binary_activations, layers: [fc1]}\n");
  try {
    RunRecipe(bad);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(
        std::string(e.what()).find("binary activations need binary weights"),
        std::string::npos)
        << e.what();
  }
  Recipe r = SmallRecipe(
      "  - {method: quantize, weights: binary, layers: [fc1]}\n"
      "  - {method: binary_activations, layers: [fc1], epochs: 1}\n");
  const CompressResult res = RunRecipe(r);
  ASSERT_EQ(res.binary_input.size(), res.net.layers.size());
  int binary = 0;
  for (size_t i = 0; i < res.net.layers.size(); ++i) {
    if (res.binary_input[i]) {
      EXPECT_EQ(res.net.layers[i].name, "fc1");
      EXPECT_EQ(res.net.layers[i].precision, Precision::kA1W1);
      EXPECT_EQ(res.net.layers[i].quant.in_zp, 0);
      ++binary;
    }
  }
  EXPECT_EQ(binary, 1);
  EXPECT_GE(res.rows.back().int_acc, 0.0);
  const std::string out = (dir_ / "bin").string();
  WriteCompressedModel(res, r, out, 2);
  // 1 bit per weight.
  EXPECT_EQ(LoadNpy<uint8_t>(out + "/weights/fc1.weights.npy").size(),
            3136u * 128u / 8u);
  const RunConfig int8 = LoadRunConfig(out + "/model_a8w8.yaml");
  Network mine = res.net;
  mine.input = int8.net.input;
  ExpectSameOutputs(mine, int8.net);
  // conv2 feeds the sign: its outputs are +-1.
  const auto values = RunNetworkReference(mine);
  for (int8_t v : values.at("conv2").data) ASSERT_TRUE(v == 1 || v == -1);
  // model.yaml (conv2 feeding the sign through maxpool, fc1 in a1w1) loads
  // and gives the same outputs.
  const RunConfig bin = LoadRunConfig(out + "/model.yaml");
  EXPECT_EQ(bin.net.layers[5].precision, Precision::kA1W1);
  ExpectSameOutputs(mine, bin.net);
  EXPECT_TRUE(fs::exists(out + "/report.md"));
}

}  // namespace
}  // namespace sparq
