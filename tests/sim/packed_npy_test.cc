// The .npy dtype forms `sparq run` reads (docs/yaml.md, "Tensor sources"):
// packed uint8 weights of the narrow precisions (sim/packed_npy.h) and int16
// tensors holding int8 values. Round trips compare every element; every bad
// form is an InputError naming the YAML file, the field and the .npy file.

#include "sim/packed_npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/npy.h"
#include "golden/random.h"
#include "sim/network_yaml.h"

namespace sparq {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// Values in the precision's range, every code present, seeded.
std::vector<int8_t> RandomCodes(Precision p, size_t n, uint64_t seed) {
  int lo = 0, hi = 0;
  WeightRange(p, &lo, &hi);
  SplitMix64 rng(seed);
  std::vector<int8_t> v(n);
  for (size_t i = 0; i < n; ++i) {
    int x = lo + static_cast<int>(rng.Next() % static_cast<uint64_t>(hi - lo + 1));
    if (p == Precision::kA1W1 && x == 0) x = 1;
    v[i] = static_cast<int8_t>(x);
  }
  return v;
}

TEST(PackedNpyTest, RoundTripsEveryPrecisionAndOddCounts) {
  for (Precision p : {Precision::kA8W4, Precision::kA4W4, Precision::kA8W2,
                      Precision::kA1W1}) {
    for (size_t n : {1u, 2u, 3u, 7u, 8u, 9u, 15u, 16u, 17u, 1001u}) {
      Tensor<int8_t> w({static_cast<int>(n)});
      w.data = RandomCodes(p, n, n);
      const Tensor<uint8_t> packed = PackWeightsNpy(p, w);
      const size_t k = static_cast<size_t>(PackedWeightsPerByte(p));
      ASSERT_EQ(packed.shape, Shape{static_cast<int>((n + k - 1) / k)});
      const std::vector<int8_t> back = UnpackWeightsNpy(p, packed, n);
      ASSERT_EQ(back.size(), n);
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(back[i], w.data[i]) << PrecisionName(p) << " n=" << n
                                      << " element " << i;
      }
    }
  }
  EXPECT_EQ(PackedWeightsPerByte(Precision::kA8W8), 0);
  EXPECT_EQ(PackedWeightsPerByte(Precision::kA16W8), 0);
}

TEST(PackedNpyTest, Int4LayoutIsTfliteAndKeepsMinusEight) {
  Tensor<int8_t> w({3});
  w.data = {-8, 7, -1};
  const Tensor<uint8_t> packed = PackWeightsNpy(Precision::kA8W4, w);
  // Element 0 in the low nibble; the odd count leaves the last high nibble 0.
  EXPECT_EQ(packed.data, (std::vector<uint8_t>{0x78, 0x0f}));
  EXPECT_EQ(UnpackWeightsNpy(Precision::kA8W4, packed, 3), w.data);
  Tensor<int8_t> t({5});
  t.data = {1, -1, 0, 1, -1};
  // Ternary 01 = +1, 11 = -1, 00 = 0, element 4i+j in bits [2j+1:2j].
  EXPECT_EQ(PackWeightsNpy(Precision::kA8W2, t).data,
            (std::vector<uint8_t>{0x4d, 0x03}));
  Tensor<int8_t> b({9});
  b.data = {1, -1, -1, 1, 1, 1, -1, 1, 1};
  EXPECT_EQ(PackWeightsNpy(Precision::kA1W1, b).data,
            (std::vector<uint8_t>{0xb9, 0x01}));
}

TEST(PackedNpyTest, RejectsBadShapePaddingBitsAndTernaryCode10) {
  Tensor<uint8_t> t({2});
  t.data = {0x00, 0x00};
  EXPECT_THROW(
      {
        try {
          UnpackWeightsNpy(Precision::kA8W4, t, 5);
        } catch (const InputError& e) {
          EXPECT_THAT(e.what(), HasSubstr("expected shape [3] (5 elements, "
                                          "2 per byte), got [2]"));
          throw;
        }
      },
      InputError);
  t.data = {0x00, 0x10};  // element 3 of 3 would be the high nibble
  try {
    UnpackWeightsNpy(Precision::kA8W4, t, 3);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("byte 1 has bits set after the last "
                                    "element"));
  }
  t.data = {0x20, 0x00};  // element 2: code 10
  try {
    UnpackWeightsNpy(Precision::kA8W2, t, 8);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("element 2 has the unused ternary code"));
  }
  Tensor<uint8_t> b({1});
  b.data = {0x80};
  try {
    UnpackWeightsNpy(Precision::kA1W1, b, 7);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("bits set after the last element"));
  }
}

class PackedYamlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sparq_packed_npy_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A conv (5 -> 3 channels, 3x3: 135 weights, odd) and, after a maxpool
  // to 1x1, an fc (3 features -> 7: 21 weights) in `precision`, weights
  // from `conv_w` / `fc_w`.
  RunConfig Load(const std::string& precision, const std::string& conv_w,
                 const std::string& fc_w) {
    const std::string text =
        "network:\n"
        "  input: {shape: [1, 3, 3, 5], random: {seed: 1}, scale: 0.05}\n"
        "layers:\n"
        "  - name: c\n"
        "    type: conv\n"
        "    out_channels: 3\n"
        "    kernel: 3\n"
        "    padding: 1\n"
        "    weights: {npy: " + conv_w + "}\n"
        "    precision: " + precision + "\n"
        "    weight_scale: 0.01\n"
        "    output_scale: 0.05\n"
        "  - name: pool\n"
        "    type: maxpool\n"
        "    kernel: 3\n"
        "  - name: f\n"
        "    type: fc\n"
        "    out_features: 7\n"
        "    weights: {npy: " + fc_w + "}\n"
        "    precision: " + precision + "\n"
        "    weight_scale: 0.01\n"
        "    output_scale: 0.05\n";
    const std::string path = (dir_ / "net.yaml").string();
    std::ofstream(path) << text;
    return LoadRunConfig(path);
  }
  std::string Error(const std::string& precision, const std::string& conv_w,
                    const std::string& fc_w) {
    try {
      Load(precision, conv_w, fc_w);
    } catch (const InputError& e) {
      return e.what();
    }
    return "(no error)";
  }
  template <typename T>
  std::string Save(const std::string& name, const Tensor<T>& t) {
    SaveNpy((dir_ / name).string(), t);
    return name;
  }

  fs::path dir_;
};

TEST_F(PackedYamlTest, PackedWeightsReadAsTheirInt8Form) {
  for (Precision p : {Precision::kA8W4, Precision::kA8W2}) {
    Tensor<int8_t> cw({3, 3, 3, 5}), fw({7, 3});
    cw.data = RandomCodes(p, cw.size(), 11);
    fw.data = RandomCodes(p, fw.size(), 12);
    const RunConfig packed =
        Load(PrecisionName(p), Save("cp.npy", PackWeightsNpy(p, cw)),
             Save("fp.npy", PackWeightsNpy(p, fw)));
    const RunConfig plain =
        Load(PrecisionName(p), Save("c8.npy", cw), Save("f8.npy", fw));
    ASSERT_EQ(packed.net.layers.size(), 3u);
    for (size_t l : {0u, 2u}) {
      const Tensor<int8_t>& a = packed.net.layers[l].weights;
      const Tensor<int8_t>& b = plain.net.layers[l].weights;
      ASSERT_EQ(a.shape, b.shape);
      ASSERT_EQ(a.shape, l == 0 ? cw.shape : fw.shape);
      for (size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a.data[i], (l == 0 ? cw : fw).data[i]) << l << " " << i;
        ASSERT_EQ(b.data[i], a.data[i]);
      }
      EXPECT_EQ(packed.net.layers[l].precision, p);
    }
  }
}

TEST_F(PackedYamlTest, Int16TensorsHoldingInt8ValuesReadAsInt8) {
  Tensor<int16_t> cw({3, 3, 3, 5}), fw({7, 3});
  Tensor<int8_t> c8(cw.shape), f8(fw.shape);
  for (size_t i = 0; i < cw.size(); ++i) {
    c8.data[i] = static_cast<int8_t>(static_cast<int>(i % 256) - 128);
    cw.data[i] = c8.data[i];
  }
  for (size_t i = 0; i < fw.size(); ++i) {
    f8.data[i] = static_cast<int8_t>(127 - static_cast<int>(i));
    fw.data[i] = f8.data[i];
  }
  const RunConfig cfg =
      Load("a8w8", Save("c16.npy", cw), Save("f16.npy", fw));
  EXPECT_EQ(cfg.net.layers[0].weights.data, c8.data);
  EXPECT_EQ(cfg.net.layers[2].weights.data, f8.data);
  // An int16 value outside int8 names the file and the element.
  cw.data[17] = 128;
  const std::string e = Error("a8w8", Save("c16.npy", cw), "f16.npy");
  EXPECT_THAT(e, HasSubstr("net.yaml:9: field 'layers[0].weights.npy': "));
  EXPECT_THAT(e, HasSubstr("c16.npy: int16 element 17 = 128 is outside int8"));
}

TEST_F(PackedYamlTest, BadPackedFormsNameFileAndField) {
  Tensor<int8_t> cw({3, 3, 3, 5}), fw({7, 3});
  cw.data = RandomCodes(Precision::kA8W4, cw.size(), 3);
  fw.data = RandomCodes(Precision::kA8W4, fw.size(), 4);
  const std::string f = Save("fp.npy", PackWeightsNpy(Precision::kA8W4, fw));
  // Packed int4 read as ternary: wrong byte count.
  EXPECT_THAT(Error("a8w2", Save("cp.npy",
                                 PackWeightsNpy(Precision::kA8W4, cw)), f),
              HasSubstr("net.yaml:9: field 'layers[0].weights.npy': "));
  EXPECT_THAT(Error("a8w2", "cp.npy", f),
              HasSubstr("cp.npy: packed a8w2 weights: expected shape [34] "
                        "(135 elements, 4 per byte), got [68]"));
  // A packed form for a layer in a8w8 is a dtype error.
  EXPECT_THAT(Error("a8w8", "cp.npy", f), HasSubstr("wrong dtype: found '|u1'"));
  // Any other dtype for a narrow layer.
  Tensor<int32_t> w32(cw.shape);
  EXPECT_THAT(Error("a8w4", Save("c32.npy", w32), f),
              HasSubstr("field 'layers[0].weights.npy': expected int8 "
                        "('|i1', or '<i2' holding int8 values) or packed uint8 "
                        "('|u1') weights for precision a8w4, got dtype '<i4'"));
  // The int4 padding nibble of the odd count must be 0.
  Tensor<uint8_t> pad = PackWeightsNpy(Precision::kA8W4, cw);
  pad.data.back() |= 0x30;
  EXPECT_THAT(Error("a8w4", Save("cpad.npy", pad), f),
              HasSubstr("byte 67 has bits set after the last element"));
}

}  // namespace
}  // namespace sparq
