#include "sw/compiler.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "golden/errors.h"
#include "golden/requant.h"
#include "sw/chain.h"
#include "sw/cost_model.h"
#include "sw/lower_a16w8.h"
#include "sw/lower_depthwise.h"
#include "sw/lower_sparse.h"
#include "sw/lowering_common.h"
#include "sw/pack_nm.h"
#include "sw/packing.h"
#include "sw/size_checks.h"

namespace sparq {
namespace {

constexpr uint32_t kAlign = 64;
constexpr int64_t kMaxNl = IsaFieldMax("Load", "nl");
constexpr int64_t kMaxNx = IsaFieldMax("Load", "nx");
constexpr int64_t kMaxNy = IsaFieldMax("Load", "ny");
constexpr int64_t kMaxSegBytes = IsaFieldMax("Load", "seg_bytes");
constexpr int64_t kMaxMRows = IsaFieldMax("Gemm", "m_rows");
constexpr int64_t kMaxKh = IsaFieldMax("Load", "kh");
constexpr int64_t kMaxKw = IsaFieldMax("Load", "kw");
constexpr int64_t kMaxH = IsaFieldMax("Load", "h");
constexpr int64_t kMaxW = IsaFieldMax("Load", "w");

std::string LayerPrefix(const Layer& layer) {
  return "layer '" + layer.name + "' (" + LayerKindName(layer.kind) + "): ";
}

// The conv view of an accelerator layer. A fully-connected layer is a 1x1
// conv over one image of 1 x batch pixels whose channels are the flattened
// NHWC features, so both share one lowering.
struct ConvShape {
  int images = 1;  // batch, looped outermost within a group
  int h = 1, w = 1, cin = 1;
  int oh = 1, ow = 1, cout = 1;
  int kh = 1, kw = 1;
  int sh = 1, sw = 1, dh = 1, dw = 1;
  int pad_top = 0, pad_left = 0;
  int groups = 1;
  int cin_g = 1, cout_g = 1;
  int in_last = 1;  // last input dimension (an int4 tensor packs its rows)
};

ConvShape ConvShapeOf(const Layer& layer, const Shape& in, const Shape& out) {
  ConvShape s;
  if (layer.kind == LayerKind::kConv) {
    s.images = in[0];
    s.h = in[1];
    s.w = in[2];
    s.cin = in[3];
    s.oh = out[1];
    s.ow = out[2];
    s.cout = out[3];
    s.kh = layer.weights.dim(1);
    s.kw = layer.weights.dim(2);
    s.sh = layer.geom.stride_h;
    s.sw = layer.geom.stride_w;
    s.dh = layer.geom.dilation_h;
    s.dw = layer.geom.dilation_w;
    s.pad_top = layer.geom.pad_top;
    s.pad_left = layer.geom.pad_left;
    s.groups = layer.geom.groups;
  } else {
    s.images = 1;
    s.w = in[0];
    s.cin = static_cast<int>(NumElements(in) / static_cast<size_t>(in[0]));
    s.ow = in[0];
    s.cout = out.back();
  }
  s.cin_g = s.cin / s.groups;
  s.cout_g = s.cout / s.groups;
  s.in_last = in.back();
  return s;
}

// A rectangle of output pixels of one image: rows [oy0, oy0+ny), columns
// [ox0, ox0+nx). Its pixels occupy ACT rows / ACC rows in y-major order.
struct Rect {
  int oy0 = 0, ox0 = 0, ny = 1, nx = 1;
  int pixels() const { return ny * nx; }
};

// A rectangle of kernel taps, rows [ky0, ky0+kh), columns [kx0, kx0+kw):
// kernels larger than the LOAD's kh / kw fields are gathered in parts, each
// into its own region of the fill.
struct KPart {
  int ky0 = 0, kh = 1, kx0 = 0, kw = 1;
  int taps() const { return kh * kw; }
};

// One fill of an ACT half-buffer: the im2col rows of a rectangle for the
// channel chunk [c0, c0 + cc) of group g. Kernel part p occupies
// rect.pixels() * PartLines(p) lines, parts in order.
struct Unit {
  int g = 0, image = 0;
  Rect rect;
  int c0 = 0, cc = 0, nl = 0;  // chunk channels and lines per tap
  int half = 0;
  std::vector<std::pair<int, int>> pieces;  // pixel ranges, load order
  int last_load = -1;  // op index of the last LOAD of the fill
  int last_gemm = -1;  // op index of the last GEMM reading it
};

// One fill of a WGT half-buffer and the GEMMs that use it: `tiles` K tiles of
// the N tile j (chunk q), starting at tile `tile0` of the chunk.
struct Block {
  int unit = 0, step = 0, range = 0;
  int j = 0, tile0 = 0, tiles = 0;
  uint32_t wgt_addr = 0;
  int half = 0;
  int wgt_line = 0;  // WGT line of its first tile
  bool first_of_step = false, last_of_step = false;
  std::vector<int> prefetch;  // indices into the next unit's pieces
  int load_op = -1;           // last LOAD of its weight fill
  int first_gemm = -1, last_gemm = -1;
};

// One N tile of one rectangle: accumulated in an ACC region, then stored.
struct Step {
  int unit0 = 0;  // its first unit (for the rectangle and group)
  int j = 0;
  int range = 0;
  int half = 0;  // ACC region: half, or slot of acc_slot_rows_
  int first_gemm = -1, last_gemm = -1, store_op = -1;
};

// A set of output channels whose PARAM records are resident together.
struct Range {
  int first_channel = 0, channels = 0;  // global output channels
  int base = 0;                         // PARAM record of first_channel
  int first_block = 0;                  // loaded before this block's weights
  int last_step = -1;
  int load_op = -1;  // last LOAD of its records
};

// An instruction under construction plus what it must wait for, as op
// indices; ResolveTokens turns these into token flags.
struct Op {
  Opcode kind = Opcode::kLoad;
  LoadInstr load;
  GemmInstr gemm;
  StoreInstr store;
  int need_load = -1;   // GEMM: LOAD that must have finished (l2c)
  int need_store = -1;  // GEMM: STORE that must have finished (s2c)
  int need_gemm = -1;  // LOAD (c2l) / STORE (c2s): GEMM that must have finished
};


// N24W8 (2:4): the lowering tiles K in rows of 2R bytes, as on an array
// of 2R rows whose ACT lines are 2R bytes (pairs of physical lines); Emit
// turns ACT line numbers back into physical ones.
HwConfig Nm24View(const HwConfig& hw) {
  HwConfig v = hw;
  v.rows = 2 * hw.rows;
  v.act_lines = hw.act_lines / 2;
  return v;
}

class ConvLowering {
 public:
  // out_int4 / out_binary: the output tensor is stored int4 / binary (STORE
  // out_int4 / out_binary). n24: GEMM mode N24W8, or N24W4 for an a8w4
  // layer (its weights 2:4: Nm24Violation is empty).
  ConvLowering(const Layer& layer, const ConvShape& s, const HwConfig& hw,
               uint32_t in_addr, uint32_t out_addr, bool out_int4,
               bool out_binary, bool n24 = false)
      : layer_(layer),
        s_(s),
        real_(s),
        hw_(n24 ? Nm24View(hw) : hw),
        in_addr_(in_addr),
        out_addr_(out_addr),
        n24_(n24),
        tile_lines_(!n24 ? hw.rows
                    : layer.precision == Precision::kA8W4
                        ? Nm24W4TileLines(hw.rows)
                        : Nm24TileLines(hw.rows)),
        mode_(!n24 ? GemmModeOf(layer.precision)
              : layer.precision == Precision::kA8W4 ? kGemmModeN24W4
                                                    : kGemmModeN24W8),
        lanes_(GemmModeLanes(mode_)),
        a16w8_(mode_ == kGemmModeA16W8),
        nt_(a16w8_ ? hw.cols : hw.cols * lanes_),
        a4w4_(mode_ == kGemmModeA4W4),
        a1w1_(mode_ == kGemmModeA1W1),
        per_byte_(a4w4_ ? 2 : a1w1_ ? 8 : 1),
        out_int4_(out_int4),
        out_binary_(out_binary) {
    planes_ = a16w8_ ? 2 : 1;
    if (a1w1_) {
      // As A4W4 with eight signs per byte; a group starts on a byte (Compile
      // checks Cin_g % 8 == 0 when grouped).
      s_.cin = layer.kind == LayerKind::kFc
                   ? real_.cin / real_.in_last * ((real_.in_last + 7) / 8)
                   : (real_.cin + 7) / 8;
      s_.cin_g = layer.kind == LayerKind::kFc || real_.groups == 1
                     ? s_.cin
                     : real_.cin_g / 8;
    }
    if (a4w4_) {
      // The lowering below works in input bytes: an int4 input pixel is
      // ceil(Cin / 2) bytes (an fc sample: its rows of in_last elements,
      // each packed on its own), a group's segment ceil(Cin_g / 2) bytes
      // from byte floor(g * Cin_g / 2) (RealChannel maps the nibbles back).
      s_.cin = layer.kind == LayerKind::kFc
                   ? real_.cin / real_.in_last * ((real_.in_last + 1) / 2)
                   : (real_.cin + 1) / 2;
      s_.cin_g = layer.kind == LayerKind::kFc ? s_.cin : (real_.cin_g + 1) / 2;
    }
    Plan();
  }

  uint64_t weight_bytes() const { return weight_bytes_; }
  uint64_t param_bytes() const {
    return static_cast<uint64_t>(s_.cout) * classes_ * kParamBytes;
  }

  std::vector<uint8_t> PackWeights() const;
  std::vector<uint8_t> PackDenseWeights() const;
  std::vector<uint8_t> PackParams() const;
  std::vector<InstrWord> Emit(uint32_t wgt_addr, uint32_t param_addr);

 private:
  void Plan();
  void BuildSchedule(uint32_t wgt_addr);
  int EmitCopy(LoadBuf buf, uint32_t dram, int sram_base, int64_t lines,
               int line_bytes, int need_gemm);
  void EmitPiece(int u, int piece, int need_gemm);
  void EmitParams(int r);
  void EmitWeights(int b);
  void PlanBorderClasses();
  void PlanStores(int b);
  void EmitStoreRuns(size_t n);
  // The PARAM range of output channel o: its first channel and channels.
  void RangeOf(int o, int* first, int* channels) const {
    if (range_ntiles_ == 0) {
      *first = 0;
      *channels = s_.cout;
      return;
    }
    const int g = o / s_.cout_g, j0 = (o % s_.cout_g) / nt_ / range_ntiles_ *
                                      range_ntiles_;
    *first = g * s_.cout_g + j0 * nt_;
    *channels = std::min(s_.cout_g, (j0 + range_ntiles_) * nt_) - j0 * nt_;
  }
  int NewOp(Opcode kind) {
    ops_.emplace_back();
    ops_.back().kind = kind;
    return static_cast<int>(ops_.size()) - 1;
  }
  int TileLines(int tiles) const { return tiles * tile_lines_; }
  // ACT lines (= K tiles) of one pixel for kernel part p of a chunk of nl
  // lines per tap and cc channels: one segment of nl lines per tap, or
  // (dense) the part's taps packed back to back.
  int PartLines(const KPart& p, int nl, int cc) const {
    return dense_ ? static_cast<int>(CeilDiv(
                        static_cast<int64_t>(p.taps()) * cc, hw_.rows))
                  : p.taps() * nl;
  }
  int PixelLines(int nl, int cc) const {
    int n = 0;
    for (const KPart& p : kparts_) n += PartLines(p, nl, cc);
    return n;
  }
  int PixelLines(const Unit& u) const { return PixelLines(u.nl, u.cc); }
  // ACT lines of one byte plane of a unit's fill (A16W8: the high-byte
  // plane's lines follow the low-byte plane's).
  int PlaneLines(const Unit& u) const {
    return u.rect.pixels() * PixelLines(u);
  }
  // DRAM bytes of one input pixel (A16W8: both byte planes).
  int64_t InPixBytes() const { return static_cast<int64_t>(s_.cin) * planes_; }
  // K tile `tile` of a pixel: its kernel part and its line in that part.
  std::pair<int, int> TileOf(const Unit& u, int tile) const {
    int p = 0;
    while (tile >= PartLines(kparts_[p], u.nl, u.cc)) {
      tile -= PartLines(kparts_[p], u.nl, u.cc);
      ++p;
    }
    return {p, tile};
  }
  // Row `row` of line t of part p: the weight's (ky, kx, chunk channel), or
  // false where the line is zero padding.
  bool KElement(const KPart& p, int nl, int cc, int t, int row, int* ky,
                int* kx, int* ch) const {
    int tap = 0;
    if (dense_) {
      const int64_t k = static_cast<int64_t>(t) * hw_.rows + row;
      if (k >= static_cast<int64_t>(p.taps()) * cc) return false;
      tap = static_cast<int>(k / cc);
      *ch = static_cast<int>(k % cc);
    } else {
      tap = t / nl;
      *ch = (t % nl) * hw_.rows + row;
      if (*ch >= cc) return false;
    }
    *ky = p.ky0 + tap / p.kw;
    *kx = p.kx0 + tap % p.kw;
    return true;
  }
  // A4W4 / A1W1: the input channel (within group g; fc: the feature) of
  // element j (nibble or bit) of group byte `byte`, or -1 for an element of
  // another group, a row's padding element or beyond the group.
  int RealChannel(int g, int byte, int j) const {
    const int k = per_byte_;
    if (layer_.kind == LayerKind::kFc) {
      const int row_bytes = (real_.in_last + k - 1) / k;
      const int col = k * (byte % row_bytes) + j;
      return col < real_.in_last ? (byte / row_bytes) * real_.in_last + col
                                 : -1;
    }
    const int ch = k * byte + j - (g * real_.cin_g) % k;
    return ch >= 0 && ch < real_.cin_g ? ch : -1;
  }
  // DRAM byte offset of group g's channels within an input pixel.
  int64_t GroupByte(int g) const {
    return a4w4_ || a1w1_ ? static_cast<int64_t>(g) * real_.cin_g / per_byte_
                          : static_cast<int64_t>(g) * s_.cin_g;
  }
  // Real reduction elements of K tile `tile` of a unit (A4W4: nibbles,
  // A1W1: bits).
  int KValid(const Unit& u, int tile) const {
    const auto [p, t] = TileOf(u, tile);
    const int r = hw_.rows;
    if (a4w4_ || a1w1_) {
      int n = 0;
      for (int row = 0; row < r; ++row) {
        int ky, kx, ch;
        if (!KElement(kparts_[p], u.nl, u.cc, t, row, &ky, &kx, &ch)) continue;
        for (int j = 0; j < per_byte_; ++j) {
          n += RealChannel(u.g, u.c0 + ch, j) >= 0;
        }
      }
      return n;
    }
    if (dense_) {
      return std::min<int64_t>(
          r, static_cast<int64_t>(kparts_[p].taps()) * u.cc - t * r);
    }
    return std::min(r, u.cc - (t % u.nl) * r);
  }
  // Lines per tap, first channel and channels of chunk q.
  void ChunkOf(int q, int* nl, int* c0, int* cc) const {
    const int full_lines = static_cast<int>(CeilDiv(s_.cin_g, hw_.rows));
    *nl = dense_ ? 1 : std::min(chunk_lines_, full_lines - q * chunk_lines_);
    *c0 = dense_ ? 0 : q * chunk_lines_ * hw_.rows;
    *cc = dense_ ? s_.cin_g : std::min(s_.cin_g - *c0, *nl * hw_.rows);
  }

  const Layer& layer_;
  ConvShape s_;     // the shape the tiling sees (A4W4, A1W1: input in bytes)
  ConvShape real_;  // the layer's shape
  HwConfig hw_;
  uint32_t in_addr_, out_addr_;
  uint32_t param_addr_ = 0;
  // N24W8: hw_ is Nm24View (rows = 2R K positions per tile, ACT lines of
  // 2R bytes); a weight tile is tile_lines_ WGT lines (5R/4, N24W4 3R/4,
  // else R).
  bool n24_ = false;
  int tile_lines_ = 0;
  // GEMM mode, its psum lanes (ACC rows per pixel) and the output channels
  // of one N tile (lanes * C: a weight byte holds `lanes` channels).
  // A16W8 (a16w8_): `layer` has int16 inputs whose pixels lie in DRAM as
  // two byte planes (s_.cin low bytes, then s_.cin high bytes: planes_ = 2);
  // every fill holds both (the high plane PlaneLines further), and the two
  // lanes are the low and high bytes' sums of the same C channels.
  int mode_ = 0, lanes_ = 1;
  bool a16w8_ = false;
  int planes_ = 1;
  int nt_ = 1;
  bool a4w4_ = false;     // ACT and WGT bytes hold two K-adjacent int4
  bool a1w1_ = false;     // ACT and WGT bytes hold eight K-adjacent signs
  int per_byte_ = 1;      // K elements per ACT byte
  bool out_int4_ = false;  // STOREs write two channels per byte
  bool out_binary_ = false;  // STOREs write eight channels per byte
  // A1W1 border classes (docs/architecture.md, "Padding (binary and ternary
  // convs)"): output rows / columns whose padded kernel rows / columns are
  // the same share a class; pixel (y, x) is class y_class_[y] * nx_classes_
  // + x_class_[x], and each class has its own PARAM records (the bias
  // corrected for its padded taps).
  std::vector<int> y_class_, x_class_;
  std::vector<std::vector<bool>> y_pad_, x_pad_;  // per class: padded ky / kx
  int classes_ = 1;

  int act_half_ = 0, wgt_half_ = 0, acc_half_ = 0, param_half_ = 0;
  int chunk_lines_ = 0;  // lines per tap of a full channel chunk (dense: 1)
  bool dense_ = false;   // dense im2col: taps packed back to back
  std::vector<KPart> kparts_;
  // Inputs higher or wider than the LOAD's h / w fields: every gather reads
  // one input row (one kernel row per part), addressed from its DRAM base.
  bool row_loads_ = false;
  // Dense and A1W1 layers whose weights fit one WGT half: loaded once, at
  // line 0.
  bool resident_ = false;
  // Resident, several N tiles: the first two rectangles' steps N tile outer.
  bool first_pair_ = false;
  // ACC regions steps rotate through: the two halves, or for resident layers
  // (small steps, whose STORE latency two halves would not hide) up to
  // kMaxAccSlots regions of the largest step.
  int acc_slots_ = 2, acc_slot_rows_ = 0;
  // ACT regions fills rotate through: the two halves, or for resident layers
  // up to kMaxActSlots regions of the largest fill, so that a fill need not
  // wait for the GEMMs of the one before the previous one.
  int act_slots_ = 2, act_slot_lines_ = 0;
  // WGT regions blocks rotate through (not resident): the two halves, or
  // for short A1W1 blocks up to kMaxWgtSlots, whose loads then run that
  // many blocks minus one ahead of the GEMMs.
  int wgt_slots_ = 2;
  // Resident layers with one PARAM range: the LOAD of each (group, N tile)'s
  // records, -1 until emitted.
  std::vector<int> param_slice_op_;
  int chunks_ = 0;
  std::vector<int> chunk_tile0_;  // first K tile of each chunk (packing)
  int tiles_per_ntile_ = 0;       // K tiles of all chunks
  int ntiles_ = 0;                // N tiles per group
  std::vector<Rect> rects_;
  int max_wgt_tiles_ = 0;  // K tiles per WGT half
  int range_ntiles_ = 0;   // N tiles per PARAM range (0: whole layer)
  uint64_t weight_bytes_ = 0;

  std::vector<Unit> units_;
  std::vector<Block> blocks_;
  std::vector<Step> steps_;
  std::vector<Range> ranges_;
  std::vector<Op> ops_;
  // STORE runs planned by PlanStores and not emitted yet, in program order:
  // a run of output pixels of one border class, one STORE per lane.
  struct StoreRun {
    int block = 0, y = 0, x = 0, ny = 1, nx = 1, cls = 0;
  };
  std::vector<StoreRun> store_runs_;
};

void ConvLowering::Plan() {
  const int r = hw_.rows, c = hw_.cols;
  act_half_ = hw_.act_lines / 2;
  wgt_half_ = hw_.wgt_lines / 2;
  acc_half_ = hw_.acc_rows / 2;
  param_half_ = hw_.param_entries / 2;
  const int taps = s_.kh * s_.kw;
  const int full_lines = static_cast<int>(CeilDiv(s_.cin_g, r));
  // Kernel parts: balanced cuts of at most kMaxKh x kMaxKw taps, one kernel
  // row each when the input is too large for the LOAD's h / w fields.
  row_loads_ = s_.h > kMaxH || s_.w > kMaxW;
  const int64_t part_h = row_loads_ ? 1 : kMaxKh;
  const int ny_parts = static_cast<int>(CeilDiv(s_.kh, part_h));
  const int nx_parts = static_cast<int>(CeilDiv(s_.kw, kMaxKw));
  for (int py = 0; py < ny_parts; ++py) {
    for (int px = 0; px < nx_parts; ++px) {
      KPart p;
      p.ky0 = static_cast<int>(static_cast<int64_t>(s_.kh) * py / ny_parts);
      p.kh = static_cast<int>(static_cast<int64_t>(s_.kh) * (py + 1) / ny_parts) -
             p.ky0;
      p.kx0 = static_cast<int>(static_cast<int64_t>(s_.kw) * px / nx_parts);
      p.kw = static_cast<int>(static_cast<int64_t>(s_.kw) * (px + 1) / nx_parts) -
             p.kx0;
      kparts_.push_back(p);
    }
  }
  // Narrow inputs (Cin_g not a multiple of R) waste most of a line per tap;
  // packing the taps back to back (dense LOAD) takes ceil(K / R) lines per
  // pixel instead of kh * kw * ceil(Cin_g / R), when that fits one fill.
  int64_t dense_lines = 0, dense_nl = 0;
  for (const KPart& p : kparts_) {
    const int64_t lines = CeilDiv(static_cast<int64_t>(p.taps()) * s_.cin_g, r);
    dense_lines += lines;
    dense_nl = std::max(dense_nl, lines);
  }
  dense_ = s_.cin_g % r != 0 &&
           dense_lines < static_cast<int64_t>(taps) * full_lines &&
           dense_lines <= act_half_ && dense_nl <= kMaxNl &&
           s_.cin_g <= kMaxSegBytes && !n24_;
  chunk_lines_ = static_cast<int>(
      dense_ ? 1
             : std::min<int64_t>({full_lines, act_half_ / taps,
                                  n24_ ? kMaxNl / 2 : kMaxNl,
                                  kMaxSegBytes / r}));
  if (chunk_lines_ < 1) {
    throw InputError("one ACT line per kernel tap (" + std::to_string(taps) +
                     " lines) exceeds half the ACT SRAM (" +
                     std::to_string(act_half_) + " lines)");
  }
  chunks_ = dense_ ? 1 : static_cast<int>(CeilDiv(full_lines, chunk_lines_));
  tiles_per_ntile_ = 0;
  for (int q = 0; q < chunks_; ++q) {
    chunk_tile0_.push_back(tiles_per_ntile_);
    int nl, c0, cc;
    ChunkOf(q, &nl, &c0, &cc);
    tiles_per_ntile_ += PixelLines(nl, cc);
  }
  ntiles_ = static_cast<int>(CeilDiv(s_.cout_g, nt_));
  max_wgt_tiles_ = wgt_half_ / tile_lines_;
  if (max_wgt_tiles_ < 1 || acc_half_ < 1) {
    throw InputError("half the WGT SRAM (" + std::to_string(wgt_half_) +
                     " lines) must hold one " + std::to_string(tile_lines_) +
                     "-line weight tile and half the ACC SRAM one row");
  }
  PlanBorderClasses();
  if (static_cast<int64_t>(s_.cout) * classes_ > hw_.param_entries) {
    range_ntiles_ = param_half_ / (nt_ * classes_);
    if (range_ntiles_ < 1) {
      throw InputError("half the PARAM SRAM (" + std::to_string(param_half_) +
                       " records) cannot hold one N tile of " +
                       std::to_string(nt_) + " channels in " +
                       std::to_string(classes_) + " border classes");
    }
  }
  weight_bytes_ = static_cast<uint64_t>(s_.groups) * ntiles_ *
                  tiles_per_ntile_ * tile_lines_ * c;

  // Output rectangles: as many whole rows as one ACT half (im2col rows of
  // every tap) and one ACC half hold, else a run of columns of one row;
  // balanced so that the tiles are about equal.
  int nl0, c00, cc0;
  ChunkOf(0, &nl0, &c00, &cc0);
  // A16W8: a pixel's lines in both byte planes.
  const int64_t lines_per_pixel = PixelLines(nl0, cc0) * planes_;
  int64_t max_pixels =
      std::min<int64_t>({act_half_ / lines_per_pixel, acc_half_ / lanes_,
                         kMaxMRows});
  // A narrow layer's weights often fit one WGT half: load them once and
  // keep them (resident_), instead of once per M tile. So do an A1W1
  // layer's (1/8 of the int8 bytes; conv3_x on 16x16: 1,152 lines), whose
  // GEMMs are 8 times shorter than the fills and weight reloads of int8
  // (16x16 RTL, conv3_x: 60,300 -> 57,628 cycles). So do a 2:4 1x1 conv's
  // or fc's (5/8 or 3/8 of the int8 bytes), whose one fill would otherwise
  // be loaded whole before the first GEMM (16x16 RTL, conv4_x 1x1: about
  // 3,100 of its 28,956 cycles).
  resident_ = (dense_ || (a1w1_ && chunks_ == 1) ||
               (n24_ && chunks_ == 1 && taps == 1)) &&
              weight_bytes_ / c <= static_cast<uint64_t>(wgt_half_);
  if (resident_ && !n24_) {
    // Its whole input often fits one fill too, which nothing would overlap:
    // cut it into about kDenseFills fills of at least 5C/4 pixels (after
    // rounding to whole rows still about C: the shortest GEMM that does not
    // wait for its weights). Short fills keep the last GEMMs and STOREs,
    // which nothing overlaps either, short (16 x 16 RTL, with the load
    // engine's edge windows: person_detect op000 3,177 -> 3,011 cycles
    // from 8 to 24 fills).
    constexpr int64_t kDenseFills = 24;
    const int64_t pixels = static_cast<int64_t>(s_.oh) * s_.ow;
    max_pixels = std::min(max_pixels, std::max<int64_t>(CeilDiv(pixels, kDenseFills),
                                                        CeilDiv(5 * c, 4)));
  }
  if (a1w1_) {
    // An A1W1 pixel is 1/8 of the int8 lines, so one fill often holds the
    // whole image, and nothing would overlap its gather: cut it into about
    // kA1W1Fills fills of at least 2C pixels (resident layers: the finer
    // cut above).
    constexpr int64_t kA1W1Fills = 4;
    const int64_t pixels = static_cast<int64_t>(s_.oh) * s_.ow;
    max_pixels = std::min(
        max_pixels, std::max<int64_t>(CeilDiv(pixels, kA1W1Fills), 2 * c));
  }
  if (max_pixels < 1) {
    throw InputError("the im2col row of one output pixel (" +
                     std::to_string(lines_per_pixel) +
                     " lines) exceeds half the ACT SRAM");
  }
  if (s_.ow <= max_pixels && !row_loads_) {
    const int64_t rows_max = std::min<int64_t>(max_pixels / s_.ow, kMaxNy);
    // Resident layers: a first rectangle of one row, so that the first
    // GEMMs start early (nothing overlaps the first fill).
    const bool first_row = resident_ && rows_max > 1 && s_.oh > 1;
    if (first_row) rects_.push_back({0, 0, 1, s_.ow});
    int y0 = first_row ? 1 : 0;
    if (first_row && n24_) {
      // 2:4 keeps its fills whole (its GEMMs are half as long as dense
      // ones: short fills would wait for their weights), but the second
      // fill loads behind every weight tile, which the first (one-row)
      // fill's GEMMs load: rectangles of 1, 2, 4, ... rows keep each fill
      // shorter than the GEMMs it loads behind (16x16 RTL, conv4_x 1x1:
      // rows 1, 2, 4, 7).
      for (int ny = 2; ny < rows_max && y0 + ny < s_.oh; ny *= 2) {
        rects_.push_back({y0, 0, ny, s_.ow});
        y0 += ny;
      }
    }
    const int64_t n = CeilDiv(s_.oh - y0, rows_max);
    const int ny = static_cast<int>(CeilDiv(s_.oh - y0, n));
    for (int y = y0; y < s_.oh; y += ny) {
      rects_.push_back({y, 0, std::min(ny, s_.oh - y), s_.ow});
    }
  } else {
    int64_t max_nx = std::min(max_pixels, kMaxNx);
    if (row_loads_) {
      // A gather's input columns must fit the w field from its first one.
      const int64_t reach = static_cast<int64_t>(s_.kw - 1) * s_.dw + 1;
      max_nx = std::min(max_nx, (kMaxW - reach) / s_.sw + 1);
      if (kMaxW < reach) {
        throw InputError("a kernel reaching " + std::to_string(reach) +
                         " input columns does not fit the LOAD's w field (" +
                         std::to_string(kMaxW) + ")");
      }
    }
    const int64_t n = CeilDiv(s_.ow, max_nx);
    const int nx = static_cast<int>(CeilDiv(s_.ow, n));
    for (int y = 0; y < s_.oh; ++y) {
      for (int x = 0; x < s_.ow; x += nx) {
        rects_.push_back({y, x, 1, std::min(nx, s_.ow - x)});
      }
    }
  }
  acc_slot_rows_ = acc_half_;
  act_slot_lines_ = act_half_;
  if (resident_) {
    constexpr int kMaxActSlots = 4;
    int64_t lines = 1;
    for (const Rect& rc : rects_) {
      lines = std::max<int64_t>(lines, rc.pixels() * lines_per_pixel);
    }
    act_slots_ = static_cast<int>(
        std::clamp<int64_t>(hw_.act_lines / lines, 2, kMaxActSlots));
    act_slot_lines_ = hw_.act_lines / act_slots_;
    constexpr int kMaxAccSlots = 8;
    int rows = 1;
    for (const Rect& rc : rects_) rows = std::max(rows, rc.pixels());
    rows *= lanes_;  // ACC rows per pixel: the mode's lanes
    acc_slots_ = std::clamp(hw_.acc_rows / rows, 2, kMaxAccSlots);
    // A GEMM's acc_base must be a multiple of its lanes.
    acc_slot_rows_ = hw_.acc_rows / acc_slots_ / lanes_ * lanes_;
  }
}

// DRAM order of the weights: group, N tile, then the K tiles of all chunks
// in GEMM order (chunk, kernel part, line of the part); a tile is R lines of
// C bytes, line r holding W[k0 + r][n0 .. n0 + C), zero beyond the group's
// Cin / Cout (KElement maps a line's rows to taps and channels). A WGT fill
// is then one contiguous run of tiles. In a mode of L lanes an N tile has
// L*C channels and byte `col` of a line packs channels n0 + l*C + col, l < L
// (sw/packing.h); the lanes pack along N, so the K order (dense or not) is
// that of A8W8.
std::vector<uint8_t> ConvLowering::PackWeights() const {
  if (!n24_) return PackDenseWeights();
  // N24W8: each dense tile of 2R K positions becomes 5R/4 lines (N24W4:
  // 3R/4; sw/pack_nm.h), in the same order.
  const std::vector<uint8_t> dense = PackDenseWeights();
  const int rr = hw_.rows / 2, c = hw_.cols;
  std::vector<uint8_t> out;
  out.reserve(weight_bytes_);
  const size_t tile = static_cast<size_t>(hw_.rows) * c;
  for (size_t pos = 0; pos < dense.size(); pos += tile) {
    const int8_t* d = reinterpret_cast<const int8_t*>(dense.data() + pos);
    const std::vector<uint8_t> t = mode_ == kGemmModeN24W4
                                       ? PackNm24W4Tile(d, rr, c)
                                       : PackNm24Tile(d, rr, c);
    out.insert(out.end(), t.begin(), t.end());
  }
  assert(out.size() == weight_bytes_);
  return out;
}

// The tiles as R (N24W8: 2R) dense lines each.
std::vector<uint8_t> ConvLowering::PackDenseWeights() const {
  const int r = hw_.rows, c = hw_.cols;
  std::vector<uint8_t> out(static_cast<uint64_t>(s_.groups) * ntiles_ *
                               tiles_per_ntile_ * r * c,
                           0);
  const bool fc = layer_.kind == LayerKind::kFc;
  size_t pos = 0;
  for (int g = 0; g < s_.groups; ++g) {
    for (int j = 0; j < ntiles_; ++j) {
      for (int q = 0; q < chunks_; ++q) {
        int nl, c0, cc;
        ChunkOf(q, &nl, &c0, &cc);
        for (const KPart& p : kparts_) {
          const int lines = PartLines(p, nl, cc);
          for (int t = 0; t < lines; ++t) {
            for (int row = 0; row < r; ++row, pos += c) {
              int ky, kx, ch;
              if (!KElement(p, nl, cc, t, row, &ky, &kx, &ch)) continue;
              ch += c0;
              if (a1w1_) {
                // Bit j of the byte meets bit j of the ACT byte; bits of no
                // real channel stay 0 (so do the ACT's: +1 each, which the
                // bias takes back).
                for (int col = 0; col < c; ++col) {
                  const int n = j * nt_ + col;
                  if (n >= s_.cout_g) break;
                  const int o = g * s_.cout_g + n;
                  uint8_t b = 0;
                  for (int bit = 0; bit < 8; ++bit) {
                    const int k = RealChannel(g, ch, bit);
                    if (k < 0) continue;
                    const int8_t v =
                        fc ? layer_.weights
                                 .data[static_cast<size_t>(o) * real_.cin + k]
                           : layer_.weights.at(o, ky, kx, k);
                    if (v > 0) b |= static_cast<uint8_t>(1u << bit);
                  }
                  out[pos + col] = b;
                }
                continue;
              }
              if (a4w4_) {
                // Nibble j of the byte multiplies nibble j of the ACT byte.
                for (int col = 0; col < c; ++col) {
                  const int n = j * nt_ + col;
                  if (n >= s_.cout_g) break;
                  const int o = g * s_.cout_g + n;
                  uint8_t b = 0;
                  for (int nib = 0; nib < 2; ++nib) {
                    const int k = RealChannel(g, ch, nib);
                    if (k < 0) continue;
                    const int8_t v =
                        fc ? layer_.weights
                                 .data[static_cast<size_t>(o) * real_.cin + k]
                           : layer_.weights.at(o, ky, kx, k);
                    b |= static_cast<uint8_t>((v & 0xf) << (4 * nib));
                  }
                  out[pos + col] = b;
                }
                continue;
              }
              for (int col = 0; col < c; ++col) {
                int8_t lane[kGemmMaxLanes] = {};
                for (int ln = 0; ln < (a16w8_ ? 1 : lanes_); ++ln) {
                  const int n = j * nt_ + ln * c + col;
                  if (n >= s_.cout_g) break;
                  const int o = g * s_.cout_g + n;
                  lane[ln] =
                      fc ? layer_.weights
                               .data[static_cast<size_t>(o) * s_.cin + ch]
                         : layer_.weights.at(o, ky, kx, ch);
                }
                out[pos + col] = PackWeightByte(mode_, lane);
              }
            }
          }
        }
      }
    }
  }
  assert(pos == out.size());
  return out;
}

// One PARAM record (layout: isa.def) per output channel: the bias with the
// input zero point folded in (bias - in_zp * sum(w), wrapping), M0 and the
// shift.
std::vector<uint8_t> ConvLowering::PackParams() const {
  if (a16w8_) return PackA16W8Params(layer_, s_.cout);
  static_assert(kParamBiasBytes == sizeof(int32_t) &&
                    kParamMultBytes == sizeof(int32_t) &&
                    kParamShiftBytes == 1,
                "isa.def PARAM field sizes differ from the packing below");
  std::vector<uint8_t> out(param_bytes(), 0);
  const QuantParams& q = layer_.quant;
  const size_t per_out = layer_.weights.size() / static_cast<size_t>(s_.cout);
  // A1W1: every K position of the tiles that holds no real element adds
  // +1 (ACT and WGT bit 0), `tail` per output pixel.
  const int64_t tail =
      a1w1_ ? static_cast<int64_t>(tiles_per_ntile_) * hw_.rows * 8 -
                  static_cast<int64_t>(real_.kh) * real_.kw * real_.cin_g
            : 0;
  for (int o = 0; o < s_.cout; ++o) {
    int32_t sum = 0;
    const int8_t* w = layer_.weights.data.data() + o * per_out;
    for (size_t k = 0; k < per_out; ++k) sum = WrapAdd(sum, w[k]);
    const int32_t bias = layer_.bias.empty() ? 0 : layer_.bias[o];
    int first = 0, channels = 0;
    RangeOf(o, &first, &channels);
    for (int cls = 0; cls < classes_; ++cls) {
      // Records of a PARAM range are class-major (a STORE reads consecutive
      // channels of one class), ranges in channel order.
      const size_t rec = static_cast<size_t>(first) * classes_ +
                         static_cast<size_t>(cls) * channels + (o - first);
      int32_t b = bias;
      if (a1w1_) {
        // A padded tap reads ACT bits 0 (-1) and adds -sum_c w; the
        // reference adds 0 (golden/binary.h).
        int32_t padded = 0;
        if (layer_.kind == LayerKind::kConv) {
          const int yc = cls / static_cast<int>(x_pad_.size());
          const int xc = cls % static_cast<int>(x_pad_.size());
          for (int ky = 0; ky < real_.kh; ++ky) {
            for (int kx = 0; kx < real_.kw; ++kx) {
              if (!y_pad_[yc][ky] && !x_pad_[xc][kx]) continue;
              for (int k = 0; k < real_.cin_g; ++k) {
                padded += layer_.weights.at(o, ky, kx, k);
              }
            }
          }
        }
        b = WrapAdd(WrapAdd(b, padded), static_cast<int32_t>(-tail));
      }
      WriteParamRecord(out.data() + rec * kParamBytes, o, sum, b, q);
    }
  }
  return out;
}

// Work order: group, PARAM range, image, rectangle, then the N tiles of the
// range. Unchunked, one ACT fill per rectangle serves every N tile (the
// activation reuse that keeps DRAM traffic below compute); when the im2col
// row needs several chunks, each (N tile, chunk) refills ACT and the ACC half
// accumulates across the chunks.
void ConvLowering::BuildSchedule(uint32_t wgt_addr) {
  const int r = hw_.rows, c = hw_.cols;
  const uint64_t tile_bytes = static_cast<uint64_t>(tile_lines_) * c;
  std::vector<std::pair<int, int>> range_tiles;  // [j0, j1) per range
  if (range_ntiles_ == 0) {
    range_tiles.push_back({0, ntiles_});
  } else {
    for (int j = 0; j < ntiles_; j += range_ntiles_) {
      range_tiles.push_back({j, std::min(ntiles_, j + range_ntiles_)});
    }
  }
  // Only when the first fill's GEMMs are shorter than a weight preload
  // (ResNet-18 conv1, a first row of 112 pixels: 510,824 -> 511,755 cycles
  // paired).
  first_pair_ = resident_ && chunks_ == 1 && ntiles_ > 1 &&
                range_ntiles_ == 0 && rects_.size() >= 2 &&
                rects_[0].pixels() < std::max(r, c - 1);
  const bool first_pair = first_pair_;
  auto new_unit = [&](int g, int image, const Rect& rect, int q) {
    Unit u;
    u.g = g;
    u.image = image;
    u.rect = rect;
    ChunkOf(q, &u.nl, &u.c0, &u.cc);
    u.half = static_cast<int>(units_.size() % act_slots_);
    units_.push_back(u);
  };
  for (int g = 0; g < s_.groups; ++g) {
    for (const auto& [j0, j1] : range_tiles) {
      if (range_ntiles_ != 0 || ranges_.empty()) {
        Range rg;
        rg.first_block = static_cast<int>(blocks_.size());
        if (range_ntiles_ == 0) {
          rg.first_channel = 0;
          rg.channels = s_.cout;
          rg.base = 0;
        } else {
          rg.first_channel = g * s_.cout_g + j0 * nt_;
          rg.channels = std::min(s_.cout_g, j1 * nt_) - j0 * nt_;
          rg.base = static_cast<int>(ranges_.size() % 2) * param_half_;
        }
        ranges_.push_back(rg);
      }
      const int range = static_cast<int>(ranges_.size()) - 1;
      for (int image = 0; image < s_.images; ++image) {
        // Resident layers of several N tiles: the first two rectangles'
        // steps go N tile outer (both fills' GEMMs of N tile 0, then of
        // N tile 1, ...), so that the next N tile's weights load while the
        // array works on two fills, not on the first (short) one alone.
        const bool pair = first_pair && g == 0 && image == 0;
        for (size_t ri = 0; ri < rects_.size(); ri += pair && ri == 0 ? 2 : 1) {
          const size_t rn = pair && ri == 0 ? 2 : 1;
          const int u0 = static_cast<int>(units_.size());
          if (chunks_ == 1) {
            for (size_t k = 0; k < rn; ++k) new_unit(g, image, rects_[ri + k], 0);
          }
          for (int jk = j0 * static_cast<int>(rn); jk < j1 * static_cast<int>(rn); ++jk) {
            const int j = jk / static_cast<int>(rn);
            const size_t k = static_cast<size_t>(jk) % rn;
            const Rect& rect = rects_[ri + k];
            Step st;
            st.unit0 = chunks_ == 1 ? u0 + static_cast<int>(k)
                                    : static_cast<int>(units_.size());
            st.j = j;
            st.range = range;
            st.half = static_cast<int>(steps_.size() % acc_slots_);
            steps_.push_back(st);
            const int step = static_cast<int>(steps_.size()) - 1;
            ranges_[range].last_step = step;
            for (int q = 0; q < chunks_; ++q) {
              if (chunks_ > 1) new_unit(g, image, rect, q);
              const int unit =
                  chunks_ == 1 ? st.unit0 : static_cast<int>(units_.size()) - 1;
              const int chunk_tiles = PixelLines(units_[unit]);
              const int groups =
                  static_cast<int>(CeilDiv(chunk_tiles, max_wgt_tiles_));
              const int per = static_cast<int>(CeilDiv(chunk_tiles, groups));
              for (int t0 = 0; t0 < chunk_tiles; t0 += per) {
                Block b;
                b.unit = unit;
                b.step = step;
                b.range = range;
                b.j = j;
                b.tile0 = t0;
                b.tiles = std::min(per, chunk_tiles - t0);
                b.wgt_addr = static_cast<uint32_t>(
                    wgt_addr + ((static_cast<uint64_t>(g) * ntiles_ + j) *
                                    tiles_per_ntile_ +
                                chunk_tile0_[q] + t0) *
                                   tile_bytes);
                b.half = static_cast<int>(blocks_.size() % 2);
                b.wgt_line = static_cast<int>(
                    resident_ ? (b.wgt_addr - wgt_addr) / c : b.half * wgt_half_);
                b.first_of_step = q == 0 && t0 == 0;
                b.last_of_step = q == chunks_ - 1 && t0 + per >= chunk_tiles;
                blocks_.push_back(b);
              }
            }
          }
        }
      }
    }
  }

  if (!resident_ && a1w1_ && range_ntiles_ == 0) {
    // An A1W1 block is often a few tiles (fc1024 on 16x16: 8 tiles, 128
    // cycles of GEMM), so a weight LOAD that waits for the GEMMs of the
    // block before last also waits out its DRAM latency every block; with
    // more regions it runs further ahead.
    constexpr int kMaxWgtSlots = 4;
    int lines = 1;
    for (const Block& bl : blocks_) {
      lines = std::max(lines, TileLines(bl.tiles));
    }
    wgt_slots_ = std::clamp(hw_.wgt_lines / lines, 2, kMaxWgtSlots);
    for (size_t b = 0; b < blocks_.size(); ++b) {
      blocks_[b].half = static_cast<int>(b % wgt_slots_);
      blocks_[b].wgt_line = blocks_[b].half * (hw_.wgt_lines / wgt_slots_);
    }
  }

  // The first ACT fill is loaded whole up front. Every later fill is split
  // into pieces spread over the blocks of the fill before it, behind their
  // weight prefetch, so that the in-order load engine interleaves them and
  // no block's weights wait behind a whole ACT fill.
  std::vector<int> unit_first_block(units_.size(), -1);
  std::vector<int> unit_blocks(units_.size(), 0);
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const int u = blocks_[b].unit;
    if (unit_first_block[u] < 0) unit_first_block[u] = static_cast<int>(b);
    ++unit_blocks[u];
  }
  for (size_t u = 0; u < units_.size(); ++u) {
    const int pixels = units_[u].rect.pixels();
    // Resident weights leave nothing for a piece to interleave with.
    const int hosts = u == 0 || resident_ ? 1 : unit_blocks[u - 1];
    const int pieces = std::min(pixels, hosts);
    for (int p = 0; p < pieces; ++p) {
      units_[u].pieces.push_back(
          {static_cast<int>(static_cast<int64_t>(pixels) * p / pieces),
           static_cast<int>(static_cast<int64_t>(pixels) * (p + 1) / pieces)});
      if (u > 0) {
        // Resident: the second fill behind the first fill's last block, so
        // that the weight tiles the first fill's blocks load first are not
        // queued behind it.
        // With the first two steps' N tiles outer, behind the first block.
        const int host = resident_ && u == 1
                             ? (first_pair_ ? unit_first_block[0]
                                            : unit_first_block[0] + unit_blocks[0] - 1)
                             : unit_first_block[u - 1] + p * hosts / pieces;
        blocks_[host].prefetch.push_back(p);
      }
    }
  }
}

// A dense copy of `lines` SRAM lines; longer than one instruction's nl it
// becomes an nx x nl walk over consecutive "pixels" of nl lines, plus a tail.
// Returns the op index of the last instruction; the first one waits for
// need_gemm.
int ConvLowering::EmitCopy(LoadBuf buf, uint32_t dram, int sram_base,
                           int64_t lines, int line_bytes, int need_gemm) {
  int last = -1;
  for (const LoadInstr& l :
       PlainCopyLoads(buf, dram, sram_base, lines, line_bytes)) {
    const int op = NewOp(Opcode::kLoad);
    ops_[op].load = l;
    if (last < 0) ops_[op].need_gemm = need_gemm;
    last = op;
  }
  return last;
}

// The im2col gather of pixels [p0, p1) of a unit's rectangle: per kernel
// part, a partial first row, whole rows, a partial last row (each a LOAD).
void ConvLowering::EmitPiece(int u, int piece, int need_gemm) {
  Unit& unit = units_[u];
  const Rect& rc = unit.rect;
  const auto [p0, p1] = unit.pieces[piece];
  const uint64_t image_bytes =
      static_cast<uint64_t>(s_.h) * s_.w * static_cast<uint64_t>(InPixBytes());
  const uint64_t base = in_addr_ + unit.image * image_bytes +
                        static_cast<uint64_t>(GroupByte(unit.g)) + unit.c0;
  int64_t region = static_cast<int64_t>(unit.half) * act_slot_lines_;
  for (const KPart& part : kparts_) {
    const int lines = PartLines(part, unit.nl, unit.cc);
    auto gather = [&](int y, int x, int ny, int nx) {
      const int op = NewOp(Opcode::kLoad);
      LoadInstr& i = ops_[op].load;
      i.buf = static_cast<int64_t>(LoadBuf::kAct);
      i.dram_base = base;
      i.sram_base = region + static_cast<int64_t>(y * rc.nx + x) * lines;
      i.ny = ny;
      i.nx = nx;
      i.kh = part.kh;
      i.kw = part.kw;
      i.nl = dense_ ? lines : unit.nl;
      i.iy0 = static_cast<int64_t>(rc.oy0 + y) * s_.sh - s_.pad_top +
              static_cast<int64_t>(part.ky0) * s_.dh;
      i.ix0 = static_cast<int64_t>(rc.ox0 + x) * s_.sw - s_.pad_left +
              static_cast<int64_t>(part.kx0) * s_.dw;
      i.sy = s_.sh;
      i.sx = s_.sw;
      i.dy = s_.dh;
      i.dx = s_.dw;
      i.h = s_.h;
      i.w = s_.w;
      if (row_loads_) {
        // One input row (ny = 1, one kernel row): address it directly and
        // bound the columns from the first one the gather needs.
        assert(ny == 1 && part.kh == 1);
        const int64_t ih = i.iy0, ix = i.ix0;
        const int64_t c0 = std::clamp<int64_t>(ix, 0, s_.w - 1);
        const bool row_in = ih >= 0 && ih < s_.h;
        i.dram_base = base + (row_in ? (ih * s_.w + c0) * InPixBytes() : 0);
        i.iy0 = row_in ? 0 : -1;
        i.h = 1;
        i.ix0 = ix - c0;
        i.w = std::min<int64_t>(s_.w - c0, kMaxW);
        if (ix >= s_.w) {  // every tap right of the input: padding
          i.ix0 = 1;
          i.w = 1;
        }
      }
      i.pix_stride = InPixBytes();
      i.seg_bytes = unit.cc;
      i.dense = dense_ ? 1 : 0;
      // A4W4: the zero point in both nibbles. A1W1: bits 0 (-1), which the
      // border classes' biases correct.
      i.pad = a1w1_   ? 0
              : a4w4_ ? (layer_.quant.in_zp & 0xf) * 0x11
                      : layer_.quant.in_zp & 0xff;
      if (need_gemm >= 0) {
        ops_[op].need_gemm = need_gemm;
        need_gemm = -1;
      }
      unit.last_load = op;
      if (a16w8_) {
        // The same gather from the high-byte plane, PlaneLines further.
        LoadInstr hi = ops_[op].load;
        hi.dram_base += s_.cin;
        hi.sram_base += PlaneLines(unit);
        const int hop = NewOp(Opcode::kLoad);
        ops_[hop].load = hi;
        unit.last_load = hop;
      }
    };
    int p = p0;
    if (p % rc.nx != 0) {
      const int n = std::min(p1 - p, rc.nx - p % rc.nx);
      gather(p / rc.nx, p % rc.nx, 1, n);
      p += n;
    }
    if (p1 - p >= rc.nx) {
      const int rows = (p1 - p) / rc.nx;
      gather(p / rc.nx, 0, rows, rc.nx);
      p += rows * rc.nx;
    }
    if (p < p1) gather(p / rc.nx, 0, 1, p1 - p);
    region += static_cast<int64_t>(rc.pixels()) * lines;
  }
}

// PARAM range r reuses the half of range r - 2, whose STOREs must be done
// first. A LOAD cannot wait for a STORE directly, so it waits for a GEMM
// that waited for the last of those STOREs: the GEMM that next overwrote
// that STORE's ACC half, or, when that has not been emitted yet, the first
// GEMM after the STORE, made to wait for it.
void ConvLowering::EmitParams(int r) {
  const Range& rg = ranges_[r];
  int need_gemm = -1;
  if (r >= 2) {
    const int last = ranges_[r - 2].last_step;
    const int store = steps_[last].store_op;
    const int s2 = last + acc_slots_;
    if (s2 < static_cast<int>(steps_.size()) && steps_[s2].first_gemm >= 0) {
      need_gemm = steps_[s2].first_gemm;
    } else {
      const int g = steps_[last + 1].first_gemm;
      assert(g > store);
      ops_[g].need_store = std::max(ops_[g].need_store, store);
      need_gemm = g;
    }
  }
  ranges_[r].load_op = EmitCopy(
      LoadBuf::kParam,
      param_addr_ +
          static_cast<uint32_t>(rg.first_channel) * classes_ * kParamBytes,
      rg.base, static_cast<int64_t>(rg.channels) * classes_, kParamBytes,
      need_gemm);
}

// Block b's weights reuse the WGT half of block b - 2. Resident weights are
// all loaded with block 0.
void ConvLowering::EmitWeights(int b) {
  Block& bl = blocks_[b];
  if (resident_) {
    // Each block's tiles are loaded by the first block that uses them, so
    // the first GEMMs wait only for their own tiles and the rest arrive
    // behind them; later blocks reuse the load.
    for (int e = 0; e < b; ++e) {
      if (blocks_[e].wgt_line == bl.wgt_line) {
        bl.load_op = blocks_[e].load_op;
        return;
      }
    }
    bl.load_op = EmitCopy(LoadBuf::kWgt, bl.wgt_addr, bl.wgt_line,
                          TileLines(bl.tiles), hw_.cols, -1);
    // With one PARAM range, the records of the block's N tile follow its
    // first weights: a step's STORE needs only its own.
    const int g = units_[bl.unit].g;
    const size_t key = static_cast<size_t>(g) * ntiles_ + bl.j;
    if (range_ntiles_ == 0 && param_slice_op_[key] < 0) {
      // One copy per A1W1 border class: class cls's records start at
      // record cls * Cout in DRAM and in the PARAM SRAM.
      const int channel = g * s_.cout_g + bl.j * nt_;
      for (int cls = 0; cls < classes_; ++cls) {
        const int rec = cls * s_.cout + channel;
        param_slice_op_[key] = EmitCopy(
            LoadBuf::kParam,
            param_addr_ + static_cast<uint32_t>(rec) * kParamBytes, rec,
            std::min(nt_, s_.cout_g - bl.j * nt_), kParamBytes, -1);
      }
    }
    return;
  }
  const int need = b >= wgt_slots_ ? blocks_[b - wgt_slots_].last_gemm : -1;
  bl.load_op = EmitCopy(LoadBuf::kWgt, bl.wgt_addr, bl.wgt_line,
                        TileLines(bl.tiles), hw_.cols, need);
}

// Output rows (columns) whose padded kernel rows (columns) are the same form
// one class; A1W1 convs only (other modes pad with the zero point).
void ConvLowering::PlanBorderClasses() {
  auto classes = [](int out, int k, int stride, int pad, int dil, int in,
                    std::vector<int>* cls,
                    std::vector<std::vector<bool>>* pads) {
    for (int o = 0; o < out; ++o) {
      std::vector<bool> padded(static_cast<size_t>(k));
      for (int t = 0; t < k; ++t) {
        const int64_t i = static_cast<int64_t>(o) * stride - pad +
                          static_cast<int64_t>(t) * dil;
        padded[static_cast<size_t>(t)] = i < 0 || i >= in;
      }
      const auto it = std::find(pads->begin(), pads->end(), padded);
      cls->push_back(static_cast<int>(it - pads->begin()));
      if (it == pads->end()) pads->push_back(padded);
    }
  };
  if (!a1w1_ || layer_.kind != LayerKind::kConv) {
    y_class_.assign(static_cast<size_t>(s_.oh), 0);
    x_class_.assign(static_cast<size_t>(s_.ow), 0);
    y_pad_.assign(1, std::vector<bool>(static_cast<size_t>(s_.kh)));
    x_pad_.assign(1, std::vector<bool>(static_cast<size_t>(s_.kw)));
  } else {
    classes(s_.oh, s_.kh, s_.sh, s_.pad_top, s_.dh, s_.h, &y_class_, &y_pad_);
    classes(s_.ow, s_.kw, s_.sw, s_.pad_left, s_.dw, s_.w, &x_class_,
            &x_pad_);
  }
  classes_ = static_cast<int>(y_pad_.size() * x_pad_.size());
}

// The STORE runs of block b's step, appended to store_runs_: the whole
// rectangle, or (A1W1 with several border classes) bands of rows of one
// class when every column is of one class, else runs of columns of one row.
void ConvLowering::PlanStores(int b) {
  const Step& st = steps_[blocks_[b].step];
  const Rect& rc = units_[st.unit0].rect;
  const int nxc = static_cast<int>(x_pad_.size());
  auto x_cls = [&](int x) { return x_class_[static_cast<size_t>(rc.ox0 + x)]; };
  auto y_cls = [&](int y) { return y_class_[static_cast<size_t>(rc.oy0 + y)]; };
  bool one_x = true;
  for (int x = 1; x < rc.nx; ++x) one_x = one_x && x_cls(x) == x_cls(0);
  for (int y = 0; y < rc.ny;) {
    if (one_x) {
      int y1 = y + 1;
      while (y1 < rc.ny && y_cls(y1) == y_cls(y)) ++y1;
      store_runs_.push_back(
          {b, y, 0, y1 - y, rc.nx, y_cls(y) * nxc + x_cls(0)});
      y = y1;
      continue;
    }
    for (int x = 0; x < rc.nx;) {
      int x1 = x + 1;
      while (x1 < rc.nx && x_cls(x1) == x_cls(x)) ++x1;
      store_runs_.push_back({b, y, x, 1, x1 - x, y_cls(y) * nxc + x_cls(x)});
      x = x1;
    }
    ++y;
  }
}

// Emits the first n planned STORE runs: one STORE per lane (lane ln of pixel
// p is ACC row base + L*p + ln).
void ConvLowering::EmitStoreRuns(size_t n) {
  const int c = hw_.cols;
  const int shift = lanes_ == 4 ? 2 : lanes_ - 1;
  // A16W8: one STORE reads both lanes and writes a byte per channel into
  // each byte plane of the output pixel (s_.cout bytes apart).
  const int store_lanes = a16w8_ ? 1 : lanes_;
  const int ch_bytes = a16w8_ ? 2 : 1;
  // Bytes per output pixel and the byte of channel n (int4: two channels per
  // byte, binary eight; Compile checks that every STORE starts on a byte).
  const int per = out_binary_ ? 8 : out_int4_ ? 2 : 1;
  const uint64_t pix_bytes =
      (static_cast<uint64_t>(s_.cout) * ch_bytes + per - 1) / per;
  n = std::min(n, store_runs_.size());
  for (size_t k = 0; k < n; ++k) {
    const StoreRun& run = store_runs_[k];
    const Block& bl = blocks_[run.block];
    Step& st = steps_[bl.step];
    const Unit& u0 = units_[st.unit0];
    const Rect& rc = u0.rect;
    const Range& rg = ranges_[bl.range];
    for (int ln = 0; ln < store_lanes; ++ln) {
      const int left = s_.cout_g - bl.j * nt_ - ln * c;
      if (left <= 0) break;
      const int op = NewOp(Opcode::kStore);
      StoreInstr& i = ops_[op].store;
      const int channel = u0.g * s_.cout_g + bl.j * nt_ + ln * c;
      const int p = run.y * rc.nx + run.x;
      i.acc_base = static_cast<int64_t>(st.half) * acc_slot_rows_ +
                   static_cast<int64_t>(p) * lanes_ + ln;
      i.acc_shift = shift;
      assert(channel % per == 0);
      i.dram_base =
          out_addr_ +
          static_cast<uint64_t>(u0.image) * s_.oh * s_.ow * pix_bytes +
          (static_cast<uint64_t>(rc.oy0 + run.y) * s_.ow + rc.ox0 + run.x) *
              pix_bytes +
          static_cast<uint64_t>(channel) / per;
      i.ny = run.ny;
      i.nx = run.nx;
      i.row_stride = static_cast<int64_t>(s_.ow * pix_bytes);
      i.pix_stride = static_cast<int64_t>(pix_bytes);
      i.out_int4 = out_int4_ ? 1 : 0;
      i.out_binary = out_binary_ ? 1 : 0;
      i.n_bytes = std::min(c, left);
      i.param_base =
          rg.base + run.cls * rg.channels + (channel - rg.first_channel);
      i.out_zp = layer_.quant.out_zp;
      i.act_min = layer_.quant.act_min;
      i.act_max = layer_.quant.act_max;
      if (a16w8_) {
        i.out_zp = 0;
        i.act_min = 0;
        i.act_max = 0;
        i.out_int16 = 1;
        i.hi_off = s_.cout;
        i.bias32 = layer_.bias32 ? 1 : 0;
        i.act_min16 = layer_.quant.act_min;
        i.act_max16 = layer_.quant.act_max;
      }
      ops_[op].need_gemm = st.last_gemm;
      st.store_op = op;
    }
  }
  store_runs_.erase(store_runs_.begin(),
                    store_runs_.begin() + static_cast<std::ptrdiff_t>(n));
}

std::vector<InstrWord> ConvLowering::Emit(uint32_t wgt_addr,
                                          uint32_t param_addr) {
  param_addr_ = param_addr;
  BuildSchedule(wgt_addr);
  const int nblocks = static_cast<int>(blocks_.size());

  // Resident layers: the first block's weights and records, then the
  // first fill; with one PARAM range the records come per N tile behind
  // each tile's first weights (EmitWeights), else range 0 behind the fill.
  // The last GEMM of a step waits for its records, so its STORE finds them.
  param_slice_op_.assign(static_cast<size_t>(s_.groups) * ntiles_, -1);
  // A1W1 border classes multiply the records (ResNet-18 conv5_x on 16x16:
  // 1,008 per range), so range 0 goes behind the first fill and weights,
  // which the first GEMM needs; only the first STORE needs the records
  // (16x16 RTL, conv5_x in A1W1: 63,117 -> 62,687 cycles).
  const bool params_late = resident_ || classes_ > 1;
  if (!params_late) EmitParams(0);
  if (resident_) EmitWeights(0);
  for (size_t p = 0; p < units_[0].pieces.size(); ++p) {
    EmitPiece(0, static_cast<int>(p), -1);
  }
  if (!resident_) EmitWeights(0);
  if (params_late && (!resident_ || range_ntiles_ != 0)) EmitParams(0);
  // Blocks whose weights are loaded ahead of the GEMMs of a block.
  const int ahead = resident_ ? 1 : wgt_slots_ - 1;
  for (int b = 1; b < ahead && b < nblocks; ++b) EmitWeights(b);
  size_t spread_total = 0;  // STORE runs of the previous step to spread
  int step_gemm = 0;        // GEMMs of the current step emitted
  for (int b = 0; b < nblocks; ++b) {
    Block& bl = blocks_[b];
    Unit& unit = units_[bl.unit];
    Step& st = steps_[bl.step];
    for (int t = 0; t < bl.tiles; ++t) {
      // ACT lines of a part's region and its K tiles share the order (tap,
      // line), so line `line` of part p is K tile `tile` of every pixel.
      const int tile = bl.tile0 + t;
      const auto [part, line] = TileOf(unit, tile);
      int64_t region = 0;
      for (int p = 0; p < part; ++p) {
        region += static_cast<int64_t>(unit.rect.pixels()) *
                  PartLines(kparts_[p], unit.nl, unit.cc);
      }
      const int op = NewOp(Opcode::kGemm);
      GemmInstr& i = ops_[op].gemm;
      i.act_base =
          static_cast<int64_t>(unit.half) * act_slot_lines_ + region + line;
      i.act_stride = PartLines(kparts_[part], unit.nl, unit.cc);
      i.m_rows = unit.rect.pixels();
      i.wgt_base = bl.wgt_line +
                   static_cast<int64_t>(t) * tile_lines_;
      i.acc_base = static_cast<int64_t>(st.half) * acc_slot_rows_;
      i.accumulate = (bl.first_of_step && t == 0) ? 0 : 1;
      // N24W8: array rows, two per group of 4 K positions.
      i.k_valid = n24_ ? (KValid(unit, tile) + 1) / 2 : KValid(unit, tile);
      if (a16w8_) i.act_hi = PlaneLines(unit);
      i.n_valid = std::min(nt_, s_.cout_g - bl.j * nt_);
      i.mode = mode_;
      if (t == 0) {
        ops_[op].need_load = std::max(bl.load_op, unit.last_load);
        bl.first_gemm = op;
        if (bl.first_of_step) {
          st.first_gemm = op;
          if (bl.step >= acc_slots_) {
            ops_[op].need_store = steps_[bl.step - acc_slots_].store_op;
          }
        }
        // Prefetch point: right after the block's first GEMM, so the
        // dispatcher reaches these loads while the block computes.
        if (b + ahead < nblocks) {
          const Block& next = blocks_[b + ahead];
          if (next.range != blocks_[b + ahead - 1].range) {
            EmitParams(next.range);
          }
          EmitWeights(b + ahead);
        }
        for (int p : bl.prefetch) {
          const int u = bl.unit + 1;
          EmitPiece(u, p,
                    u >= act_slots_ ? units_[u - act_slots_].last_gemm : -1);
        }
      }
      if (bl.last_of_step && t == bl.tiles - 1) {
        const int slice = resident_ && range_ntiles_ == 0
                              ? param_slice_op_[static_cast<size_t>(unit.g) *
                                                    ntiles_ +
                                                bl.j]
                              : ranges_[bl.range].load_op;
        ops_[op].need_load = std::max(ops_[op].need_load, slice);
      }
      bl.last_gemm = op;
      unit.last_gemm = op;
      st.last_gemm = op;
      // The previous step's STORE runs, spread over this step's GEMMs (all
      // out by its last one, before the step that reuses their ACC region).
      const int k = step_gemm++;
      if (k + 1 < tiles_per_ntile_) {
        const size_t due = CeilDiv(static_cast<int64_t>(spread_total) * (k + 1),
                                   tiles_per_ntile_ - 1);
        EmitStoreRuns(due - (spread_total - store_runs_.size()));
      } else {
        EmitStoreRuns(store_runs_.size());
      }
    }
    if (bl.last_of_step) {
      PlanStores(b);
      // Many STOREs (A1W1 border classes) behind a step's last GEMM would
      // fill the STORE queue and stall the in-order dispatcher until they
      // drain, with the GEMM queue empty; spread over the next step's GEMMs
      // they drain while it computes. A range's last step stores at once
      // when a later range must wait for it (EmitParams).
      const bool spread = classes_ > 1 && b + 1 < nblocks &&
                          !(bl.step == ranges_[bl.range].last_step &&
                            bl.range + 2 < static_cast<int>(ranges_.size()));
      if (!spread) EmitStoreRuns(store_runs_.size());
      spread_total = store_runs_.size();
      step_gemm = 0;
    }
  }

  ResolveTokens(&ops_, Opcode::kGemm, &Op::gemm, &Op::need_gemm);
  if (n24_) {
    // Physical ACT lines: a lowering line is two (the second one zero
    // beyond the segment; LOAD allows one such line).
    for (Op& op : ops_) {
      if (op.kind == Opcode::kLoad &&
          op.load.buf == static_cast<int64_t>(LoadBuf::kAct)) {
        op.load.sram_base *= 2;
        op.load.nl *= 2;
      } else if (op.kind == Opcode::kGemm) {
        op.gemm.act_base *= 2;
        op.gemm.act_stride *= 2;
      }
    }
  }
  std::vector<InstrWord> program;
  program.reserve(ops_.size());
  for (const Op& op : ops_) {
    switch (op.kind) {
      case Opcode::kLoad:
        program.push_back(Encode(op.load));
        break;
      case Opcode::kGemm:
        program.push_back(Encode(op.gemm));
        break;
      case Opcode::kStore:
        program.push_back(Encode(op.store));
        break;
      case Opcode::kSpmv:
        break;
      case Opcode::kDwconv:  // lower_depthwise.cc emits these
        assert(false);
        break;
    }
  }
  return program;
}

SparseConvShape SparseShapeOf(const ConvShape& s) {
  SparseConvShape o;
  o.images = s.images;
  o.h = s.h;
  o.w = s.w;
  o.cin = s.cin;
  o.oh = s.oh;
  o.ow = s.ow;
  o.cout = s.cout;
  o.kh = s.kh;
  o.kw = s.kw;
  o.sh = s.sh;
  o.sw = s.sw;
  o.dh = s.dh;
  o.dw = s.dw;
  o.pad_top = s.pad_top;
  o.pad_left = s.pad_left;
  o.groups = s.groups;
  return o;
}

// `engine: auto` considers the sparse engine only below this weight density,
// and takes it only when its estimate beats the array's by 3/2, so that an
// error of either estimate below a third cannot make the choice slower than
// dense (the bench's sparse table shows the choice next to both engines).
constexpr double kAutoSparseMaxDensity = 0.5;

double WeightDensity(const Layer& layer) {
  const auto& w = layer.weights.data;
  if (w.empty()) return 1.0;
  const auto nz = std::count_if(w.begin(), w.end(),
                                [](int8_t v) { return v != 0; });
  return static_cast<double>(nz) / static_cast<double>(w.size());
}

void CheckHw(const HwConfig& hw) {
  auto pow2 = [](int v) { return v >= 2 && (v & (v - 1)) == 0; };
  // R*8 and C*8 in 64 bits: a config built in code can hold any int.
  if (hw.rows < 1 || hw.cols < 1 || int64_t{hw.rows} * 8 > hw.dram_bits ||
      int64_t{hw.cols} * 8 > hw.dram_bits || !pow2(hw.act_lines) ||
      !pow2(hw.wgt_lines) || !pow2(hw.acc_rows) || !pow2(hw.param_entries) ||
      hw.dram_bits < 128 || hw.act_lines > 65536 || hw.wgt_lines > 65536 ||
      hw.acc_rows > 65536 || hw.param_entries > 65536) {
    throw InputError("hardware " + hw.ToString() +
                     ": expected R*8 and C*8 <= dram_bits (>= 128) and SRAM "
                     "depths that are powers of two in [2, 65536]");
  }
}

class Allocator {
 public:
  explicit Allocator(const HwConfig& hw) : hw_(hw) {}
  uint32_t Take(uint64_t bytes, const std::string& what) {
    const uint64_t addr = (next_ + kAlign - 1) / kAlign * kAlign;
    const uint64_t limit = std::min<uint64_t>(hw_.dram_bytes, 1ull << 32);
    if (!FitsBelow(addr, bytes, limit)) {
      throw InputError(what + " (" + std::to_string(bytes) +
                       " bytes) does not fit the " + std::to_string(limit) +
                       "-byte DRAM after " + std::to_string(addr) +
                       " bytes already placed");
    }
    next_ = addr + bytes;
    return static_cast<uint32_t>(addr);
  }
  uint64_t used() const { return next_; }

 private:
  const HwConfig& hw_;
  uint64_t next_ = 0;
};

}  // namespace

CompiledNetwork Compile(const Network& net, const HwConfig& hw,
                        const CompileOptions& opts) {
  CheckHw(hw);
  CompiledNetwork out;
  std::vector<DwLayerInfo> dw_info(net.layers.size());
  out.hw = hw;
  Allocator dram(hw);
  // A tensor is stored int4 when an a4w4 layer reads it and no other array
  // layer does (host layers read it through the runtime, which unpacks),
  // binary when an a1w1 layer reads it and no other array layer does;
  // `int8_reader` names an array layer that needs it int8, `int4_reader` /
  // `binary_reader` one that needs it int4 / binary.
  std::map<std::string, std::string> int4_reader, binary_reader, int8_reader;
  for (const Layer& layer : net.layers) {
    if (IsHostLayer(layer.kind)) continue;
    for (const std::string& name : layer.inputs) {
      if (layer.precision == Precision::kA4W4) {
        int4_reader.emplace(name, layer.name);
      } else if (layer.precision == Precision::kA1W1) {
        binary_reader.emplace(name, layer.name);
      } else {
        int8_reader.emplace(name, layer.name);
      }
    }
  }
  auto place = [&](const std::string& name, const Shape& shape) {
    TensorPlacement t;
    t.shape = shape;
    t.int4 = int4_reader.count(name) != 0 && int8_reader.count(name) == 0 &&
             binary_reader.count(name) == 0;
    t.binary = binary_reader.count(name) != 0 &&
               int8_reader.count(name) == 0 && int4_reader.count(name) == 0;
    const size_t n = CheckedTensorElements(shape, "tensor '" + name + "'");
    const size_t row = static_cast<size_t>(shape.back());
    const size_t bytes = t.int4     ? Int4RowsBytes(n, row)
                         : t.binary ? BinaryRowsBytes(n, row)
                                    : n;
    t.bytes = static_cast<uint32_t>(bytes);
    t.addr = dram.Take(bytes, "tensor '" + name + "'");
    out.tensors[name] = t;
  };
  place("input", net.input.shape);
  // int16 tensors (as bytes, golden/network.h): the outputs of a16w8 layers
  // and the network input when an a16w8 layer reads it; only a16w8 layers
  // read them, and an a16w8 layer reads nothing else.
  std::map<std::string, std::string> int16_tensors;  // tensor -> a16w8 layer
  for (const Layer& layer : net.layers) {
    if (IsHostLayer(layer.kind) || layer.precision != Precision::kA16W8) {
      continue;
    }
    int16_tensors.emplace(layer.name, layer.name);
    for (const std::string& name : layer.inputs) {
      if (name == "input") int16_tensors.emplace(name, layer.name);
    }
  }
  out.tensors.at("input").int16 = int16_tensors.count("input") != 0;
  for (const Layer& layer : net.layers) {
    if (out.tensors.count(layer.name)) {
      throw InputError(LayerPrefix(layer) + "name is already used");
    }
    CompiledLayer cl;
    cl.name = layer.name;
    cl.kind = layer.kind;
    cl.host = IsHostLayer(layer.kind);
    cl.inputs = layer.inputs;
    cl.precision = layer.precision;
    std::vector<Shape> in_shapes;
    for (const std::string& name : layer.inputs) {
      const auto it = out.tensors.find(name);
      if (it == out.tensors.end()) {
        throw InputError(LayerPrefix(layer) + "input '" + name +
                         "' is neither 'input' nor an earlier layer");
      }
      in_shapes.push_back(it->second.shape);
    }
    const Shape out_shape = InferOutputShape(layer, in_shapes);
    place(layer.name, out_shape);
    out.tensors.at(layer.name).int16 = int16_tensors.count(layer.name) != 0;
    const bool a16w8 =
        !cl.host && layer.precision == Precision::kA16W8;
    for (const std::string& name : layer.inputs) {
      const auto it = int16_tensors.find(name);
      if (a16w8 && it == int16_tensors.end()) {
        throw InputError(LayerPrefix(layer) + "precision a16w8 reads an int16 "
                         "tensor, but '" + name + "' is an int8 tensor "
                         "(expected 'input' or an a16w8 layer's output)");
      }
      if (!a16w8 && it != int16_tensors.end()) {
        throw InputError(LayerPrefix(layer) + "reads '" + name +
                         "', an int16 tensor of a16w8 layer '" + it->second +
                         "' (expected only a16w8 layers to read it)");
      }
    }
    if (!cl.host) {
      try {
        if (layer.kind == LayerKind::kConv && in_shapes[0].size() != 4) {
          throw InputError("conv input must be NHWC, got " +
                           ShapeToString(in_shapes[0]));
        }
        const int32_t in_zp = layer.quant.in_zp;
        if (in_zp < -128 || in_zp > 127) {
          throw InputError("input zero point " + std::to_string(in_zp) +
                           " is outside int8");
        }
        CheckedTensorElements(layer.weights.shape, "weights");
        CheckWeightRange(layer.precision, layer.weights.data, "weights");
        ConvShape s = ConvShapeOf(layer, in_shapes[0], out_shape);
        // A16W8: int16 tensors are held as bytes (the last dimension
        // doubled); the tiling sees int16 elements, each in two byte planes
        // (sw/lower_a16w8.h). An fc over several rows of in_last elements
        // runs as a conv whose pixels are those rows (each row is planar).
        const bool fc_rows = a16w8 && layer.kind == LayerKind::kFc &&
                             s.cin != s.in_last;
        const Layer fc_view =
            fc_rows ? A16W8FcAsConv(layer, s.in_last / 2) : Layer();
        const Layer& lowered = fc_rows ? fc_view : layer;
        if (a16w8) {
          CheckA16W8Taps(layer);
          s.cin /= 2;
          s.cin_g = s.cin / s.groups;
          s.in_last /= 2;
          s.cout /= 2;
          s.cout_g = s.cout / s.groups;
          if (fc_rows) {
            ConvShape v;
            v.images = s.w;
            v.h = 1;
            v.w = s.cin / s.in_last;
            v.cin = v.cin_g = v.in_last = s.in_last;
            v.oh = v.ow = 1;
            v.cout = v.cout_g = s.cout;
            v.kh = 1;
            v.kw = v.w;
            s = v;
          }
          if (layer.engine == LayerEngine::kSparse) {
            throw InputError("engine: sparse is not possible in precision "
                             "a16w8 (the sparse engine reads int8 "
                             "activations)");
          }
        }
        const bool a4w4 = layer.precision == Precision::kA4W4;
        const bool out_int4 = out.tensors.at(layer.name).int4;
        if (a4w4) {
          const std::string& in_name = layer.inputs[0];
          if (!out.tensors.at(in_name).int4) {
            const bool b = binary_reader.count(in_name) != 0;
            throw InputError(
                "precision a4w4 reads its input int4, but '" + in_name +
                "' is also read by array layer '" +
                (b ? binary_reader.at(in_name) : int8_reader.at(in_name)) +
                (b ? "' in binary" : "' in int8") +
                " (expected every array layer reading it in a4w4)");
          }
          if (in_zp < -8 || in_zp > 7) {
            throw InputError("input zero point " + std::to_string(in_zp) +
                             " is outside int4 (expected [-8, 7] for a4w4)");
          }
          if (layer.engine == LayerEngine::kSparse) {
            throw InputError(
                "engine: sparse is not possible in precision a4w4 (the "
                "sparse engine reads int8 activations)");
          }
        }
        const bool a1w1 = layer.precision == Precision::kA1W1;
        const bool out_binary = out.tensors.at(layer.name).binary;
        if (a1w1) {
          const std::string& in_name = layer.inputs[0];
          if (!out.tensors.at(in_name).binary) {
            const bool b = int4_reader.count(in_name) != 0;
            throw InputError(
                "precision a1w1 reads its input binary, but '" + in_name +
                "' is also read by array layer '" +
                (b ? int4_reader.at(in_name) : int8_reader.at(in_name)) +
                (b ? "' in int4" : "' in int8") +
                " (expected every array layer reading it in a1w1)");
          }
          if (in_zp != 0) {
            throw InputError("input zero point " + std::to_string(in_zp) +
                             " in precision a1w1 (expected 0: binary inputs "
                             "are -1 / +1)");
          }
          if (layer.engine == LayerEngine::kSparse) {
            throw InputError(
                "engine: sparse is not possible in precision a1w1 (the "
                "sparse engine reads int8 activations)");
          }
          if (s.groups > 1 && s.cin_g % 8 != 0) {
            throw InputError(
                "a grouped conv in precision a1w1 needs input channels per "
                "group that are a multiple of 8 (got " +
                std::to_string(s.cin_g) + " in " + std::to_string(s.groups) +
                " groups): a group's signs must start on a byte");
          }
        }
        if (out_binary) {
          // The STORE packs whole bytes: every N tile must start on one.
          const int lanes = GemmModeLanes(GemmModeOf(layer.precision));
          const bool one_tile = s.cout_g <= hw.cols;
          if (layer.quant.act_min != -1 || layer.quant.act_max != 1 ||
              (s.groups > 1 && s.cout_g % 8 != 0) ||
              (!one_tile && hw.cols % 8 != 0) || out_int4) {
            throw InputError(
                "the output is read binary by a1w1 layers, which needs the "
                "clamp [-1, 1] (got [" +
                std::to_string(layer.quant.act_min) + ", " +
                std::to_string(layer.quant.act_max) +
                "]), output channels per group that are a multiple of 8 "
                "when grouped (got " + std::to_string(s.cout_g) + " in " +
                std::to_string(s.groups) +
                " groups) and, with more than C = " +
                std::to_string(hw.cols) + " of them per group (" +
                std::to_string(lanes) +
                " lanes), C a multiple of 8 (every STORE starts on a byte)");
          }
        }
        if (out_int4) {
          // The STORE packs whole bytes: every N tile must start on one.
          if (layer.quant.act_min < -8 || layer.quant.act_max > 7 ||
              (s.groups > 1 && s.cout_g % 2 != 0) || hw.cols % 2 != 0) {
            throw InputError(
                "the output is read int4 by a4w4 layers, which needs a clamp "
                "within [-8, 7] (got [" +
                std::to_string(layer.quant.act_min) + ", " +
                std::to_string(layer.quant.act_max) +
                "]) and an even number of output channels per group (got " +
                std::to_string(s.cout_g) + " in " + std::to_string(s.groups) +
                " groups)");
          }
        }
        cl.macs = CheckedLayerMacs({s.images, s.oh, s.ow, s.cout, s.kh, s.kw,
                                    s.cin_g});
        const uint32_t in_addr = out.tensors.at(layer.inputs[0]).addr;
        const uint32_t out_addr = out.tensors.at(layer.name).addr;
        // The depthwise unit and the sparse engine read and write int8.
        const bool array_only =
            a4w4 || out_int4 || a1w1 || out_binary || a16w8;
        if ((out_int4 || out_binary) && layer.engine == LayerEngine::kSparse) {
          throw InputError(std::string("engine: sparse is not possible when ") +
                           (out_int4 ? "a4w4" : "a1w1") +
                           " layers read the output (the sparse engine "
                           "writes int8)");
        }
        // 2:4 on the array (GEMM mode N24W8, N24W4 for a8w4): weights whose
        // aligned groups of 4 input channels hold at most 2 non-zeros each.
        const std::string nm_why =
            layer.precision != Precision::kA8W8 &&
                    layer.precision != Precision::kA8W4
                ? std::string("precision ") + PrecisionName(layer.precision) +
                      " (the array's 2:4 modes take a8w8 and a8w4 layers)"
                : Nm24Violation(layer);
        if (layer.engine == LayerEngine::kNm24 && !nm_why.empty()) {
          throw InputError("engine: nm24 is not possible: " + nm_why);
        }
        if (layer.engine == LayerEngine::kNm24 && !hw.nm24) {
          throw InputError("engine: nm24 needs the array's 2:4 mode, which "
                           "the " + hw.BuildName() +
                           " build does not have (NmSparse = 0)");
        }
        if (!array_only && layer.engine != LayerEngine::kSparse &&
            layer.engine != LayerEngine::kNm24 &&
            UsesDepthwiseUnit(layer, in_shapes[0], out_shape, hw)) {
          // The depthwise unit (sw/lower_depthwise.cc). Depthwise layers are
          // grouped, so the sparse engine never takes them.
          DepthwiseLowering lower(layer, in_shapes[0], out_shape, hw, in_addr,
                                  out_addr);
          const uint32_t wgt = dram.Take(lower.weight_bytes(), "weights");
          out.image[wgt] = lower.PackWeights();
          const uint32_t params = dram.Take(lower.param_bytes(), "params");
          out.image[params] = lower.PackParams();
          cl.program = lower.Emit(wgt, params);
          cl.engine = LayerEngine::kDense;
          dw_info[out.layers.size()] = {true,    in_shapes[0], out_shape,
                                        in_addr, out_addr,     wgt,
                                        params};
        } else {
          // Estimated cycles of the layer on the array (dense or 2:4).
          auto array_cycles = [&](bool n24) {
            ConvLowering trial(lowered, s, hw, in_addr, out_addr, out_int4,
                               out_binary, n24);
            const ProgramStats d = AnalyzeProgram(trial.Emit(0, 0), hw);
            return std::max({d.load_cycles, d.gemm_cycles, d.store_cycles});
          };
          bool n24 = layer.engine == LayerEngine::kNm24;
          uint64_t dense_cycles = 0;
          if (layer.engine == LayerEngine::kAuto && nm_why.empty() &&
              hw.nm24) {
            dense_cycles = array_cycles(false);
            const uint64_t nm_cycles = array_cycles(true);
            n24 = nm_cycles < dense_cycles;
            dense_cycles = std::min(dense_cycles, nm_cycles);
          }
          // Sparse engine or array (docs/sparse.md, "Choosing the engine").
          const SparseConvShape ss = SparseShapeOf(s);
          const std::string why = SparseLowering::Unsupported(layer, ss, hw);
          bool sparse = false;
          if (layer.engine == LayerEngine::kSparse) {
            if (!why.empty()) {
              throw InputError("engine: sparse is not possible: " + why);
            }
            sparse = true;
          } else if (layer.engine == LayerEngine::kAuto && why.empty() &&
                     !array_only &&
                     WeightDensity(layer) <= kAutoSparseMaxDensity) {
            SparseLowering trial(layer, ss, hw, in_addr, out_addr);
            if (dense_cycles == 0) dense_cycles = array_cycles(false);
            sparse = trial.EstimatedCycles() * 3 < dense_cycles * 2;
          }
          if (sparse) {
            SparseLowering sl(layer, ss, hw, in_addr, out_addr);
            const uint32_t wgt = dram.Take(sl.weight_bytes(), "sparse weights");
            out.image[wgt] = sl.PackWeights();
            const uint32_t params = dram.Take(sl.param_bytes(), "params");
            out.image[params] = sl.PackParams();
            cl.program = sl.Emit(wgt, params);
            cl.engine = LayerEngine::kSparse;
          } else {
            ConvLowering dense(lowered, s, hw, in_addr, out_addr, out_int4,
                               out_binary, n24 && !sparse);
            const uint32_t wgt = dram.Take(dense.weight_bytes(), "weights");
            out.image[wgt] = dense.PackWeights();
            const uint32_t params = dram.Take(dense.param_bytes(), "params");
            out.image[params] = dense.PackParams();
            cl.program = dense.Emit(wgt, params);
            cl.engine = n24 ? LayerEngine::kNm24 : LayerEngine::kDense;
          }
        }
      } catch (const std::out_of_range& e) {
        throw InputError(LayerPrefix(layer) + "does not fit the ISA on " +
                         hw.ToString() + ": " + e.what());
      } catch (const InputError& e) {
        throw InputError(LayerPrefix(layer) + e.what());
      }
    }
    out.layers.push_back(std::move(cl));
  }
  out.dram_used = static_cast<uint32_t>(dram.used());
  if (opts.chain) ChainLayers(net, dw_info, &out);
  return out;
}

}  // namespace sparq
