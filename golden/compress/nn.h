// A small trainer for convolutional networks on Eigen: layers with forward
// and backward passes, softmax cross-entropy and SGD with momentum.
//
// Activations are NHWC: Act::x has n*h*w rows and c columns (row-major, so
// its memory is the NHWC tensor). Conv weights are OHWI flattened to
// out x (kh*kw*in/groups), fully-connected weights out x in, as in
// golden/layers.h, so trained weights export without reordering.

#ifndef SPARQ_GOLDEN_COMPRESS_NN_H_
#define SPARQ_GOLDEN_COMPRESS_NN_H_

#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace sparq {

using Mat =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Act {
  int n = 0, h = 1, w = 1, c = 0;
  Mat x;
};

struct Dims {
  int h = 1, w = 1, c = 0;
};

// How a layer's weights are seen by its forward pass. Anything but kFloat is
// quantization-aware training: the forward pass uses the per-output-channel
// quantized weights and the gradient passes straight through to the float
// weights (straight-through estimator).
enum class WeightQuant { kFloat, kInt8, kInt4, kTernary, kBinary };

const char* WeightQuantName(WeightQuant q);  // "float", "int8", ...
// Bits a stored weight takes (32 for float).
int WeightQuantBits(WeightQuant q);

struct Param {
  Mat value, grad, velocity;
  Mat mask;  // empty or 0/1 like value: pruned weights stay 0 while training
  bool decay = true;

  void ApplyMask();
  int64_t NonZeros() const;
};

class Module {
 public:
  explicit Module(std::string name) : name_(std::move(name)) {}
  virtual ~Module() = default;

  virtual const char* Kind() const = 0;
  // Caches what Backward needs when train is true.
  virtual Act Forward(const Act& in, bool train) = 0;
  // Returns the input gradient and adds to the parameter gradients.
  virtual Act Backward(const Act& grad_out) = 0;
  virtual std::vector<Param*> Params() { return {}; }
  virtual Dims OutDims(const Dims& in) const = 0;
  // Multiply-accumulates per example, counting only non-zero weights when
  // sparse is true.
  virtual int64_t Macs(const Dims& /*in*/, bool /*sparse*/) const { return 0; }
  virtual std::unique_ptr<Module> Clone() const = 0;

  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }

 private:
  std::string name_;
};

struct ConvSpec {
  int in_c = 1, out_c = 1, kh = 1, kw = 1;
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;  // same padding before and after
  int groups = 1;
};

// Shared by Conv2d and Linear: weights, bias and how they are quantized.
class WeightLayer : public Module {
 public:
  using Module::Module;
  Param& weight() { return weight_; }
  const Param& weight() const { return weight_; }
  Param& bias() { return bias_; }
  const Param& bias() const { return bias_; }
  WeightQuant quant() const { return quant_; }
  void set_quant(WeightQuant q) { quant_ = q; }
  // The weights the forward pass uses: masked, and quantized then
  // dequantized unless quant() is kFloat.
  Mat EffectiveWeights() const;
  std::vector<Param*> Params() override { return {&weight_, &bias_}; }

 protected:
  Param weight_, bias_;
  WeightQuant quant_ = WeightQuant::kFloat;
};

class Conv2d : public WeightLayer {
 public:
  Conv2d(std::string name, const ConvSpec& spec);
  const char* Kind() const override { return "conv"; }
  Act Forward(const Act& in, bool train) override;
  Act Backward(const Act& grad_out) override;
  Dims OutDims(const Dims& in) const override;
  int64_t Macs(const Dims& in, bool sparse) const override;
  std::unique_ptr<Module> Clone() const override;
  const ConvSpec& spec() const { return spec_; }
  void InitHe(std::mt19937* rng);

 private:
  ConvSpec spec_;
  Act in_shape_;  // x left empty; only the dims
  Mat cols_, w_eff_;
};

class Linear : public WeightLayer {
 public:
  Linear(std::string name, int in, int out);
  const char* Kind() const override { return "fc"; }
  Act Forward(const Act& in, bool train) override;
  Act Backward(const Act& grad_out) override;
  Dims OutDims(const Dims& in) const override;
  int64_t Macs(const Dims& in, bool sparse) const override;
  std::unique_ptr<Module> Clone() const override;
  int in_features() const { return static_cast<int>(weight_.value.cols()); }
  int out_features() const { return static_cast<int>(weight_.value.rows()); }
  void InitHe(std::mt19937* rng);

 private:
  Mat x_, w_eff_;
};

class ReLU : public Module {
 public:
  using Module::Module;
  const char* Kind() const override { return "relu"; }
  Act Forward(const Act& in, bool train) override;
  Act Backward(const Act& grad_out) override;
  Dims OutDims(const Dims& in) const override { return in; }
  std::unique_ptr<Module> Clone() const override;

 private:
  Mat positive_;
};

// Sign activation for binary networks: forward x >= 0 ? +1 : -1, backward
// passes the gradient where |x| <= 1 (straight-through, hard-tanh).
class SignAct : public Module {
 public:
  using Module::Module;
  const char* Kind() const override { return "sign"; }
  Act Forward(const Act& in, bool train) override;
  Act Backward(const Act& grad_out) override;
  Dims OutDims(const Dims& in) const override { return in; }
  std::unique_ptr<Module> Clone() const override;

 private:
  Mat pass_;
};

class MaxPool2d : public Module {
 public:
  MaxPool2d(std::string name, int k, int stride);
  const char* Kind() const override { return "maxpool"; }
  Act Forward(const Act& in, bool train) override;
  Act Backward(const Act& grad_out) override;
  Dims OutDims(const Dims& in) const override;
  std::unique_ptr<Module> Clone() const override;
  int k() const { return k_; }
  int stride() const { return stride_; }

 private:
  int k_, stride_;
  Act in_shape_;
  std::vector<int64_t> argmax_;  // flat input index per output element
};

class Flatten : public Module {
 public:
  using Module::Module;
  const char* Kind() const override { return "flatten"; }
  Act Forward(const Act& in, bool train) override;
  Act Backward(const Act& grad_out) override;
  Dims OutDims(const Dims& in) const override;
  std::unique_ptr<Module> Clone() const override;

 private:
  Act in_shape_;
};

// A sequence of layers; copyable (deep copy).
class Model {
 public:
  Model() = default;
  Model(const Model& other);
  Model& operator=(const Model& other);
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;

  Act Forward(const Act& in, bool train);
  void Backward(const Mat& grad_logits);
  std::vector<Param*> Params();
  void ZeroGrad();

  void Add(std::unique_ptr<Module> layer) {
    layers_.push_back(std::move(layer));
  }
  // Replaces layer `index` by `replacement` (one or more layers).
  void Replace(int index, std::vector<std::unique_ptr<Module>> replacement);
  void Erase(int index);
  void Insert(int index, std::unique_ptr<Module> layer);
  int Find(const std::string& name) const;  // -1 if absent
  Module* layer(int i) { return layers_[static_cast<size_t>(i)].get(); }
  const Module* layer(int i) const {
    return layers_[static_cast<size_t>(i)].get();
  }
  int size() const { return static_cast<int>(layers_.size()); }

  // Input dims of each layer (index size() holds the output dims).
  std::vector<Dims> Trace(const Dims& input) const;

 private:
  std::vector<std::unique_ptr<Module>> layers_;
};

// Mean softmax cross-entropy over the batch; *grad gets dLoss/dlogits.
float SoftmaxCrossEntropy(const Mat& logits, const std::vector<int>& labels,
                          Mat* grad);

struct SgdOptions {
  float lr = 0.05f;
  float momentum = 0.9f;
  float weight_decay = 5e-4f;
};
void SgdStep(const std::vector<Param*>& params, const SgdOptions& opt);

// Per-output-channel (per-row) weight quantization: codes (row-major, same
// shape as w) and one scale per row, w ~ scale * code. Symmetric int8 [-127,
// 127] and int4 [-7, 7] use max|w|; ternary uses threshold 0.7 * mean|w| and
// the mean magnitude of the kept weights as scale; binary uses sign with
// mean|w| as scale.
void QuantizeRows(const Mat& w, WeightQuant q, std::vector<int8_t>* codes,
                  std::vector<float>* scales);
// QuantizeRows then back to float (the forward pass of QAT).
Mat FakeQuantizeRows(const Mat& w, WeightQuant q);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_COMPRESS_NN_H_
