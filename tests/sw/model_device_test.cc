#include "sim/model_device.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "sw/cost_model.h"
#include "sw/device.h"
#include "sw/isa.h"

namespace sparq {
namespace {

constexpr uint32_t kIdentityAddr = 0x100;  // 4x4 identity weights
constexpr uint32_t kPassAddr = 0x200;      // 4 pass-through PARAM records
constexpr uint32_t kProbeOut = 0x8000;     // probe results
constexpr int kIdentityWgt = 1000;         // WGT line of the identity tile
constexpr int kPassParam = 500;            // PARAM record of the pass-through

HwConfig SmallHw() {
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.dram_bytes = 1 << 20;
  return hw;
}

LoadInstr CopyLoad(LoadBuf buf, uint32_t dram, int sram, int lines,
                   int line_bytes) {
  LoadInstr i;
  i.buf = static_cast<int64_t>(buf);
  i.dram_base = dram;
  i.sram_base = sram;
  i.ny = i.nx = i.kh = i.kw = i.h = i.w = 1;
  i.nl = lines;
  i.seg_bytes = lines * line_bytes;
  return i;
}

std::vector<uint8_t> Record(int32_t bias, int32_t mult, int shift) {
  std::vector<uint8_t> r(16, 0);
  std::memcpy(r.data(), &bias, 4);
  std::memcpy(r.data() + 4, &mult, 4);
  r[8] = static_cast<uint8_t>(static_cast<int8_t>(shift));
  return r;
}

class ModelDeviceTest : public ::testing::Test {
 protected:
  ModelDeviceTest() : hw_(SmallHw()), dev_(MakeModelDevice(hw_)) {
    std::vector<int8_t> id(16, 0);
    for (int r = 0; r < 4; ++r) id[r * 4 + r] = 1;
    Write(kIdentityAddr, id);
    // multiplier 2^30 with shift 1 is exactly x1: SRDHM(2x, 2^30) = x.
    for (int c = 0; c < 4; ++c) {
      const std::vector<uint8_t> rec = Record(0, 1 << 30, 1);
      dev_->WriteDram(kPassAddr + 16 * c, rec.data(), rec.size());
    }
  }

  void Write(uint32_t addr, const std::vector<int8_t>& bytes) {
    dev_->WriteDram(addr, reinterpret_cast<const uint8_t*>(bytes.data()),
                    bytes.size());
  }
  std::vector<int8_t> Read(uint32_t addr, size_t n) {
    std::vector<int8_t> out(n);
    dev_->ReadDram(addr, reinterpret_cast<uint8_t*>(out.data()), n);
    return out;
  }

  // Runs `loads` (which push no tokens), then reads ACT lines
  // [first, first + n) back through an identity GEMM and a pass-through
  // STORE, so every byte of those lines appears in DRAM as one int8.
  std::vector<int8_t> LoadAndProbe(const std::vector<LoadInstr>& loads,
                                   int first, int n) {
    std::vector<InstrWord> prog;
    for (const LoadInstr& l : loads) prog.push_back(Encode(l));
    prog.push_back(
        Encode(CopyLoad(LoadBuf::kWgt, kIdentityAddr, kIdentityWgt, 4, 4)));
    LoadInstr params = CopyLoad(LoadBuf::kParam, kPassAddr, kPassParam, 4, 16);
    params.push_next = 1;
    prog.push_back(Encode(params));
    GemmInstr g;
    g.act_base = first;
    g.act_stride = 1;
    g.m_rows = n;
    g.wgt_base = kIdentityWgt;
    g.k_valid = g.n_valid = 4;
    g.pop_prev = g.push_next = 1;
    prog.push_back(Encode(g));
    StoreInstr s;
    s.dram_base = kProbeOut;
    s.ny = 1;
    s.nx = n;
    s.pix_stride = 4;
    s.n_bytes = 4;
    s.param_base = kPassParam;
    s.act_min = -128;
    s.act_max = 127;
    s.pop_prev = 1;
    prog.push_back(Encode(s));
    dev_->Submit(prog);
    dev_->RunToIdle();
    return Read(kProbeOut, static_cast<size_t>(n) * 4);
  }

  // Expects RunToIdle to fail with a message containing every fragment.
  void ExpectRejected(const std::vector<InstrWord>& prog,
                      const std::vector<std::string>& fragments) {
    dev_->Submit(prog);
    try {
      dev_->RunToIdle();
      ADD_FAILURE() << "program accepted:\n" << Disassemble(prog);
    } catch (const DeviceError& e) {
      const std::string m = e.what();
      for (const std::string& f : fragments) {
        EXPECT_NE(m.find(f), std::string::npos)
            << "'" << f << "' not in: " << m;
      }
    }
  }

  HwConfig hw_;
  std::unique_ptr<Device> dev_;
};

// A 3x3 DWCONV over a 3x3 grid held in ACT lines 0..8.
DwconvInstr SmallDwconv() {
  DwconvInstr d;
  d.act_row = 3;
  d.act_pix = 1;
  d.in_h = d.in_w = 3;
  d.valid_h = d.valid_w = 3;
  d.kh = d.kw = 3;
  d.sy = d.sx = 1;
  d.n_valid = 4;
  d.act_last = 8;
  return d;
}

TEST_F(ModelDeviceTest, RejectsAReverseWalkWithWrongLastLines) {
  DwconvInstr d = SmallDwconv();
  d.rev = 1;
  d.act_last = 7;
  ExpectRejected({Encode(d)}, {"rev: act_last = 7", "must be 8 and 0"});
}

TEST_F(ModelDeviceTest, RejectsAPrefetchedBoxNobodyRead) {
  DwconvInstr d = SmallDwconv();
  d.pre = 1;
  d.wgt_base = 9;
  ExpectRejected({Encode(d)}, {"pre:", "WGT line 9"});
}

TEST_F(ModelDeviceTest, RejectsAPrefetchLongerThanTheWalk) {
  DwconvInstr d = SmallDwconv();
  d.pf = 1;
  d.wgt_next = 9;
  ExpectRejected({Encode(d)}, {"pf: the walk takes", "the box reads 18"});
}

TEST_F(ModelDeviceTest, PlainCopyZeroFillsBeyondSegBytes) {
  std::vector<int8_t> junk(12, 0x55), data(12);
  for (int i = 0; i < 12; ++i) data[i] = static_cast<int8_t>(i + 1);
  Write(0x1000, junk);
  Write(0x2000, data);
  LoadInstr fill = CopyLoad(LoadBuf::kAct, 0x1000, 10, 3, 4);
  LoadInstr load = CopyLoad(LoadBuf::kAct, 0x2000, 10, 3, 4);
  load.seg_bytes = 10;
  const std::vector<int8_t> got = LoadAndProbe({fill, load}, 10, 3);
  EXPECT_EQ(got, (std::vector<int8_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0}));
}

// 3x3x2 image, value 10*h + 3*w + c + 1; a 3x3 gather of two output pixels
// with x stride 2 starting at (-1, -1): out-of-bounds taps are the pad byte
// on the valid bytes and zero beyond.
TEST_F(ModelDeviceTest, Im2colGatherPadsAndStrides) {
  auto val = [](int h, int w, int c) { return 10 * h + 3 * w + c + 1; };
  std::vector<int8_t> img(18);
  for (int h = 0; h < 3; ++h)
    for (int w = 0; w < 3; ++w)
      for (int c = 0; c < 2; ++c) img[(h * 3 + w) * 2 + c] = val(h, w, c);
  Write(0x3000, img);
  LoadInstr i;
  i.buf = 0;
  i.dram_base = 0x3000;
  i.sram_base = 40;
  i.ny = 1;
  i.nx = 2;
  i.kh = i.kw = 3;
  i.nl = 1;
  i.iy0 = i.ix0 = -1;
  i.sy = 1;
  i.sx = 2;
  i.dy = i.dx = 1;
  i.h = i.w = 3;
  i.pix_stride = 2;
  i.seg_bytes = 2;
  i.pad = 0xF6;  // -10
  const std::vector<int8_t> got = LoadAndProbe({i}, 40, 18);
  std::vector<int8_t> want;
  for (int x = 0; x < 2; ++x) {
    for (int ky = 0; ky < 3; ++ky) {
      for (int kx = 0; kx < 3; ++kx) {
        const int ih = -1 + ky, iw = -1 + 2 * x + kx;
        const bool in = ih >= 0 && ih < 3 && iw >= 0 && iw < 3;
        want.push_back(static_cast<int8_t>(in ? val(ih, iw, 0) : -10));
        want.push_back(static_cast<int8_t>(in ? val(ih, iw, 1) : -10));
        want.push_back(0);
        want.push_back(0);
      }
    }
  }
  EXPECT_EQ(got, want);
}

TEST_F(ModelDeviceTest, DilationAndRowStride) {
  std::vector<int8_t> img(9);
  for (int p = 0; p < 9; ++p) img[p] = static_cast<int8_t>(p + 1);  // 3x3x1
  Write(0x3000, img);
  LoadInstr i;
  i.buf = 0;
  i.dram_base = 0x3000;
  i.ny = 2;
  i.nx = 1;
  i.kh = i.kw = 2;
  i.nl = 1;
  i.sy = 1;
  i.dy = i.dx = 2;
  i.h = 3;
  i.w = 3;
  i.pix_stride = 1;
  i.seg_bytes = 1;
  i.pad = 0x7F;
  // y=0: taps (0,0) (0,2) (2,0) (2,2); y=1: rows 1 and 3 (out of bounds).
  const std::vector<int8_t> got = LoadAndProbe({i}, 0, 8);
  EXPECT_EQ(got, (std::vector<int8_t>{1, 0, 0,   0, 3, 0, 0,   0, 7, 0, 0,
                                      0, 9, 0,   0, 0, 4, 0,   0, 0, 6, 0,
                                      0, 0, 127, 0, 0, 0, 127, 0, 0, 0}));
}

// Five channels in two lines per tap: the second line holds one valid byte,
// also when the pixel is padding.
TEST_F(ModelDeviceTest, PartialLinesOfATapSegment) {
  std::vector<int8_t> img(10);
  for (int b = 0; b < 10; ++b) img[b] = static_cast<int8_t>(b + 1);  // 1x2x5
  Write(0x3000, img);
  LoadInstr i;
  i.buf = 0;
  i.dram_base = 0x3000;
  i.ny = 1;
  i.nx = 3;
  i.kh = i.kw = 1;
  i.nl = 2;
  i.sx = 1;
  i.h = 1;
  i.w = 2;
  i.pix_stride = 5;
  i.seg_bytes = 5;
  i.pad = 0xFE;
  const std::vector<int8_t> got = LoadAndProbe({i}, 0, 6);
  EXPECT_EQ(got,
            (std::vector<int8_t>{1,  2, 3, 4, 5,  0,  0,  0,  6,  7, 8, 9,
                                 10, 0, 0, 0, -2, -2, -2, -2, -2, 0, 0, 0}));
}

// The gather of Im2colGatherPadsAndStrides, dense: each pixel's nine
// two-byte taps are packed into 18 bytes of its five 4-byte lines, the last
// two bytes zero.
TEST_F(ModelDeviceTest, DenseGatherPacksTapsBackToBack) {
  std::vector<int8_t> img(18);
  for (int b = 0; b < 18; ++b) img[b] = static_cast<int8_t>(b + 1);  // 3x3x2
  Write(0x3000, img);
  LoadInstr i;
  i.buf = 0;
  i.dram_base = 0x3000;
  i.sram_base = 40;
  i.ny = 1;
  i.nx = 2;
  i.kh = i.kw = 3;
  i.nl = 5;
  i.iy0 = i.ix0 = -1;
  i.sy = 1;
  i.sx = 2;
  i.dy = i.dx = 1;
  i.h = i.w = 3;
  i.pix_stride = 2;
  i.seg_bytes = 2;
  i.pad = 0xF6;  // -10
  i.dense = 1;
  const std::vector<int8_t> got = LoadAndProbe({i}, 40, 10);
  // Pixel 0 is centred on input (0, 0), pixel 1 on (0, 2).
  EXPECT_EQ(got, (std::vector<int8_t>{
                     -10, -10, -10, -10, -10, -10,  // ky = 0: row -1
                     -10, -10, 1,   2,   3,   4,    // ky = 1: row 0
                     -10, -10, 7,   8,   9,   10,   // ky = 2: row 1
                     0,   0,                        // line 5 tail
                     -10, -10, -10, -10, -10, -10,  // pixel 1, row -1
                     3,   4,   5,   6,   -10, -10,  // row 0: columns 1, 2, 3
                     9,   10,  11,  12,  -10, -10,  // row 1
                     0,   0}));
  // nl must match the packed taps exactly.
  i.nl = 6;
  ExpectRejected({Encode(i)}, {"kh * kw * seg_bytes = 18", "nl = 6"});
}

TEST_F(ModelDeviceTest, GemmOverwritesThenAccumulates) {
  // ACT lines 0..5 and one weight tile. A first GEMM leaves stale values in
  // ACC rows 7..9; then rows {0, 2, 4} overwrite them and rows {1, 3, 5}
  // accumulate (act_stride 2).
  std::vector<int8_t> act(24), wgt(16);
  for (int b = 0; b < 24; ++b) act[b] = static_cast<int8_t>((b * 7) % 23 - 11);
  for (int b = 0; b < 16; ++b) wgt[b] = static_cast<int8_t>((b * 5) % 9 - 4);
  Write(0x1000, act);
  Write(0x1100, wgt);
  LoadInstr lw = CopyLoad(LoadBuf::kWgt, 0x1100, 0, 4, 4);
  lw.push_next = 1;
  GemmInstr stale;
  stale.act_base = 1;
  stale.act_stride = 2;
  stale.m_rows = 3;
  stale.acc_base = 7;
  stale.pop_prev = 1;
  GemmInstr overwrite = stale;
  overwrite.act_base = 0;
  overwrite.pop_prev = 0;
  GemmInstr accumulate = stale;
  accumulate.accumulate = 1;
  accumulate.pop_prev = 0;
  accumulate.push_next = 1;
  StoreInstr s;
  s.acc_base = 7;
  s.dram_base = 0x5000;
  s.ny = 1;
  s.nx = 3;
  s.pix_stride = 4;
  s.n_bytes = 4;
  s.param_base = kPassParam;
  s.act_min = -128;
  s.act_max = 127;
  s.pop_prev = 1;
  dev_->Submit({Encode(CopyLoad(LoadBuf::kAct, 0x1000, 0, 6, 4)),
                Encode(CopyLoad(LoadBuf::kParam, kPassAddr, kPassParam, 4, 16)),
                Encode(lw), Encode(stale), Encode(overwrite),
                Encode(accumulate), Encode(s)});
  dev_->RunToIdle();
  std::vector<int8_t> want;
  for (int m = 0; m < 3; ++m) {
    for (int c = 0; c < 4; ++c) {
      int sum = 0;
      for (int r = 0; r < 4; ++r) {
        sum +=
            (act[(2 * m) * 4 + r] + act[(2 * m + 1) * 4 + r]) * wgt[r * 4 + c];
      }
      want.push_back(static_cast<int8_t>(std::max(-128, std::min(127, sum))));
    }
  }
  EXPECT_EQ(Read(0x5000, 12), want);
}

// Per-channel bias, multiplier and shift, output zero point, clamp, partial
// n_bytes and pixel / row strides; bytes not addressed stay untouched.
TEST_F(ModelDeviceTest, StoreRequantizesPerChannel) {
  // ACC rows = ACT lines through identity weights.
  const std::vector<int8_t> act = {10, -4, 8,  1, -60, 50,  -32, 2,
                                   90, 3,  64, 3, -6,  -70, 0,   4};
  Write(0x1000, act);
  const int32_t bias[4] = {0, 10, -2, 100};
  const int shift[4] = {1, 2, 0, 1};  // x1, x2, x0.5 (even inputs), M0 = 0
  for (int c = 0; c < 4; ++c) {
    const std::vector<uint8_t> rec =
        Record(bias[c], c == 3 ? 0 : 1 << 30, shift[c]);
    dev_->WriteDram(0x1200 + 16 * c, rec.data(), 16);
  }
  Write(0x6000, std::vector<int8_t>(100, 0x77));
  LoadInstr la = CopyLoad(LoadBuf::kAct, 0x1000, 0, 4, 4);
  LoadInstr lw = CopyLoad(LoadBuf::kWgt, kIdentityAddr, 0, 4, 4);
  LoadInstr lp = CopyLoad(LoadBuf::kParam, 0x1200, 3, 4, 16);
  lp.push_next = 1;
  GemmInstr g;
  g.m_rows = 4;
  g.act_stride = 1;
  g.acc_base = 100;
  g.pop_prev = g.push_next = 1;
  StoreInstr s;
  s.acc_base = 100;
  s.dram_base = 0x6000 + 1;
  s.ny = 2;
  s.nx = 2;
  s.row_stride = 40;
  s.pix_stride = 8;
  s.n_bytes = 3;
  s.param_base = 3;
  s.out_zp = 5;
  s.act_min = -20;
  s.act_max = 100;
  s.pop_prev = 1;
  dev_->Submit({Encode(la), Encode(lw), Encode(lp), Encode(g), Encode(s)});
  dev_->RunToIdle();
  auto requant = [&](int a, int c) {
    const int v = a + bias[c];
    const int scaled = c == 0 ? v : c == 1 ? 2 * v : c == 2 ? v / 2 : 0;
    return std::max(-20, std::min(100, scaled + 5));
  };
  std::vector<int8_t> want(100, 0x77);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 2; ++x) {
      for (int c = 0; c < 3; ++c) {
        want[1 + y * 40 + x * 8 + c] =
            static_cast<int8_t>(requant(act[(y * 2 + x) * 4 + c], c));
      }
    }
  }
  EXPECT_EQ(Read(0x6000, 100), want);
  // Hand-checked: x1 (90 + 5), clamp low (-60 + 5), x2 clamped high
  // ((50 + 10) * 2 + 5), x0.5 ((64 - 2) / 2 + 5).
  EXPECT_EQ(want[1 + 40], 95);
  EXPECT_EQ(want[1 + 8], -20);
  EXPECT_EQ(want[1 + 8 + 1], 100);
  EXPECT_EQ(want[1 + 40 + 2], 36);
}

TEST_F(ModelDeviceTest, AccumulatorWrapsInTwosComplement) {
  // Each GEMM adds 4 * (-128 * -128) = 2^16 per column; 2^15 of them reach
  // 2^31, which wraps to -2^31. Bias INT32_MAX then gives -1.
  Write(0x1000, std::vector<int8_t>(4, -128));
  Write(0x1100, std::vector<int8_t>(16, -128));
  const std::vector<uint8_t> rec = Record(INT32_MAX, 1 << 30, 1);
  for (int c = 0; c < 4; ++c) dev_->WriteDram(0x1200 + 16 * c, rec.data(), 16);
  LoadInstr lp = CopyLoad(LoadBuf::kParam, 0x1200, 0, 4, 16);
  lp.push_next = 1;
  std::vector<InstrWord> prog = {
      Encode(CopyLoad(LoadBuf::kAct, 0x1000, 0, 1, 4)),
      Encode(CopyLoad(LoadBuf::kWgt, 0x1100, 0, 4, 4)), Encode(lp)};
  for (int n = 0; n < (1 << 15); ++n) {
    GemmInstr g;
    g.m_rows = 1;
    g.accumulate = n > 0;
    g.pop_prev = n == 0;
    g.push_next = n == (1 << 15) - 1;
    prog.push_back(Encode(g));
  }
  StoreInstr s;
  s.dram_base = 0x5000;
  s.ny = s.nx = 1;
  s.n_bytes = 4;
  s.act_min = -128;
  s.act_max = 127;
  s.pop_prev = 1;
  prog.push_back(Encode(s));
  dev_->Submit(prog);
  dev_->RunToIdle();
  EXPECT_EQ(Read(0x5000, 4), (std::vector<int8_t>{-1, -1, -1, -1}));
}

TEST_F(ModelDeviceTest, CountsRowsAndMacs) {
  LoadInstr l = CopyLoad(LoadBuf::kAct, 0, 0, 8, 4);
  l.push_next = 1;
  GemmInstr g1;
  g1.m_rows = 5;
  g1.act_stride = 1;
  g1.k_valid = 3;
  g1.n_valid = 2;
  g1.pop_prev = 1;
  GemmInstr g2 = g1;
  g2.m_rows = 7;
  g2.pop_prev = 0;
  const PerfCounters before = dev_->ReadCounters();
  dev_->Submit({Encode(l), Encode(g1), Encode(g2)});
  dev_->RunToIdle();
  const PerfCounters d = dev_->ReadCounters() - before;
  EXPECT_EQ(d[kCtrInstrs], 3u);
  EXPECT_EQ(d[kCtrArrayBusy], 12u);
  EXPECT_EQ(d[kCtrMacsIssued], 12u * 16u);
  EXPECT_EQ(d[kCtrUsefulMacs], 12u * 6u);
  EXPECT_GT(d[kCtrCycles], d[kCtrArrayBusy]);
  EXPECT_EQ(d[kCtrStallLoadDram], 0u);
}

// Two loads and two GEMMs on separate buffers: when the second load waits
// for the first GEMM (a needless token) the estimate must be longer than
// when it overlaps, and the overlap shows as less time than the sum of the
// busy cycles.
TEST_F(ModelDeviceTest, CycleEstimateRewardsOverlap) {
  auto run = [&](bool serialize) {
    LoadInstr l0 = CopyLoad(LoadBuf::kAct, 0, 0, 1000, 4);
    l0.push_next = 1;
    GemmInstr g0;
    g0.m_rows = 1000;
    g0.act_stride = 1;
    g0.pop_prev = 1;
    g0.push_prev = serialize;
    LoadInstr l1 = CopyLoad(LoadBuf::kAct, 0, 4000, 1000, 4);
    l1.pop_next = serialize;
    l1.push_next = 1;
    GemmInstr g1 = g0;
    g1.act_base = 4000;
    g1.push_prev = 0;
    const PerfCounters before = dev_->ReadCounters();
    dev_->Submit({Encode(l0), Encode(g0), Encode(l1), Encode(g1)});
    dev_->RunToIdle();
    return (dev_->ReadCounters() - before)[kCtrCycles];
  };
  const uint64_t overlapped = run(false);
  const uint64_t serial = run(true);
  EXPECT_GT(serial, overlapped + 900);
  EXPECT_LT(overlapped, 2u * (1000u + kLoadSetupCycles) + 2u * 1000u);
}

TEST_F(ModelDeviceTest, RejectsPoppingAnEmptyCounter) {
  GemmInstr g;
  g.m_rows = 1;
  g.pop_prev = 1;
  ExpectRejected({Encode(g)}, {"instruction 0", "GEMM", "l2c", "empty"});
  StoreInstr s;
  s.ny = s.nx = 1;
  s.pop_prev = 1;
  ExpectRejected({Encode(s)}, {"instruction 0", "STORE", "c2s"});
  LoadInstr l = CopyLoad(LoadBuf::kAct, 0, 0, 1, 4);
  l.pop_next = 1;
  ExpectRejected({Encode(l)}, {"c2l"});
  GemmInstr g2;
  g2.m_rows = 1;
  g2.pop_next = 1;
  ExpectRejected({Encode(CopyLoad(LoadBuf::kAct, 0, 0, 1, 4)), Encode(g2)},
                 {"instruction 1", "s2c"});
}

TEST_F(ModelDeviceTest, RejectsTokensLeftAtTheEnd) {
  LoadInstr l = CopyLoad(LoadBuf::kAct, 0, 0, 1, 4);
  l.push_next = 1;
  ExpectRejected({Encode(l)}, {"l2c", "left"});
  // The failed program leaves nothing behind: the next one runs.
  GemmInstr g;
  g.m_rows = 1;
  dev_->Submit({Encode(g)});
  EXPECT_NO_THROW(dev_->RunToIdle());
}

TEST_F(ModelDeviceTest, RejectsFlagsThatDoNotApply) {
  LoadInstr l = CopyLoad(LoadBuf::kAct, 0, 0, 1, 4);
  l.pop_prev = 1;
  ExpectRejected({Encode(l)}, {"LOAD", "pop_prev does not apply"});
  l.pop_prev = 0;
  l.push_prev = 1;
  ExpectRejected({Encode(l)}, {"push_prev does not apply"});
  StoreInstr s;
  s.ny = s.nx = 1;
  s.push_next = 1;
  ExpectRejected({Encode(s)}, {"STORE", "push_next does not apply"});
  s.push_next = 0;
  s.pop_next = 1;
  ExpectRejected({Encode(s)}, {"pop_next does not apply"});
}

TEST_F(ModelDeviceTest, RejectsAddressesOutsideTheMemories) {
  GemmInstr g;
  g.m_rows = 10;
  g.acc_base = hw_.acc_rows - 9;
  ExpectRejected({Encode(g)}, {"ACC rows"});
  g.acc_base = 0;
  g.act_stride = 1000;
  ExpectRejected({Encode(g)}, {"ACT line of the last row"});
  g.act_stride = 1;
  g.wgt_base = hw_.wgt_lines - 3;
  ExpectRejected({Encode(g)}, {"WGT lines"});
  ExpectRejected({Encode(CopyLoad(LoadBuf::kAct, 0, hw_.act_lines - 2, 3, 4))},
                 {"ACT lines"});
  ExpectRejected(
      {Encode(CopyLoad(LoadBuf::kParam, 0, hw_.param_entries, 1, 16))},
      {"PARAM records"});
  ExpectRejected({Encode(CopyLoad(LoadBuf::kWgt, (1 << 20) - 8, 0, 4, 4))},
                 {"instruction 0", "reads DRAM", "outside"});
  StoreInstr s;
  s.ny = s.nx = 1;
  s.n_bytes = 4;
  s.dram_base = (1 << 20) - 2;
  ExpectRejected({Encode(s)}, {"writes DRAM", "outside"});
  s.dram_base = 0;
  s.ny = 2;
  s.nx = 600;
  ExpectRejected({Encode(s)}, {"ACC rows"});
  EXPECT_THROW(dev_->WriteDram((1 << 20) - 1, nullptr, 2), DeviceError);
  uint8_t b[2];
  EXPECT_THROW(dev_->ReadDram((1 << 20) - 1, b, 2), DeviceError);
}

TEST_F(ModelDeviceTest, RejectsBadCountsAndFields) {
  GemmInstr g;
  g.m_rows = 0;
  ExpectRejected({Encode(g)}, {"m_rows = 0"});
  g.m_rows = 1;
  g.k_valid = 5;
  ExpectRejected({Encode(g)}, {"k_valid = 5"});
  StoreInstr s;
  s.ny = s.nx = 1;
  s.n_bytes = 5;
  ExpectRejected({Encode(s)}, {"n_bytes = 5", "C = 4"});
  // Only the last line may lie wholly beyond seg_bytes (N24W8 line pairs).
  LoadInstr l = CopyLoad(LoadBuf::kAct, 0, 0, 3, 4);
  l.seg_bytes = 4;
  ExpectRejected({Encode(l)}, {"seg_bytes = 4"});
  l = CopyLoad(LoadBuf::kAct, 0, 0, 1, 4);
  l.kh = 0;
  ExpectRejected({Encode(l)}, {"kh = 0"});
  l.kh = 1;
  l.buf = 3;
  ExpectRejected({Encode(l)}, {"buf = 3"});
  InstrWord bad{};
  SetBits(&bad, 0, 3, 7);
  g.k_valid = 4;
  ExpectRejected({Encode(g), bad}, {"instruction 1", "unknown opcode 7"});
}

TEST_F(ModelDeviceTest, RejectsInvalidRequantRecords) {
  const std::vector<uint8_t> rec = Record(0, 1 << 30, 40);
  dev_->WriteDram(0x1200, rec.data(), 16);
  LoadInstr lp = CopyLoad(LoadBuf::kParam, 0x1200, 0, 1, 16);
  lp.push_next = 1;
  GemmInstr g;
  g.m_rows = 1;
  g.pop_prev = g.push_next = 1;
  StoreInstr s;
  s.ny = s.nx = 1;
  s.n_bytes = 1;
  s.pop_prev = 1;
  ExpectRejected({Encode(lp), Encode(g), Encode(s)},
                 {"instruction 2", "PARAM record 0", "shift 40"});
}

// Valid in program order, but on the concurrent engines the second LOAD
// may overwrite ACT lines the GEMM is still reading: nothing orders them.
TEST_F(ModelDeviceTest, RejectsAccessesNoTokenOrders) {
  LoadInstr l = CopyLoad(LoadBuf::kAct, 0, 0, 4, 4);
  l.push_next = 1;
  GemmInstr g;
  g.m_rows = 4;
  g.act_stride = 1;
  g.pop_prev = 1;
  ExpectRejected(
      {Encode(l), Encode(g), Encode(CopyLoad(LoadBuf::kAct, 0, 2, 1, 4))},
      {"instruction 2", "races with instruction 1 (GEMM)", "reads ACT line 2"});
  // The same with the GEMM handing the buffer back is fine.
  g.push_prev = 1;
  LoadInstr again = CopyLoad(LoadBuf::kAct, 0, 2, 1, 4);
  again.pop_next = 1;
  dev_->Submit({Encode(l), Encode(g), Encode(again)});
  EXPECT_NO_THROW(dev_->RunToIdle());

  // A STORE reading ACC rows the GEMM writes, without a c2s token.
  g.push_prev = 0;
  StoreInstr s;
  s.ny = 1;
  s.nx = 2;
  s.n_bytes = 4;
  ExpectRejected(
      {Encode(l), Encode(g), Encode(s)},
      {"instruction 2", "races with instruction 1 (GEMM)", "writes ACC row 0"});
  // Through a chain (LOAD -> GEMM -> STORE) the STORE may read PARAM.
  LoadInstr lp = CopyLoad(LoadBuf::kParam, kPassAddr, 0, 4, 16);
  lp.push_next = 1;
  g.pop_prev = 1;
  g.push_next = 1;
  s.pop_prev = 1;
  dev_->Submit({Encode(lp), Encode(g), Encode(s)});
  EXPECT_NO_THROW(dev_->RunToIdle());
  // Without the race check the racy program runs (program-order semantics).
  ModelOptions no_race_check;
  no_race_check.check_races = false;
  std::unique_ptr<Device> lax = MakeModelDevice(hw_, no_race_check);
  g.pop_prev = 1;
  g.push_next = 0;
  lax->Submit(
      {Encode(l), Encode(g), Encode(CopyLoad(LoadBuf::kAct, 0, 2, 1, 4))});
  EXPECT_NO_THROW(lax->RunToIdle());
}

}  // namespace
}  // namespace sparq
