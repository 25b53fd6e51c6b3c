#include "golden/binary.h"

#include <cassert>

namespace sparq {

std::vector<uint64_t> PackSigns(const int8_t* values, int n) {
  std::vector<uint64_t> words(static_cast<size_t>((n + 63) / 64), 0);
  for (int i = 0; i < n; ++i) {
    assert(values[i] == 1 || values[i] == -1);
    if (values[i] > 0)
      words[static_cast<size_t>(i / 64)] |= uint64_t{1} << (i % 64);
  }
  return words;
}

Tensor<int32_t> BinaryConv2dAccXnor(const Tensor<int8_t>& input,
                                    const Tensor<int8_t>& weights,
                                    const ConvGeometry& geom) {
  const int n = input.dim(0), h = input.dim(1), w = input.dim(2),
            cin = input.dim(3);
  const int cout = weights.dim(0), kh = weights.dim(1), kw = weights.dim(2);
  const int cin_g = weights.dim(3);
  const int cout_g = cout / geom.groups;
  const int oh =
      ConvOutSize(h, kh, geom.stride_h, geom.pad_top, geom.pad_bottom,
                  geom.dilation_h);
  const int ow = ConvOutSize(w, kw, geom.stride_w, geom.pad_left,
                             geom.pad_right, geom.dilation_w);
  const int words = (cin_g + 63) / 64;
  // Bits of every (pixel, group) and every (filter, tap), cin_g bits each.
  std::vector<uint64_t> act(static_cast<size_t>(n) * h * w * geom.groups *
                            words);
  for (size_t p = 0; p < static_cast<size_t>(n) * h * w; ++p) {
    for (int g = 0; g < geom.groups; ++g) {
      const auto bits = PackSigns(
          &input.data[p * cin + static_cast<size_t>(g) * cin_g], cin_g);
      std::copy(bits.begin(), bits.end(),
                act.begin() + (p * geom.groups + g) * words);
    }
  }
  std::vector<uint64_t> wgt(static_cast<size_t>(cout) * kh * kw * words);
  for (size_t t = 0; t < static_cast<size_t>(cout) * kh * kw; ++t) {
    const auto bits = PackSigns(&weights.data[t * cin_g], cin_g);
    std::copy(bits.begin(), bits.end(), wgt.begin() + t * words);
  }
  // The last word of each group holds cin_g % 64 valid bits.
  const uint64_t tail_mask =
      cin_g % 64 == 0 ? ~uint64_t{0} : (uint64_t{1} << (cin_g % 64)) - 1;
  Tensor<int32_t> out({n, oh, ow, cout});
  for (int b = 0; b < n; ++b) {
    for (int y = 0; y < oh; ++y) {
      for (int x = 0; x < ow; ++x) {
        for (int o = 0; o < cout; ++o) {
          const int g = o / cout_g;
          int32_t acc = 0;
          for (int ky = 0; ky < kh; ++ky) {
            const int iy =
                y * geom.stride_h - geom.pad_top + ky * geom.dilation_h;
            if (iy < 0 || iy >= h) continue;
            for (int kx = 0; kx < kw; ++kx) {
              const int ix =
                  x * geom.stride_w - geom.pad_left + kx * geom.dilation_w;
              if (ix < 0 || ix >= w) continue;
              const uint64_t* a =
                  &act[((((static_cast<size_t>(b) * h + iy) * w + ix) *
                         geom.groups) +
                        g) *
                       words];
              const uint64_t* k =
                  &wgt[((static_cast<size_t>(o) * kh + ky) * kw + kx) * words];
              int ones = 0;
              for (int i = 0; i < words; ++i) {
                const uint64_t mask = i == words - 1 ? tail_mask : ~uint64_t{0};
                ones += __builtin_popcountll(~(a[i] ^ k[i]) & mask);
              }
              acc += 2 * ones - cin_g;
            }
          }
          out.at(b, y, x, o) = acc;
        }
      }
    }
  }
  return out;
}

}  // namespace sparq
