#include "golden/layers.h"

#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "golden/direct_conv.h"
#include "golden/errors.h"
#include "golden/requant.h"

namespace sparq {
namespace {

std::string Str(int v) { return std::to_string(v); }

void CheckGeometry(const ConvGeometry& g) {
  if (g.stride_h < 1 || g.stride_w < 1) {
    throw InputError("stride must be >= 1, got " + Str(g.stride_h) + "x" +
                     Str(g.stride_w));
  }
  if (g.dilation_h < 1 || g.dilation_w < 1) {
    throw InputError("dilation must be >= 1, got " + Str(g.dilation_h) + "x" +
                     Str(g.dilation_w));
  }
  if (g.pad_top < 0 || g.pad_bottom < 0 || g.pad_left < 0 || g.pad_right < 0) {
    throw InputError("padding must be >= 0");
  }
  if (g.groups < 1)
    throw InputError("groups must be >= 1, got " + Str(g.groups));
}

void CheckBias(const std::vector<int32_t>& bias, int channels) {
  if (!bias.empty() && static_cast<int>(bias.size()) != channels) {
    throw InputError("bias has " + std::to_string(bias.size()) +
                     " entries but the layer has " + Str(channels) +
                     " output channels");
  }
}

int32_t BiasAt(const std::vector<int32_t>& bias, int o) {
  return bias.empty() ? 0 : bias[static_cast<size_t>(o)];
}

}  // namespace

int ConvOutSize(int in, int k, int stride, int pad_before, int pad_after,
                int dilation) {
  const int span = dilation * (k - 1) + 1;
  const int padded = in + pad_before + pad_after;
  if (padded < span) return 0;
  return (padded - span) / stride + 1;
}

Shape Conv2dOutputShape(const Shape& input, const Shape& weights,
                        const ConvGeometry& geom) {
  CheckGeometry(geom);
  if (input.size() != 4) {
    throw InputError("input must be NHWC (rank 4), got " +
                     ShapeToString(input));
  }
  if (weights.size() != 4) {
    throw InputError("weights must be OHWI (rank 4), got " +
                     ShapeToString(weights));
  }
  const int cin = input[3];
  const int cout = weights[0];
  if (cin % geom.groups != 0 || cin / geom.groups != weights[3]) {
    throw InputError("input has " + Str(cin) + " channels but weights expect " +
                     Str(weights[3] * geom.groups) + " (groups " +
                     Str(geom.groups) + ")");
  }
  if (cout % geom.groups != 0) {
    throw InputError("weights have " + Str(cout) +
                     " output channels, not a multiple of groups " +
                     Str(geom.groups));
  }
  const int oh = ConvOutSize(input[1], weights[1], geom.stride_h, geom.pad_top,
                             geom.pad_bottom, geom.dilation_h);
  const int ow = ConvOutSize(input[2], weights[2], geom.stride_w, geom.pad_left,
                             geom.pad_right, geom.dilation_w);
  if (oh < 1 || ow < 1) {
    throw InputError("kernel " + Str(weights[1]) + "x" + Str(weights[2]) +
                     " (dilation " + Str(geom.dilation_h) + "x" +
                     Str(geom.dilation_w) + ") does not fit the padded input " +
                     Str(input[1] + geom.pad_top + geom.pad_bottom) + "x" +
                     Str(input[2] + geom.pad_left + geom.pad_right));
  }
  return {input[0], oh, ow, cout};
}

Shape FullyConnectedOutputShape(const Shape& input, const Shape& weights) {
  if (input.size() < 2) {
    throw InputError("input must be [N, ...] (rank >= 2), got " +
                     ShapeToString(input));
  }
  if (weights.size() != 2) {
    throw InputError("weights must be [out][in] (rank 2), got " +
                     ShapeToString(weights));
  }
  const size_t features = NumElements(input) / static_cast<size_t>(input[0]);
  if (input[0] == 0 || features != static_cast<size_t>(weights[1])) {
    throw InputError("input has " + std::to_string(features) +
                     " features per batch but weights expect " +
                     Str(weights[1]));
  }
  return {input[0], weights[0]};
}

Shape Pool2dOutputShape(const Shape& input, const PoolParams& p) {
  if (input.size() != 4) {
    throw InputError("input must be NHWC (rank 4), got " +
                     ShapeToString(input));
  }
  if (p.kh < 1 || p.kw < 1 || p.stride_h < 1 || p.stride_w < 1) {
    throw InputError("pool kernel and stride must be >= 1");
  }
  if (p.pad_top < 0 || p.pad_bottom < 0 || p.pad_left < 0 || p.pad_right < 0) {
    throw InputError("padding must be >= 0");
  }
  const int oh =
      ConvOutSize(input[1], p.kh, p.stride_h, p.pad_top, p.pad_bottom, 1);
  const int ow =
      ConvOutSize(input[2], p.kw, p.stride_w, p.pad_left, p.pad_right, 1);
  if (oh < 1 || ow < 1) {
    throw InputError("pool window " + Str(p.kh) + "x" + Str(p.kw) +
                     " does not fit the padded input");
  }
  return {input[0], oh, ow, input[3]};
}

Tensor<int32_t> Conv2dAccInt32(const Tensor<int8_t>& input,
                               const Tensor<int8_t>& weights,
                               const std::vector<int32_t>& bias,
                               const ConvGeometry& geom, int32_t in_zp) {
  Tensor<int32_t> out(Conv2dOutputShape(input.shape, weights.shape, geom));
  CheckBias(bias, weights.dim(0));
  const uint32_t zp = static_cast<uint32_t>(in_zp);
  // Unsigned arithmetic makes the int32 wrap-around well defined. Padded taps
  // hold in_zp and contribute exactly zero, so they are skipped.
  DirectConv<uint32_t>(
      input, weights, geom, out,
      [&](int o) { return static_cast<uint32_t>(BiasAt(bias, o)); },
      [zp](int8_t x, int8_t w) {
        return (static_cast<uint32_t>(x) - zp) * static_cast<uint32_t>(w);
      });
  return out;
}

Tensor<int8_t> Conv2dInt8(const Tensor<int8_t>& input,
                          const Tensor<int8_t>& weights,
                          const std::vector<int32_t>& bias,
                          const ConvGeometry& geom, const QuantParams& q) {
  return RequantizeTensor(Conv2dAccInt32(input, weights, bias, geom, q.in_zp),
                          q);
}

Tensor<int32_t> FullyConnectedAccInt32(const Tensor<int8_t>& input,
                                       const Tensor<int8_t>& weights,
                                       const std::vector<int32_t>& bias,
                                       int32_t in_zp) {
  Tensor<int32_t> out(FullyConnectedOutputShape(input.shape, weights.shape));
  const int batches = out.dim(0), outs = out.dim(1), ins = weights.dim(1);
  CheckBias(bias, outs);
  const uint32_t zp = static_cast<uint32_t>(in_zp);
  for (int n = 0; n < batches; ++n) {
    const int8_t* x = &input.data[static_cast<size_t>(n) * ins];
    for (int o = 0; o < outs; ++o) {
      const int8_t* w = &weights.data[static_cast<size_t>(o) * ins];
      uint32_t s = static_cast<uint32_t>(BiasAt(bias, o));
      for (int i = 0; i < ins; ++i) {
        s += (static_cast<uint32_t>(x[i]) - zp) * static_cast<uint32_t>(w[i]);
      }
      out.data[static_cast<size_t>(n) * outs + o] = static_cast<int32_t>(s);
    }
  }
  return out;
}

Tensor<int8_t> FullyConnectedInt8(const Tensor<int8_t>& input,
                                  const Tensor<int8_t>& weights,
                                  const std::vector<int32_t>& bias,
                                  const QuantParams& q) {
  return RequantizeTensor(FullyConnectedAccInt32(input, weights, bias, q.in_zp),
                          q);
}

Tensor<int8_t> RequantizeTensor(const Tensor<int32_t>& acc,
                                const QuantParams& q) {
  const int channels = acc.shape.empty() ? 1 : acc.shape.back();
  if (static_cast<int>(q.multiplier.size()) != channels ||
      static_cast<int>(q.shift.size()) != channels) {
    throw InputError("requantization has " +
                     std::to_string(q.multiplier.size()) + " multipliers and " +
                     std::to_string(q.shift.size()) + " shifts but " +
                     Str(channels) + " output channels");
  }
  if (q.act_min > q.act_max || q.act_min < -128 || q.act_max > 127) {
    throw InputError("activation range [" + Str(q.act_min) + ", " +
                     Str(q.act_max) + "] is not inside [-128, 127]");
  }
  for (int c = 0; c < channels; ++c) {
    if (q.shift[c] < -31 || q.shift[c] > 30) {
      throw InputError("shift " + Str(q.shift[c]) + " of channel " + Str(c) +
                       " is outside [-31, 30]");
    }
  }
  Tensor<int8_t> out(acc.shape);
  for (size_t i = 0; i < acc.data.size(); ++i) {
    const size_t c = channels ? i % static_cast<size_t>(channels) : 0;
    out.data[i] = static_cast<int8_t>(
        RequantizeOne(acc.data[i], q.multiplier[c], q.shift[c], q.out_zp,
                      q.act_min, q.act_max));
  }
  return out;
}

void GemmInt8Int32(int m, int n, int k, const int8_t* a, int lda,
                   const int8_t* b, int ldb, int32_t* c, int ldc,
                   bool accumulate) {
  assert(m >= 0 && n >= 0 && k >= 0);
  // Rows of A are processed four at a time so that every loaded row of B
  // feeds four accumulator rows; the inner loop runs over contiguous n in
  // unsigned arithmetic, which wraps as the contract requires and vectorizes.
  constexpr int kRows = 4;
  std::vector<uint32_t> acc(static_cast<size_t>(kRows) * n);
  for (int i0 = 0; i0 < m; i0 += kRows) {
    const int rows = std::min(kRows, m - i0);
    for (int r = 0; r < rows; ++r) {
      uint32_t* dst = &acc[static_cast<size_t>(r) * n];
      const int32_t* src = c + static_cast<size_t>(i0 + r) * ldc;
      for (int j = 0; j < n; ++j) {
        dst[j] = accumulate ? static_cast<uint32_t>(src[j]) : 0u;
      }
    }
    if (rows == kRows) {
      uint32_t* c0 = &acc[0];
      uint32_t* c1 = c0 + n;
      uint32_t* c2 = c1 + n;
      uint32_t* c3 = c2 + n;
      const int8_t* a0 = a + static_cast<size_t>(i0) * lda;
      const int8_t* a1 = a0 + lda;
      const int8_t* a2 = a1 + lda;
      const int8_t* a3 = a2 + lda;
      for (int kk = 0; kk < k; ++kk) {
        const int8_t* brow = b + static_cast<size_t>(kk) * ldb;
        const int32_t v0 = a0[kk], v1 = a1[kk], v2 = a2[kk], v3 = a3[kk];
        for (int j = 0; j < n; ++j) {
          const int32_t bv = brow[j];
          c0[j] += static_cast<uint32_t>(v0 * bv);
          c1[j] += static_cast<uint32_t>(v1 * bv);
          c2[j] += static_cast<uint32_t>(v2 * bv);
          c3[j] += static_cast<uint32_t>(v3 * bv);
        }
      }
    } else {
      for (int r = 0; r < rows; ++r) {
        uint32_t* cr = &acc[static_cast<size_t>(r) * n];
        const int8_t* ar = a + static_cast<size_t>(i0 + r) * lda;
        for (int kk = 0; kk < k; ++kk) {
          const int8_t* brow = b + static_cast<size_t>(kk) * ldb;
          const int32_t v = ar[kk];
          for (int j = 0; j < n; ++j) {
            cr[j] += static_cast<uint32_t>(v * static_cast<int32_t>(brow[j]));
          }
        }
      }
    }
    for (int r = 0; r < rows; ++r) {
      const uint32_t* src = &acc[static_cast<size_t>(r) * n];
      int32_t* dst = c + static_cast<size_t>(i0 + r) * ldc;
      for (int j = 0; j < n; ++j) dst[j] = static_cast<int32_t>(src[j]);
    }
  }
}

Tensor<int8_t> MaxPool2dInt8(const Tensor<int8_t>& input, const PoolParams& p) {
  Tensor<int8_t> out(Pool2dOutputShape(input.shape, p));
  const int in_h = input.dim(1), in_w = input.dim(2), ch = input.dim(3);
  for (int n = 0; n < out.dim(0); ++n) {
    for (int oh = 0; oh < out.dim(1); ++oh) {
      const int y0 = oh * p.stride_h - p.pad_top;
      const int ys = std::max(0, y0), ye = std::min(in_h, y0 + p.kh);
      for (int ow = 0; ow < out.dim(2); ++ow) {
        const int x0 = ow * p.stride_w - p.pad_left;
        const int xs = std::max(0, x0), xe = std::min(in_w, x0 + p.kw);
        for (int c = 0; c < ch; ++c) {
          // A window entirely in the padding has no taps; TFLite leaves the
          // running maximum at the lowest value, then clamps.
          int32_t m = std::numeric_limits<int8_t>::lowest();
          for (int y = ys; y < ye; ++y) {
            for (int x = xs; x < xe; ++x) {
              m = std::max<int32_t>(m, input.at(n, y, x, c));
            }
          }
          out.at(n, oh, ow, c) =
              static_cast<int8_t>(std::clamp(m, p.act_min, p.act_max));
        }
      }
    }
  }
  return out;
}

Tensor<int8_t> AvgPool2dInt8(const Tensor<int8_t>& input, const PoolParams& p) {
  Tensor<int8_t> out(Pool2dOutputShape(input.shape, p));
  const int in_h = input.dim(1), in_w = input.dim(2), ch = input.dim(3);
  for (int n = 0; n < out.dim(0); ++n) {
    for (int oh = 0; oh < out.dim(1); ++oh) {
      const int y0 = oh * p.stride_h - p.pad_top;
      const int ys = std::max(0, y0), ye = std::min(in_h, y0 + p.kh);
      for (int ow = 0; ow < out.dim(2); ++ow) {
        const int x0 = ow * p.stride_w - p.pad_left;
        const int xs = std::max(0, x0), xe = std::min(in_w, x0 + p.kw);
        const int count = std::max(0, ye - ys) * std::max(0, xe - xs);
        if (count == 0) {
          throw InputError("average pool window at output (" + Str(oh) + ", " +
                           Str(ow) + ") lies entirely in the padding");
        }
        for (int c = 0; c < ch; ++c) {
          int32_t sum = 0;
          for (int y = ys; y < ye; ++y) {
            for (int x = xs; x < xe; ++x) sum += input.at(n, y, x, c);
          }
          const int32_t avg =
              sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
          out.at(n, oh, ow, c) =
              static_cast<int8_t>(std::clamp(avg, p.act_min, p.act_max));
        }
      }
    }
  }
  return out;
}

Tensor<int8_t> AddInt8(const Tensor<int8_t>& a, const Tensor<int8_t>& b,
                       const AddParams& p) {
  if (a.shape != b.shape) {
    throw InputError("add operands differ in shape: " + ShapeToString(a.shape) +
                     " vs " + ShapeToString(b.shape));
  }
  if (!(p.a_scale > 0 && p.b_scale > 0 && p.out_scale > 0)) {
    throw InputError("add scales must be positive");
  }
  constexpr int kLeftShift = 20;
  const double twice_max_input_scale = 2 * std::max(p.a_scale, p.b_scale);
  int32_t a_mult = 0, b_mult = 0, out_mult = 0;
  int a_shift = 0, b_shift = 0, out_shift = 0;
  QuantizeMultiplier(p.a_scale / twice_max_input_scale, &a_mult, &a_shift);
  QuantizeMultiplier(p.b_scale / twice_max_input_scale, &b_mult, &b_shift);
  QuantizeMultiplier(twice_max_input_scale / ((1 << kLeftShift) * p.out_scale),
                     &out_mult, &out_shift);
  if (out_shift < -31 || out_mult == 0) {
    throw InputError("add output scale is too large for the input scales");
  }
  Tensor<int8_t> out(a.shape);
  for (size_t i = 0; i < a.data.size(); ++i) {
    const int32_t xa = WrapMul(int32_t{a.data[i]} - p.a_zp, 1 << kLeftShift);
    const int32_t xb = WrapMul(int32_t{b.data[i]} - p.b_zp, 1 << kLeftShift);
    const int32_t sum =
        WrapAdd(MultiplyByQuantizedMultiplier(xa, a_mult, a_shift),
                MultiplyByQuantizedMultiplier(xb, b_mult, b_shift));
    out.data[i] = static_cast<int8_t>(RequantizeOne(
        sum, out_mult, out_shift, p.out_zp, p.act_min, p.act_max));
  }
  return out;
}

Tensor<float> Conv2dFloat(const Tensor<float>& input,
                          const Tensor<float>& weights,
                          const std::vector<float>& bias,
                          const ConvGeometry& geom) {
  using RowMatrix =
      Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Stride = Eigen::OuterStride<>;
  Tensor<float> out(Conv2dOutputShape(input.shape, weights.shape, geom));
  const int cout = weights.dim(0);
  if (!bias.empty() && static_cast<int>(bias.size()) != cout) {
    throw InputError("bias has " + std::to_string(bias.size()) +
                     " entries but the layer has " + Str(cout) +
                     " output channels");
  }
  const int in_h = input.dim(1), in_w = input.dim(2);
  const int kh = weights.dim(1), kw = weights.dim(2), cin_g = weights.dim(3);
  const int groups = geom.groups, cout_g = cout / groups;
  const int out_h = out.dim(1), out_w = out.dim(2);
  const int pixels = out_h * out_w, depth = kh * kw * cin_g;

  // im2col per image and group: one row per output pixel, columns in the
  // weights' (ky, kx, i) order; zero rows for padded taps (float padding is 0).
  RowMatrix cols(pixels, depth);
  for (int n = 0; n < input.dim(0); ++n) {
    for (int g = 0; g < groups; ++g) {
      for (int oh = 0; oh < out_h; ++oh) {
        for (int ow = 0; ow < out_w; ++ow) {
          float* row = cols.row(oh * out_w + ow).data();
          for (int ky = 0; ky < kh; ++ky) {
            const int ih =
                oh * geom.stride_h - geom.pad_top + ky * geom.dilation_h;
            for (int kx = 0; kx < kw; ++kx) {
              const int iw =
                  ow * geom.stride_w - geom.pad_left + kx * geom.dilation_w;
              float* dst = row + (ky * kw + kx) * cin_g;
              if (ih < 0 || ih >= in_h || iw < 0 || iw >= in_w) {
                std::fill(dst, dst + cin_g, 0.0f);
              } else {
                const float* src = &input.at(n, ih, iw, g * cin_g);
                std::copy(src, src + cin_g, dst);
              }
            }
          }
        }
      }
      const Eigen::Map<const RowMatrix> w(
          weights.data.data() + static_cast<size_t>(g) * cout_g * depth, cout_g,
          depth);
      Eigen::Map<RowMatrix, 0, Stride> y(
          out.data.data() + static_cast<size_t>(n) * pixels * cout + g * cout_g,
          pixels, cout_g, Stride(cout));
      y.noalias() = cols * w.transpose();
      if (!bias.empty()) {
        const Eigen::Map<const Eigen::RowVectorXf> b(bias.data() + g * cout_g,
                                                     cout_g);
        y.rowwise() += b;
      }
    }
  }
  return out;
}

Tensor<float> FullyConnectedFloat(const Tensor<float>& input,
                                  const Tensor<float>& weights,
                                  const std::vector<float>& bias) {
  using RowMatrix =
      Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Tensor<float> out(FullyConnectedOutputShape(input.shape, weights.shape));
  const int batches = out.dim(0), outs = out.dim(1), ins = weights.dim(1);
  if (!bias.empty() && static_cast<int>(bias.size()) != outs) {
    throw InputError("bias has " + std::to_string(bias.size()) +
                     " entries but the layer has " + Str(outs) + " outputs");
  }
  const Eigen::Map<const RowMatrix> x(input.data.data(), batches, ins);
  const Eigen::Map<const RowMatrix> w(weights.data.data(), outs, ins);
  Eigen::Map<RowMatrix> y(out.data.data(), batches, outs);
  y.noalias() = x * w.transpose();
  if (!bias.empty()) {
    y.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias.data(), outs);
  }
  return out;
}

}  // namespace sparq
