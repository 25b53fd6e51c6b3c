#include "sim/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "golden/errors.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

BackendLayerStats Stats(uint64_t cycles, double seconds, const Shape& shape,
                        int flip = -1) {
  BackendLayerStats s;
  s.counters.v[kCtrCycles] = cycles;
  s.seconds = seconds;
  Tensor<int8_t> expected(shape, 10);
  Tensor<int8_t> got = expected;
  if (flip >= 0) got.data[static_cast<size_t>(flip)] = 11;
  s.compare = CompareTensors(expected, got);
  return s;
}

// conv1 (120 MACs), a host pool, fc (48 MACs) on a 4x4 array; the rtl fc
// output has one wrong element at index 3.
RunReport Example() {
  RunReport r;
  r.config = "net.yaml";
  r.network = "example";
  r.rows = 4;
  r.cols = 4;
  r.backends = {"golden", "rtl"};
  r.wall_seconds = 1.5;
  LayerReport conv{"conv1", "conv", false, 120, {1, 2, 2, 4}, {}, "a8w4", 4096};
  conv.backends["golden"] = Stats(10, 0.001, conv.shape);
  conv.backends["rtl"] = Stats(20, 0.002, conv.shape);
  LayerReport pool{"pool", "maxpool", true, 0, {1, 1, 1, 4}, {}, "-", 0};
  pool.backends["golden"] = Stats(0, 0, pool.shape);
  pool.backends["rtl"] = Stats(0, 0, pool.shape);
  LayerReport fc{"fc", "fc", false, 48, {1, 8}, {}, "a8w8", 640};
  fc.backends["golden"] = Stats(6, 0.001, fc.shape);
  fc.backends["rtl"] = Stats(8, 0.002, fc.shape, 3);
  r.layers = {conv, pool, fc};
  return r;
}

TEST(ReportTest, Utilization) {
  EXPECT_DOUBLE_EQ(Utilization(120, 10, 4, 4), 0.75);
  EXPECT_DOUBLE_EQ(Utilization(256 * 100, 100, 16, 16), 1.0);
  EXPECT_EQ(Utilization(5, 0, 4, 4), 0.0);
}

TEST(ReportTest, FirstMismatchFollowsNetworkOrder) {
  RunReport r = Example();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.FirstMismatch(),
            "rtl: layer fc: 1 of 8 outputs differ; first at index 3 [0,3]: "
            "expected 10, got 11");
  // An earlier layer wins over an earlier backend.
  r.layers[1].backends["rtl"] = Stats(0, 0, r.layers[1].shape, 0);
  EXPECT_THAT(r.FirstMismatch(), HasSubstr("rtl: layer pool:"));
  r.layers[1].backends["golden"] = Stats(0, 0, r.layers[1].shape, 2);
  EXPECT_THAT(r.FirstMismatch(), HasSubstr("golden: layer pool:"));

  RunReport clean = Example();
  clean.layers[2].backends["rtl"] = Stats(8, 0.002, {1, 8});
  EXPECT_TRUE(clean.ok());
  EXPECT_EQ(clean.FirstMismatch(), "");
}

TEST(ReportTest, TableShowsCyclesUtilizationAndTheMismatch) {
  std::ostringstream os;
  PrintReport(Example(), os);
  const std::string t = os.str();
  EXPECT_THAT(t, HasSubstr("network example on a 4x4 array"));
  // conv1: golden 10 cycles (120 / (10*16) = 75%), rtl 20 cycles (37.5%).
  EXPECT_THAT(t, HasSubstr("conv1  conv     array  a8w4"));
  // MACs, DRAM bytes, golden cycles, util, MACs/cycle (120 / 10).
  EXPECT_THAT(t, HasSubstr("120        4096"));
  EXPECT_THAT(t, HasSubstr("12.0"));
  EXPECT_THAT(t, HasSubstr("75.0%"));
  EXPECT_THAT(t, HasSubstr("37.5%"));
  EXPECT_THAT(t, HasSubstr("pool   maxpool  host"));
  // Totals: golden 16 cycles, 168 / 256 = 65.6%; rtl 28 cycles.
  EXPECT_THAT(t, HasSubstr("65.6%"));
  EXPECT_THAT(t, HasSubstr("golden: 16 cycles simulated in 0.002 s"));
  EXPECT_THAT(t, HasSubstr("rtl: 28 cycles simulated in 0.004 s (0.01 M "
                           "cycles/s)"));
  EXPECT_THAT(t, HasSubstr("MISMATCH: rtl: layer fc: 1 of 8 outputs differ"));
  EXPECT_THAT(t, ::testing::Not(HasSubstr("PASS")));
}

TEST(ReportTest, PrintsAndWritesTheWholeConfiguration) {
  RunReport r = Example();
  r.hw = HwConfig::ForArray(32, 32, 256);
  r.hw.dram_latency = 30;
  r.hw.dram_stall = 0.05;
  r.hw.dram_stall_seed = 9;
  std::ostringstream os;
  PrintReport(r, os);
  EXPECT_THAT(os.str(),
              HasSubstr("hardware: 32x32 (act 65536 lines, wgt 16384 lines, "
                        "acc 8192 rows, param 2048 entries, dram 256 bits, "
                        "256 MiB); DRAM latency 30 cycles, stall 0.05 (seed 9)"));
  const YAML::Node j = YAML::Load(ReportToJson(r));
  const YAML::Node hw = j["hardware"];
  EXPECT_EQ(hw["act_lines"].as<int>(), 65536);
  EXPECT_EQ(hw["wgt_lines"].as<int>(), 16384);
  EXPECT_EQ(hw["acc_rows"].as<int>(), 8192);
  EXPECT_EQ(hw["param_entries"].as<int>(), 2048);
  EXPECT_EQ(hw["dram_bits"].as<int>(), 256);
  EXPECT_EQ(hw["dram_bytes"].as<uint64_t>(), 1ull << 28);
  EXPECT_EQ(hw["dram_latency"].as<int>(), 30);
  EXPECT_EQ(hw["dram_stall"].as<double>(), 0.05);
  EXPECT_EQ(hw["dram_stall_seed"].as<uint64_t>(), 9u);
}

TEST(ReportTest, NamesTheUnitOfEachLayer) {
  RunReport r = Example();
  r.layers[2].nm24 = true;  // fc in the array's 2:4 mode
  const YAML::Node j = YAML::Load(ReportToJson(r));
  EXPECT_EQ(j["layers"][0]["unit"].as<std::string>(), "array");
  EXPECT_EQ(j["layers"][1]["unit"].as<std::string>(), "host");
  EXPECT_EQ(j["layers"][2]["unit"].as<std::string>(), "array 2:4");
  std::ostringstream os;
  PrintReport(r, os);
  EXPECT_THAT(os.str(), HasSubstr("array 2:4"));
}

TEST(ReportTest, JsonHoldsEveryFigure) {
  const YAML::Node j = YAML::Load(ReportToJson(Example()));
  EXPECT_EQ(j["network"].as<std::string>(), "example");
  EXPECT_EQ(j["array"][0].as<int>(), 4);
  EXPECT_EQ(j["status"].as<std::string>(), "mismatch");
  EXPECT_EQ(j["first_mismatch"].as<std::string>(),
            "rtl: layer fc: 1 of 8 outputs differ; first at index 3 [0,3]: "
            "expected 10, got 11");
  ASSERT_EQ(j["layers"].size(), 3u);
  const YAML::Node conv = j["layers"][0];
  EXPECT_EQ(conv["name"].as<std::string>(), "conv1");
  EXPECT_FALSE(conv["host"].as<bool>());
  EXPECT_EQ(conv["macs"].as<uint64_t>(), 120u);
  EXPECT_EQ(conv["backends"]["golden"]["cycles"].as<uint64_t>(), 10u);
  EXPECT_DOUBLE_EQ(conv["backends"]["golden"]["utilization"].as<double>(),
                   0.75);
  EXPECT_DOUBLE_EQ(conv["backends"]["rtl"]["utilization"].as<double>(), 0.375);
  EXPECT_EQ(conv["mode"].as<std::string>(), "a8w4");
  EXPECT_EQ(conv["dram_bytes"].as<uint64_t>(), 4096u);
  EXPECT_DOUBLE_EQ(conv["backends"]["rtl"]["macs_per_cycle"].as<double>(), 6.0);
  EXPECT_EQ(conv["backends"]["rtl"]["compared"].as<uint64_t>(), 16u);
  EXPECT_EQ(conv["backends"]["rtl"]["counters"]["cycles"].as<uint64_t>(), 20u);
  const YAML::Node pool = j["layers"][1];
  EXPECT_TRUE(pool["host"].as<bool>());
  EXPECT_TRUE(pool["backends"]["golden"]["utilization"].IsNull());
  EXPECT_TRUE(pool["backends"]["golden"]["macs_per_cycle"].IsNull());
  EXPECT_EQ(pool["mode"].as<std::string>(), "-");
  EXPECT_EQ(conv["unit"].as<std::string>(), "array");
  EXPECT_EQ(pool["unit"].as<std::string>(), "host");
  const YAML::Node fc_rtl = j["layers"][2]["backends"]["rtl"];
  EXPECT_EQ(fc_rtl["mismatches"].as<uint64_t>(), 1u);
  EXPECT_EQ(fc_rtl["first_mismatch"]["index"].as<uint64_t>(), 3u);
  EXPECT_EQ(fc_rtl["first_mismatch"]["coord"][1].as<int>(), 3);
  EXPECT_EQ(fc_rtl["first_mismatch"]["expected"].as<int>(), 10);
  EXPECT_EQ(fc_rtl["first_mismatch"]["got"].as<int>(), 11);
  EXPECT_FALSE(j["layers"][2]["backends"]["golden"]["first_mismatch"]);
  const YAML::Node tg = j["totals"]["golden"];
  EXPECT_EQ(tg["macs"].as<uint64_t>(), 168u);
  EXPECT_EQ(tg["cycles"].as<uint64_t>(), 16u);
  EXPECT_DOUBLE_EQ(tg["utilization"].as<double>(), 168.0 / 256);
  EXPECT_EQ(tg["compared"].as<uint64_t>(), 16u + 4u + 8u);
  EXPECT_DOUBLE_EQ(tg["cycles_per_second"].as<double>(), 16 / 0.002);
  const YAML::Node tr = j["totals"]["rtl"];
  EXPECT_EQ(tr["mismatches"].as<uint64_t>(), 1u);
  EXPECT_DOUBLE_EQ(tr["cycles_per_second"].as<double>(), 28 / 0.004);
  EXPECT_DOUBLE_EQ(j["wall_seconds"].as<double>(), 1.5);
}

TEST(ReportTest, JsonEscapesStrings) {
  RunReport r = Example();
  r.config = "dir \"q\"\\x\n.yaml";
  const YAML::Node j = YAML::Load(ReportToJson(r));
  EXPECT_EQ(j["config"].as<std::string>(), r.config);
}

TEST(ReportTest, WriteFileAtomically) {
  const fs::path dir = fs::temp_directory_path() /
                       ("sparq_report_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "r.json").string();
  WriteFileAtomically(path, "first");
  WriteFileAtomically(path, "second");
  std::ifstream in(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), {}), 1);  // no temp

  const std::string bad = (dir / "missing" / "r.json").string();
  EXPECT_THROW(WriteFileAtomically(bad, "x"), InputError);
  EXPECT_FALSE(fs::exists(dir / "missing"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sparq
