#include "sim/model_spmv.h"

#include <algorithm>
#include <string>
#include <vector>

#include "golden/requant.h"
#include "sw/sparse_format.h"

namespace sparq {
namespace {

// Fixed per-vector cycles of the RTL engine: init, the first ACT line's
// read and ring write; the drain reads one group per cycle plus one write
// and one turn-around cycle.
constexpr uint64_t kVectorStartCycles = 3;
constexpr uint64_t kDrainExtraCycles = 2;

}  // namespace

SpmvOutcome ExecSpmv(const SpmvInstr& i, const HwConfig& hw,
                     const int8_t* act, const int8_t* wgt, int32_t* acc,
                     std::vector<int32_t>* held) {
  const int r = hw.rows, c = hw.cols;
  const int lanes = c / 2;
  if (i.m_rows < 1 || i.k_cols < 1 || i.n_groups < 1) {
    throw SpmvFault("m_rows, k_cols and n_groups must be at least 1");
  }
  if (2 * i.n_groups > kSparseLaneOuts) {
    throw SpmvFault("n_groups = " + std::to_string(i.n_groups) +
                    " exceeds the lane accumulators (" +
                    std::to_string(kSparseLaneOuts / 2) + " groups)");
  }
  const int64_t lines = SpmvActLines(i, hw);
  const int64_t last_act = i.act_base + (i.m_rows - 1) * i.act_stride + lines;
  if (last_act > hw.act_lines) {
    throw SpmvFault("ACT lines up to " + std::to_string(last_act) +
                    " outside [0, " + std::to_string(hw.act_lines) + ")");
  }
  const int64_t last_row =
      i.acc_base + (i.n_groups - 1) * i.acc_gstride + i.m_rows;
  if (last_row > hw.acc_rows) {
    throw SpmvFault("ACC rows up to " + std::to_string(last_row) +
                    " outside [0, " + std::to_string(hw.acc_rows) + ")");
  }
  if (i.seg_lines != 0 && i.seg_line0 >= i.seg_lines) {
    throw SpmvFault("seg_line0 = " + std::to_string(i.seg_line0) +
                    " is not below seg_lines = " + std::to_string(i.seg_lines));
  }
  if ((i.lane_keep != 0 || i.lane_hold != 0) && i.m_rows != 1) {
    throw SpmvFault("lane_keep / lane_hold need m_rows = 1, got " +
                    std::to_string(i.m_rows));
  }
  const size_t lane_words_total = static_cast<size_t>(lanes) * kSparseLaneOuts;
  if (i.lane_keep != 0 && held->size() != lane_words_total) {
    throw SpmvFault("lane_keep without a preceding lane_hold Spmv");
  }
  SpmvOutcome out;
  std::vector<int32_t> lane_acc(lane_words_total);
  std::vector<int64_t> live(static_cast<size_t>(lanes));
  for (int p = 0; p < lanes; ++p) {
    live[p] = i.n_valid > p ? (i.n_valid - p + lanes - 1) / lanes : 0;
  }
  auto word_at = [&](int p, int64_t index) -> uint16_t {
    const int64_t line = i.wgt_base + index;
    if (line >= hw.wgt_lines) {
      throw SpmvFault("lane " + std::to_string(p) + " stream reads WGT line " +
                      std::to_string(line) + " outside [0, " +
                      std::to_string(hw.wgt_lines) + ")");
    }
    const uint8_t* b =
        reinterpret_cast<const uint8_t*>(wgt) + line * c + 2 * p;
    return static_cast<uint16_t>(b[0] | (b[1] << 8));
  };
  for (int64_t m = 0; m < i.m_rows; ++m) {
    const int8_t* a = act + (i.act_base + m * i.act_stride) * r;
    if (i.lane_keep != 0) {
      lane_acc = *held;
    } else {
      std::fill(lane_acc.begin(), lane_acc.end(), 0);
    }
    uint64_t slowest = 0;
    std::vector<uint64_t> lane_words(static_cast<size_t>(lanes), 0);
    for (int p = 0; p < lanes; ++p) {
      int64_t index = 0;
      uint64_t consumed = 0;  // words the lane spends a cycle on
      int32_t* la = lane_acc.data() + static_cast<size_t>(p) * kSparseLaneOuts;
      for (int64_t k = 0; k < i.k_cols; ++k) {
        // A byte past Cin in its im2col segment (raw 0) reads as act_zp.
        const bool past_cin =
            i.seg_lines != 0 &&
            ((i.seg_line0 + k / r) % i.seg_lines) * r + k % r >= i.seg_real;
        const int8_t ak = past_cin ? static_cast<int8_t>(i.act_zp) : a[k];
        // Activations equal to the zero point are the zeros the engine skips.
        const bool zero = ak == static_cast<int8_t>(i.act_zp);
        const int32_t av = int32_t{ak} - static_cast<int32_t>(i.act_zp);
        if (p == 0 && zero) ++out.zero_acts;
        int64_t pos = 0;
        auto entry = [&](uint16_t word) {
          pos += (word >> 8) & kSparseRelMax;
          if (pos >= kSparseLaneOuts) {
            throw SpmvFault("lane " + std::to_string(p) + " column " +
                            std::to_string(k) + ": entry position " +
                            std::to_string(pos) + " exceeds the " +
                            std::to_string(kSparseLaneOuts) +
                            " lane accumulators");
          }
          const int8_t wv = static_cast<int8_t>(word & 0xff);
          if (wv == 0) ++out.meta_words;
          la[pos] = WrapAdd(la[pos], int32_t{wv} * av);
          ++pos;
        };
        if (i.flagged != 0) {
          // Flagged: every word of the column takes a cycle (a zero
          // activation's words add zero); the last one carries the flag.
          int64_t words = 0;
          for (;;) {
            const uint16_t word = word_at(p, index++);
            if ((word >> 15) != 0) {
              throw SpmvFault("lane " + std::to_string(p) + " column " +
                              std::to_string(k) + ": bit 15 of a flagged "
                              "stream word is set");
            }
            ++words;
            entry(word);
            if ((word & kSparseEmptyColumn) != 0) break;
          }
          consumed += static_cast<uint64_t>(words);
          if (!zero && live[p] > words) {
            out.zero_weights += static_cast<uint64_t>(live[p] - words);
          }
          continue;
        }
        const uint16_t count = word_at(p, index++);
        ++out.meta_words;
        ++consumed;
        if (zero || count == 0) {
          if (!zero) out.zero_weights += static_cast<uint64_t>(live[p]);
          index += count;
          continue;
        }
        if (live[p] > count) {
          out.zero_weights += static_cast<uint64_t>(live[p] - count);
        }
        consumed += count;
        for (int e = 0; e < count; ++e) entry(word_at(p, index++));
      }
      lane_words[p] = consumed;
      out.wgt_lines = std::max(out.wgt_lines, index);
      slowest = std::max(slowest, consumed);
    }
    for (int p = 0; p < lanes; ++p) {
      out.lane_idle += slowest - lane_words[p];
    }
    if (i.lane_hold != 0) {
      // No drain: the sums stay in the lanes for the next Spmv.
      out.busy += kVectorStartCycles + slowest;
      *held = lane_acc;
      continue;
    }
    held->clear();
    out.busy += kVectorStartCycles + slowest + static_cast<uint64_t>(i.n_groups) +
                kDrainExtraCycles;
    for (int64_t g = 0; g < i.n_groups; ++g) {
      int32_t* row = acc + (i.acc_base + g * i.acc_gstride + m) * c;
      for (int col = 0; col < c; ++col) {
        const int p = col % lanes;
        const int j = static_cast<int>(2 * g + col / lanes);
        const int32_t v = lane_acc[static_cast<size_t>(p) * kSparseLaneOuts + j];
        row[col] = i.accumulate ? WrapAdd(row[col], v) : v;
      }
    }
  }
  return out;
}

}  // namespace sparq
