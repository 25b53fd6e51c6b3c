#include "sim/model_dwconv.h"

#include "golden/requant.h"

namespace sparq {

int64_t DwconvOutRows(const DwconvInstr& i) { return (i.in_h - i.kh) / i.sy + 1; }
int64_t DwconvOutCols(const DwconvInstr& i) { return (i.in_w - i.kw) / i.sx + 1; }

void DwconvExecute(const DwconvInstr& i, int rows, int cols, const int8_t* act,
                   const int8_t* wgt, int32_t* acc) {
  constexpr int k = kDwMaxKernel;
  const int64_t oh = DwconvOutRows(i), ow = DwconvOutCols(i);
  for (int64_t oy = 0; oy < oh; ++oy) {
    for (int64_t ox = 0; ox < ow; ++ox) {
      int32_t* out = acc + (i.acc_base + oy * ow + ox) * cols;
      for (int c = 0; c < cols; ++c) out[c] = 0;
      for (int r = 0; r < rows; ++r) {
        const int half = rows / 2;
        int64_t byte = (r >> i.ch_shift) + i.ch_off;
        int32_t sum = 0;
        for (int64_t ky = 0; ky < i.kh; ++ky) {
          for (int64_t kx = 0; kx < i.kw; ++kx) {
            const int64_t gy = oy * i.sy + ky - i.pad_top;
            int64_t gx = ox * i.sx + kx - i.pad_left;
            if (i.pair) {
              // Half-column u of the pair grid: lane half h of output pair
              // ox reads u = 2*ox + h + 1 + kx (docs/architecture.md).
              const int64_t u = 2 * ox + (r >= half) + 1 + kx;
              gx = (u >> 1) - i.pad_left;
              byte = (u & 1) * half + r % half;
            }
            int32_t a = static_cast<int8_t>(static_cast<uint8_t>(i.pad));
            if (gy >= 0 && gy < i.valid_h && gx >= 0 && gx < i.valid_w) {
              const int64_t line = i.act_base + gy * i.act_row + gx * i.act_pix;
              a = act[line * rows + byte];
            }
            // The kernel sits in the bottom-right corner of the K x K box.
            const int64_t tap = (ky + k - i.kh) * k + (kx + k - i.kw);
            sum = WrapAdd(sum,
                          a * int32_t{wgt[(i.wgt_base + tap) * cols + r]});
          }
        }
        out[r] = sum;
      }
    }
  }
}

}  // namespace sparq
