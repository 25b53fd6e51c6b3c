// Failure classes of issue 10 that need more than a bad file: FIFOs (which
// must not block), a real SIGINT/SIGTERM during a run (which must leave
// nothing behind), the JSON report of hostile names, and the checked size
// arithmetic of golden/checked.h.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "golden/checked.h"
#include "golden/errors.h"
#include "golden/npy.h"
#include "golden/tensor.h"
#include "golden/yaml_reader.h"
#include "sim/network_yaml.h"
#include "sim/report.h"
#include "tests/common/build_paths.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    names.push_back(e.path().lexically_relative(dir).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class HardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("sparq_hard_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs sparq with `args` (stdout, stderr to files outside nothing we
  // check); returns the exit code, -1 for a signal, 124 for a timeout.
  int Run(const std::string& args, std::string* err) {
    const fs::path e = dir_.string() + ".err";
    const std::string cmd = "timeout 60 '" + std::string(SPARQ_BIN) + "' " +
                            args + " >/dev/null 2>'" + e.string() + "'";
    const int status = std::system(cmd.c_str());
    *err = ReadFile(e);
    fs::remove(e);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Starts sparq with `args` in dir_ as a child process.
  pid_t Spawn(const std::vector<std::string>& args) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (::chdir(dir_.c_str()) != 0) ::_exit(126);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::vector<char*> argv;
      std::string bin = SPARQ_BIN;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (std::string& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(SPARQ_BIN, argv.data());
      ::_exit(127);
    }
    return pid;
  }

  // Waits until `path` exists or the child ends; true if it appeared while
  // the child was still running.
  static bool AwaitFile(pid_t pid, const std::function<bool()>& appeared) {
    for (;;) {
      if (appeared()) return true;
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) return false;
      ::sched_yield();
    }
  }

  fs::path dir_;
};

// A network that runs for a while on the machine model: large enough to be
// interrupted, far inside every size cap.
std::string LongNetwork() {
  return "hardware: {array: [4, 4]}\n"
         "network:\n"
         "  input: {shape: [1, 96, 96, 32], random: {seed: 1}, scale: 0.05}\n"
         "layers:\n"
         "  - {name: c1, type: conv, out_channels: 32, kernel: 3, padding: "
         "same, weights: {random: {seed: 2}}, weight_scale: 0.01, "
         "output_scale: 0.05}\n"
         "  - {name: c2, type: conv, out_channels: 32, kernel: 3, padding: "
         "same, weights: {random: {seed: 3}}, weight_scale: 0.01, "
         "output_scale: 0.05}\n"
         "  - {name: c3, type: conv, out_channels: 32, kernel: 3, padding: "
         "same, weights: {random: {seed: 4}}, weight_scale: 0.01, "
         "output_scale: 0.05}\n";
}

TEST_F(HardeningTest, FifoConfigIsRefusedWithoutBlocking) {
  const fs::path fifo = dir_ / "config.yaml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  std::string err;
  EXPECT_EQ(Run("run '" + fifo.string() + "' --backend golden", &err), 2);
  EXPECT_THAT(err, HasSubstr("expected the YAML file to be a regular file, "
                             "got a FIFO"));
  EXPECT_EQ(Run("compress '" + fifo.string() + "'", &err), 2);
  EXPECT_THAT(err, HasSubstr("got a FIFO"));
}

TEST_F(HardeningTest, FifoNpyIsRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo((dir_ / "in.npy").c_str(), 0644), 0);
  WriteFile(dir_ / "net.yaml",
            "network:\n  input: {npy: in.npy, scale: 0.1}\nlayers:\n"
            "  - {name: f, type: flatten}\n");
  std::string err;
  EXPECT_EQ(Run("run '" + (dir_ / "net.yaml").string() + "' --backend golden",
                &err),
            2);
  EXPECT_THAT(err, HasSubstr("net.yaml:2: field 'network.input.npy'"));
  EXPECT_THAT(err, HasSubstr("got a FIFO"));
}

// SIGINT and SIGTERM once every output is staged: the run dies by the signal
// and leaves no report, no .npy, no staging folder and no --outputs folder.
TEST_F(HardeningTest, SignalDuringRunLeavesNothingBehind) {
  WriteFile(dir_ / "net.yaml", LongNetwork());
  for (const int sig : {SIGINT, SIGTERM}) {
    const pid_t pid = Spawn({"run", "net.yaml", "--backend", "golden",
                             "--json", "report.json", "--outputs", "out"});
    ASSERT_GT(pid, 0);
    // The staged report appears once the stage is armed.
    const bool staged = AwaitFile(pid, [this] {
      for (const auto& e : fs::directory_iterator(dir_)) {
        if (e.path().filename().string().rfind(".report.json.sparq-", 0) ==
            0) {
          return true;
        }
      }
      return false;
    });
    ASSERT_TRUE(staged) << "the run ended before it could be interrupted";
    ASSERT_EQ(::kill(pid, sig), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << status;
    EXPECT_EQ(Listing(dir_), std::vector<std::string>{"net.yaml"});
  }
}

#ifdef SPARQ_TEST_RTL_4X4
// The same with a trace being written by the verilated RTL: no partial .fst
// and no stray .fst.hier.
TEST_F(HardeningTest, SignalDuringTracedRtlRunLeavesNoTrace) {
  WriteFile(dir_ / "net.yaml", LongNetwork());
  const pid_t pid = Spawn({"run", "net.yaml", "--backend", "rtl", "--trace",
                           "t.fst", "--json", "r.json"});
  ASSERT_GT(pid, 0);
  const fs::path staged = dir_ / (".t.fst.sparq-" + std::to_string(pid));
  ASSERT_TRUE(AwaitFile(pid, [&] { return fs::exists(staged); }))
      << "the run ended before its trace was opened";
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << status;
  EXPECT_EQ(Listing(dir_), std::vector<std::string>{"net.yaml"});
}
#endif

TEST_F(HardeningTest, FailedRunWritesNoOutputs) {
  // The outputs are probed and staged, then the network fails to compile
  // for lack of DRAM: nothing remains, not even the --outputs folder.
  WriteFile(dir_ / "net.yaml",
            "hardware: {array: [4, 4]}\nnetwork:\n"
            "  input: {shape: [1, 2048, 2048, 16], random: {seed: 1}, "
            "scale: 0.05}\nlayers:\n"
            "  - {name: a, type: pad, paddings: [[0, 0], [1, 1], [1, 1], [0, "
            "0]]}\n"
            "  - {name: b, type: pad, paddings: [[0, 0], [1, 1], [1, 1], [0, "
            "0]]}\n"
            "  - {name: c, type: pad, paddings: [[0, 0], [1, 1], [1, 1], [0, "
            "0]]}\n");
  std::string err;
  const std::string d = dir_.string();
  EXPECT_EQ(Run("run '" + d + "/net.yaml' --backend golden --json '" + d +
                    "/r.json' --outputs '" + d + "/out'",
                &err),
            2);
  EXPECT_THAT(err, HasSubstr("does not fit"));
  EXPECT_EQ(Listing(dir_), std::vector<std::string>{"net.yaml"});
}

TEST_F(HardeningTest, JsonReportIsValidForAnyConfigPath) {
  // A config path that is not UTF-8 (names inside the YAML must be printable
  // ASCII; the path is whatever the user typed): replaced by U+FFFD.
  const std::string name = std::string("net\xff\xfe\"\\.yaml");
  WriteFile(dir_ / name,
            "network:\n  input: {shape: [1, 4], random: {seed: 1}, scale: "
            "0.1}\nlayers:\n  - {name: f, type: flatten}\n");
  std::string err;
  EXPECT_EQ(Run("run '" + (dir_ / name).string() +
                    "' --backend golden --json '" +
                    (dir_ / "r.json").string() + "'",
                &err),
            0)
      << err;
  const nlohmann::json j = nlohmann::json::parse(ReadFile(dir_ / "r.json"));
  EXPECT_THAT(j.at("config").get<std::string>(), HasSubstr("\xEF\xBF\xBD"));
  EXPECT_EQ(j.at("status"), "pass");
}

TEST(CheckedTest, ProductsThatOverflowAreRefused) {
  EXPECT_EQ(CheckedMul(uint64_t{1} << 32, uint64_t{1} << 31),
            uint64_t{1} << 63);
  EXPECT_FALSE(CheckedMul(uint64_t{1} << 32, uint64_t{1} << 32));
  EXPECT_FALSE(CheckedAdd(std::numeric_limits<uint64_t>::max(), 1));
  const std::vector<int> huge = {1 << 24, 1 << 24, 1 << 24};
  EXPECT_FALSE(CheckedProduct(huge));
  EXPECT_FALSE(CheckedProduct(std::vector<int>{2, -3}));
  EXPECT_EQ(CheckedProduct(std::vector<int>{2, 3, 7}), 42u);
  EXPECT_FALSE(ProductAtMost(huge, kMaxTensorElements));
  // NumElements saturates instead of wrapping to a small count.
  EXPECT_EQ(NumElements({1 << 24, 1 << 24, 1 << 24, 1 << 24}), SIZE_MAX);
  EXPECT_EQ(NumElements({4, -1}), SIZE_MAX);
}

TEST(CheckedTest, NpyWhoseShapeOverflowsIsRefusedBeforeAllocation) {
  std::string h =
      "{'descr': '|i1', 'fortran_order': False, 'shape': (999999999, "
      "999999999, 999999999), }";
  h.append((64 - (10 + h.size() + 1) % 64) % 64, ' ');
  h += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(h.size() & 0xff);
  bytes += static_cast<char>(h.size() >> 8);
  bytes += h + "abcd";
  try {
    ParseNpy<int8_t>(bytes, "x.npy");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("x.npy: npy header 'shape'"));
    EXPECT_THAT(e.what(), HasSubstr("expected at most 268435456 elements"));
  }
}

TEST(YamlHardeningTest, SecondDocumentIsRefused) {
  try {
    ParseYaml("a: 1\n---\nb: 2\n", "f.yaml");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("f.yaml:2: malformed YAML: expected one "
                                    "document, got a second"));
  }
}

// Inputs on which yaml-cpp's LoadAll never returned (found by the fuzzers).
TEST(YamlHardeningTest, InputsThatHungTheParserAreErrors) {
  for (const std::string& text :
       {std::string(","), std::string("a: 1\n# x\0y\n", 12)}) {
    try {
      ParseYaml(text, "f.yaml");
      FAIL() << "no error";
    } catch (const InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr("f.yaml:"));
      EXPECT_THAT(e.what(), HasSubstr("malformed YAML"));
    }
  }
}

TEST(YamlHardeningTest, LayerWithoutTypeIsAFieldError) {
  try {
    ParseRunConfig(
        "network:\n  input: {shape: [1, 4], random: {seed: 1}}\nlayers:\n"
        "  - name: a\n    kernel: 3\n",
        "f.yaml", "");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("f.yaml:4: field 'layers[0].type': "
                                    "expected one of conv"));
  }
}

}  // namespace
}  // namespace sparq
