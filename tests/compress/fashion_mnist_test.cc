#include "golden/compress/fashion_mnist.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "golden/errors.h"

namespace sparq {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("sparq_fmnist_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

void WriteGz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(f);
}

std::vector<uint8_t> IdxHeader(uint32_t magic, std::vector<uint32_t> dims) {
  std::vector<uint8_t> out;
  auto put = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8)
      out.push_back(static_cast<uint8_t>(v >> s));
  };
  put(magic);
  for (uint32_t d : dims) put(d);
  return out;
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(FashionMnistTest, ReadsWellFormedGzipIdx) {
  const std::string path = TempPath("ok.gz");
  std::vector<uint8_t> bytes = IdxHeader(0x803, {2, 2, 3});
  for (int i = 0; i < 12; ++i) bytes.push_back(static_cast<uint8_t>(i * 7));
  WriteGz(path, bytes);
  std::vector<int> dims;
  const std::vector<uint8_t> data = ReadIdx(path, 0x803, &dims);
  EXPECT_EQ(dims, (std::vector<int>{2, 2, 3}));
  ASSERT_EQ(data.size(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(data[static_cast<size_t>(i)], i * 7);
  std::remove(path.c_str());
}

TEST(FashionMnistTest, MissingFileNamesTheFile) {
  std::vector<int> dims;
  const std::string msg =
      ErrorOf([&] { ReadIdx("/nonexistent/x-idx1-ubyte.gz", 0x801, &dims); });
  EXPECT_NE(msg.find("/nonexistent/x-idx1-ubyte.gz"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST(FashionMnistTest, TruncatedPayloadIsReported) {
  const std::string path = TempPath("short.gz");
  std::vector<uint8_t> bytes = IdxHeader(0x801, {10});
  bytes.resize(bytes.size() + 4, 1);
  WriteGz(path, bytes);
  std::vector<int> dims;
  const std::string msg = ErrorOf([&] { ReadIdx(path, 0x801, &dims); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 10 bytes"), std::string::npos) << msg;
  std::remove(path.c_str());
}

TEST(FashionMnistTest, WrongMagicIsReported) {
  const std::string path = TempPath("magic.gz");
  WriteGz(path, IdxHeader(0x803, {1, 1, 1}));
  std::vector<int> dims;
  const std::string msg = ErrorOf([&] { ReadIdx(path, 0x801, &dims); });
  EXPECT_NE(msg.find("bad IDX magic 0x00000803, expected 0x00000801"),
            std::string::npos)
      << msg;
  std::remove(path.c_str());
}

TEST(FashionMnistTest, CorruptGzipIsReported) {
  const std::string path = TempPath("corrupt.gz");
  {
    // A valid gzip header followed by garbage deflate data.
    std::ofstream f(path, std::ios::binary);
    const unsigned char bytes[] = {
        0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    f.write(reinterpret_cast<const char*>(bytes), sizeof(bytes));
  }
  std::vector<int> dims;
  const std::string msg = ErrorOf([&] { ReadIdx(path, 0x801, &dims); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_FALSE(msg.empty());
  std::remove(path.c_str());
}

TEST(FashionMnistTest, LoadsTheInstalledTestSplit) {
  const Dataset ds = LoadFashionMnist(kFashionMnistDir, "t10k", 100);
  ASSERT_EQ(ds.count, 100);
  ASSERT_EQ(ds.pixels.size(), 100u * 28 * 28);
  // The first t10k labels of Fashion-MNIST: ankle boot, pullover, trouser,
  // trouser, shirt.
  EXPECT_EQ(std::vector<int>(ds.labels.begin(), ds.labels.begin() + 5),
            (std::vector<int>{9, 2, 1, 1, 6}));
  const Dataset full = LoadFashionMnist(kFashionMnistDir, "t10k");
  EXPECT_EQ(full.count, 10000);
}

TEST(FashionMnistTest, UnknownSplitIsAnInputError) {
  EXPECT_THROW(LoadFashionMnist(kFashionMnistDir, "valid"), InputError);
}

}  // namespace
}  // namespace sparq
