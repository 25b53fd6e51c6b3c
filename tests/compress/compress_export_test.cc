// `sparq compress`'s export through the output stage (sim/output_stage.h):
// every file lands together, and a failure or a SIGINT/SIGTERM during the
// export or before it (training) leaves the --out folder as it was.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "golden/compress/fashion_mnist.h"
#include "golden/errors.h"
#include "golden/npy.h"
#include "sim/cmd_compress.h"
#include "sim/output_stage.h"
#include "sim/report.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;

// Every path under `dir`, relative, sorted.
std::vector<std::string> Tree(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class CompressExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sparq_compress_export_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // A one-layer integer network, as RunRecipe leaves it.
    Layer fc;
    fc.name = "fc1";
    fc.inputs = {"input"};
    fc.kind = LayerKind::kFc;
    fc.weights = Tensor<int8_t>({3, 784});
    for (size_t i = 0; i < fc.weights.data.size(); ++i) {
      fc.weights.data[i] = static_cast<int8_t>(static_cast<int>(i * 37) - 128);
    }
    fc.bias = {5, -7, 1 << 20};
    fc.quant.multiplier = {1 << 30, 1 << 29, 1 << 28};
    fc.quant.shift = {-8, -9, -10};
    fc.quant.out_zp = 3;
    result_.net.name = "tiny";
    result_.net.layers.push_back(fc);
    result_.input_scale = 1.0 / 255;
    result_.input_zero_point = -128;
    result_.output_scales = {0.25};
    result_.output_zero_points = {3};
    result_.binary_input = {false};
    recipe_.name = "tiny";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  CompressResult result_;
  Recipe recipe_;
};

TEST_F(CompressExportTest, CommitsEveryFileTogetherAndMakesParents) {
  const fs::path out = dir_ / "a" / "b";
  OutputStage stage;
  stage.AddDir("--out", out.string(), /*make_parents=*/true);
  stage.Arm();
  // Before the export only the (empty) staging folder exists.
  ASSERT_EQ(Tree(out).size(), 1u);
  EXPECT_EQ(Tree(out)[0].rfind(".sparq-stage-", 0), 0u);
  ExportCompressedModel(result_, recipe_, 2, 16, 16, &stage);
  EXPECT_EQ(Tree(out),
            (std::vector<std::string>{"input.npy", "model.yaml", "report.md",
                                      "weights", "weights/fc1.bias.npy",
                                      "weights/fc1.weights.npy"}));
  const Tensor<int8_t> w = LoadNpy<int8_t>((out / "weights/fc1.weights.npy").string());
  EXPECT_EQ(w.shape, result_.net.layers[0].weights.shape);
  EXPECT_EQ(w.data, result_.net.layers[0].weights.data);
  const Tensor<int32_t> b = LoadNpy<int32_t>((out / "weights/fc1.bias.npy").string());
  EXPECT_EQ(b.data, result_.net.layers[0].bias);
}

TEST_F(CompressExportTest, FailureMidExportLeavesNothing) {
  // The weights are written, then the test images cannot be read.
  recipe_.data = (dir_ / "no-such-dataset").string();
  const fs::path out = dir_ / "new" / "out";
  try {
    OutputStage stage;
    stage.AddDir("--out", out.string(), /*make_parents=*/true);
    stage.Arm();
    ExportCompressedModel(result_, recipe_, 2, 16, 16, &stage);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-dataset"),
              std::string::npos)
        << e.what();
  }
  // Neither the folder nor the parent it made is left.
  EXPECT_FALSE(fs::exists(dir_ / "new"));

  // An existing folder keeps exactly what it had.
  const fs::path kept = dir_ / "kept";
  fs::create_directories(kept / "weights");
  WriteFileAtomically((kept / "model.yaml").string(), "old\n");
  try {
    OutputStage stage;
    stage.AddDir("--out", kept.string(), /*make_parents=*/true);
    stage.Arm();
    ExportCompressedModel(result_, recipe_, 2, 16, 16, &stage);
    FAIL() << "expected an InputError";
  } catch (const InputError&) {
  }
  EXPECT_EQ(Tree(kept),
            (std::vector<std::string>{"model.yaml", "weights"}));
}

// Runs `body` in a child; returns its wait status.
template <typename F>
int InChild(F body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST_F(CompressExportTest, ParallelRunsShareMissingParents) {
  // Two CTest jobs (compress_modes_small, compress_binary_act_small) once
  // made the same missing parent at the same moment and one failed with
  // "File exists". Several processes, released together, each make their own
  // --out under one missing parent chain; all must succeed and commit.
  constexpr int kRounds = 20;
  constexpr int kProcs = 6;
  int failures = 0;
  for (int r = 0; r < kRounds; ++r) {
    const fs::path parent = dir_ / ("race" + std::to_string(r)) / "models";
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    std::vector<pid_t> pids;
    for (int i = 0; i < kProcs; ++i) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        ::close(go[1]);
        char c;
        if (::read(go[0], &c, 1) != 0) ::_exit(12);  // waits for the close
        try {
          OutputStage stage;
          stage.AddDir("--out", (parent / ("m" + std::to_string(i))).string(),
                       /*make_parents=*/true);
          stage.Arm();
          const std::string tree = stage.BeginTree();
          WriteFileAtomically((fs::path(tree) / "model.yaml").string(), "x\n");
          stage.Commit();
        } catch (const InputError&) {
          ::_exit(1);
        }
        ::_exit(0);
      }
      pids.push_back(pid);
    }
    ::close(go[0]);
    ::close(go[1]);  // releases every child at once
    for (const pid_t pid : pids) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
    }
    for (int i = 0; i < kProcs; ++i) {
      EXPECT_TRUE(fs::exists(parent / ("m" + std::to_string(i)) / "model.yaml"))
          << r << " " << i;
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST_F(CompressExportTest, SignalMidExportLeavesNothing) {
  for (const int sig : {SIGINT, SIGTERM}) {
    const fs::path out = dir_ / "sig" / "out";
    const int status = InChild([&] {
      OutputStage stage;
      stage.AddDir("--out", out.string(), /*make_parents=*/true);
      stage.Arm();
      // ExportCompressedModel's steps, the signal arriving once every file
      // is written to the stage and before the commit.
      const std::string tree = stage.BeginTree();
      WriteCompressedModel(result_, recipe_, tree, 2);
      if (Tree(tree).size() != 6) ::_exit(10);
      ::raise(sig);
      stage.Commit();
      ::_exit(11);  // not reached: the signal ends the process
    });
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << status;
    EXPECT_FALSE(fs::exists(dir_ / "sig")) << sig;
  }
}

TEST_F(CompressExportTest, SignalBeforeExportLeavesNothing) {
  // During training only the staging folder (and the folders it made)
  // exist; the armed handler removes them and dies by the signal.
  const fs::path out = dir_ / "train" / "out";
  const int status = InChild([&] {
    OutputStage stage;
    stage.AddDir("--out", out.string(), /*make_parents=*/true);
    stage.Arm();
    ::raise(SIGINT);
    ::_exit(11);
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << status;
  EXPECT_FALSE(fs::exists(dir_ / "train"));
}

}  // namespace
}  // namespace sparq
