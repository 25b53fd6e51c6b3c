// Runs the built `sparq` binary (SPARQ_BIN) the way a user does and checks
// exit codes, messages and the files it leaves behind.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/npy.h"
#include "sim/checker.h"
#include "tests/common/build_paths.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kSource = SPARQ_SOURCE_DIR;
const std::string kData = kSource + "/tests/data/yaml/";

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class SparqCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("sparq_cli_" + std::to_string(::getpid()) + "_" + info->name());
    logs_ = dir_.string() + ".logs";
    fs::remove_all(dir_);
    fs::remove_all(logs_);
    fs::create_directories(dir_);
    fs::create_directories(logs_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    fs::remove_all(logs_);
  }

  // Runs `sparq ARGS` with stdout/stderr captured outside dir_, so that dir_
  // holds only what sparq itself wrote.
  Result Run(const std::string& args) {
    const fs::path out = logs_ / "stdout";
    const fs::path err = logs_ / "stderr";
    const std::string cmd = std::string("'") + SPARQ_BIN + "' " + args + " >'" +
                            out.string() + "' 2>'" + err.string() + "'";
    const int status = std::system(cmd.c_str());
    Result r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    return r;
  }

  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      names.push_back(e.path().string());
    }
    return names;
  }

  std::string Outputs() const {
    return " --json '" + (dir_ / "report.json").string() + "' --outputs '" +
           (dir_ / "out").string() + "'";
  }

  fs::path dir_;
  fs::path logs_;
};

TEST_F(SparqCliTest, InputErrorsExitTwoAndWriteNothing) {
  struct Case {
    std::string args;
    std::string message;  // part of stderr naming the file and field
  };
  const std::vector<Case> cases = {
      {"run " + kData + "no_such.yaml", "no_such.yaml: cannot open"},
      {"run " + kData + "malformed.yaml", "malformed.yaml:4: malformed YAML"},
      {"run " + kData + "bad_unknown_field.yaml --backend golden",
       "bad_unknown_field.yaml:15: field 'layers[0].kernal': unknown field"},
      {"run " + kData + "bad_missing_npy.yaml --backend golden",
       "bad_missing_npy.yaml:17: field 'layers[0].weights.npy': "},
      {"run " + kData + "bad_truncated_npy.yaml --backend golden",
       "truncated data"},
      {"run " + kData + "bad_dtype_npy.yaml --backend golden", "wrong dtype"},
      {"run " + kData + "unbuilt_array.yaml --backend rtl",
       "unbuilt_array.yaml:3: field 'hardware.array': expected an array size "
       "with a built RTL simulator"},
      {"run " + kData + "cli_small.yaml --backend fpga", "--backend"},
      {"run " + kData + "cli_small.yaml --backend golden --trace " +
           (dir_ / "t.fst").string(),
       "--trace: expected --backend rtl or both"},
      {"run " + kData + "cli_small.yaml --backend golden --inject-fault nope:1",
       "--inject-fault: expected LAYER:INDEX"},
      {"run " + kData + "cli_small.yaml --backend golden --inject-fault fc:5",
       "--inject-fault: expected LAYER:INDEX"},  // fc has 5 outputs
      {"run " + kData + "cli_small.yaml --backend golden --dram-latency 0",
       "--dram-latency"},
      {"", "A subcommand is required"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const Result r = Run(c.args + Outputs());
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message));
    EXPECT_EQ(Entries(), std::vector<std::string>{});
  }
}

TEST_F(SparqCliTest, CleanRunExitsZeroAndWritesReportAndOutputs) {
  const Result r =
      Run("run " + kData + "cli_small.yaml --backend golden" + Outputs());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("PASS: all "));

  const YAML::Node j = YAML::LoadFile((dir_ / "report.json").string());
  EXPECT_EQ(j["status"].as<std::string>(), "pass");
  EXPECT_EQ(j["backends"].size(), 1u);
  ASSERT_EQ(j["layers"].size(), 4u);
  // Every layer's output was written for the backend and the reference, and
  // they agree element by element (what the report claims).
  const std::vector<std::string> layers = {"conv1", "pool", "flat", "fc"};
  const std::vector<Shape> shapes = {
      {1, 6, 6, 4}, {1, 3, 3, 4}, {1, 36}, {1, 5}};
  for (size_t i = 0; i < layers.size(); ++i) {
    SCOPED_TRACE(layers[i]);
    EXPECT_EQ(j["layers"][i]["name"].as<std::string>(), layers[i]);
    const Tensor<int8_t> got =
        LoadNpy<int8_t>((dir_ / "out/golden" / (layers[i] + ".npy")).string());
    const Tensor<int8_t> ref = LoadNpy<int8_t>(
        (dir_ / "out/golden_ref" / (layers[i] + ".npy")).string());
    EXPECT_EQ(got.shape, shapes[i]);
    EXPECT_TRUE(CompareTensors(ref, got).ok());
    EXPECT_EQ(j["layers"][i]["backends"]["golden"]["compared"].as<uint64_t>(),
              NumElements(shapes[i]));
  }
  EXPECT_TRUE(fs::exists(dir_ / "out/golden_ref/input.npy"));
  EXPECT_TRUE(j["layers"][1]["host"].as<bool>());
  EXPECT_FALSE(j["layers"][0]["host"].as<bool>());
  EXPECT_GT(j["layers"][0]["backends"]["golden"]["cycles"].as<uint64_t>(), 0u);
}

TEST_F(SparqCliTest, InjectedFaultIsReportedAndExitsOne) {
  // conv1's output is [1, 6, 6, 4]; index 5 is [0, 0, 1, 1].
  const Result r = Run("run " + kData + "cli_small.yaml --backend golden " +
                       "--inject-fault conv1:5" + Outputs());
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("MISMATCH: golden: layer conv1: 1 of 144 "
                               "outputs differ; first at index 5 [0,0,1,1]"));
  EXPECT_THAT(r.err, HasSubstr("sparq: mismatch: golden: layer conv1"));
  const YAML::Node j = YAML::LoadFile((dir_ / "report.json").string());
  EXPECT_EQ(j["status"].as<std::string>(), "mismatch");
  const YAML::Node conv = j["layers"][0]["backends"]["golden"];
  EXPECT_EQ(conv["mismatches"].as<uint64_t>(), 1u);
  EXPECT_EQ(conv["first_mismatch"]["index"].as<uint64_t>(), 5u);
  // The corrupted value is what was written, and it differs by one bit.
  const Tensor<int8_t> got =
      LoadNpy<int8_t>((dir_ / "out/golden/conv1.npy").string());
  const Tensor<int8_t> ref =
      LoadNpy<int8_t>((dir_ / "out/golden_ref/conv1.npy").string());
  EXPECT_EQ(got.data[5], ref.data[5] ^ 1);
  EXPECT_EQ(CompareTensors(ref, got).mismatches, 1u);
  // Later layers read the device's own (correct) data, so they still match.
  EXPECT_EQ(j["layers"][1]["backends"]["golden"]["mismatches"].as<int>(), 0);
}

TEST_F(SparqCliTest, EveryExampleRunsOnTheMachineModel) {
  std::vector<std::string> configs = {kSource + "/configs/default.yaml"};
  for (const auto& e : fs::directory_iterator(kSource + "/configs/examples")) {
    if (e.path().extension() == ".yaml") configs.push_back(e.path().string());
  }
  for (const std::string& c : configs) {
    SCOPED_TRACE(c);
    const Result r = Run("run " + c + " --backend golden");
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("PASS: all "));
  }
}

TEST_F(SparqCliTest, DisasmPrintsEachLayersProgram) {
  const Result r = Run("disasm " + kSource + "/configs/default.yaml");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("# layer conv2_1 (conv, array)"));
  EXPECT_THAT(r.out, HasSubstr("# layer gap (avgpool, host): 0 instructions"));
  EXPECT_THAT(r.out, HasSubstr("GEMM"));
  EXPECT_THAT(r.out, HasSubstr("STORE"));
  const Result bad =
      Run("disasm " + kSource + "/configs/default.yaml --layer nope");
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("no layer named 'nope'"));
}

TEST_F(SparqCliTest, HelpExitsZero) {
  const Result r = Run("run --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("--backend"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("--inject-fault")));
}

}  // namespace
}  // namespace sparq
