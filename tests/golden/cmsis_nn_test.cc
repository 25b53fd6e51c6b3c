// Runs Conv2dInt8 / FullyConnectedInt8 on the CMSIS-NN int8 unit-test vectors
// (expected outputs produced by the TFLite interpreter) converted by
// tests/data/cmsis_nn/convert.py, and compares every output element.

#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "golden/layers.h"
#include "golden/errors.h"
#include "golden/npy.h"

namespace sparq {
namespace {

// Cases converted by convert.py (see tests/data/cmsis_nn/README.md).
constexpr size_t kExpectedCases = 22;

std::string DataDir() {
  return std::string(SPARQ_SOURCE_DIR) + "/tests/data/cmsis_nn";
}

std::vector<std::string> ListCases() {
  std::vector<std::string> cases;
  if (DIR* d = opendir(DataDir().c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name[0] == '.') continue;
      if (std::ifstream(DataDir() + "/" + name + "/params.txt")) {
        cases.push_back(name);
      }
    }
    closedir(d);
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

std::map<std::string, std::string> ReadParams(const std::string& path) {
  std::map<std::string, std::string> params;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, value;
    ls >> key;
    std::getline(ls >> std::ws, value);
    params[key] = value;
  }
  return params;
}

int Int(const std::map<std::string, std::string>& p, const std::string& key) {
  const auto it = p.find(key);
  if (it == p.end()) throw InputError("params.txt: missing '" + key + "'");
  return std::stoi(it->second);
}

TEST(CmsisNnTest, AllConvertedCasesArePresent) {
  EXPECT_EQ(ListCases().size(), kExpectedCases) << "in " << DataDir();
}

class CmsisNnCase : public ::testing::TestWithParam<std::string> {};

TEST_P(CmsisNnCase, MatchesTfliteOutputBitExactly) {
  const std::string dir = DataDir() + "/" + GetParam() + "/";
  const auto p = ReadParams(dir + "params.txt");
  const auto input = LoadNpy<int8_t>(dir + "input.npy");
  const auto weights = LoadNpy<int8_t>(dir + "weights.npy");
  const auto bias = LoadNpy<int32_t>(dir + "bias.npy").data;
  const auto expected = LoadNpy<int8_t>(dir + "output.npy");

  QuantParams q;
  q.in_zp = Int(p, "in_zp");
  q.out_zp = Int(p, "out_zp");
  q.act_min = Int(p, "act_min");
  q.act_max = Int(p, "act_max");
  q.multiplier = LoadNpy<int32_t>(dir + "multiplier.npy").data;
  q.shift.clear();
  for (int32_t s : LoadNpy<int32_t>(dir + "shift.npy").data)
    q.shift.push_back(s);

  Tensor<int8_t> out;
  const std::string kind = p.at("kind");
  if (kind == "fc") {
    out = FullyConnectedInt8(input, weights, bias, q);
  } else {
    ASSERT_TRUE(kind == "conv" || kind == "depthwise") << kind;
    ConvGeometry g;
    g.stride_h = Int(p, "stride_h");
    g.stride_w = Int(p, "stride_w");
    g.pad_top = Int(p, "pad_top");
    g.pad_left = Int(p, "pad_left");
    g.pad_bottom = Int(p, "pad_bottom");
    g.pad_right = Int(p, "pad_right");
    g.dilation_h = Int(p, "dilation_h");
    g.dilation_w = Int(p, "dilation_w");
    g.groups = Int(p, "groups");
    out = Conv2dInt8(input, weights, bias, g, q);
  }
  ASSERT_EQ(out.shape, expected.shape);
  int mismatches = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out.data[i] != expected.data[i] && ++mismatches <= 5) {
      ADD_FAILURE() << GetParam() << " element " << i << ": got "
                    << int{out.data[i]} << ", TFLite " << int{expected.data[i]};
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << out.size() << " elements";
}

INSTANTIATE_TEST_SUITE_P(Vectors, CmsisNnCase, ::testing::ValuesIn(ListCases()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param;
                         });

}  // namespace
}  // namespace sparq
