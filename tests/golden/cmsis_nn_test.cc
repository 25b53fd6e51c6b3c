// Runs the CMSIS-NN unit-test vectors (expected outputs produced by the TFLite
// interpreter) converted by tests/data/cmsis_nn/convert.py through golden and
// compares every output element: int8 cases through Conv2dInt8 /
// FullyConnectedInt8, packed-int4 cases through the same kernels after
// UnpackInt4, int16x8 cases through the A16W8 reference (golden/int16_layers.h).

#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/int16_layers.h"
#include "golden/int4.h"
#include "golden/layers.h"
#include "golden/npy.h"

namespace sparq {
namespace {

// Cases converted by convert.py (see tests/data/cmsis_nn/README.md).
constexpr size_t kExpectedCases = 36;

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

bool Has(const std::map<std::string, std::string>& p, const std::string& key) {
  return p.count(key) != 0;
}

ConvGeometry Geometry(const std::map<std::string, std::string>& p) {
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
  return g;
}

// weights.npy, or weights_int4.npy (upstream's packed bytes) unpacked to the
// `weight_shape` of params.txt. Packed depthwise filters keep upstream's
// [1, KH, KW, C] order and are transposed to OHWI [C, KH, KW, 1] here.
Tensor<int8_t> LoadWeights(const std::string& dir,
                           const std::map<std::string, std::string>& p) {
  if (!Has(p, "weight_bits")) return LoadNpy<int8_t>(dir + "weights.npy");
  if (Int(p, "weight_bits") != 4) {
    throw InputError("params.txt: weight_bits " + p.at("weight_bits"));
  }
  Shape shape;
  std::istringstream dims(p.at("weight_shape"));
  for (int d; dims >> d;) shape.push_back(d);
  const auto packed = LoadNpy<uint8_t>(dir + "weights_int4.npy");
  Tensor<int8_t> w(shape);
  w.data = UnpackInt4(packed.data, NumElements(shape));
  if (p.at("kind") != "depthwise") return w;
  const int kh = shape[1], kw = shape[2], c = shape[3];
  Tensor<int8_t> ohwi({c, kh, kw, 1});
  for (int o = 0; o < c; ++o)
    for (int y = 0; y < kh; ++y)
      for (int x = 0; x < kw; ++x) ohwi.at(o, y, x, 0) = w.at(0, y, x, o);
  return ohwi;
}

template <typename T>
void ExpectAllEqual(const Tensor<T>& out, const Tensor<T>& expected,
                    const std::string& name) {
  ASSERT_EQ(out.shape, expected.shape);
  int mismatches = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out.data[i] != expected.data[i] && ++mismatches <= 5) {
      ADD_FAILURE() << name << " element " << i << ": got "
                    << int{out.data[i]} << ", TFLite "
                    << int{expected.data[i]};
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << out.size() << " elements";
}

std::vector<int> Shifts(const std::string& path) {
  std::vector<int> shifts;
  for (int32_t s : LoadNpy<int32_t>(path).data) shifts.push_back(s);
  return shifts;
}

void RunInt8(const std::string& name, const std::string& dir,
             const std::map<std::string, std::string>& p) {
  const auto input = LoadNpy<int8_t>(dir + "input.npy");
  const auto weights = LoadWeights(dir, p);
  const auto bias = LoadNpy<int32_t>(dir + "bias.npy").data;
  const auto expected = LoadNpy<int8_t>(dir + "output.npy");

  QuantParams q;
  q.in_zp = Int(p, "in_zp");
  q.out_zp = Int(p, "out_zp");
  q.act_min = Int(p, "act_min");
  q.act_max = Int(p, "act_max");
  q.multiplier = LoadNpy<int32_t>(dir + "multiplier.npy").data;
  q.shift = Shifts(dir + "shift.npy");

  const bool fc = p.at("kind") == "fc";
  ExpectAllEqual(fc ? FullyConnectedInt8(input, weights, bias, q)
                    : Conv2dInt8(input, weights, bias, Geometry(p), q),
                 expected, name);
}

void RunInt16(const std::string& name, const std::string& dir,
              const std::map<std::string, std::string>& p) {
  const auto input = LoadNpy<int16_t>(dir + "input.npy");
  const auto weights = LoadWeights(dir, p);
  const auto expected = LoadNpy<int16_t>(dir + "output.npy");

  Int16QuantParams q;
  q.act_min = Int(p, "act_min");
  q.act_max = Int(p, "act_max");
  q.multiplier = LoadNpy<int32_t>(dir + "multiplier.npy").data;
  q.shift = Shifts(dir + "shift.npy");

  const bool fc = p.at("kind") == "fc";
  if (Int(p, "bias_bits") == 64) {
    const auto bias = LoadNpy<int64_t>(dir + "bias.npy").data;
    ExpectAllEqual(fc ? FullyConnectedInt16(input, weights, bias, q)
                      : Conv2dInt16(input, weights, bias, Geometry(p), q),
                   expected, name);
  } else {
    ASSERT_EQ(Int(p, "bias_bits"), 32);
    const auto bias = LoadNpy<int32_t>(dir + "bias.npy").data;
    ExpectAllEqual(fc ? FullyConnectedInt16Bias32(input, weights, bias, q)
                      : Conv2dInt16Bias32(input, weights, bias, Geometry(p), q),
                   expected, name);
  }
}

class CmsisNnCase : public ::testing::TestWithParam<std::string> {};

TEST_P(CmsisNnCase, MatchesTfliteOutputBitExactly) {
  const std::string dir = DataDir() + "/" + GetParam() + "/";
  const auto p = ReadParams(dir + "params.txt");
  const std::string kind = p.at("kind");
  ASSERT_TRUE(kind == "fc" || kind == "conv" || kind == "depthwise") << kind;
  if (Has(p, "act_bits")) {
    ASSERT_EQ(Int(p, "act_bits"), 16);
    RunInt16(GetParam(), dir, p);
  } else {
    RunInt8(GetParam(), dir, p);
  }
}

INSTANTIATE_TEST_SUITE_P(Vectors, CmsisNnCase, ::testing::ValuesIn(ListCases()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param;
                         });

}  // namespace
}  // namespace sparq
