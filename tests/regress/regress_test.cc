// The regression driver end to end on the 4x4 build (sparq_regress, sparq):
//  - an RTL fault (the test-only plugin verilated with SPARQ_FAULT_ACT_LINE6)
//    is found by the regression, shrunk to a layer none of whose reductions
//    still fails, localized to a STORE and its cycle window, and its bundle
//    replays with one command; the same seeds pass on the clean build;
//  - the GTKWave translate filter (`sparq disasm --filter`) turns every
//    instruction word of a traced run into the line `sparq disasm` prints;
//  - the trace counts 1 ns per cycle and holds only its window.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "golden/precision.h"
#include "sim/localize.h"
#include "sim/network_yaml.h"
#include "sim/regress/regress_case.h"
#include "sw/compiler.h"
#include "tests/common/build_paths.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kSource = SPARQ_SOURCE_DIR;
const std::string kBuild = SPARQ_BINARY_DIR;
const std::string kSparq = kBuild + "/sim/sparq";
const std::string kRegress = kBuild + "/sim/regress/sparq_regress";
const std::string kFault = kBuild + "/sim/regress/sparq_rtl_4x4_fault.so";

struct Result {
  int code = -1;
  std::string out;
};

Result Sh(const std::string& cmd) {
  Result r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// VCD of an FST: the identifier of each signal named `name` (last component,
// without range), the timestamps, and the value changes of `name`.
struct Vcd {
  std::string timescale;
  std::vector<uint64_t> times;
  std::vector<std::string> values;  // binary strings, in time order
};

Vcd ReadVcd(const std::string& fst, const std::string& name) {
  const Result r = Sh("fst2vcd " + fst);
  EXPECT_EQ(r.code, 0) << r.out;
  Vcd v;
  std::istringstream in(r.out);
  std::string line, id;
  bool in_timescale = false;
  while (std::getline(in, line)) {
    if (line.rfind("$timescale", 0) == 0) {
      in_timescale = true;
      continue;
    }
    if (in_timescale) {
      if (line.rfind("$end", 0) == 0) {
        in_timescale = false;
      } else {
        v.timescale += line;
      }
      continue;
    }
    if (line.rfind("$var", 0) == 0) {
      std::istringstream s(line);
      std::string var, type, width, ident, n;
      s >> var >> type >> width >> ident >> n;
      if (n == name && id.empty()) id = ident;
      continue;
    }
    if (line.rfind("#", 0) == 0) {
      v.times.push_back(std::stoull(line.substr(1)));
      continue;
    }
    if (!id.empty() && line.rfind("b", 0) == 0) {
      const size_t sp = line.find(' ');
      if (line.substr(sp + 1) == id) v.values.push_back(line.substr(1, sp - 1));
    }
  }
  v.timescale.erase(0, v.timescale.find_first_not_of(" \t"));
  return v;
}

// "name[msb:lsb]" (or "name") of every $var of an FST.
std::set<std::string> VarsOf(const std::string& fst) {
  const Result r = Sh("fst2vcd " + fst);
  std::set<std::string> vars;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("$var", 0) != 0) continue;
    std::istringstream s(line);
    std::string var, type, width, ident, name, range;
    s >> var >> type >> width >> ident >> name >> range;
    vars.insert(range == "$end" ? name : name + range);
  }
  return vars;
}

std::string BinToHex(std::string b) {
  while (b.size() % 4) b.insert(b.begin(), '0');
  std::string h;
  for (size_t i = 0; i < b.size(); i += 4) {
    int v = 0;
    for (size_t k = 0; k < 4; ++k) v = 2 * v + (b[i + k] == '1');
    h += "0123456789abcdef"[v];
  }
  return h;
}

class RegressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("sparq_regress_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// The mode draws reach every mode: narrow precisions the array builds, and
// pruned layers that the compiler really puts on the sparse engine (among
// them all-zero weights and a single non-zero); `modes = false` leaves every
// seed's layer int8 and dense, with the same shape.
TEST(RegressDraw, ModesReachNarrowPrecisionsAndTheSparseEngine) {
  RegressDims dims;
  std::set<std::string> precisions;
  int sparse = 0, all_zero = 0, one_nz = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    const RegressCase c = DrawCase(seed, dims);
    const Layer& l = c.net.layers.front();
    precisions.insert(PrecisionName(l.precision));
    RegressDims plain_dims = dims;
    plain_dims.modes = false;
    const RegressCase plain = DrawCase(seed, plain_dims);
    const Layer& p = plain.net.layers.front();
    EXPECT_EQ(p.precision, Precision::kA8W8);
    EXPECT_EQ(p.engine, LayerEngine::kAuto);
    EXPECT_EQ(p.weights.shape, l.weights.shape) << seed;
    EXPECT_EQ(plain.net.input.shape, c.net.input.shape) << seed;
    if (l.engine != LayerEngine::kSparse) continue;
    const CompiledNetwork compiled = Compile(c.net, c.hw);
    EXPECT_EQ(compiled.layers.front().engine, LayerEngine::kSparse) << seed;
    ++sparse;
    size_t nz = 0;
    for (int8_t v : l.weights.data) nz += v != 0;
    all_zero += nz == 0;
    one_nz += nz == 1;
  }
  EXPECT_TRUE(precisions.count("a8w4")) << "no a8w4 case in 400 seeds";
  EXPECT_TRUE(precisions.count("a8w2")) << "no a8w2 case in 400 seeds";
  EXPECT_TRUE(precisions.count("a4w4")) << "no a4w4 case in 400 seeds";
  EXPECT_GE(sparse, 20);
  EXPECT_GE(all_zero, 1);
  EXPECT_GE(one_nz, 1);
}

TEST_F(RegressTest, InjectedFaultIsFoundShrunkLocalizedAndReplayed) {
  const std::string seeds = " run --count 40 --jobs 1 --out " + dir_.string();
  const Result clean = Sh(kRegress + seeds + "/clean");
  ASSERT_EQ(clean.code, 0) << clean.out;
  EXPECT_THAT(clean.out, HasSubstr("40 layers"));
  EXPECT_THAT(clean.out, HasSubstr("0 failing"));

  const Result r = Sh(kRegress + seeds + "/fault --plugin " + kFault);
  ASSERT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("regress: FAIL seed "));
  const size_t at = r.out.find("regress: repro bundle ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const size_t end = r.out.find(" (seed ", at);
  const fs::path bundle = r.out.substr(at + 22, end - at - 22);
  for (const char* f : {"case.yaml", "input.npy", "weights.npy", "README.txt",
                        "replay.sh", "mismatch.fst", "mismatch.gtkw"}) {
    EXPECT_TRUE(fs::exists(bundle / f)) << (bundle / f);
  }

  // The bundle's layer fails on the faulty build, passes on the clean one,
  // and none of its one-step reductions still fails: it is shrunk.
  const RunConfig cfg = LoadRunConfig((bundle / "case.yaml").string());
  const std::string readme = ReadFile(bundle / "README.txt");
  EXPECT_THAT(readme, HasSubstr("bundle read back from case.yaml: fails"));
  RegressCase c;
  c.net = cfg.net;
  c.hw = HwConfig::ForArray(cfg.rows, cfg.cols, cfg.dram_bits);
  c.hw.dram_latency = *cfg.dram_latency;
  c.hw.dram_stall = *cfg.dram_stall;
  const size_t seed_at = readme.find("--seed ");
  ASSERT_NE(seed_at, std::string::npos) << readme;
  c.hw.dram_stall_seed = std::stoull(readme.substr(seed_at + 7));
  const RtlMaker fault = PluginMaker(kFault);
  EXPECT_FALSE(RunCase(c, fault).pass);
  EXPECT_TRUE(RunCase(c, PluginMaker("")).pass);
  const std::vector<RegressCase> smaller = Reductions(c);
  for (const RegressCase& s : smaller) {
    const CaseOutcome o = RunCase(s, fault);
    EXPECT_TRUE(o.pass || o.invalid) << "still fails: " << DescribeCase(s);
  }

  // Localized: the first differing write belongs to a STORE, inside the
  // window, and the model agrees with golden.
  const CompiledNetwork compiled = Compile(c.net, c.hw);
  const Divergence d = Localize(c.net, compiled, c.hw, fault);
  ASSERT_TRUE(d.found);
  EXPECT_TRUE(d.model_matches_golden);
  EXPECT_THAT(d.disasm, StartsWith("STORE"));
  EXPECT_LE(d.window_from, d.bad_cycle);
  EXPECT_LE(d.bad_cycle, d.window_to);
  EXPECT_GT(d.bytes_differing, 0u);
  EXPECT_THAT(readme, HasSubstr(DescribeDivergence(d)));
  // On the clean build nothing diverges.
  EXPECT_FALSE(Localize(c.net, compiled, c.hw, PluginMaker("")).found);

  // The trace holds exactly the window, 1 ns per cycle (100 ps resolution).
  const Vcd v = ReadVcd((bundle / "mismatch.fst").string(), "clk_i");
  EXPECT_EQ(v.timescale, "100ps");
  ASSERT_FALSE(v.times.empty());
  EXPECT_EQ(v.times.front(), d.window_from * 10);
  EXPECT_EQ(v.times.back(), d.window_to * 10 + 5);
  const std::string gtkw = ReadFile(bundle / "mismatch.gtkw");
  EXPECT_THAT(gtkw, HasSubstr("[timestart] " + std::to_string(d.window_from * 10)));
  EXPECT_THAT(gtkw, HasSubstr("disasm --filter"));
  // Every signal of the layout is in the trace, with this build's widths.
  const std::set<std::string> vars = VarsOf((bundle / "mismatch.fst").string());
  std::istringstream layout(gtkw);
  std::string sig;
  int signals = 0;
  while (std::getline(layout, sig)) {
    if (sig.rfind("TOP.", 0) != 0) continue;
    ++signals;
    EXPECT_TRUE(vars.count(sig.substr(sig.rfind('.') + 1))) << sig;
  }
  EXPECT_GT(signals, 40);

  // One command replays it: same failure, same localization.
  fs::remove(bundle / "mismatch.fst");
  const Result replay = Sh((bundle / "replay.sh").string());
  EXPECT_EQ(replay.code, 1) << replay.out;
  EXPECT_THAT(replay.out, HasSubstr(DescribeDivergence(d)));
  EXPECT_TRUE(fs::exists(bundle / "mismatch.fst"));
}

TEST_F(RegressTest, TranslateFilterPrintsWhatDisasmPrints) {
  const std::string cfg = kSource + "/configs/examples/small_array.yaml";
  const std::string fst = (dir_ / "run.fst").string();
  const Result run = Sh(kSparq + " run " + cfg + " --backend rtl --trace " + fst);
  ASSERT_EQ(run.code, 0) << run.out;
  const Vcd v = ReadVcd(fst, "cmd_data_i");

  // Every word the command port carried, as GTKWave hands it to the filter.
  std::ofstream words(dir_ / "words.txt");
  size_t n = 0;
  for (const std::string& b : v.values) {
    if (b.find('1') == std::string::npos) continue;  // before the first command
    words << BinToHex(b) << "\n";
    ++n;
  }
  words.close();
  ASSERT_GT(n, 0u);
  const Result filtered =
      Sh(kSparq + " disasm --filter < " + (dir_ / "words.txt").string());
  ASSERT_EQ(filtered.code, 0) << filtered.out;

  // `sparq disasm`'s listing without the indices; repeated words show once
  // in a trace (the port holds its value).
  const Result listing = Sh(kSparq + " disasm " + cfg);
  ASSERT_EQ(listing.code, 0) << listing.out;
  std::vector<std::string> want;
  std::istringstream in(listing.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    line = line.substr(line.find(": ") + 2);
    if (want.empty() || want.back() != line) want.push_back(line);
  }
  std::vector<std::string> got;
  std::istringstream fin(filtered.out);
  while (std::getline(fin, line)) got.push_back(line);
  EXPECT_EQ(got, want);
}

TEST_F(RegressTest, FilterPassesThroughWhatIsNotAWord) {
  std::ofstream(dir_ / "in.txt") << "xxxxxxxx\nzz\n";
  const Result r =
      Sh(kSparq + " disasm --filter < " + (dir_ / "in.txt").string());
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "xxxxxxxx\nzz\n");
}

TEST_F(RegressTest, TraceOnMismatchNeedsTheRtl) {
  const Result r = Sh(kSparq + " run " + kSource +
                      "/configs/examples/small_array.yaml --backend golden "
                      "--trace-on-mismatch " + dir_.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out,
              HasSubstr("--trace-on-mismatch: expected --backend rtl or both"));
}

TEST_F(RegressTest, TraceOnMismatchNeedsAFolder) {
  std::ofstream(dir_ / "file") << "x";
  const Result r = Sh(kSparq + " run " + kSource +
                      "/configs/examples/small_array.yaml --backend rtl "
                      "--trace-on-mismatch " + (dir_ / "file").string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("expected a folder (created if missing)"));
}

// A mismatch that is not the RTL's (here flipped in the read-back output):
// no instruction diverges, and no trace is written.
TEST_F(RegressTest, TraceOnMismatchSaysWhenTheRtlAgreesWithTheModel) {
  const Result r = Sh(kSparq + " run " + kSource +
                      "/configs/examples/small_array.yaml --backend rtl "
                      "--inject-fault conv1:5 --trace-on-mismatch " +
                      dir_.string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("the RTL and the machine model write the same "
                               "DRAM bytes"));
  EXPECT_FALSE(fs::exists(dir_ / "mismatch.fst"));
}

}  // namespace
}  // namespace sparq
