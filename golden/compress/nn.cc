#include "golden/compress/nn.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace sparq {

const char* WeightQuantName(WeightQuant q) {
  switch (q) {
    case WeightQuant::kFloat:
      return "float";
    case WeightQuant::kInt8:
      return "int8";
    case WeightQuant::kInt4:
      return "int4";
    case WeightQuant::kTernary:
      return "ternary";
    case WeightQuant::kBinary:
      return "binary";
  }
  return "?";
}

int WeightQuantBits(WeightQuant q) {
  switch (q) {
    case WeightQuant::kFloat:
      return 32;
    case WeightQuant::kInt8:
      return 8;
    case WeightQuant::kInt4:
      return 4;
    case WeightQuant::kTernary:
      return 2;
    case WeightQuant::kBinary:
      return 1;
  }
  return 32;
}

void Param::ApplyMask() {
  if (mask.size() == 0) return;
  assert(mask.rows() == value.rows() && mask.cols() == value.cols());
  value.array() *= mask.array();
  if (velocity.size() == value.size()) velocity.array() *= mask.array();
}

int64_t Param::NonZeros() const {
  return static_cast<int64_t>((value.array() != 0.0f).count());
}

void QuantizeRows(const Mat& w, WeightQuant q, std::vector<int8_t>* codes,
                  std::vector<float>* scales) {
  const int rows = static_cast<int>(w.rows());
  const int cols = static_cast<int>(w.cols());
  codes->assign(static_cast<size_t>(rows) * cols, 0);
  scales->assign(static_cast<size_t>(rows), 0.0f);
  for (int r = 0; r < rows; ++r) {
    const auto row = w.row(r);
    int8_t* out = codes->data() + static_cast<size_t>(r) * cols;
    float scale = 0.0f;
    switch (q) {
      case WeightQuant::kFloat:
        assert(false && "float weights have no codes");
        break;
      case WeightQuant::kInt8:
      case WeightQuant::kInt4: {
        const float qmax = q == WeightQuant::kInt8 ? 127.0f : 7.0f;
        const float amax = row.cwiseAbs().maxCoeff();
        scale = amax > 0 ? amax / qmax : 1.0f;
        for (int c = 0; c < cols; ++c) {
          const float v = std::round(row(c) / scale);
          out[c] = static_cast<int8_t>(std::clamp(v, -qmax, qmax));
        }
        break;
      }
      case WeightQuant::kTernary: {
        // Threshold 0.7 * E|w| approximately minimises the L2 error for
        // roughly Gaussian weights (ternary weight networks).
        const float thr = 0.7f * row.cwiseAbs().mean();
        float sum = 0.0f;
        int kept = 0;
        for (int c = 0; c < cols; ++c) {
          if (std::fabs(row(c)) > thr) {
            out[c] = row(c) > 0 ? 1 : -1;
            sum += std::fabs(row(c));
            ++kept;
          }
        }
        scale = kept > 0 ? sum / kept : 1.0f;
        break;
      }
      case WeightQuant::kBinary: {
        const float mean = row.cwiseAbs().mean();
        scale = mean > 0 ? mean : 1.0f;
        for (int c = 0; c < cols; ++c) out[c] = row(c) >= 0 ? 1 : -1;
        break;
      }
    }
    (*scales)[static_cast<size_t>(r)] = scale;
  }
}

Mat FakeQuantizeRows(const Mat& w, WeightQuant q) {
  if (q == WeightQuant::kFloat) return w;
  std::vector<int8_t> codes;
  std::vector<float> scales;
  QuantizeRows(w, q, &codes, &scales);
  Mat out(w.rows(), w.cols());
  for (int r = 0; r < w.rows(); ++r) {
    for (int c = 0; c < w.cols(); ++c) {
      out(r, c) = scales[static_cast<size_t>(r)] *
                  codes[static_cast<size_t>(r) * w.cols() + c];
    }
  }
  return out;
}

Mat WeightLayer::EffectiveWeights() const {
  Mat w = weight_.value;
  if (weight_.mask.size() != 0) w.array() *= weight_.mask.array();
  return FakeQuantizeRows(w, quant_);
}

namespace {

void InitParam(Param* p, int rows, int cols, bool decay) {
  p->value = Mat::Zero(rows, cols);
  p->grad = Mat::Zero(rows, cols);
  p->velocity = Mat::Zero(rows, cols);
  p->decay = decay;
}

void FillHe(Mat* w, int fan_in, std::mt19937* rng) {
  std::normal_distribution<float> dist(0.0f, std::sqrt(2.0f / fan_in));
  for (int i = 0; i < w->size(); ++i) w->data()[i] = dist(*rng);
}

}  // namespace

// ---------------------------------------------------------------- Conv2d

Conv2d::Conv2d(std::string name, const ConvSpec& spec)
    : WeightLayer(std::move(name)), spec_(spec) {
  assert(spec.in_c % spec.groups == 0 && spec.out_c % spec.groups == 0);
  InitParam(&weight_, spec.out_c, spec.kh * spec.kw * spec.in_c / spec.groups,
            true);
  InitParam(&bias_, 1, spec.out_c, false);
}

void Conv2d::InitHe(std::mt19937* rng) {
  FillHe(&weight_.value, static_cast<int>(weight_.value.cols()), rng);
  bias_.value.setZero();
}

Dims Conv2d::OutDims(const Dims& in) const {
  return {(in.h + 2 * spec_.pad_h - spec_.kh) / spec_.stride_h + 1,
          (in.w + 2 * spec_.pad_w - spec_.kw) / spec_.stride_w + 1,
          spec_.out_c};
}

int64_t Conv2d::Macs(const Dims& in, bool sparse) const {
  const Dims o = OutDims(in);
  int64_t weights = weight_.value.size();
  if (sparse) {
    weights =
        static_cast<int64_t>((EffectiveWeights().array() != 0.0f).count());
  }
  return int64_t{o.h} * o.w * weights;
}

Act Conv2d::Forward(const Act& in, bool train) {
  assert(in.c == spec_.in_c);
  const Dims o = OutDims({in.h, in.w, in.c});
  const int g_in = spec_.in_c / spec_.groups;
  const int g_out = spec_.out_c / spec_.groups;
  const int kg = spec_.kh * spec_.kw * g_in;
  const int64_t rows = int64_t{in.n} * o.h * o.w;
  const bool pointwise = spec_.kh == 1 && spec_.kw == 1 &&
                         spec_.stride_h == 1 && spec_.stride_w == 1 &&
                         spec_.pad_h == 0 && spec_.pad_w == 0;
  if (pointwise) {
    cols_ = in.x;
  } else {
    // im2col with columns ordered (group, ky, kx, channel-in-group) so that
    // each group's block is contiguous and matches the OHWI weight rows.
    cols_.resize(rows, int64_t{spec_.groups} * kg);
    for (int b = 0; b < in.n; ++b) {
      for (int oy = 0; oy < o.h; ++oy) {
        for (int ox = 0; ox < o.w; ++ox) {
          float* dst = cols_.data() +
                       ((int64_t{b} * o.h + oy) * o.w + ox) * cols_.cols();
          for (int g = 0; g < spec_.groups; ++g) {
            for (int ky = 0; ky < spec_.kh; ++ky) {
              const int iy = oy * spec_.stride_h - spec_.pad_h + ky;
              for (int kx = 0; kx < spec_.kw; ++kx, dst += g_in) {
                const int ix = ox * spec_.stride_w - spec_.pad_w + kx;
                if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) {
                  std::fill(dst, dst + g_in, 0.0f);
                } else {
                  const float* src =
                      in.x.data() +
                      ((int64_t{b} * in.h + iy) * in.w + ix) * in.c + g * g_in;
                  std::copy(src, src + g_in, dst);
                }
              }
            }
          }
        }
      }
    }
  }
  w_eff_ = EffectiveWeights();
  Act out;
  out.n = in.n;
  out.h = o.h;
  out.w = o.w;
  out.c = spec_.out_c;
  out.x.resize(rows, spec_.out_c);
  if (spec_.groups == 1) {
    out.x.noalias() = cols_ * w_eff_.transpose();
  } else {
    for (int g = 0; g < spec_.groups; ++g) {
      out.x.middleCols(g * g_out, g_out).noalias() =
          cols_.middleCols(int64_t{g} * kg, kg) *
          w_eff_.middleRows(g * g_out, g_out).transpose();
    }
  }
  out.x.rowwise() += bias_.value.row(0);
  in_shape_.n = in.n;
  in_shape_.h = in.h;
  in_shape_.w = in.w;
  in_shape_.c = in.c;
  if (!train) {
    cols_.resize(0, 0);
  }
  return out;
}

Act Conv2d::Backward(const Act& grad_out) {
  const Act& in = in_shape_;
  const Dims o{grad_out.h, grad_out.w, grad_out.c};
  const int g_in = spec_.in_c / spec_.groups;
  const int g_out = spec_.out_c / spec_.groups;
  const int kg = spec_.kh * spec_.kw * g_in;
  assert(cols_.rows() == grad_out.x.rows());
  const Mat& dy = grad_out.x;
  bias_.grad.row(0) += dy.colwise().sum();
  Mat dcols(dy.rows(), int64_t{spec_.groups} * kg);
  if (spec_.groups == 1) {
    weight_.grad.noalias() += dy.transpose() * cols_;
    dcols.noalias() = dy * w_eff_;
  } else {
    for (int g = 0; g < spec_.groups; ++g) {
      weight_.grad.middleRows(g * g_out, g_out).noalias() +=
          dy.middleCols(g * g_out, g_out).transpose() *
          cols_.middleCols(int64_t{g} * kg, kg);
      dcols.middleCols(int64_t{g} * kg, kg).noalias() =
          dy.middleCols(g * g_out, g_out) * w_eff_.middleRows(g * g_out, g_out);
    }
  }
  Act din;
  din.n = in.n;
  din.h = in.h;
  din.w = in.w;
  din.c = in.c;
  const bool pointwise = spec_.kh == 1 && spec_.kw == 1 &&
                         spec_.stride_h == 1 && spec_.stride_w == 1 &&
                         spec_.pad_h == 0 && spec_.pad_w == 0;
  if (pointwise) {
    din.x = std::move(dcols);
    return din;
  }
  din.x = Mat::Zero(int64_t{in.n} * in.h * in.w, in.c);
  for (int b = 0; b < in.n; ++b) {
    for (int oy = 0; oy < o.h; ++oy) {
      for (int ox = 0; ox < o.w; ++ox) {
        const float* src =
            dcols.data() + ((int64_t{b} * o.h + oy) * o.w + ox) * dcols.cols();
        for (int g = 0; g < spec_.groups; ++g) {
          for (int ky = 0; ky < spec_.kh; ++ky) {
            const int iy = oy * spec_.stride_h - spec_.pad_h + ky;
            for (int kx = 0; kx < spec_.kw; ++kx, src += g_in) {
              const int ix = ox * spec_.stride_w - spec_.pad_w + kx;
              if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
              float* dst = din.x.data() +
                           ((int64_t{b} * in.h + iy) * in.w + ix) * in.c +
                           g * g_in;
              for (int i = 0; i < g_in; ++i) dst[i] += src[i];
            }
          }
        }
      }
    }
  }
  return din;
}

std::unique_ptr<Module> Conv2d::Clone() const {
  auto c = std::make_unique<Conv2d>(name(), spec_);
  c->weight_ = weight_;
  c->bias_ = bias_;
  c->quant_ = quant_;
  return c;
}

// ---------------------------------------------------------------- Linear

Linear::Linear(std::string name, int in, int out)
    : WeightLayer(std::move(name)) {
  InitParam(&weight_, out, in, true);
  InitParam(&bias_, 1, out, false);
}

void Linear::InitHe(std::mt19937* rng) {
  FillHe(&weight_.value, in_features(), rng);
  bias_.value.setZero();
}

Dims Linear::OutDims([[maybe_unused]] const Dims& in) const {
  assert(in.h == 1 && in.w == 1 && in.c == in_features());
  return {1, 1, out_features()};
}

int64_t Linear::Macs(const Dims& /*in*/, bool sparse) const {
  const Mat w = EffectiveWeights();
  return sparse ? static_cast<int64_t>((w.array() != 0.0f).count()) : w.size();
}

Act Linear::Forward(const Act& in, bool train) {
  assert(in.h == 1 && in.w == 1 && in.c == in_features());
  w_eff_ = EffectiveWeights();
  Act out;
  out.n = in.n;
  out.c = out_features();
  out.x.noalias() = in.x * w_eff_.transpose();
  out.x.rowwise() += bias_.value.row(0);
  if (train) {
    x_ = in.x;
  }
  return out;
}

Act Linear::Backward(const Act& grad_out) {
  const Mat& dy = grad_out.x;
  bias_.grad.row(0) += dy.colwise().sum();
  weight_.grad.noalias() += dy.transpose() * x_;
  Act din;
  din.n = grad_out.n;
  din.c = in_features();
  din.x.noalias() = dy * w_eff_;
  return din;
}

std::unique_ptr<Module> Linear::Clone() const {
  auto c = std::make_unique<Linear>(name(), in_features(), out_features());
  c->weight_ = weight_;
  c->bias_ = bias_;
  c->quant_ = quant_;
  return c;
}

// ---------------------------------------------------------------- ReLU

Act ReLU::Forward(const Act& in, bool train) {
  Act out = in;
  out.x = in.x.cwiseMax(0.0f);
  if (train) positive_ = (in.x.array() > 0.0f).cast<float>().matrix();
  return out;
}

Act ReLU::Backward(const Act& grad_out) {
  Act din = grad_out;
  din.x.array() *= positive_.array();
  return din;
}

std::unique_ptr<Module> ReLU::Clone() const {
  return std::make_unique<ReLU>(name());
}

// ---------------------------------------------------------------- SignAct

Act SignAct::Forward(const Act& in, bool train) {
  Act out = in;
  out.x = in.x.unaryExpr([](float v) { return v >= 0.0f ? 1.0f : -1.0f; });
  if (train) pass_ = (in.x.array().abs() <= 1.0f).cast<float>().matrix();
  return out;
}

Act SignAct::Backward(const Act& grad_out) {
  Act din = grad_out;
  din.x.array() *= pass_.array();
  return din;
}

std::unique_ptr<Module> SignAct::Clone() const {
  return std::make_unique<SignAct>(name());
}

// ---------------------------------------------------------------- MaxPool2d

MaxPool2d::MaxPool2d(std::string name, int k, int stride)
    : Module(std::move(name)), k_(k), stride_(stride) {}

Dims MaxPool2d::OutDims(const Dims& in) const {
  return {(in.h - k_) / stride_ + 1, (in.w - k_) / stride_ + 1, in.c};
}

Act MaxPool2d::Forward(const Act& in, bool train) {
  const Dims o = OutDims({in.h, in.w, in.c});
  Act out;
  out.n = in.n;
  out.h = o.h;
  out.w = o.w;
  out.c = in.c;
  out.x.resize(int64_t{in.n} * o.h * o.w, in.c);
  if (train) argmax_.assign(static_cast<size_t>(out.x.size()), 0);
  for (int b = 0; b < in.n; ++b) {
    for (int oy = 0; oy < o.h; ++oy) {
      for (int ox = 0; ox < o.w; ++ox) {
        const int64_t orow = (int64_t{b} * o.h + oy) * o.w + ox;
        for (int c = 0; c < in.c; ++c) {
          float best = -INFINITY;
          int64_t best_idx = 0;
          for (int ky = 0; ky < k_; ++ky) {
            for (int kx = 0; kx < k_; ++kx) {
              const int64_t idx =
                  ((int64_t{b} * in.h + oy * stride_ + ky) * in.w +
                   ox * stride_ + kx) *
                      in.c +
                  c;
              if (in.x.data()[idx] > best) {
                best = in.x.data()[idx];
                best_idx = idx;
              }
            }
          }
          out.x(orow, c) = best;
          if (train) argmax_[static_cast<size_t>(orow * in.c + c)] = best_idx;
        }
      }
    }
  }
  in_shape_.n = in.n;
  in_shape_.h = in.h;
  in_shape_.w = in.w;
  in_shape_.c = in.c;
  return out;
}

Act MaxPool2d::Backward(const Act& grad_out) {
  Act din;
  din.n = in_shape_.n;
  din.h = in_shape_.h;
  din.w = in_shape_.w;
  din.c = in_shape_.c;
  din.x = Mat::Zero(int64_t{din.n} * din.h * din.w, din.c);
  for (int64_t i = 0; i < grad_out.x.size(); ++i) {
    din.x.data()[argmax_[static_cast<size_t>(i)]] += grad_out.x.data()[i];
  }
  return din;
}

std::unique_ptr<Module> MaxPool2d::Clone() const {
  return std::make_unique<MaxPool2d>(name(), k_, stride_);
}

// ---------------------------------------------------------------- Flatten

Dims Flatten::OutDims(const Dims& in) const {
  return {1, 1, in.h * in.w * in.c};
}

Act Flatten::Forward(const Act& in, bool /*train*/) {
  in_shape_.n = in.n;
  in_shape_.h = in.h;
  in_shape_.w = in.w;
  in_shape_.c = in.c;
  Act out;
  out.n = in.n;
  out.c = in.h * in.w * in.c;
  out.x = Eigen::Map<const Mat>(in.x.data(), in.n, out.c);
  return out;
}

Act Flatten::Backward(const Act& grad_out) {
  Act din;
  din.n = in_shape_.n;
  din.h = in_shape_.h;
  din.w = in_shape_.w;
  din.c = in_shape_.c;
  din.x = Eigen::Map<const Mat>(grad_out.x.data(),
                                int64_t{din.n} * din.h * din.w, din.c);
  return din;
}

std::unique_ptr<Module> Flatten::Clone() const {
  return std::make_unique<Flatten>(name());
}

// ---------------------------------------------------------------- Model

Model::Model(const Model& other) { *this = other; }

Model& Model::operator=(const Model& other) {
  if (this == &other) return *this;
  layers_.clear();
  for (const auto& l : other.layers_) layers_.push_back(l->Clone());
  return *this;
}

Act Model::Forward(const Act& in, bool train) {
  Act a = in;
  for (auto& l : layers_) a = l->Forward(a, train);
  return a;
}

void Model::Backward(const Mat& grad_logits) {
  Act g;
  g.n = static_cast<int>(grad_logits.rows());
  g.c = static_cast<int>(grad_logits.cols());
  g.x = grad_logits;
  // The first layer's input gradient is not needed, but computing it keeps
  // every layer's Backward uniform; its cost is small (one input channel).
  for (int i = size() - 1; i >= 0; --i)
    g = layers_[static_cast<size_t>(i)]->Backward(g);
}

std::vector<Param*> Model::Params() {
  std::vector<Param*> out;
  for (auto& l : layers_) {
    for (Param* p : l->Params()) out.push_back(p);
  }
  return out;
}

void Model::ZeroGrad() {
  for (Param* p : Params()) p->grad.setZero();
}

void Model::Replace(int index,
                    std::vector<std::unique_ptr<Module>> replacement) {
  assert(index >= 0 && index < size());
  layers_.erase(layers_.begin() + index);
  layers_.insert(layers_.begin() + index,
                 std::make_move_iterator(replacement.begin()),
                 std::make_move_iterator(replacement.end()));
}

void Model::Erase(int index) { layers_.erase(layers_.begin() + index); }

void Model::Insert(int index, std::unique_ptr<Module> layer) {
  assert(index >= 0 && index <= size());
  layers_.insert(layers_.begin() + index, std::move(layer));
}

int Model::Find(const std::string& name) const {
  for (int i = 0; i < size(); ++i) {
    if (layers_[static_cast<size_t>(i)]->name() == name) return i;
  }
  return -1;
}

std::vector<Dims> Model::Trace(const Dims& input) const {
  std::vector<Dims> dims{input};
  for (const auto& l : layers_) dims.push_back(l->OutDims(dims.back()));
  return dims;
}

// ---------------------------------------------------------------- loss, SGD

float SoftmaxCrossEntropy(const Mat& logits, const std::vector<int>& labels,
                          Mat* grad) {
  const int n = static_cast<int>(logits.rows());
  assert(static_cast<int>(labels.size()) == n);
  grad->resize(logits.rows(), logits.cols());
  double loss = 0.0;
  for (int i = 0; i < n; ++i) {
    const float m = logits.row(i).maxCoeff();
    Eigen::RowVectorXf e = (logits.row(i).array() - m).exp().matrix();
    const float sum = e.sum();
    loss += std::log(sum) - (logits(i, labels[static_cast<size_t>(i)]) - m);
    grad->row(i) = e / sum;
    (*grad)(i, labels[static_cast<size_t>(i)]) -= 1.0f;
  }
  *grad /= static_cast<float>(n);
  return static_cast<float>(loss / n);
}

void SgdStep(const std::vector<Param*>& params, const SgdOptions& opt) {
  for (Param* p : params) {
    if (p->decay && opt.weight_decay != 0.0f) {
      p->grad += opt.weight_decay * p->value;
    }
    p->velocity = opt.momentum * p->velocity + p->grad;
    p->value -= opt.lr * p->velocity;
    p->ApplyMask();
  }
}

}  // namespace sparq
