#include "sim/cmd_compress.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "golden/compress/model_io.h"
#include "golden/compress/train.h"
#include "golden/errors.h"
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

// The written YAML must be accepted by `sparq run`'s parser and describe
// exactly the network golden evaluated: every output element of every layer
// is compared.
TEST_F(CompressRunTest, WrittenModelIsTheNetworkSparqRunReads) {
  Recipe r = SmallRecipe(
      "  - {method: tucker2, layers: [conv2], ranks: [8, 16]}\n"
      "  - {method: svd, layers: [fc1], rank: 16}\n"
      "  - {method: nm, layers: [conv2_b], n: 2, m: 4}\n"
      "  - {method: quantize, weights: int4, layers: [fc1_a]}\n");
  const CompressResult res = RunRecipe(r);
  ASSERT_EQ(res.rows.size(), 5u);
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
  const auto a = RunNetworkReference(mine);
  const auto b = RunNetworkReference(cfg.net);
  for (const sparq::Layer& l : res.net.layers) {
    ASSERT_EQ(a.at(l.name).shape, b.at(l.name).shape) << l.name;
    for (size_t i = 0; i < a.at(l.name).size(); ++i) {
      ASSERT_EQ(a.at(l.name).data[i], b.at(l.name).data[i])
          << l.name << " " << i;
    }
  }
  // fc1_a holds int4 codes; conv2_b is 2:4 sparse.
  for (const sparq::Layer& l : cfg.net.layers) {
    if (l.name == "fc1_a") {
      for (int8_t w : l.weights.data) ASSERT_TRUE(w >= -8 && w <= 7);
    }
  }
  EXPECT_TRUE(fs::exists(out + "/report.md"));
}

TEST_F(CompressRunTest, BinaryActivationsRunOnGoldenButWriteNoYaml) {
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
      ++binary;
    }
  }
  EXPECT_EQ(binary, 1);
  EXPECT_GE(res.rows.back().int_acc, 0.0);
  const std::string out = (dir_ / "bin").string();
  EXPECT_FALSE(WriteCompressedModel(res, r, out, 2));
  EXPECT_FALSE(fs::exists(out + "/model.yaml"));
  EXPECT_TRUE(fs::exists(out + "/report.md"));
}

}  // namespace
}  // namespace sparq
