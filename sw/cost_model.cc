#include "sw/cost_model.h"

#include <algorithm>

namespace sparq {

int LoadLineBytes(const LoadInstr& i, const HwConfig& hw) {
  switch (static_cast<LoadBuf>(i.buf)) {
    case LoadBuf::kAct:
      return hw.rows;
    case LoadBuf::kWgt:
      return hw.cols;
    case LoadBuf::kParam:
      return kParamBytes;
  }
  return 0;
}

namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// The load engine's beat slots: kLoadBeatSlots beats replaced in turn; the
// slot replaced next never hits. Ordinary LOADs look only at the beat
// requested last, dense LOADs at every slot.
class BeatSlots {
 public:
  explicit BeatSlots(bool any) : any_(any) {}
  bool Hit(int64_t b) const { return Slot(b) >= 0; }
  // The slot holding beat b, or -1.
  int Slot(int64_t b) const {
    for (int s = 0; s < kLoadBeatSlots; ++s) {
      const bool looked = any_ ? s != rr_ : s == (rr_ + kLoadBeatSlots - 1) % kLoadBeatSlots;
      if (looked && ok_[s] && tag_[s] == b) return s;
    }
    return -1;
  }
  // The slot that stops hitting after the next fetch.
  int AfterNext() const { return (rr_ + 1) % kLoadBeatSlots; }
  void Fetch(int64_t b) {
    tag_[rr_] = b;
    ok_[rr_] = true;
    rr_ = (rr_ + 1) % kLoadBeatSlots;
  }

 private:
  bool any_;
  int rr_ = 0;
  int64_t tag_[kLoadBeatSlots] = {};
  bool ok_[kLoadBeatSlots] = {};
};

// A dense LOAD, step by step as the RTL generator takes it: one piece per
// cycle (a run of taps contiguous in DRAM, or padding, cut where a line
// fills; a kernel row of kw contiguous taps partly outside the input, an
// edge window, is one piece with leading / trailing pad bytes that reads
// only the beats of its DRAM bytes), except that a whole kernel row (or an
// edge window) at kx = 0 takes the next rows' pieces at the same columns
// with it (up to kLoadGroupRows, while they fit the line,
// their beats are in slots, and at most one fresh beat is needed). A piece
// needing two fresh beats first fetches one alone. A step needing no fresh
// beat prefetches the beat after the first group row's piece that misses,
// when the taps are contiguous, windows touch (sx <= kw) and that beat
// holds columns the LOAD reads.
void DenseLoadSteps(const LoadInstr& i, int64_t lb, int64_t beat, uint64_t* cycles,
                    uint64_t* beats) {
  BeatSlots slots(true);
  const bool contig = i.dx == 1 && i.pix_stride == i.seg_bytes;
  const bool pf_ok = contig && i.sx <= i.kw;
  const int64_t col_end = std::min(i.ix0 + (i.nx - 1) * i.sx + i.kw, i.w);
  for (int64_t y = 0; y < i.ny; ++y) {
    for (int64_t x = 0; x < i.nx; ++x) {
      int64_t pos = 0, ky = 0, kx = 0, al = 0;
      for (;;) {
        const int64_t ih = i.iy0 + y * i.sy + ky * i.dy;
        const int64_t iw = i.ix0 + x * i.sx + kx * i.dx;
        const bool row_in = ih >= 0 && ih < i.h;
        const bool col_in = iw >= 0 && iw < i.w;
        const int64_t left = i.kw - kx;
        const int64_t room = iw < 0 ? -iw : i.w - iw;
        // An edge window: kw contiguous taps at kx = 0 partly outside the
        // input, in one piece whose first lpad / last hpad bytes are pad.
        const bool edge = contig && room < i.kw && (iw < 0 || col_in) &&
                          kx == 0 && al == 0 && i.kw * i.seg_bytes <= lb - pos;
        const int64_t lpad = edge && iw < 0 ? room * i.seg_bytes : 0;
        const int64_t hpad =
            edge ? std::max<int64_t>(0, iw + i.kw - i.w) * i.seg_bytes : 0;
        int64_t taps = 1;
        if (!row_in || (iw >= 0 && !col_in)) {
          taps = left;
        } else if (edge) {
          taps = i.kw;
        } else if ((col_in && contig) || (iw < 0 && i.dx == 1)) {
          taps = std::min(room, left);
        }
        const int64_t avail = taps * i.seg_bytes - al;
        const int64_t space = lb - pos;
        const int64_t vb = std::min(avail, space);
        const bool run_end = avail <= space;
        const bool col_whole =
            (iw >= 0 && !col_in) || edge ||
            (((col_in && contig) || (iw < 0 && i.dx == 1)) && room >= i.kw);
        const bool multi = kx == 0 && al == 0 && taps == i.kw && run_end;
        bool fresh = false, pseudo = false;
        int64_t fresh_beat = 0;
        int64_t g = 1;
        int64_t next[kLoadGroupRows] = {};  // beat after row j's piece, or -1
        bool keep = false;  // the group reads the slot after the next fetch
        bool keep_j[kLoadGroupRows] = {};
        for (int64_t j = 0; j < kLoadGroupRows; ++j) {
          const int64_t ihj = ih + j * i.dy;
          const bool rin = ihj >= 0 && ihj < i.h;
          const bool rd = rin && (col_in || edge) && vb > 0;
          // An edge window's address is that of its first (maybe pad) tap,
          // below the input's first byte at the left edge: floor division.
          const int64_t addr = i.dram_base + (ihj * i.w + iw) * i.pix_stride + al;
          const int64_t b0 = rd ? FloorDiv(addr, beat) : 0;
          const int64_t off = addr - FloorDiv(addr, beat) * beat;
          const bool lo_need = off + lpad < beat;
          const bool span = rd && off + vb - hpad > beat;
          next[j] = -1;
          if (rd && (slots.Slot(b0) == slots.AfterNext() ||
                     (span && slots.Slot(b0 + 1) == slots.AfterNext()))) {
            keep_j[j] = true;
          }
          if (rd && pf_ok) {
            const int64_t nb = b0 + (span ? 2 : 1);
            if (nb * beat < i.dram_base + (ihj * i.w + col_end) * i.pix_stride) next[j] = nb;
          }
          const bool need_lo = rd && lo_need && !slots.Hit(b0);
          const bool need_hi = span && !slots.Hit(b0 + 1);
          const int64_t nb = need_lo ? b0 : b0 + 1;
          if (j == 0) {
            keep = keep_j[0];
            pseudo = need_lo && need_hi;
          } else {
            const bool ok = multi && ky + j < i.kh && (!rin || col_whole) &&
                            (j + 1) * vb <= space && !(need_lo && need_hi) &&
                            (!(need_lo || need_hi) || !fresh || fresh_beat == nb);
            if (!ok) break;
            g = j + 1;
            keep = keep || keep_j[j];
          }
          if (need_lo || need_hi) {
            fresh = true;
            fresh_beat = nb;
          }
        }
        ++*cycles;
        if (pseudo) {
          const int64_t addr = i.dram_base + (ih * i.w + iw) * i.pix_stride + al;
          slots.Fetch(FloorDiv(addr, beat));
          ++*beats;
          continue;
        }
        if (fresh) {
          slots.Fetch(fresh_beat);
          ++*beats;
        } else if (!keep) {
          for (int64_t j = 0; j < g; ++j) {
            if (next[j] >= 0 && !slots.Hit(next[j])) {
              slots.Fetch(next[j]);
              ++*beats;
              break;
            }
          }
        }
        const bool kx_last = taps == left;
        const bool pix_end = run_end && kx_last && ky + g == i.kh;
        if (pix_end) break;
        pos = (g * vb == space) ? 0 : pos + g * vb;
        if (!run_end) {
          al += vb;
        } else if (kx_last) {
          al = 0;
          kx = 0;
          ky += g;
        } else {
          al = 0;
          kx += taps;
        }
      }
    }
  }
}

}  // namespace

// The load engine generates one line per cycle and requests the beats that
// hold its valid bytes; a line starting in the beat requested last reuses it,
// a line needing two fresh beats takes two cycles. Out-of-bounds lines cost a
// cycle and no beat. Dense LOADs: DenseLoadSteps.
bool LoadStepKeep::Take(const LoadInstr& i) {
  const bool plain = i.ny == 1 && i.nx == 1 && i.kh == 1 && i.kw == 1 &&
                     i.iy0 == 0 && i.ix0 == 0;
  if (plain) return false;
  const std::array<int64_t, 6> key = {i.pix_stride, i.w, i.sy, i.dy, i.sx, i.dx};
  if (valid_ && key == key_) return true;
  valid_ = true;
  key_ = key;
  return false;
}

InstrCost LoadCost(const LoadInstr& i, const HwConfig& hw, bool steps_kept) {
  InstrCost c;
  const int lb = LoadLineBytes(i, hw);
  if (lb == 0) return c;
  const int64_t beat = hw.dram_beat_bytes();
  int64_t last_beat = -1;
  uint64_t cycles = 0;
  if (i.dense) {
    if (i.ny > 0 && i.nx > 0 && i.kh > 0 && i.kw > 0 && i.nl > 0 && i.seg_bytes > 0) {
      DenseLoadSteps(i, lb, beat, &cycles, &c.dram_beats);
    }
  } else {
    WalkLoadLines(i, lb, [&](uint64_t, bool in, int64_t addr, int valid) {
      if (!in || valid == 0) {
        ++cycles;
        return;
      }
      const int64_t first = addr / beat;
      const int64_t last = (addr + valid - 1) / beat;
      const uint64_t fresh =
          static_cast<uint64_t>(last - first + 1) - (first == last_beat ? 1 : 0);
      cycles += std::max<uint64_t>(1, fresh);
      c.dram_beats += fresh;
      last_beat = last;
    });
  }
  c.busy = (steps_kept ? kLoadKeptSetupCycles : kLoadSetupCycles) + cycles;
  c.latency = c.dram_beats > 0 ? static_cast<uint64_t>(hw.dram_latency) : 1;
  return c;
}

// Rows issue one per cycle; the next tile's weights preload behind the
// current wavefront, which takes C cycles, so a GEMM shorter than that
// waits for its bank. Results leave the array R + C cycles after issue.
InstrCost GemmCost(const GemmInstr& i, const HwConfig& hw) {
  InstrCost c;
  // A16W8 issues every activation row as two (low and high byte lines).
  c.rows = static_cast<uint64_t>(std::max<int64_t>(i.m_rows, 0)) *
           (i.mode == kGemmModeA16W8 ? 2 : 1);
  // N24W8 reads 5R/4 weight lines per tile (an index line per 4 rows), and
  // its first row waits R/4 cycles longer for them; N24W4 reads each of its
  // value lines twice, with the same timing.
  const uint64_t preload =
      i.mode == kGemmModeN24W8 || i.mode == kGemmModeN24W4
          ? static_cast<uint64_t>(hw.rows + hw.rows / 4 + 1)
          : static_cast<uint64_t>(hw.cols);
  c.busy = std::max<uint64_t>(
      c.rows, std::max<uint64_t>(preload, static_cast<uint64_t>(hw.cols)));
  c.weight_stall = c.busy - c.rows;
  c.latency = static_cast<uint64_t>(hw.rows + hw.cols);
  return c;
}

// One PARAM record per cycle, then one pixel per cycle (two when its bytes
// cross a beat boundary).
InstrCost StoreCost(const StoreInstr& i, const HwConfig& hw,
                    bool params_kept) {
  InstrCost c;
  const int64_t beat = hw.dram_beat_bytes();
  const int64_t lanes = std::max<int64_t>(i.n_bytes, 0);
  // Bytes written per pixel (int4: two channels per byte, binary eight).
  const int64_t n = i.out_binary != 0 ? (lanes + 7) / 8
                    : i.out_int4 != 0 ? (lanes + 1) / 2
                                      : lanes;
  uint64_t cycles = params_kept ? 0 : static_cast<uint64_t>(lanes);
  c.pre = cycles;  // the records are read while the c2s token is awaited
  if (i.out_int16 != 0) {
    // Two ACC reads per pixel; its channels leave in two entries of n_bytes,
    // the low bytes at the pixel's address and the high bytes hi_off further.
    auto beats_of = [&](int64_t a, int64_t bytes) -> uint64_t {
      return bytes <= 0 ? 0
                        : static_cast<uint64_t>((a + bytes - 1) / beat -
                                                a / beat + 1);
    };
    for (int64_t y = 0; y < i.ny; ++y) {
      for (int64_t x = 0; x < i.nx; ++x) {
        const int64_t a = i.dram_base + y * i.row_stride + x * i.pix_stride;
        const uint64_t beats =
            beats_of(a, lanes) + beats_of(a + i.hi_off, lanes);
        cycles += std::max<uint64_t>(2, beats);
        c.dram_beats += beats;
      }
    }
    c.busy = cycles;
    c.latency = kStoreDrainCycles;
    return c;
  }
  for (int64_t y = 0; y < i.ny; ++y) {
    for (int64_t x = 0; x < i.nx; ++x) {
      const int64_t a = i.dram_base + y * i.row_stride + x * i.pix_stride;
      const uint64_t beats =
          n == 0 ? 1 : static_cast<uint64_t>((a + n - 1) / beat - a / beat + 1);
      cycles += beats;
      c.dram_beats += n == 0 ? 0 : beats;
    }
  }
  c.busy = cycles;
  c.latency = kStoreDrainCycles;
  return c;
}

bool StoreParamKeep::Take(const StoreInstr& i, const HwConfig& hw) {
  const int64_t lanes = std::min<int64_t>(i.n_bytes, hw.cols);
  if (i.ny <= 0 || i.nx <= 0 || lanes <= 0) return false;  // reads nothing
  // The running STORE's bank first, then the other; else the other bank
  // takes the records (the running STORE keeps its own).
  for (const int k : {run_, 1 - run_}) {
    const Bank& b = banks_[static_cast<size_t>(k)];
    if (b.valid && i.param_base == b.base && lanes <= b.lanes) {
      run_ = k;
      return true;
    }
  }
  run_ = 1 - run_;
  banks_[static_cast<size_t>(run_)] = Bank{true, i.param_base, lanes};
  return false;
}

DwconvWalk DwconvWalkOf(const DwconvInstr& i) {
  DwconvWalk w;
  // The rectangle's leading edge in walk order.
  const int64_t y_lo = i.rev ? i.in_h - i.pad_top - i.valid_h : i.pad_top;
  const int64_t x_lo = i.rev ? i.in_w - i.pad_left - i.valid_w : i.pad_left;
  w.skip_rows = std::max<int64_t>(0, std::min<int64_t>(y_lo, i.kh - 1));
  w.skip_cols = std::max<int64_t>(0, std::min<int64_t>(x_lo, i.kw - 1));
  w.rows = std::max<int64_t>(i.in_h - w.skip_rows, 0);
  const int64_t cols = std::max<int64_t>(i.in_w - w.skip_cols, 0);
  w.steps = i.px2 ? (cols + 1) / 2 : cols;
  w.odd = i.px2 && (w.skip_cols & 1) != 0;
  const int64_t x_first = i.kw - 1 - w.skip_cols;  // walked columns before it
  w.first_out = (i.kh - 1 - w.skip_rows) * w.steps +
                (i.px2 ? x_first / 2 : x_first);
  return w;
}

InstrCost DwconvCost(const DwconvInstr& i, const HwConfig& hw) {
  (void)hw;
  InstrCost c;
  // Walk cycles: one per step (a pixel, or a pixel pair in the two-pixel
  // walk), skipped leading pad excluded.
  const DwconvWalk w = DwconvWalkOf(i);
  const uint64_t pixels =
      static_cast<uint64_t>(w.rows) * static_cast<uint64_t>(w.steps);
  // The weight box is read in the K*K cycles after the accept, beside the
  // walk, which waits just long enough for the first output's multiply to
  // find all of it (rtl/sparq_dw_unit.sv). The accept cycle of the next
  // DWCONV is this one's last walk step.
  const int64_t taps = kDwMaxKernel * kDwMaxKernel;
  const int64_t wait =
      i.pre ? 0 : std::max<int64_t>(0, taps - 1 - w.first_out);
  c.busy = static_cast<uint64_t>(wait) + pixels;
  c.latency = kDwPipeCycles;
  return c;
}

ProgramStats AnalyzeProgram(const std::vector<InstrWord>& program,
                            const HwConfig& hw) {
  ProgramStats s;
  const uint64_t beat = static_cast<uint64_t>(hw.dram_beat_bytes());
  StoreParamKeep keep;
  LoadStepKeep steps;
  for (const InstrWord& w : program) {
    switch (OpcodeOf(w)) {
      case Opcode::kLoad: {
        const LoadInstr l = DecodeLoad(w);
        const InstrCost c = LoadCost(l, hw, steps.Take(l));
        if (l.buf == static_cast<int64_t>(LoadBuf::kParam)) keep.ParamWritten();
        ++s.loads;
        s.load_cycles += c.busy;
        s.dram_read_bytes += c.dram_beats * beat;
        if (l.buf >= 0 && l.buf < 3) {
          s.dram_read_bytes_buf[l.buf] += c.dram_beats * beat;
        }
        break;
      }
      case Opcode::kGemm: {
        const InstrCost c = GemmCost(DecodeGemm(w), hw);
        ++s.gemms;
        s.gemm_cycles += c.busy;
        s.array_rows += c.rows;
        break;
      }
      case Opcode::kSpmv: {
        // The stream lengths live in DRAM, not in the instruction: a lower
        // bound (one header per column, the drain) counted as compute.
        const SpmvInstr i = DecodeSpmv(w);
        ++s.gemms;
        s.gemm_cycles += static_cast<uint64_t>(i.m_rows) *
                         static_cast<uint64_t>(i.k_cols + i.n_groups + 5);
        break;
      }
      case Opcode::kStore: {
        const StoreInstr st = DecodeStore(w);
        const InstrCost c = StoreCost(st, hw, keep.Take(st, hw));
        ++s.stores;
        s.store_cycles += c.busy;
        s.dram_write_bytes += c.dram_beats * beat;
        break;
      }
      case Opcode::kDwconv: {
        ++s.dwconvs;
        s.dw_cycles += DwconvCost(DecodeDwconv(w), hw).busy;
        break;
      }
    }
  }
  return s;
}

}  // namespace sparq
