// `sparq import` and `sparq run MODEL.tflite` as a user runs them: exit
// codes, messages and the files written.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "golden/npy.h"
#include "tests/common/build_paths.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kData = std::string(SPARQ_SOURCE_DIR) + "/tests/data/tflite/";

struct Result {
  int code = -1;
  std::string out, err;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ImportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ =
        fs::temp_directory_path() /
        ("sparq_import_cli_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "logs");
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result Run(const std::string& args) {
    const fs::path out = dir_ / "logs" / "stdout";
    const fs::path err = dir_ / "logs" / "stderr";
    const std::string cmd = std::string("'") + SPARQ_BIN + "' " + args + " >'" +
                            out.string() + "' 2>'" + err.string() + "'";
    const int status = std::system(cmd.c_str());
    Result r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }

  fs::path dir_;
};

TEST_F(ImportCliTest, ImportsAndRunsPersonDetect) {
  const std::string model = kData + "person_detect.tflite";
  if (!fs::exists(model)) GTEST_SKIP() << "person_detect.tflite not present";
  const Result r =
      Run("import '" + model + "' --out '" + (dir_ / "pd").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("31 layers (28 on the array, 3 on the host)"));
  EXPECT_TRUE(fs::exists(dir_ / "pd" / "person_detect.yaml"));
  EXPECT_EQ(LoadNpy<int8_t>((dir_ / "pd" / "op002_conv_w.npy").string()).shape,
            (Shape{16, 1, 1, 8}));
  const Result run =
      Run("run '" + (dir_ / "pd" / "person_detect.yaml").string() +
          "' --backend golden");
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("PASS"));
}

// --array records the target array in the YAML; a malformed one or one the
// YAML reader refuses exits 2 naming it.
TEST_F(ImportCliTest, ArrayIsRecordedInTheYaml) {
  const std::string model = kData + "hello_world_int8.tflite";
  if (!fs::exists(model)) GTEST_SKIP() << "hello_world_int8.tflite not present";
  Result r = Run("import '" + model + "' --out '" + (dir_ / "hw").string() +
                 "' --array 4x4");
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream f(dir_ / "hw" / "hello_world_int8.yaml");
  const std::string yaml((std::istreambuf_iterator<char>(f)),
                         std::istreambuf_iterator<char>());
  EXPECT_THAT(yaml, HasSubstr("hardware:\n  array: [4, 4]\n"));
  r = Run("import '" + model + "' --out '" + (dir_ / "bad").string() +
          "' --array 4by4");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--array 4by4: expected RxC"));
  r = Run("import '" + model + "' --out '" + (dir_ / "bad").string() +
          "' --array 3x4");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("hardware.array"));
  // That import failed once its files were written (staged): none is left,
  // and the message names the YAML where it would have been.
  EXPECT_THAT(r.err, HasSubstr((dir_ / "bad" / "hello_world_int8.yaml").string()));
  EXPECT_FALSE(fs::exists(dir_ / "bad"));
}

TEST_F(ImportCliTest, RunTakesATfliteWithAnInputNpy) {
  const std::string model = kData + "hello_world_int8.tflite";
  if (!fs::exists(model)) GTEST_SKIP() << "hello_world_int8.tflite not present";
  Tensor<int8_t> x({1, 1});
  x.data[0] = -60;
  SaveNpy((dir_ / "x.npy").string(), x);
  const Result r = Run("run '" + model + "' --backend golden --input '" +
                       (dir_ / "x.npy").string() + "' --outputs '" +
                       (dir_ / "out").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(
      LoadNpy<int8_t>((dir_ / "out" / "golden_ref" / "input.npy").string())
          .data[0],
      -60);
  const Result bad = Run("run '" + model + "' --backend golden --input '" +
                         (dir_ / "missing.npy").string() + "'");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("missing.npy"));
}

TEST_F(ImportCliTest, CorruptTruncatedAndMissingFilesExitTwo) {
  const std::string good = ReadFile(kData + "hello_world_int8.tflite");
  if (good.empty()) GTEST_SKIP() << "hello_world_int8.tflite not present";
  {
    std::ofstream(dir_ / "cut.tflite", std::ios::binary)
        << good.substr(0, good.size() / 2);
  }
  Result r = Run("import '" + (dir_ / "cut.tflite").string() + "' --out '" +
                 (dir_ / "o").string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("cut.tflite: corrupt or truncated TFLite file"));
  EXPECT_FALSE(fs::exists(dir_ / "o"));
  r = Run("run '" + (dir_ / "cut.tflite").string() + "' --backend golden");
  EXPECT_EQ(r.code, 2);
  r = Run("import '" + (dir_ / "none.tflite").string() + "' --out '" +
          (dir_ / "o").string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("none.tflite: cannot open the TFLite file"));
  r = Run("run '" + std::string(SPARQ_SOURCE_DIR) +
          "/tests/data/ds_cnn_s/ds_cnn_s.yaml' --backend golden --input x.npy");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--input x.npy: expected with a .tflite model"));
}

}  // namespace
}  // namespace sparq
