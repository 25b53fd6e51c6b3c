#include "sw/sparse_format.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>
#include <string>

namespace sparq {

int SparseStreams::max_words() const {
  size_t m = 0;
  for (const auto& l : words) m = std::max(m, l.size());
  return static_cast<int>(m);
}

std::vector<uint8_t> SparseStreams::Lines(int line_bytes) const {
  assert(2 * lanes <= line_bytes);
  const int n = max_words();
  std::vector<uint8_t> out(static_cast<size_t>(n) * line_bytes, 0);
  for (int p = 0; p < lanes; ++p) {
    for (size_t i = 0; i < words[p].size(); ++i) {
      uint8_t* b = out.data() + i * line_bytes + 2 * p;
      b[0] = static_cast<uint8_t>(words[p][i] & 0xff);
      b[1] = static_cast<uint8_t>(words[p][i] >> 8);
    }
  }
  return out;
}

SparseStreams PackSparse(const int8_t* w, int64_t ldw, int k_cols, int n_cols,
                         int lanes, bool flagged) {
  assert(lanes >= 1 && n_cols <= lanes * kSparseLaneOuts);
  SparseStreams s;
  s.lanes = lanes;
  s.k_cols = k_cols;
  s.n_cols = n_cols;
  s.flagged = flagged;
  s.words.resize(static_cast<size_t>(lanes));
  s.col_words.assign(static_cast<size_t>(lanes),
                     std::vector<int>(static_cast<size_t>(k_cols), 0));
  std::vector<uint16_t> col;
  for (int p = 0; p < lanes; ++p) {
    auto& out = s.words[static_cast<size_t>(p)];
    for (int k = 0; k < k_cols; ++k) {
      col.clear();
      int next = 0;  // first position not yet covered
      for (int j = 0; j * lanes + p < n_cols; ++j) {
        const int8_t v = w[k * ldw + j * lanes + p];
        if (v == 0) continue;
        while (j - next > kSparseRelMax) {
          col.push_back(static_cast<uint16_t>(kSparseRelMax << 8));
          next += kSparseRelMax + 1;
          ++s.padding;
        }
        col.push_back(static_cast<uint16_t>(((j - next) << 8) |
                                            static_cast<uint8_t>(v)));
        next = j + 1;
        ++s.nonzeros;
      }
      if (!flagged) {
        out.push_back(static_cast<uint16_t>(col.size()));
        out.insert(out.end(), col.begin(), col.end());
      } else if (col.empty()) {
        out.push_back(kSparseEmptyColumn);
      } else {
        col.back() = static_cast<uint16_t>(col.back() | kSparseEmptyColumn);
        out.insert(out.end(), col.begin(), col.end());
      }
      s.col_words[static_cast<size_t>(p)][static_cast<size_t>(k)] =
          static_cast<int>(col.size());
    }
  }
  return s;
}

std::vector<int8_t> UnpackSparse(const std::vector<std::vector<uint16_t>>& words,
                                 int k_cols, int n_cols, int lanes,
                                 bool flagged) {
  std::vector<int8_t> out(static_cast<size_t>(k_cols) * n_cols, 0);
  for (int p = 0; p < lanes; ++p) {
    const auto& s = words.at(static_cast<size_t>(p));
    size_t i = 0;
    auto next = [&]() -> uint16_t {
      if (i >= s.size()) {
        throw std::invalid_argument("lane " + std::to_string(p) +
                                    " stream ends early");
      }
      return s[i++];
    };
    for (int k = 0; k < k_cols; ++k) {
      // Flagged: words until one carries the last bit (count unused).
      const int count = flagged ? 1 << 30 : next();
      int pos = 0;
      for (int e = 0; e < count; ++e) {
        const uint16_t word = next();
        if (flagged && (word >> 15) != 0) {
          throw std::invalid_argument("lane " + std::to_string(p) + " column " +
                                      std::to_string(k) + ": bit 15 is set");
        }
        if (flagged && word == kSparseEmptyColumn) {
          if (e != 0) {
            throw std::invalid_argument(
                "lane " + std::to_string(p) + " column " + std::to_string(k) +
                ": an empty-column word after an entry");
          }
          break;
        }
        pos += (word >> 8) & kSparseRelMax;
        const int n = pos * lanes + p;
        if (pos >= kSparseLaneOuts || n >= n_cols) {
          throw std::invalid_argument(
              "lane " + std::to_string(p) + " column " + std::to_string(k) +
              ": entry at position " + std::to_string(pos) +
              " is outside the tile");
        }
        out[static_cast<size_t>(k) * n_cols + n] =
            static_cast<int8_t>(word & 0xff);
        ++pos;
        if (flagged && (word & kSparseEmptyColumn) != 0) break;
      }
    }
  }
  return out;
}

}  // namespace sparq
