#include "golden/errors.h"
#include "golden/npy.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <type_traits>
#include <vector>

namespace sparq {
namespace {

class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "sparq_npy_test_" + std::to_string(getpid());
    mkdir(dir_.c_str(), 0755);
  }
  void TearDown() override {
    for (const std::string& f : Files()) std::remove((dir_ + "/" + f).c_str());
    rmdir(dir_.c_str());
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::vector<std::string> Files() const {
    std::vector<std::string> out;
    if (DIR* d = opendir(dir_.c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
      }
      closedir(d);
    }
    return out;
  }
  void WriteRaw(const std::string& name, const std::string& bytes) const {
    std::ofstream(Path(name), std::ios::binary) << bytes;
  }
  // A v1 file with the given header dict and payload.
  static std::string V1(const std::string& dict, const std::string& payload) {
    std::string h = dict + "\n";
    std::string s = std::string("\x93NUMPY\x01\x00", 8);
    s += static_cast<char>(h.size() & 0xff);
    s += static_cast<char>(h.size() >> 8);
    return s + h + payload;
  }
  template <typename T>
  void ExpectError(const std::string& name, const std::string& needle) const {
    try {
      LoadNpy<T>(Path(name));
      ADD_FAILURE() << name << ": no exception";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(Path(name)), std::string::npos) << what;
      EXPECT_NE(what.find(needle), std::string::npos)
          << "'" << what << "' lacks '" << needle << "'";
    }
  }
  std::string dir_;
};

template <typename T>
Tensor<T> Iota(const Shape& shape, T start, T step) {
  Tensor<T> t(shape);
  T v = start;
  for (auto& x : t.data) {
    x = v;
    // Wraps (two's complement) instead of overflowing a signed T.
    if constexpr (std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      v = static_cast<T>(static_cast<U>(static_cast<U>(v) + static_cast<U>(step)));
    } else {
      v = static_cast<T>(v + step);
    }
  }
  return t;
}

TEST_F(NpyTest, RoundTripsEveryDtype) {
  const auto i8 = Iota<int8_t>({2, 3, 4, 5}, -128, 3);
  const auto u8 = Iota<uint8_t>({7}, 250, 1);  // wraps past 255
  const auto i32 = Iota<int32_t>({3, 2}, -2147483647 - 1, 1000000007);
  const auto f32 = Iota<float>({1, 2, 2, 1}, -1.5f, 0.3f);
  SaveNpy(Path("i8.npy"), i8);
  SaveNpy(Path("u8.npy"), u8);
  SaveNpy(Path("i32.npy"), i32);
  SaveNpy(Path("f32.npy"), f32);
  const auto i8b = LoadNpy<int8_t>(Path("i8.npy"));
  const auto u8b = LoadNpy<uint8_t>(Path("u8.npy"));
  const auto i32b = LoadNpy<int32_t>(Path("i32.npy"));
  const auto f32b = LoadNpy<float>(Path("f32.npy"));
  EXPECT_EQ(i8b.shape, i8.shape);
  EXPECT_EQ(i8b.data, i8.data);
  EXPECT_EQ(u8b.shape, u8.shape);
  EXPECT_EQ(u8b.data, u8.data);
  EXPECT_EQ(i32b.shape, i32.shape);
  EXPECT_EQ(i32b.data, i32.data);
  EXPECT_EQ(f32b.shape, f32.shape);
  EXPECT_EQ(f32b.data, f32.data);  // bit-exact copy, no formatting
}

TEST_F(NpyTest, RoundTripsScalarAndEmpty) {
  Tensor<int32_t> scalar(Shape{}, 42);
  SaveNpy(Path("s.npy"), scalar);
  const auto s = LoadNpy<int32_t>(Path("s.npy"));
  EXPECT_EQ(s.shape, Shape{});
  EXPECT_EQ(s.data, std::vector<int32_t>{42});
  Tensor<float> empty(Shape{0, 3});
  SaveNpy(Path("e.npy"), empty);
  const auto e = LoadNpy<float>(Path("e.npy"));
  EXPECT_EQ(e.shape, (Shape{0, 3}));
  EXPECT_TRUE(e.data.empty());
}

TEST_F(NpyTest, WritesNumpyCompatibleHeader) {
  SaveNpy(Path("a.npy"), Iota<int8_t>({2, 3}, 1, 1));
  std::ifstream in(Path("a.npy"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  const std::string dict =
      "{'descr': '|i1', 'fortran_order': False, "
      "'shape': (2, 3), }";
  // 10 preamble bytes + 59 of dict + '\n' need padding up to 128 (numpy
  // aligns the data to 64 bytes).
  ASSERT_EQ(bytes.size(), 128u + 6u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(static_cast<unsigned char>(bytes[8]), 118u);
  EXPECT_EQ(bytes[9], 0);
  EXPECT_EQ(bytes.substr(10, dict.size()), dict);
  EXPECT_EQ(bytes.substr(10 + dict.size(), 128 - 11 - dict.size()),
            std::string(128 - 11 - dict.size(), ' '));
  EXPECT_EQ(bytes[127], '\n');
  EXPECT_EQ(bytes.substr(128), std::string("\x01\x02\x03\x04\x05\x06", 6));
}

TEST_F(NpyTest, ReadsVersion2AndOtherSpellings) {
  const std::string dict =
      "{\"descr\": \"<i4\", \"shape\": (2,), \"fortran_order\": False}";
  std::string s = std::string("\x93NUMPY\x02\x00", 8);
  const std::string h = dict + "\n";
  s += static_cast<char>(h.size());
  s += std::string(3, '\0');
  s += h;
  s += std::string("\x01\x00\x00\x00\xff\xff\xff\xff", 8);
  WriteRaw("v2.npy", s);
  const auto t = LoadNpy<int32_t>(Path("v2.npy"));
  EXPECT_EQ(t.shape, Shape{2});
  EXPECT_EQ(t.data, (std::vector<int32_t>{1, -1}));
  WriteRaw("lt.npy", V1("{'descr': '<i1', 'fortran_order': False, "
                        "'shape': (1, 2), }",
                        std::string("\x80\x7f", 2)));
  EXPECT_EQ(LoadNpy<int8_t>(Path("lt.npy")).data,
            (std::vector<int8_t>{-128, 127}));
}

TEST_F(NpyTest, MissingFile) { ExpectError<int8_t>("nope.npy", "cannot open"); }

TEST_F(NpyTest, BadMagic) {
  WriteRaw("bad.npy", "PK\x03\x04 this is a zip file");
  ExpectError<int8_t>("bad.npy", "bad magic");
  WriteRaw("short.npy", "\x93NU");
  ExpectError<int8_t>("short.npy", "bad magic");
}

TEST_F(NpyTest, WrongDtypeSaysFoundAndExpected) {
  SaveNpy(Path("i32.npy"), Iota<int32_t>({4}, 0, 1));
  ExpectError<int8_t>("i32.npy", "found '<i4', expected '|i1'");
  ExpectError<float>("i32.npy", "found '<i4', expected '<f4'");
  WriteRaw("be.npy", V1("{'descr': '>i4', 'fortran_order': False, "
                        "'shape': (1,), }",
                        std::string(4, '\0')));
  ExpectError<int32_t>("be.npy", "found '>i4', expected '<i4'");
  WriteRaw("f64.npy", V1("{'descr': '<f8', 'fortran_order': False, "
                         "'shape': (1,), }",
                         std::string(8, '\0')));
  ExpectError<float>("f64.npy", "found '<f8', expected '<f4'");
}

TEST_F(NpyTest, FortranOrderRejected) {
  WriteRaw("f.npy", V1("{'descr': '|i1', 'fortran_order': True, "
                       "'shape': (2, 2), }",
                       std::string(4, '\0')));
  ExpectError<int8_t>("f.npy", "fortran_order is True");
}

TEST_F(NpyTest, TruncatedDataSaysBytesExpectedAndFound) {
  SaveNpy(Path("t.npy"), Iota<int32_t>({2, 3}, 0, 1));
  std::ifstream in(Path("t.npy"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  bytes.resize(bytes.size() - 4);
  WriteRaw("t.npy", bytes);
  ExpectError<int32_t>("t.npy",
                       "truncated data: shape [2, 3] needs 24 bytes, "
                       "found 20");
  WriteRaw("th.npy", bytes.substr(0, 30));
  ExpectError<int32_t>("th.npy", "truncated npy header");
}

TEST_F(NpyTest, MalformedHeaders) {
  WriteRaw("noshape.npy", V1("{'descr': '|i1', 'fortran_order': False}", ""));
  ExpectError<int8_t>("noshape.npy", "no 'shape' field");
  WriteRaw("badshape.npy", V1("{'descr': '|i1', 'fortran_order': False, "
                              "'shape': (2, x), }",
                              "ab"));
  ExpectError<int8_t>("badshape.npy", "bad dimension 'x'");
  WriteRaw("v9.npy", std::string("\x93NUMPY\x09\x00\x00\x00", 10));
  ExpectError<int8_t>("v9.npy", "unsupported npy format version 9");
}

TEST_F(NpyTest, SaveIsAtomicAndLeavesNoTemporary) {
  SaveNpy(Path("x.npy"), Iota<float>({3}, 0.f, 1.f));
  SaveNpy(Path("x.npy"), Iota<float>({2}, 5.f, 1.f));  // overwrite
  EXPECT_EQ(LoadNpy<float>(Path("x.npy")).data, (std::vector<float>{5.f, 6.f}));
  EXPECT_EQ(Files(), std::vector<std::string>{"x.npy"});
  EXPECT_THROW(SaveNpy(Path("no/such/dir/y.npy"), Iota<float>({1}, 0.f, 1.f)),
               InputError);
  EXPECT_EQ(Files(), std::vector<std::string>{"x.npy"});
}

// int16 and int64 (A16W8 activations and biases): numpy's '<i2' and '<i8'.
TEST_F(NpyTest, ReadsAndRoundTripsInt16AndInt64) {
  WriteRaw("i16.npy", V1("{'descr': '<i2', 'fortran_order': False, "
                         "'shape': (3,), }",
                         std::string("\x00\x80\xff\x7f\xfe\xff", 6)));
  EXPECT_EQ(LoadNpy<int16_t>(Path("i16.npy")).data,
            (std::vector<int16_t>{-32768, 32767, -2}));
  WriteRaw("i64.npy",
           V1("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }",
              std::string("\xfe\xff\xff\xff\xff\xff\xff\xff", 8)));
  EXPECT_EQ(LoadNpy<int64_t>(Path("i64.npy")).data, std::vector<int64_t>{-2});
  ExpectError<int32_t>("i64.npy", "expected '<i4'");
  ExpectError<int16_t>("i64.npy", "expected '<i2'");

  const auto i16 = Iota<int16_t>({2, 5}, -32768, 6553);
  const auto i64 = Iota<int64_t>({4}, INT64_MIN, 3074457345618258602);
  SaveNpy(Path("a16.npy"), i16);
  SaveNpy(Path("a64.npy"), i64);
  EXPECT_EQ(LoadNpy<int16_t>(Path("a16.npy")).data, i16.data);
  EXPECT_EQ(LoadNpy<int64_t>(Path("a64.npy")).data, i64.data);
  EXPECT_EQ(LoadNpy<int64_t>(Path("a64.npy")).shape, (Shape{4}));
}

}  // namespace
}  // namespace sparq
