// Fashion-MNIST (IDX files, gzip-compressed as Debian's dataset-fashion-mnist
// ships them under /usr/share/datasets/fashion-mnist).

#ifndef SPARQ_GOLDEN_COMPRESS_FASHION_MNIST_H_
#define SPARQ_GOLDEN_COMPRESS_FASHION_MNIST_H_

#include <cstdint>
#include <string>
#include <vector>

namespace sparq {

inline constexpr char kFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";
inline constexpr int kImageSide = 28;
inline constexpr int kNumClasses = 10;

struct Dataset {
  int count = 0;
  std::vector<uint8_t> pixels;  // count x 28 x 28, row-major
  std::vector<uint8_t> labels;  // count, in [0, 10)
};

// Reads an IDX file, gzip-compressed or plain. `magic` is the expected type
// and rank word (0x00000803 images, 0x00000801 labels). Throws InputError
// naming the file for a missing, truncated or corrupt file.
std::vector<uint8_t> ReadIdx(const std::string& path, uint32_t magic,
                             std::vector<int>* dims);

// Loads split "train" or "t10k" from `dir`; keeps the first `limit` examples
// when limit > 0.
Dataset LoadFashionMnist(const std::string& dir, const std::string& split,
                         int limit = 0);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_COMPRESS_FASHION_MNIST_H_
