#include "sw/lower_depthwise.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

#include "golden/errors.h"
#include "golden/requant.h"
#include "sw/cost_model.h"
#include "sw/lowering_common.h"

namespace sparq {
namespace {

constexpr int kBox = kDwMaxKernel * kDwMaxKernel;  // WGT lines per block
constexpr int kMinPieces = 6;  // ACT fills wanted so that load, compute and
                               // store overlap
constexpr size_t kSlots = 4;  // ACT and ACC each split in kSlots slots
constexpr size_t kAhead = 2;  // pieces a LOAD runs ahead of its DWCONVs
constexpr int kEdgeDiv = 3;    // first / last band height: 1/kEdgeDiv of the
                               // others (when there are few pieces)
constexpr int64_t kMaxGridRows = std::min(IsaFieldMax("Dwconv", "in_h"),
                                          IsaFieldMax("Load", "ny"));
constexpr int64_t kMaxStoreRows = IsaFieldMax("Store", "ny");

bool IsPow2(int v) { return v >= 1 && (v & (v - 1)) == 0; }

int Log2(int v) {
  int n = 0;
  while ((1 << n) < v) ++n;
  return n;
}

// One axis of the layer: output positions o = phase + dil * i of a dilation
// phase read grid positions g = i * step + k of a LOAD walk starting at input
// coordinate origin with stride dil (a dilated conv becomes dil x dil
// undilated ones on subsampled inputs; stride and dilation are never both
// above 1 here).
struct Axis {
  int out = 1;         // output size
  int stride = 1, dil = 1, pad = 0, k = 1;
  int sub(int phase) const {  // outputs of a phase
    return static_cast<int>(CeilDiv(out - phase, dil));
  }
  int step() const { return dil > 1 ? 1 : stride; }       // DWCONV stride
  int origin(int phase) const { return phase * stride - pad; }
  int grid(int n) const { return (n - 1) * step() + k; }  // grid for n outputs
};

// An ACT fill: rows [i0, i0 + ni) x columns [j0, j0 + nj) of the outputs of
// phase (py, px) of image n, for the input line group l (R channels).
struct Piece {
  int n = 0, py = 0, px = 0, i0 = 0, ni = 0, j0 = 0, nj = 0, l = 0;
};

int64_t FloorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// The grid positions g in [0, n) of one axis whose input coordinate
// origin + g * step lies in [0, size): [lo, lo + count), count 0 if none.
struct Span {
  int64_t lo = 0, count = 0;
};
Span InBounds(int64_t origin, int64_t step, int64_t n, int64_t size) {
  const int64_t lo = std::max<int64_t>(0, FloorDiv(-origin + step - 1, step));
  const int64_t hi = std::min<int64_t>(n - 1, FloorDiv(size - 1 - origin, step));
  Span s;
  if (hi >= lo) {
    s.lo = lo;
    s.count = hi - lo + 1;
  }
  return s;
}

struct Op {
  Opcode kind = Opcode::kLoad;
  LoadInstr load;
  DwconvInstr dw;
  StoreInstr store;
  int need_load = -1;   // DWCONV: LOAD that must have finished (l2c)
  int need_store = -1;  // DWCONV: STORE that must have finished (s2c)
  int need_dw = -1;     // LOAD (c2l) / STORE (c2s): DWCONV that must have finished
  int wgt_blocks = 0;   // LOAD: blocks whose weights are in WGT once it is done
};

// A plain copy of `lines` SRAM lines of `line_bytes` from DRAM to SRAM line
// `sram` onwards.
void EmitCopy(std::vector<Op>* ops, LoadBuf buf, uint32_t dram, int64_t sram,
              int64_t lines, int line_bytes) {
  for (const LoadInstr& l :
       PlainCopyLoads(buf, dram, sram, lines, line_bytes)) {
    ops->emplace_back();
    ops->back().load = l;
  }
}

}  // namespace

bool UsesDepthwiseUnit(const Layer& layer, const Shape& in, const Shape& out,
                       const HwConfig& hw) {
  if (layer.kind != LayerKind::kConv || in.size() != 4 || out.size() != 4) {
    return false;
  }
  const int cin = in[3], cout = out[3];
  const ConvGeometry& g = layer.geom;
  if (g.groups != cin || cin < 2 || cout % cin != 0) return false;
  const int m = cout / cin;
  if (!IsPow2(m) || m > 8 || hw.rows % m != 0 || hw.cols < hw.rows) {
    return false;
  }
  const int kh = layer.weights.dim(1), kw = layer.weights.dim(2);
  if (kh > kDwMaxKernel || kw > kDwMaxKernel) return false;
  if ((g.stride_h > 1 && g.dilation_h > 1) ||
      (g.stride_w > 1 && g.dilation_w > 1) || g.stride_h > 15 ||
      g.stride_w > 15) {
    return false;
  }
  const int64_t blocks = CeilDiv(cout, hw.rows);
  if (blocks * kBox > hw.wgt_lines || cout > hw.param_entries) return false;
  // One output row of a column tile must fit an ACT and an ACC slot.
  const int64_t grid_w = std::min<int64_t>(
      kDwMaxWidth, static_cast<int64_t>(in[2]) + g.pad_left + g.pad_right);
  return static_cast<int64_t>(kh) * grid_w <= hw.act_lines / static_cast<int>(kSlots) &&
         std::min<int64_t>(out[2], kDwMaxWidth) <= hw.acc_rows / static_cast<int>(kSlots);
}

DepthwiseLowering::DepthwiseLowering(const Layer& layer, const Shape& in,
                                     const Shape& out, const HwConfig& hw,
                                     uint32_t in_addr, uint32_t out_addr,
                                     const DwChain& chain)
    : layer_(layer),
      hw_(hw),
      in_addr_(in_addr),
      out_addr_(out_addr),
      chain_(chain) {
  assert(UsesDepthwiseUnit(layer, in, out, hw));
  images_ = in[0];
  h_ = in[1];
  w_ = in[2];
  cin_ = in[3];
  oh_ = out[1];
  ow_ = out[2];
  cout_ = out[3];
  kh_ = layer.weights.dim(1);
  kw_ = layer.weights.dim(2);
  mult_ = cout_ / cin_;
  blocks_ = static_cast<int>(CeilDiv(cout_, hw.rows));
  // Pair mode (R/2 channels, 3-wide SAME stride-1 rows, even width): each
  // ACT line and ACC row carries two adjacent pixels, so every lane works.
  const ConvGeometry& g = layer.geom;
  pair_ = mult_ == 1 && 2 * cin_ == hw.rows && kw_ == kDwMaxKernel &&
          g.stride_w == 1 && g.dilation_w == 1 && g.pad_left == 1 &&
          g.pad_right == 1 && w_ % 2 == 0 && ow_ == w_;
  records_ = pair_ ? hw.rows : cout_;
}

uint64_t DepthwiseLowering::weight_bytes() const {
  return static_cast<uint64_t>(blocks_) * kBox * hw_.cols;
}

uint64_t DepthwiseLowering::param_bytes() const {
  return static_cast<uint64_t>(records_) * kParamBytes;
}

// Block b: kBox lines of C bytes; line (ky + K - kh) * K + (kx + K - kw)
// holds tap (ky, kx) of output channels b*R .. b*R + R - 1 in bytes 0..R-1
// (the kernel sits in the bottom-right corner of the K x K box).
std::vector<uint8_t> DepthwiseLowering::PackWeights() const {
  const int r = hw_.rows, c = hw_.cols, k = kDwMaxKernel;
  std::vector<uint8_t> out(weight_bytes(), 0);
  for (int b = 0; b < blocks_; ++b) {
    for (int ky = 0; ky < kh_; ++ky) {
      for (int kx = 0; kx < kw_; ++kx) {
        const int line = b * kBox + (ky + k - kh_) * k + (kx + k - kw_);
        for (int lane = 0; lane < r; ++lane) {
          const int o = pair_ ? lane % cout_ : b * r + lane;
          if (o >= cout_) break;
          out[static_cast<size_t>(line) * c + lane] =
              static_cast<uint8_t>(layer_.weights.at(o, ky, kx, 0));
        }
      }
    }
  }
  return out;
}

// One record per output channel (pair mode: channels 0..Cout-1 twice, for
// the left and the right pixel of an ACC row): bias - in_zp * sum(w) (wrapping), M0, shift.
std::vector<uint8_t> DepthwiseLowering::PackParams() const {
  static_assert(kParamBiasBytes == sizeof(int32_t) &&
                    kParamMultBytes == sizeof(int32_t) &&
                    kParamShiftBytes == 1,
                "isa.def PARAM field sizes differ from the packing below");
  std::vector<uint8_t> out(param_bytes(), 0);
  const QuantParams& q = layer_.quant;
  for (int rec = 0; rec < records_; ++rec) {
    const int o = rec % cout_;
    int32_t sum = 0;
    for (int ky = 0; ky < kh_; ++ky) {
      for (int kx = 0; kx < kw_; ++kx) {
        sum = WrapAdd(sum, layer_.weights.at(o, ky, kx, 0));
      }
    }
    WriteParamRecord(out.data() + static_cast<size_t>(rec) * kParamBytes, o,
                     sum, layer_.bias.empty() ? 0 : layer_.bias[o], q);
  }
  return out;
}

// Pieces in order image, phase, column tile, row band, line group; each is
// one ACT LOAD into alternating halves, then per output block of the group a
// DWCONV into alternating ACC halves and its STORE. The next piece's LOAD is
// placed before the current piece's DWCONVs so that it runs while they
// compute.
std::vector<InstrWord> DepthwiseLowering::Emit(uint32_t wgt_addr,
                                               uint32_t param_addr) const {
  const int r = hw_.rows;
  const ConvGeometry& g = layer_.geom;
  // In pair mode the x axis counts pixel pairs: a SAME 3-wide stride-1 row
  // of w/2 pairs (the pad pair on each side is one pad pixel and one unused).
  const int w_units = pair_ ? w_ / 2 : w_;
  Axis ay, ax;
  ay.out = oh_;
  ay.stride = g.stride_h;
  ay.dil = g.dilation_h;
  ay.pad = g.pad_top;
  ay.k = kh_;
  ax.out = pair_ ? ow_ / 2 : ow_;
  ax.stride = g.stride_w;
  ax.dil = g.dilation_w;
  ax.pad = g.pad_left;
  ax.k = kw_;
  const int groups = static_cast<int>(CeilDiv(cin_, r));
  const int64_t act_slot = hw_.act_lines / static_cast<int>(kSlots);
  const int64_t acc_slot = hw_.acc_rows / static_cast<int>(kSlots);

  std::vector<Piece> pieces;
  for (int n = 0; n < images_; ++n) {
    for (int py = 0; py < ay.dil; ++py) {
      for (int px = 0; px < ax.dil; ++px) {
        const int sub_h = ay.sub(py), sub_w = ax.sub(px);
        if (sub_h <= 0 || sub_w <= 0) continue;
        const int max_nj = (kDwMaxWidth - ax.k) / ax.step() + 1;
        const int col_tiles = static_cast<int>(CeilDiv(sub_w, max_nj));
        const int nj_full = static_cast<int>(CeilDiv(sub_w, col_tiles));
        const int width = ax.grid(nj_full);
        // Rows per band: the SRAM halves and field widths bound it; below
        // that, enough bands for kMinPieces fills per phase.
        int64_t max_ni = std::min<int64_t>(acc_slot / nj_full, kMaxStoreRows);
        const int64_t rows_fit = act_slot / width;
        max_ni = rows_fit < ay.k ? 0
                                 : std::min<int64_t>(
                                       max_ni, (rows_fit - ay.k) / ay.step() + 1);
        max_ni = std::min<int64_t>(
            max_ni, (kMaxGridRows - ay.k) / ay.step() + 1);
        if (max_ni < 1) {
          throw InputError("a " + std::to_string(width) +
                           "-pixel input row band does not fit half of the "
                           "ACT SRAM");
        }
        int64_t bands = CeilDiv(sub_h, max_ni);
        const bool few = groups * col_tiles < kMinPieces;
        if (few) {
          bands = std::max<int64_t>(
              bands, std::min<int64_t>(sub_h, CeilDiv(kMinPieces,
                                                      groups * col_tiles)));
        }
        // Band heights: balanced; with few pieces the first and the last
        // band are shorter, so that the first ACT fill and the last STORE,
        // which nothing overlaps, are short.
        std::vector<int> band_rows;
        const int ni_full = static_cast<int>(CeilDiv(sub_h, bands));
        const int edge = few && bands > 3 ? std::max(1, ni_full / kEdgeDiv) : 0;
        if (edge > 0) band_rows.push_back(edge);
        const int mid_rows = sub_h - 2 * edge;
        const int64_t mid_bands = std::max<int64_t>(
            CeilDiv(mid_rows, max_ni), bands - (edge > 0 ? 2 : 0));
        for (int64_t b = 0, done = 0; b < mid_bands; ++b) {
          const int64_t rows = (mid_rows - done) / (mid_bands - b);
          if (rows > 0) band_rows.push_back(static_cast<int>(rows));
          done += rows;
        }
        if (edge > 0) band_rows.push_back(edge);
        for (int j0 = 0; j0 < sub_w; j0 += nj_full) {
          for (int i0 = 0, band = 0; i0 < sub_h; i0 += band_rows[band++]) {
            for (int l = 0; l < groups; ++l) {
              Piece p;
              p.n = n;
              p.py = py;
              p.px = px;
              p.i0 = i0;
              p.ni = band_rows[static_cast<size_t>(band)];
              p.j0 = j0;
              p.nj = std::min(nj_full, sub_w - j0);
              p.l = l;
              pieces.push_back(p);
            }
          }
        }
      }
    }
  }

  std::vector<Op> ops;
  const int groups_per_block = r / mult_;  // input channels per block
  auto first_block = [&](const Piece& p) { return p.l * mult_; };
  auto end_block = [&](const Piece& p) {
    return std::min(blocks_, (p.l + 1) * mult_);
  };

  const uint64_t in_image = static_cast<uint64_t>(h_) * w_ * cin_;
  const uint64_t out_image = static_cast<uint64_t>(oh_) * ow_ * cout_;
  // Blocks [0, loaded) have their weights and records (all of them when the
  // producing layer's program loaded them: a chained pair).
  int loaded = chain_.consts_loaded ? blocks_ : 0;
  // A piece's input grid: rows origin_y + g * dil (g < grid rows), the same
  // for columns; only the in-bounds rectangle is loaded, the unit fills the
  // rest with the input zero point.
  auto grid_y0 = [&](const Piece& p) {
    return ay.origin(p.py) + static_cast<int64_t>(p.i0) * ay.step() * ay.dil;
  };
  auto grid_x0 = [&](const Piece& p) {
    return ax.origin(p.px) + static_cast<int64_t>(p.j0) * ax.step() * ax.dil;
  };
  auto span_y = [&](const Piece& p) {
    return InBounds(grid_y0(p), ay.dil, ay.grid(p.ni), h_);
  };
  auto span_x = [&](const Piece& p) {
    return InBounds(grid_x0(p), ax.dil, ax.grid(p.nj), w_units);
  };
  auto emit_load = [&](size_t k, int need_dw) {
    const size_t before = ops.size();
    const Piece& p = pieces[k];
    const Span sy = span_y(p), sx = span_x(p);
    if (sy.count > 0 && sx.count > 0 && chain_.act_line < 0) {
      ops.emplace_back();
      ops.back().need_dw = need_dw;
      LoadInstr& i = ops.back().load;
      i.buf = static_cast<int64_t>(LoadBuf::kAct);
      i.dram_base = in_addr_ + p.n * in_image + static_cast<uint64_t>(p.l) * r;
      i.sram_base = static_cast<int64_t>(k % kSlots) * act_slot;
      i.ny = sy.count;
      i.nx = sx.count;
      i.kh = i.kw = 1;
      i.nl = 1;
      i.iy0 = grid_y0(p) + sy.lo * ay.dil;
      i.ix0 = grid_x0(p) + sx.lo * ax.dil;
      i.sy = ay.dil;
      i.sx = ax.dil;
      if (pair_) {  // a line is two pixels: 2*Cin contiguous bytes
        i.ix0 *= 2;
        i.sx = 2;
      }
      i.dy = i.dx = 1;
      i.h = h_;
      i.w = w_;
      i.pix_stride = cin_;
      i.seg_bytes = pair_ ? r : std::min(r, cin_ - p.l * r);
      i.pad = static_cast<uint8_t>(static_cast<int8_t>(layer_.quant.in_zp));
    }
    // Weights and PARAM records: each piece's blocks and the next piece's
    // behind its ACT fill, the first time a piece needs them, so that a
    // DWCONV never waits for the constants of later blocks (plain copies: no
    // LOAD setup cycles) and can prefetch the next DWCONV's weight box.
    // Each block has its own WGT lines and PARAM records: never overwritten.
    const Piece& ahead = k + 1 < pieces.size() ? pieces[k + 1] : p;
    int b0 = loaded, b1 = std::max({loaded, end_block(p), end_block(ahead)});
    if (b1 > b0) {
      loaded = b1;
      const int64_t box_bytes = static_cast<int64_t>(kBox) * hw_.cols;
      EmitCopy(&ops, LoadBuf::kWgt,
               wgt_addr + static_cast<uint32_t>(b0 * box_bytes),
               chain_.wgt_line + static_cast<int64_t>(b0) * kBox,
               static_cast<int64_t>(b1 - b0) * kBox, hw_.cols);
      const int c0 = b0 * r, c1 = std::min(records_, b1 * r);
      EmitCopy(&ops, LoadBuf::kParam,
               param_addr + static_cast<uint32_t>(c0 * kParamBytes),
               chain_.param_rec + c0, c1 - c0, kParamBytes);
    }
    // -1: nothing to wait for (an all-padding grid, constants loaded).
    if (ops.size() == before) return -1;
    ops.back().wgt_blocks = loaded;
    return static_cast<int>(ops.size()) - 1;
  };

  const int resident = loaded;  // blocks in WGT before the program starts
  std::vector<int> load_op(pieces.size(), -1), last_dw(pieces.size(), -1);
  std::vector<int> store_ops;  // per step
  // LOADs run kAhead pieces ahead of the DWCONVs; piece k + kAhead reuses
  // the ACT slot of piece k + kAhead - kSlots.
  for (size_t k = 0; k < pieces.size() && k < kAhead; ++k) {
    load_op[k] = emit_load(k, -1);
  }
  for (size_t k = 0; k < pieces.size(); ++k) {
    const size_t next = k + kAhead;
    if (next < pieces.size()) {
      load_op[next] = emit_load(
          next, next >= kSlots ? last_dw[next - kSlots] : -1);
    }
    const Piece& p = pieces[k];
    for (int b = first_block(p); b < end_block(p); ++b) {
      const size_t s = store_ops.size();
      const int64_t acc_base = static_cast<int64_t>(s % kSlots) * acc_slot;
      ops.emplace_back();
      Op& dw_op = ops.back();
      dw_op.kind = Opcode::kDwconv;
      dw_op.need_load = load_op[k];
      dw_op.need_store = s >= kSlots ? store_ops[s - kSlots] : -1;
      DwconvInstr& d = dw_op.dw;
      d.act_base = static_cast<int64_t>(k % kSlots) * act_slot;
      const Span sy = span_y(p), sx = span_x(p);
      d.act_pix = 1;
      d.in_w = ax.grid(p.nj);
      d.in_h = ay.grid(p.ni);
      d.act_row = sx.count;
      d.pad_top = sy.lo;
      d.pad_left = sx.lo;
      d.valid_h = sx.count > 0 ? sy.count : 0;
      d.valid_w = sy.count > 0 ? sx.count : 0;
      d.pad = static_cast<uint8_t>(static_cast<int8_t>(layer_.quant.in_zp));
      if (chain_.act_line >= 0) {  // the whole input is in ACT already
        d.act_base = chain_.act_line + p.l * chain_.group_stride;
        if (d.valid_h > 0 && d.valid_w > 0) {
          d.act_base += (static_cast<int64_t>(p.n) * h_ + grid_y0(p) +
                         sy.lo * ay.dil) * chain_.row_stride +
                        grid_x0(p) + sx.lo * ax.dil;
        }
        d.act_row = ay.dil * chain_.row_stride;
        d.act_pix = ax.dil;
      }
      d.wgt_base = chain_.wgt_line + static_cast<int64_t>(b) * kBox;
      d.acc_base = acc_base;
      d.kh = kh_;
      d.kw = kw_;
      d.sy = ay.step();
      d.sx = ax.step();
      d.ch_shift = Log2(mult_);
      d.ch_off = (static_cast<int64_t>(b) * groups_per_block) % r;
      const int n_valid = pair_ ? r : std::min(r, cout_ - b * r);
      d.n_valid = n_valid;
      d.pair = pair_ ? 1 : 0;
      // The two-pixel walk: stride-2 rows of an odd-width kernel read
      // pixels x and x + 1 (ACT lines a and a + 1: act_pix is 1) together.
      d.px2 = !pair_ && d.sx == 2 && kw_ % 2 == 1 ? 1 : 0;
      // The reverse walk turns trailing padding (TFLite SAME pads bottom
      // and right first) into leading padding, which the unit does not
      // walk: taken whenever its walk is shorter.
      d.act_last = d.act_base + (d.valid_h - 1) * d.act_row +
                   (d.valid_w - 1) * d.act_pix;
      if (d.valid_h == 0 || d.valid_w == 0) d.act_last = d.act_base;
      d.acc_last = acc_base + static_cast<int64_t>(p.ni) * p.nj - 1;
      if (!pair_) {
        DwconvInstr rev = d;
        rev.rev = 1;
        d.rev = DwconvCost(rev, hw_).busy < DwconvCost(d, hw_).busy ? 1 : 0;
      }
      const int dw_index = static_cast<int>(ops.size()) - 1;
      last_dw[k] = dw_index;

      ops.emplace_back();
      Op& st_op = ops.back();
      st_op.kind = Opcode::kStore;
      st_op.need_dw = dw_index;
      StoreInstr& st = st_op.store;
      st.acc_base = acc_base;
      const int64_t oy = p.py + static_cast<int64_t>(ay.dil) * p.i0;
      const int64_t ox = (p.px + static_cast<int64_t>(ax.dil) * p.j0) *
                         (pair_ ? 2 : 1);
      st.dram_base = out_addr_ + p.n * out_image +
                     static_cast<uint64_t>((oy * ow_ + ox) * cout_) +
                     static_cast<uint64_t>(b) * r;
      st.ny = p.ni;
      st.nx = p.nj;
      st.row_stride = static_cast<int64_t>(ay.dil) * ow_ * cout_;
      st.pix_stride = static_cast<int64_t>(ax.dil) * cout_ * (pair_ ? 2 : 1);
      st.n_bytes = n_valid;
      st.param_base = chain_.param_rec + static_cast<int64_t>(b) * r;
      st.out_zp = layer_.quant.out_zp;
      st.act_min = layer_.quant.act_min;
      st.act_max = layer_.quant.act_max;
      store_ops.push_back(static_cast<int>(ops.size()) - 1);
    }
  }

  // Weight box prefetch: a DWCONV whose walk is long enough reads the next
  // DWCONV's box into the unit's second bank (pf), so that the next one
  // (pre) starts walking at once; only when that box is already in WGT
  // once the LOAD the DWCONV waits for is done, and the kernel and the walk
  // direction match.
  int prev = -1;
  for (size_t k = 0; k < ops.size(); ++k) {
    if (ops[k].kind != Opcode::kDwconv) continue;
    if (prev >= 0) {
      DwconvInstr& a = ops[static_cast<size_t>(prev)].dw;
      DwconvInstr& b = ops[k].dw;
      const int need = ops[static_cast<size_t>(prev)].need_load;
      const int ready = std::max(
          resident, need >= 0 ? ops[static_cast<size_t>(need)].wgt_blocks : 0);
      const uint64_t reads = (a.pre ? 1 : 2) * static_cast<uint64_t>(kBox);
      if (ready > (b.wgt_base - chain_.wgt_line) / kBox &&
          a.kh == b.kh && a.kw == b.kw && a.rev == b.rev &&
          DwconvCost(a, hw_).busy >= reads) {
        a.pf = 1;
        a.wgt_next = b.wgt_base;
        b.pre = 1;
      }
    }
    prev = static_cast<int>(k);
  }

  ResolveTokens(&ops, Opcode::kDwconv, &Op::dw, &Op::need_dw);
  std::vector<InstrWord> program;
  program.reserve(ops.size());
  for (const Op& op : ops) {
    switch (op.kind) {
      case Opcode::kLoad:
        program.push_back(Encode(op.load));
        break;
      case Opcode::kDwconv:
        program.push_back(Encode(op.dw));
        break;
      case Opcode::kStore:
        program.push_back(Encode(op.store));
        break;
      case Opcode::kGemm:
      case Opcode::kSpmv:
        assert(false);
        break;
    }
  }
  return program;
}

}  // namespace sparq
