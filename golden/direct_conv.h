// The direct (nested-loop) convolution that every integer conv reference in
// golden/ shares: output pixels in NHWC order, grouped channels, stride,
// dilation and padding as in ConvGeometry, padded taps skipped. The caller
// supplies the accumulator's start value per output channel and the
// product of one input and one weight, in an unsigned accumulator type so
// that wrap-around is well defined. Internal to golden/.

#ifndef SPARQ_GOLDEN_DIRECT_CONV_H_
#define SPARQ_GOLDEN_DIRECT_CONV_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "golden/layers.h"
#include "golden/tensor.h"

namespace sparq {

// out must already have the conv's output shape (Conv2dOutputShape). U is
// unsigned; start(o) gives channel o's initial sum, product(x, w) one term.
template <typename U, typename In, typename Out, typename Start,
          typename Product>
void DirectConv(const Tensor<In>& input, const Tensor<int8_t>& weights,
                const ConvGeometry& geom, Tensor<Out>& out, Start start,
                Product product) {
  const int cout = weights.dim(0);
  const int batches = input.dim(0), in_h = input.dim(1), in_w = input.dim(2);
  const int cin = input.dim(3);
  const int kh = weights.dim(1), kw = weights.dim(2), cin_g = weights.dim(3);
  const int cout_g = cout / geom.groups;
  const int out_h = out.dim(1), out_w = out.dim(2);

  std::vector<U> acc(static_cast<size_t>(cout));
  Out* dst = out.data.data();
  for (int n = 0; n < batches; ++n) {
    for (int oh = 0; oh < out_h; ++oh) {
      for (int ow = 0; ow < out_w; ++ow) {
        for (int o = 0; o < cout; ++o) acc[o] = start(o);
        for (int ky = 0; ky < kh; ++ky) {
          const int ih =
              oh * geom.stride_h - geom.pad_top + ky * geom.dilation_h;
          if (ih < 0 || ih >= in_h) continue;
          for (int kx = 0; kx < kw; ++kx) {
            const int iw =
                ow * geom.stride_w - geom.pad_left + kx * geom.dilation_w;
            if (iw < 0 || iw >= in_w) continue;
            const In* px =
                &input.data[((static_cast<size_t>(n) * in_h + ih) * in_w + iw) *
                            cin];
            for (int o = 0; o < cout; ++o) {
              const In* x = px + (o / cout_g) * cin_g;
              const int8_t* w =
                  &weights.data[((static_cast<size_t>(o) * kh + ky) * kw + kx) *
                                cin_g];
              U s = 0;
              for (int i = 0; i < cin_g; ++i) s += product(x[i], w[i]);
              acc[o] += s;
            }
          }
        }
        for (int o = 0; o < cout; ++o) *dst++ = static_cast<Out>(acc[o]);
      }
    }
  }
}

}  // namespace sparq

#endif  // SPARQ_GOLDEN_DIRECT_CONV_H_
