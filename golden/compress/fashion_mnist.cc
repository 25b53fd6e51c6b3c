#include "golden/compress/fashion_mnist.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "golden/errors.h"

namespace sparq {
namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

uint32_t BigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Reads exactly n bytes or throws; gzread also reads plain files.
void ReadExactly(gzFile_s* f, const std::string& path, uint8_t* dst, size_t n,
                 const char* what) {
  size_t done = 0;
  while (done < n) {
    const unsigned chunk =
        static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
    const int got = gzread(f, dst + done, chunk);
    if (got < 0) {
      int err = 0;
      throw InputError(path + ": corrupt gzip data while reading " + what +
                       " (" + gzerror(f, &err) + ")");
    }
    if (got == 0) {
      throw InputError(path + ": truncated: expected " + std::to_string(n) +
                       " bytes of " + what + ", got " + std::to_string(done));
    }
    done += static_cast<size_t>(got);
  }
}

}  // namespace

std::vector<uint8_t> ReadIdx(const std::string& path, uint32_t magic,
                             std::vector<int>* dims) {
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) {
    throw InputError(path +
                     ": cannot open (is the Debian package "
                     "dataset-fashion-mnist installed?)");
  }
  uint8_t word[4];
  ReadExactly(f.get(), path, word, 4, "the IDX magic number");
  const uint32_t got_magic = BigEndian32(word);
  if (got_magic != magic) {
    char buf[96];
    std::snprintf(buf, sizeof(buf),
                  ": bad IDX magic 0x%08x, expected 0x%08x (uint8, rank %u)",
                  got_magic, magic, magic & 0xffu);
    throw InputError(path + buf);
  }
  const int rank = static_cast<int>(magic & 0xffu);
  dims->clear();
  size_t total = 1;
  for (int i = 0; i < rank; ++i) {
    ReadExactly(f.get(), path, word, 4, "the IDX dimensions");
    const uint32_t d = BigEndian32(word);
    if (d == 0 || d > (1u << 24)) {
      throw InputError(path + ": IDX dimension " + std::to_string(i) + " is " +
                       std::to_string(d) + ", expected 1..2^24");
    }
    dims->push_back(static_cast<int>(d));
    total *= d;
  }
  std::vector<uint8_t> data(total);
  ReadExactly(f.get(), path, data.data(), total, "IDX payload");
  uint8_t extra;
  if (gzread(f.get(), &extra, 1) != 0) {
    throw InputError(path + ": trailing bytes after the " +
                     std::to_string(total) + "-byte IDX payload");
  }
  return data;
}

Dataset LoadFashionMnist(const std::string& dir, const std::string& split,
                         int limit) {
  if (split != "train" && split != "t10k") {
    throw InputError("fashion-mnist split '" + split +
                     "': expected 'train' or 't10k'");
  }
  const std::string images_path = dir + "/" + split + "-images-idx3-ubyte.gz";
  const std::string labels_path = dir + "/" + split + "-labels-idx1-ubyte.gz";
  std::vector<int> idims, ldims;
  Dataset ds;
  ds.pixels = ReadIdx(images_path, 0x00000803u, &idims);
  ds.labels = ReadIdx(labels_path, 0x00000801u, &ldims);
  if (idims[1] != kImageSide || idims[2] != kImageSide) {
    throw InputError(images_path + ": images are " + std::to_string(idims[1]) +
                     "x" + std::to_string(idims[2]) + ", expected 28x28");
  }
  if (idims[0] != ldims[0]) {
    throw InputError(labels_path + ": " + std::to_string(ldims[0]) +
                     " labels for " + std::to_string(idims[0]) + " images");
  }
  for (uint8_t l : ds.labels) {
    if (l >= kNumClasses) {
      throw InputError(labels_path + ": label " + std::to_string(l) +
                       " outside [0, 10)");
    }
  }
  ds.count = idims[0];
  if (limit > 0 && limit < ds.count) {
    ds.count = limit;
    ds.pixels.resize(static_cast<size_t>(limit) * kImageSide * kImageSide);
    ds.labels.resize(static_cast<size_t>(limit));
  }
  return ds;
}

}  // namespace sparq
