#include "sw/lower_sparse.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/requant.h"
#include "sw/cost_model.h"
#include "sw/lowering_common.h"

namespace sparq {
namespace {

constexpr int64_t kMaxNl = IsaFieldMax("Load", "nl");
constexpr int64_t kMaxSegBytes = IsaFieldMax("Load", "seg_bytes");
constexpr int64_t kMaxMRows = IsaFieldMax("Spmv", "m_rows");
constexpr int64_t kMaxKCols = IsaFieldMax("Spmv", "k_cols");
constexpr int64_t kMaxStoreNy = IsaFieldMax("Store", "ny");
constexpr int64_t kMaxStoreNx = IsaFieldMax("Store", "nx");

// Rectangles of fewer pixels make a layer weight-bound (see the constructor).
constexpr int kWeightBoundPixels = 16;
constexpr int64_t kEdgeChunkLines = 256;
constexpr int64_t kRampLines = 200;
// Largest weight-bound chunk: the lanes work through the chunk loaded before
// the PARAM records and the last chunk while those load, so a larger one
// would be exposed at the end (machine model, FC 1024 x 1024 at 10 %).
constexpr int64_t kMaxChunkLines = 1100;

// An instruction under construction and the op indices it must wait for
// (sw/lowering_common.h turns them into token flags).
struct Op {
  Opcode kind = Opcode::kLoad;
  LoadInstr load;
  SpmvInstr spmv;
  StoreInstr store;
  int need_load = -1, need_store = -1, need_gemm = -1;
};


}  // namespace

std::string SparseLowering::Unsupported(const Layer& layer,
                                        const SparseConvShape& s,
                                        const HwConfig& hw) {
  const int r = hw.rows;
  const int nl = static_cast<int>(CeilDiv(s.cin, r));
  const int64_t lpp = static_cast<int64_t>(s.kh) * s.kw * nl;
  if (hw.cols < 2 || hw.cols % 2 != 0) return "the array has an odd C";
  if (s.groups != 1) return "grouped convolutions run dense";
  if (nl > kMaxNl || s.cin > kMaxSegBytes) {
    return "Cin = " + std::to_string(s.cin) + " exceeds one LOAD segment";
  }
  if (lpp > hw.act_lines / 2) {
    return "the im2col row of one pixel (" + std::to_string(lpp) +
           " lines) exceeds half the ACT SRAM";
  }
  if (s.cout > hw.param_entries) {
    return "Cout = " + std::to_string(s.cout) + " exceeds the PARAM SRAM";
  }
  const int groups =
      static_cast<int>(std::min<int64_t>(CeilDiv(s.cout, hw.cols),
                                         kSparseLaneOuts / 2));
  if (hw.acc_rows / 2 < groups) {
    return "half the ACC SRAM cannot hold one output tile";
  }
  // One ACT line of columns of a full tile must fit half the WGT SRAM.
  if (static_cast<int64_t>(r) * (1 + kSparseLaneOuts) > hw.wgt_lines / 2) {
    return "half the WGT SRAM cannot hold one ACT line of lane streams";
  }
  (void)layer;
  return "";
}

SparseLowering::SparseLowering(const Layer& layer, const SparseConvShape& s,
                               const HwConfig& hw, uint32_t in_addr,
                               uint32_t out_addr)
    : layer_(layer), s_(s), hw_(hw), in_addr_(in_addr), out_addr_(out_addr) {
  assert(Unsupported(layer, s, hw).empty());
  const int r = hw_.rows, c = hw_.cols;
  const int lanes = SparseLanes(c);
  nl_ = static_cast<int>(CeilDiv(s_.cin, r));
  lpp_ = s_.kh * s_.kw * nl_;
  k_act_ = lpp_ * r;
  int wgt_half = hw_.wgt_lines / 2;
  const int acc_half = hw_.acc_rows / 2;
  const int groups_max = static_cast<int>(
      std::min<int64_t>(CeilDiv(s_.cout, c), kSparseLaneOuts / 2));
  const int nt = groups_max * c;

  // Rectangles of output pixels: whole rows when a row fits one ACT half and
  // one ACC half, else runs of one row.
  const int64_t max_px = std::min<int64_t>(
      {hw_.act_lines / 2 / lpp_, acc_half / groups_max, kMaxMRows});
  for (int image = 0; image < s_.images; ++image) {
    if (s_.ow <= max_px) {
      const int64_t rows = std::min<int64_t>(max_px / s_.ow, kMaxStoreNy);
      const int64_t n = CeilDiv(s_.oh, rows);
      const int ny = static_cast<int>(CeilDiv(s_.oh, n));
      for (int y = 0; y < s_.oh; y += ny) {
        rects_.push_back({image, y, 0, std::min(ny, s_.oh - y), s_.ow});
      }
    } else {
      const int64_t n = CeilDiv(s_.ow, std::min(max_px, kMaxStoreNx));
      const int nx = static_cast<int>(CeilDiv(s_.ow, n));
      for (int y = 0; y < s_.oh; ++y) {
        for (int x = 0; x < s_.ow; x += nx) {
          rects_.push_back({image, y, x, 1, std::min(nx, s_.ow - x)});
        }
      }
    }
  }

  // With few vectors per rectangle the weight stream dominates (see the
  // chunking below).
  int max_pixels = 1;
  for (const Rect& rc : rects_) max_pixels = std::max(max_pixels, rc.pixels());
  const bool weight_bound = max_pixels < kWeightBoundPixels;
  // A weight-bound layer's chunks rotate through three parts of the WGT
  // SRAM (when an ACT line of a full tile's streams fits a third), so the
  // LOAD of chunk b + 2 need not wait for the Spmv of chunk b: with two
  // halves the LOAD and the lanes, running at about the same rate, wait for
  // each other at every chunk.
  if (weight_bound &&
      static_cast<int64_t>(r) * (1 + kSparseLaneOuts) <= hw_.wgt_lines / 3) {
    wgt_bufs_ = 3;
    wgt_half = hw_.wgt_lines / 3;
  }

  // Tiles: pack every column, then cut the streams at ACT-line boundaries
  // so that each chunk's longest lane fits half the WGT SRAM.
  std::vector<int8_t> dense;
  for (int n0 = 0; n0 < s_.cout; n0 += nt) {
    Tile t;
    t.n0 = n0;
    t.n_cols = std::min(nt, s_.cout - n0);
    t.groups = static_cast<int>(CeilDiv(t.n_cols, c));
    dense.assign(static_cast<size_t>(k_act_) * t.n_cols, 0);
    for (int kk = 0; kk < k_act_; ++kk) {
      for (int n = 0; n < t.n_cols; ++n) {
        dense[static_cast<size_t>(kk) * t.n_cols + n] = WeightAt(kk, n0 + n);
      }
    }
    // One vector per Spmv (an fc layer at batch 1): the LOAD engine feeds
    // the lanes at the rate they consume, so the flagged streams (no column
    // headers: fewer words to load) win; they give up jumping over a zero
    // activation's column in one cycle, which pays when the lanes, not the
    // LOAD, are the bound (docs/sparse.md, "Lane streams").
    t.streams = PackSparse(dense.data(), t.n_cols, k_act_, t.n_cols, lanes,
                           max_pixels == 1);
    nonzeros_ += t.streams.nonzeros;
    // Weight-bound layers: the LOAD engine streams the chunks while the
    // engine consumes them at about the same rate (one 16-bit word per lane
    // and cycle either way), so the first Spmv waits for chunk 0 and the
    // STOREs for the last Spmv. Chunk b holds at most kEdgeChunkLines +
    // b * kRampLines words per lane (chunk b + 1 loads while chunk b runs;
    // each chunk costs a drain and pads its lanes to its longest one), and
    // the last chunk starts where at most kEdgeChunkLines words are left.
    // Other layers fill half the WGT SRAM per chunk.
    const int64_t lines_total = CeilDiv(k_act_, r);
    std::vector<int64_t> line_words(static_cast<size_t>(lines_total * lanes), 0);
    for (int64_t line = 0; line < lines_total; ++line) {
      for (int p = 0; p < lanes; ++p) {
        for (int kk = static_cast<int>(line * r);
             kk < std::min<int64_t>(k_act_, (line + 1) * r); ++kk) {
          line_words[line * lanes + p] += t.streams.ColumnWords(p, kk);
        }
      }
    }
    // tail[line]: the longest lane's words from that line to the end.
    std::vector<int64_t> tail(static_cast<size_t>(lines_total + 1), 0);
    {
      std::vector<int64_t> suffix(static_cast<size_t>(lanes), 0);
      for (int64_t line = lines_total - 1; line >= 0; --line) {
        for (int p = 0; p < lanes; ++p) {
          suffix[p] += line_words[line * lanes + p];
          tail[line] = std::max(tail[line], suffix[p]);
        }
      }
    }
    std::vector<int64_t> used(static_cast<size_t>(lanes), 0);
    Chunk ch;
    bool last_cut = !weight_bound;
    for (int64_t line = 0; line < lines_total; ++line) {
      const int64_t cap =
          weight_bound
              ? std::min<int64_t>(
                    {static_cast<int64_t>(wgt_half), kMaxChunkLines,
                     kEdgeChunkLines +
                         kRampLines * static_cast<int64_t>(t.chunks.size())})
              : wgt_half;
      bool fits = (line * r - ch.k0) + r <= kMaxKCols;
      for (int p = 0; p < lanes; ++p) {
        if (used[p] + line_words[line * lanes + p] > cap) fits = false;
      }
      if (!last_cut && tail[line] <= kEdgeChunkLines) {
        fits = false;
        last_cut = true;
      }
      if (!fits && line * r > ch.k0) {
        ch.k1 = static_cast<int>(line * r);
        t.chunks.push_back(ch);
        ch = Chunk();
        ch.k0 = static_cast<int>(line * r);
        used.assign(static_cast<size_t>(lanes), 0);
      }
      for (int p = 0; p < lanes; ++p) used[p] += line_words[line * lanes + p];
    }
    ch.k1 = k_act_;
    t.chunks.push_back(ch);
    for (Chunk& k : t.chunks) {
      int lines = 0;
      for (int p = 0; p < lanes; ++p) {
        int64_t words = 0;
        for (int kk = k.k0; kk < k.k1; ++kk) {
          words += t.streams.ColumnWords(p, kk);
        }
        lines = std::max<int>(lines, static_cast<int>(words));
      }
      k.lines = lines;
      k.offset = weight_bytes_;
      weight_bytes_ += static_cast<uint64_t>(lines) * c;
    }
    tiles_.push_back(std::move(t));
  }

}

int8_t SparseLowering::WeightAt(int kk, int n) const {
  const int r = hw_.rows;
  const int tap = kk / (nl_ * r);
  const int ch = kk % (nl_ * r);
  if (ch >= s_.cin) return 0;
  if (layer_.kind == LayerKind::kFc) {
    return layer_.weights.data[static_cast<size_t>(n) * s_.cin + ch];
  }
  return layer_.weights.at(n, tap / s_.kw, tap % s_.kw, ch);
}

int64_t SparseLowering::dense_weights() const {
  return static_cast<int64_t>(s_.cout) * s_.kh * s_.kw * s_.cin;
}

uint64_t SparseLowering::param_bytes() const {
  return static_cast<uint64_t>(s_.cout) * kParamBytes;
}

// DRAM order: tile, chunk; a chunk is `lines` WGT lines, lane p's words of
// its columns in bytes [2p, 2p+1] (zero words past a shorter lane's end).
std::vector<uint8_t> SparseLowering::PackWeights() const {
  const int c = hw_.cols;
  const int lanes = SparseLanes(c);
  std::vector<uint8_t> out(weight_bytes_, 0);
  for (const Tile& t : tiles_) {
    for (const Chunk& k : t.chunks) {
      for (int p = 0; p < lanes; ++p) {
        int64_t first = 0;
        for (int kk = 0; kk < k.k0; ++kk) first += t.streams.ColumnWords(p, kk);
        int64_t i = 0;
        for (int kk = k.k0; kk < k.k1; ++kk) {
          const int64_t n = t.streams.ColumnWords(p, kk);
          for (int64_t e = 0; e < n; ++e, ++i) {
            const uint16_t w = t.streams.words[p][first + i];
            uint8_t* b = out.data() + k.offset + i * c + 2 * p;
            b[0] = static_cast<uint8_t>(w & 0xff);
            b[1] = static_cast<uint8_t>(w >> 8);
          }
        }
      }
    }
  }
  return out;
}

// The dense lowering's records without the zero-point fold: the engine
// subtracts the input zero point itself (Spmv act_zp) so that it can skip
// the activations equal to it (a ReLU output's real zero), so the bias goes
// in unchanged; M0, shift.
std::vector<uint8_t> SparseLowering::PackParams() const {
  static_assert(kParamBiasBytes == sizeof(int32_t) &&
                    kParamMultBytes == sizeof(int32_t) &&
                    kParamShiftBytes == 1,
                "isa.def PARAM field sizes differ from the packing below");
  std::vector<uint8_t> out(param_bytes(), 0);
  const QuantParams& q = layer_.quant;
  for (int o = 0; o < s_.cout; ++o) {
    // Weight sum 0: no zero-point fold.
    WriteParamRecord(out.data() + static_cast<size_t>(o) * kParamBytes, o, 0,
                     layer_.bias.empty() ? 0 : layer_.bias[o], q);
  }
  return out;
}

std::vector<InstrWord> SparseLowering::Emit(uint32_t wgt_addr,
                                            uint32_t param_addr) {
  uint64_t unused = 0;
  return Build(wgt_addr, param_addr, &unused);
}

uint64_t SparseLowering::EstimatedCycles() const {
  uint64_t spmv = 0;
  const std::vector<InstrWord> program = Build(0, 0, &spmv);
  const ProgramStats st = AnalyzeProgram(program, hw_);
  return std::max({st.load_cycles, spmv, st.store_cycles});
}

std::vector<InstrWord> SparseLowering::Build(uint32_t wgt_addr,
                                             uint32_t param_addr,
                                             uint64_t* spmv_cycles) const {
  const int r = hw_.rows, c = hw_.cols;
  const int act_half = hw_.act_lines / 2, wgt_part = hw_.wgt_lines / wgt_bufs_;
  const int acc_half = hw_.acc_rows / 2;
  std::vector<Op> ops;
  auto new_op = [&ops](Opcode kind) {
    ops.emplace_back();
    ops.back().kind = kind;
    return static_cast<int>(ops.size()) - 1;
  };
  // A plain copy; the first of its LOADs waits for need_gemm.
  auto copy = [&](LoadBuf buf, uint32_t dram, int64_t sram, int64_t lines,
                  int line_bytes, int need_gemm) {
    int last = -1;
    for (const LoadInstr& l :
         PlainCopyLoads(buf, dram, sram, lines, line_bytes)) {
      const int op = new_op(Opcode::kLoad);
      ops[op].load = l;
      if (last < 0) ops[op].need_gemm = need_gemm;
      last = op;
    }
    return last;
  };
  auto gather = [&](const Rect& rc, int half, int need_gemm) {
    const int op = new_op(Opcode::kLoad);
    LoadInstr& i = ops[op].load;
    i.buf = static_cast<int64_t>(LoadBuf::kAct);
    i.dram_base = in_addr_ + static_cast<uint64_t>(rc.image) * s_.h * s_.w *
                                 static_cast<uint64_t>(s_.cin);
    i.sram_base = static_cast<int64_t>(half) * act_half;
    i.ny = rc.ny;
    i.nx = rc.nx;
    i.kh = s_.kh;
    i.kw = s_.kw;
    i.nl = nl_;
    i.iy0 = static_cast<int64_t>(rc.oy0) * s_.sh - s_.pad_top;
    i.ix0 = static_cast<int64_t>(rc.ox0) * s_.sw - s_.pad_left;
    i.sy = s_.sh;
    i.sx = s_.sw;
    i.dy = s_.dh;
    i.dx = s_.dw;
    i.h = s_.h;
    i.w = s_.w;
    i.pix_stride = s_.cin;
    i.seg_bytes = s_.cin;
    i.pad = layer_.quant.in_zp & 0xff;
    ops[op].need_gemm = need_gemm;
    return op;
  };

  struct Block {
    int unit, tile, chunk, step;
  };
  std::vector<Block> blocks;
  std::vector<int> step_unit;
  for (int u = 0; u < static_cast<int>(rects_.size()); ++u) {
    for (int t = 0; t < static_cast<int>(tiles_.size()); ++t) {
      const int step = static_cast<int>(step_unit.size());
      step_unit.push_back(u);
      for (int q = 0; q < static_cast<int>(tiles_[t].chunks.size()); ++q) {
        blocks.push_back({u, t, q, step});
      }
    }
  }
  const int nb = static_cast<int>(blocks.size());
  std::vector<int> block_op(nb, -1), wgt_load(nb, -1);
  std::vector<int> unit_load(rects_.size(), -1), unit_last(rects_.size(), -1);
  std::vector<int> step_store(step_unit.size(), -1);

  auto load_weights = [&](int b) {
    const Block& bl = blocks[b];
    const Chunk& k = tiles_[bl.tile].chunks[bl.chunk];
    wgt_load[b] = copy(LoadBuf::kWgt, wgt_addr + static_cast<uint32_t>(k.offset),
                       static_cast<int64_t>(b % wgt_bufs_) * wgt_part, k.lines,
                       c, b >= wgt_bufs_ ? block_op[b - wgt_bufs_] : -1);
  };

  // The PARAM records are needed only by the first STORE: they load just
  // before the weights of the last block of the first output step (whose
  // Spmv the STORE waits for), where a weight-bound layer's LOAD stream has
  // gathered slack, instead of delaying the first Spmv by Cout records.
  int param_block = 0;
  while (param_block + 1 < nb && blocks[param_block + 1].step == 0) {
    ++param_block;
  }
  int param_op = -1;
  auto load_params = [&]() {
    param_op = copy(LoadBuf::kParam, param_addr, 0, s_.cout, kParamBytes, -1);
  };
  if (param_block == 0) load_params();
  unit_load[0] = gather(rects_[0], 0, -1);
  load_weights(0);
  *spmv_cycles = 0;
  for (int b = 0; b < nb; ++b) {
    const Block& bl = blocks[b];
    const Tile& t = tiles_[bl.tile];
    const Chunk& k = t.chunks[bl.chunk];
    const Rect& rc = rects_[bl.unit];
    const int op = new_op(Opcode::kSpmv);
    SpmvInstr& i = ops[op].spmv;
    i.act_base = static_cast<int64_t>(bl.unit % 2) * act_half + k.k0 / r;
    i.act_stride = lpp_;
    i.m_rows = rc.pixels();
    i.wgt_base = static_cast<int64_t>(b % wgt_bufs_) * wgt_part;
    i.acc_base = static_cast<int64_t>(bl.step % 2) * acc_half;
    // One vector: the K chunks of a tile chain their sums in the lanes
    // (lane_keep / lane_hold) and only the last one drains, once, into ACC.
    const bool chain = rc.pixels() == 1 && t.chunks.size() > 1;
    const bool last_chunk = bl.chunk + 1 == static_cast<int>(t.chunks.size());
    i.accumulate = bl.chunk > 0 && !chain ? 1 : 0;
    i.lane_keep = chain && bl.chunk > 0 ? 1 : 0;
    i.lane_hold = chain && !last_chunk ? 1 : 0;
    i.k_cols = k.k1 - k.k0;
    i.n_groups = t.groups;
    i.acc_gstride = rc.pixels();
    i.n_valid = t.n_cols;
    i.flagged = t.streams.flagged ? 1 : 0;
    i.act_zp = layer_.quant.in_zp;
    // Channels >= Cin of a tap's lines (raw 0) read as the zero point.
    if (s_.cin % r != 0) {
      i.seg_lines = nl_;
      i.seg_line0 = (k.k0 / r) % nl_;
      i.seg_real = s_.cin;
    }
    ops[op].need_load = std::max(wgt_load[b], unit_load[bl.unit]);
    if (b == param_block) ops[op].need_load = std::max(ops[op].need_load, param_op);
    if (bl.chunk == 0 && bl.step >= 2) {
      ops[op].need_store = step_store[bl.step - 2];
    }
    block_op[b] = op;
    unit_last[bl.unit] = op;
    *spmv_cycles += static_cast<uint64_t>(rc.pixels()) *
                    (3 + static_cast<uint64_t>(k.lines) +
                     (i.lane_hold != 0 ? 0 : 2 + t.groups));
    if (b + 1 < nb) {
      if (b + 1 == param_block) load_params();
      load_weights(b + 1);
    }
    const bool first_of_unit = b == 0 || blocks[b - 1].unit != bl.unit;
    if (first_of_unit && bl.unit + 1 < static_cast<int>(rects_.size())) {
      const int u = bl.unit + 1;
      unit_load[u] = gather(rects_[u], u % 2, u >= 2 ? unit_last[u - 2] : -1);
    }
    const bool last_of_step = b + 1 == nb || blocks[b + 1].step != bl.step;
    if (last_of_step) {
      for (int g = 0; g < t.groups; ++g) {
        const int ch = t.n0 + g * c;
        const int sop = new_op(Opcode::kStore);
        StoreInstr& st = ops[sop].store;
        // ops[op], not `i`: new_op may have moved the ops.
        st.acc_base =
            ops[op].spmv.acc_base + static_cast<int64_t>(g) * rc.pixels();
        st.dram_base =
            out_addr_ +
            static_cast<uint64_t>(rc.image) * s_.oh * s_.ow * s_.cout +
            (static_cast<uint64_t>(rc.oy0) * s_.ow + rc.ox0) * s_.cout + ch;
        st.ny = rc.ny;
        st.nx = rc.nx;
        st.row_stride = static_cast<int64_t>(s_.ow) * s_.cout;
        st.pix_stride = s_.cout;
        st.n_bytes = std::min(c, s_.cout - ch);
        st.param_base = ch;
        st.out_zp = layer_.quant.out_zp;
        st.act_min = layer_.quant.act_min;
        st.act_max = layer_.quant.act_max;
        ops[sop].need_gemm = op;
        step_store[bl.step] = sop;
      }
    }
  }

  ResolveTokens(&ops, Opcode::kSpmv, &Op::spmv, &Op::need_gemm);
  std::vector<InstrWord> program;
  program.reserve(ops.size());
  for (const Op& op : ops) {
    switch (op.kind) {
      case Opcode::kLoad:
        program.push_back(Encode(op.load));
        break;
      case Opcode::kSpmv:
        program.push_back(Encode(op.spmv));
        break;
      case Opcode::kStore:
        program.push_back(Encode(op.store));
        break;
      case Opcode::kGemm:
      case Opcode::kDwconv:
        break;
    }
  }
  return program;
}

}  // namespace sparq
