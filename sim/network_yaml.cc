#include "sim/network_yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <set>
#include <type_traits>
#include <sstream>

#include "golden/checked.h"
#include "golden/errors.h"
#include "golden/input_file.h"
#include "golden/int16_layers.h"
#include "golden/npy.h"
#include "golden/random.h"
#include "golden/requant.h"
#include "golden/yaml_reader.h"
#include "sim/packed_npy.h"

namespace sparq {
namespace {

const char* const kMissing = kYamlMissing;
constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// Fills from SplitMix64 (golden/random.h): a seed names the same weights on
// every platform (docs/yaml.md).
template <typename T>
void FillRandom(Tensor<T>* t, uint64_t seed, int64_t lo, int64_t hi) {
  SplitMix64 rng(seed);
  for (T& v : t->data) v = static_cast<T>(rng.Uniform(lo, hi));
}

bool IsPowerOfTwo(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

// TensorFlow SAME padding along one axis: out = ceil(size / stride); the odd
// pixel goes after. `extent` is the dilated kernel size.
void SamePadding(int size, int extent, int stride, int* before, int* after) {
  const int out = (size + stride - 1) / stride;
  const int total = std::max((out - 1) * stride + extent - size, 0);
  *before = total / 2;
  *after = total - total / 2;
}

struct Window {  // kernel/stride/dilation pairs
  int h = 1, w = 1;
};
struct Padding {
  bool same = false;
  int top = 0, left = 0, bottom = 0, right = 0;
};

using MapView = YamlMap;

class Parser : public YamlReader {
 public:
  Parser(std::string file, std::string base_dir)
      : YamlReader(std::move(file)), base_dir_(std::move(base_dir)) {}

  RunConfig Parse(const YAML::Node& root);

 private:
  // An int or a list of `count` ints, broadcast to `count`.
  std::vector<int64_t> IntOrList(const YAML::Node& n, const std::string& path,
                                 int64_t lo, int64_t hi, size_t count) const;
  std::vector<double> PositiveOrList(const YAML::Node& n,
                                     const std::string& path,
                                     size_t count) const;
  Window Pair(const MapView& m, const std::string& key, Window dflt) const;
  Padding ParsePadding(const MapView& m) const;
  // kernel, stride, dilation and padding of a conv or depthwise layer into
  // layer->geom (groups set by the caller); checks that the dilated kernel
  // fits the padded input. Returns the kernel.
  Window ParseConvWindow(const MapView& m, const Shape& in,
                         ConvGeometry* g) const;
  // The optional int32 bias of `cout` channels (zeros when absent).
  void ParseEngine(const MapView& m, Layer* layer) const;
  void ParseConvBias(const MapView& m, int cout, const char* layout,
                     Layer* layer) const;
  Shape ParseShape(const YAML::Node& n, const std::string& path) const;
  // The size caps of golden/checked.h, checked before anything is allocated:
  // a weight tensor of `shape`, a layer's output and its MACs.
  void CheckWeightShape(const MapView& m, const Shape& shape) const;
  void CheckLayerSize(const YAML::Node& at, const std::string& path,
                      const Shape& out, uint64_t macs_per_output) const;
  // A layer or network name: at most kMaxNameLength characters; `file_safe`
  // restricts it to what may become a file name under --outputs.
  std::string Name(const YAML::Node& n, const std::string& path,
                   bool file_safe) const;

  template <typename T>
  Tensor<T> Source(const YAML::Node& n, const std::string& path,
                   const Shape& shape, int64_t dflt_lo, int64_t dflt_hi,
                   bool range_required, const std::string& layout) const;
  template <typename T>
  Tensor<T> FromNpy(const YAML::Node& n, const std::string& path,
                    const std::optional<Shape>& shape,
                    const std::string& layout) const;
  template <typename T>
  Tensor<T> FromRandom(const YAML::Node& n, const std::string& path,
                       const Shape& shape, int64_t dflt_lo, int64_t dflt_hi,
                       bool range_required) const;

  void ParseHardware(const YAML::Node& n, RunConfig* cfg) const;
  void ParseNetwork(const YAML::Node& n, RunConfig* cfg);
  void ParseLayer(const YAML::Node& n, size_t index, RunConfig* cfg);
  void ParseConv(const MapView& m, const Shape& in, Layer* layer,
                 Shape* out) const;
  void ParseFc(const MapView& m, const Shape& in, Layer* layer,
               Shape* out) const;
  void ParsePool(const MapView& m, const Shape& in, Layer* layer,
                 Shape* out) const;
  // The `depthwise` type: TFLite's [1, kh, kw, C * multiplier] weights,
  // stored as a grouped conv (groups = C) in OHWI.
  void ParseDepthwise(const MapView& m, const Shape& in, Layer* layer,
                      Shape* out) const;
  // softmax, reshape, pad, mean, concat (golden/host_layers.h).
  void ParseHostLayer(const MapView& m, const std::vector<Shape>& in,
                      const std::vector<TensorQuant>& in_q, Layer* layer,
                      Shape* out, TensorQuant* out_q) const;
  // conv/fc: multipliers from scales or given, output zero point, clamp.
  TensorQuant ParseQuant(const MapView& m, const TensorQuant& in,
                         const std::string& in_name, int channels,
                         QuantParams* q) const;
  // `precision:` (before the weights, whose .npy form depends on it), then
  // the weights' range once they are read.
  void ParseLayerPrecision(const MapView& m, Layer* layer) const;
  void CheckPrecisionRange(const MapView& m, const Layer& layer) const;
  // a16w8 (int16 tensors held as bytes, golden/network.h): checks that the
  // layer reads an int16 tensor and no other layer does, and reads the
  // int64 bias (or the int32 one with `bias32: true`).
  void CheckInt16Input(const MapView& m, const Layer& layer) const;
  void ParseA16W8Bias(const MapView& m, int cout, Layer* layer) const;

  // Tensors held as int16 bytes: the input with `dtype: int16` and the
  // outputs of a16w8 layers.
  std::set<std::string> int16_tensors_;
  // ParseClamp's range: int16 while an a16w8 layer's clamp is read.
  bool clamp16_ = false;
  // conv / fc / depthwise weights: Source<int8_t>, or for a narrow precision
  // also the packed uint8 form (sim/packed_npy.h).
  Tensor<int8_t> WeightSource(const MapView& m, const Shape& shape,
                              Precision p, const std::string& layout) const;
  // The activation clamp for an output with zero point `zp` and `scale`.
  void ParseClamp(const MapView& m, int32_t zp, std::optional<double> scale,
                  int32_t* act_min, int32_t* act_max) const;

  // Adds `elements` to the network's total; InputError at `at` beyond
  // kMaxNetworkElements.
  void Count(const YAML::Node& at, const std::string& path,
             uint64_t elements) const;

  std::string base_dir_;
  mutable uint64_t network_elements_ = 0;
};

std::vector<int64_t> Parser::IntOrList(const YAML::Node& n,
                                       const std::string& path, int64_t lo,
                                       int64_t hi, size_t count) const {
  if (n.IsSequence()) {
    if (n.size() != count && n.size() != 1) {
      Fail(n, path,
           "one integer or a list of " + std::to_string(count) +
               " (one per output channel)",
           Describe(n));
    }
    std::vector<int64_t> v = IntList(n, path, lo, hi, n.size(), n.size());
    v.resize(count, v.front());
    return v;
  }
  return std::vector<int64_t>(count, Int(n, path, lo, hi));
}

std::vector<double> Parser::PositiveOrList(const YAML::Node& n,
                                           const std::string& path,
                                           size_t count) const {
  const double inf = std::numeric_limits<double>::infinity();
  if (n.IsSequence()) {
    if (n.size() != count && n.size() != 1) {
      Fail(n, path,
           "one positive number or a list of " + std::to_string(count) +
               " (one per output channel)",
           Describe(n));
    }
    std::vector<double> v;
    for (size_t i = 0; i < n.size(); ++i) {
      v.push_back(
          Real(n[i], path + "[" + std::to_string(i) + "]", 0, false, inf));
    }
    v.resize(count, v.front());
    return v;
  }
  return std::vector<double>(count, Real(n, path, 0, false, inf));
}

Window Parser::Pair(const MapView& m, const std::string& key,
                    Window dflt) const {
  if (!m.Has(key)) return dflt;
  const YAML::Node n = m.Get(key);
  if (n.IsSequence()) {
    const std::vector<int64_t> v = IntList(n, m.Path(key), 1, 4096, 2, 2);
    return Window{static_cast<int>(v[0]), static_cast<int>(v[1])};
  }
  if (!n.IsScalar()) {
    Fail(n, m.Path(key), "a positive integer or a list [h, w]", Describe(n));
  }
  const int v = static_cast<int>(Int(n, m.Path(key), 1, 4096));
  return Window{v, v};
}

Padding Parser::ParsePadding(const MapView& m) const {
  Padding p;
  if (!m.Has("padding")) return p;
  const YAML::Node n = m.Get("padding");
  const std::string path = m.Path("padding");
  const std::string expected =
      "an integer >= 0, a list [top, left, bottom, right], 'same' or 'valid'";
  if (n.IsSequence()) {
    if (n.size() != 4) Fail(n, path, expected, Describe(n));
    const std::vector<int64_t> v = IntList(n, path, 0, 4096, 4, 4);
    p.top = static_cast<int>(v[0]);
    p.left = static_cast<int>(v[1]);
    p.bottom = static_cast<int>(v[2]);
    p.right = static_cast<int>(v[3]);
    return p;
  }
  if (n.IsScalar() && n.Scalar() == "same") {
    p.same = true;
    return p;
  }
  if (n.IsScalar() && n.Scalar() == "valid") return p;
  if (!n.IsScalar()) Fail(n, path, expected, Describe(n));
  char* end = nullptr;
  const long v = std::strtol(n.Scalar().c_str(), &end, 10);
  if (n.Scalar().empty() || *end != '\0' || v < 0 || v > 4096 ||
      n.Tag() == "!") {
    Fail(n, path, expected, Describe(n));
  }
  p.top = p.left = p.bottom = p.right = static_cast<int>(v);
  return p;
}

Shape Parser::ParseShape(const YAML::Node& n, const std::string& path) const {
  if (!n.IsSequence() || (n.size() != 2 && n.size() != 4)) {
    Fail(n, path, "a list [N, H, W, C] (NHWC) or [N, features]", Describe(n));
  }
  Shape shape;
  for (int64_t d : IntList(n, path, 1, 1 << 24, n.size(), n.size())) {
    shape.push_back(static_cast<int>(d));
  }
  if (!ProductAtMost(shape, kMaxTensorElements)) {
    Fail(n, path, "at most " + std::to_string(kMaxTensorElements) + " elements",
         ShapeToString(shape));
  }
  return shape;
}

void Parser::Count(const YAML::Node& at, const std::string& path,
                   uint64_t elements) const {
  network_elements_ += elements;  // each term is capped: no overflow
  if (network_elements_ > kMaxNetworkElements) {
    Fail(at, path,
         "a network of at most " + std::to_string(kMaxNetworkElements) +
             " elements in all (input, weights, outputs; docs/yaml.md, "
             "Limits)",
         "more");
  }
}

void Parser::CheckWeightShape(const MapView& m, const Shape& shape) const {
  const YAML::Node at = m.Has("weights") ? m.Get("weights") : m.node();
  if (!ProductAtMost(shape, kMaxTensorElements)) {
    Fail(at, m.Path("weights"),
         "weights of at most " + std::to_string(kMaxTensorElements) +
             " elements (docs/yaml.md, Limits)",
         ShapeToString(shape));
  }
  Count(at, m.Path("weights"), NumElements(shape));
}

void Parser::CheckLayerSize(const YAML::Node& at, const std::string& path,
                            const Shape& out,
                            uint64_t macs_per_output) const {
  const std::optional<uint64_t> elements = CheckedProduct(out);
  if (!elements || *elements > kMaxTensorElements) {
    Fail(at, path,
         "a layer whose output has at most " +
             std::to_string(kMaxTensorElements) +
             " elements (docs/yaml.md, Limits)",
         "an output of shape " + ShapeToString(out));
  }
  Count(at, path, *elements);
  const std::optional<uint64_t> macs = CheckedMul(*elements, macs_per_output);
  if (!macs || *macs > kMaxLayerMacs) {
    Fail(at, path,
         "a layer of at most " + std::to_string(kMaxLayerMacs) +
             " multiply-accumulates (docs/yaml.md, Limits)",
         "an output of shape " + ShapeToString(out) + " with " +
             std::to_string(macs_per_output) + " each");
  }
}

std::string Parser::Name(const YAML::Node& n, const std::string& path,
                         bool file_safe) const {
  const std::string name = String(n, path);
  if (name.size() > kMaxNameLength) {
    Fail(n, path,
         "a name of at most " + std::to_string(kMaxNameLength) + " characters",
         "one of " + std::to_string(name.size()));
  }
  if (file_safe) {
    const bool ok = std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
             c == '-' || c == '.';
    });
    // Names become file names under --outputs.
    if (!ok || name == "input" || name[0] == '.') {
      Fail(n, path,
           "a name of letters, digits, '_', '-', '.' other than 'input', not "
           "starting with '.'",
           Describe(n));
    }
  } else {
    // Printable ASCII only: the name goes into the report (table and JSON)
    // and terminals; other bytes, UTF-8 or not, are refused.
    const bool ok = std::all_of(name.begin(), name.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u >= 0x20 && u < 0x7f;
    });
    if (!ok) {
      Fail(n, path, "a name of printable ASCII characters",
           "one with other bytes");
    }
  }
  return name;
}

template <typename T>
Tensor<T> Parser::FromNpy(const YAML::Node& n, const std::string& path,
                          const std::optional<Shape>& shape,
                          const std::string& layout) const {
  const std::string name = String(n, path);
  std::filesystem::path p(name);
  if (p.is_relative() && !base_dir_.empty()) {
    p = std::filesystem::path(base_dir_) / p;
  }
  Tensor<T> t;
  try {
    if constexpr (std::is_same_v<T, int8_t>) {
      t = LoadNpyInt8(p.lexically_normal().string());
    } else {
      t = LoadNpy<T>(p.lexically_normal().string());
    }
  } catch (const InputError& e) {
    FailAt(n, path, e.what());
  }
  if (shape && t.shape != *shape) {
    Fail(n, path, "shape " + ShapeToString(*shape) + layout,
         ShapeToString(t.shape) + " in " + p.lexically_normal().string());
  }
  return t;
}

template <typename T>
Tensor<T> Parser::FromRandom(const YAML::Node& n, const std::string& path,
                             const Shape& shape, int64_t dflt_lo,
                             int64_t dflt_hi, bool range_required) const {
  const MapView r = Map(n, path, {"seed", "min", "max"});
  const int64_t lo_limit = std::numeric_limits<T>::min();
  const int64_t hi_limit = std::numeric_limits<T>::max();
  const uint64_t seed = static_cast<uint64_t>(
      Int(Need(r, "seed", "an integer seed"), r.Path("seed"), 0,
          std::numeric_limits<int64_t>::max()));
  const std::string range = "an integer in [" + std::to_string(lo_limit) +
                            ", " + std::to_string(hi_limit) + "]";
  const int64_t lo =
      range_required || r.Has("min")
          ? Int(Need(r, "min", range), r.Path("min"), lo_limit, hi_limit)
          : dflt_lo;
  const int64_t hi =
      range_required || r.Has("max")
          ? Int(Need(r, "max", range), r.Path("max"), lo_limit, hi_limit)
          : dflt_hi;
  if (lo > hi) {
    Fail(r.Has("max") ? r.Get("max") : n, r.Path("max"),
         "max >= min (" + std::to_string(lo) + ")", std::to_string(hi));
  }
  Tensor<T> t(shape);
  FillRandom(&t, seed, lo, hi);
  return t;
}

template <typename T>
Tensor<T> Parser::Source(const YAML::Node& n, const std::string& path,
                         const Shape& shape, int64_t dflt_lo, int64_t dflt_hi,
                         bool range_required, const std::string& layout) const {
  const MapView m = Map(n, path, {"npy", "random"});
  if (m.Has("npy") == m.Has("random")) {
    Fail(n, path, "exactly one of 'npy: FILE' or 'random: {seed, min, max}'",
         m.Has("npy") ? "both" : "neither");
  }
  if (m.Has("npy")) {
    return FromNpy<T>(m.Get("npy"), m.Path("npy"), shape, layout);
  }
  return FromRandom<T>(m.Get("random"), m.Path("random"), shape, dflt_lo,
                       dflt_hi, range_required);
}

void Parser::ParseHardware(const YAML::Node& n, RunConfig* cfg) const {
  const MapView hw = Map(n, "hardware", {"array", "dram", "nm24"});
  if (hw.Has("nm24")) {
    const YAML::Node k = hw.Get("nm24");
    if (!k.IsScalar() || (k.Scalar() != "true" && k.Scalar() != "false")) {
      Fail(k, hw.Path("nm24"),
           "true or false (false: the array without the 2:4 mode, the "
           "RxC-nonm build)",
           Describe(k));
    }
    cfg->nm24 = k.Scalar() == "true";
    cfg->nm24_line = Line(k);
  }
  // The port width first: it bounds the array size.
  if (hw.Has("dram")) {
    const MapView d =
        Map(hw.Get("dram"), hw.Path("dram"), {"bits", "latency", "stall"});
    if (d.Has("bits")) {
      const int64_t bits = Int(d.Get("bits"), d.Path("bits"), 0, 1 << 16);
      if (bits < 128 || !IsPowerOfTwo(bits)) {
        Fail(d.Get("bits"), d.Path("bits"),
             "a power of two from 128 up (rtl/sparq_top.sv's DramBits)",
             Describe(d.Get("bits")));
      }
      cfg->dram_bits = static_cast<int>(bits);
    }
    if (d.Has("latency")) {
      cfg->dram_latency =
          static_cast<int>(Int(d.Get("latency"), d.Path("latency"), 1, 100000));
    }
    if (d.Has("stall")) {
      cfg->dram_stall = Real(d.Get("stall"), d.Path("stall"), 0, true, 1.0);
    }
  }
  if (hw.Has("array")) {
    const YAML::Node a = hw.Get("array");
    const std::vector<int64_t> rc =
        IntList(a, hw.Path("array"), 1, 1 << 20, 2, 2);
    for (int i = 0; i < 2; ++i) {
      // R*8 and C*8 must fit the DRAM port, and the SRAM depths
      // (multiples of R) must be powers of two (docs/architecture.md).
      const int max = cfg->dram_bits / 8;
      if (!IsPowerOfTwo(rc[i]) || rc[i] > max) {
        Fail(a[i], hw.Path("array") + "[" + std::to_string(i) + "]",
             "a power of two from 1 to " + std::to_string(max) +
                 " (array lines must fit the " +
                 std::to_string(cfg->dram_bits) + "-bit DRAM port)",
             Describe(a[i]));
      }
    }
    cfg->rows = static_cast<int>(rc[0]);
    cfg->cols = static_cast<int>(rc[1]);
    cfg->array_line = Line(a);
  }
}

void Parser::ParseNetwork(const YAML::Node& n, RunConfig* cfg) {
  const MapView net = Map(n, "network", {"name", "input"});
  if (net.Has("name")) {
    cfg->net.name = Name(net.Get("name"), net.Path("name"), false);
  } else {
    cfg->net.name = std::filesystem::path(file()).stem().string();
  }
  const MapView in = Map(
      Need(net, "input", "a mapping {shape, npy | random, zero_point, scale}"),
      net.Path("input"),
      {"shape", "npy", "random", "zero_point", "scale", "dtype"});
  bool int16 = false;
  if (in.Has("dtype")) {
    const YAML::Node d = in.Get("dtype");
    const std::string dt = d.IsScalar() ? d.Scalar() : "";
    if (dt != "int8" && dt != "int16") {
      Fail(d, in.Path("dtype"), "int8 or int16 (int16: read by a16w8 layers)",
           Describe(d));
    }
    int16 = dt == "int16";
  }
  if (in.Has("npy") == in.Has("random")) {
    Fail(in.node(), in.path(),
         "exactly one of 'npy: FILE' or 'random: {seed, min, max}'",
         in.Has("npy") ? "both" : "neither");
  }
  std::optional<Shape> shape;
  if (in.Has("shape") || in.Has("random")) {
    shape =
        ParseShape(Need(in, "shape", "a list [N, H, W, C]"), in.Path("shape"));
  }
  if (int16) {
    // Held as its little-endian bytes (golden/network.h).
    const Tensor<int16_t> t =
        in.Has("npy")
            ? FromNpy<int16_t>(in.Get("npy"), in.Path("npy"), shape,
                               " (NHWC, or [N, features])")
            : FromRandom<int16_t>(in.Get("random"), in.Path("random"), *shape,
                                  -32768, 32767, false);
    const Shape& s = t.shape;
    if ((s.size() != 2 && s.size() != 4) || NumElements(s) == 0) {
      Fail(in.node(), in.path(), "an int16 tensor [N, H, W, C] or [N, features]",
           ShapeToString(s));
    }
    cfg->net.input = Int16ToBytes(t);
    int16_tensors_.insert("input");
  } else if (in.Has("npy")) {
    cfg->net.input = FromNpy<int8_t>(in.Get("npy"), in.Path("npy"), shape,
                                     " (NHWC, or [N, features])");
    const Shape& s = cfg->net.input.shape;
    if ((s.size() != 2 && s.size() != 4) || NumElements(s) == 0) {
      Fail(in.Get("npy"), in.Path("npy"),
           "an int8 tensor [N, H, W, C] or [N, features]", ShapeToString(s));
    }
  } else {
    cfg->net.input = FromRandom<int8_t>(in.Get("random"), in.Path("random"),
                                        *shape, -128, 127, false);
  }
  TensorQuant q;
  if (in.Has("zero_point")) {
    q.zero_point = static_cast<int32_t>(
        Int(in.Get("zero_point"), in.Path("zero_point"), int16 ? 0 : -128,
            int16 ? 0 : 127));
  }
  if (in.Has("scale")) {
    q.scale = Real(in.Get("scale"), in.Path("scale"), 0, false,
                   std::numeric_limits<double>::infinity());
  }
  Count(in.node(), in.path(), cfg->net.input.data.size());
  cfg->shapes["input"] = cfg->net.input.shape;
  cfg->quant["input"] = q;
}

// `precision:` of a conv / fc layer (default a8w8). The accelerator runs
// a8w8, a8w4, a8w2, a4w4 and a1w1; CheckPrecisionRange checks the weights
// once read.
void Parser::ParseLayerPrecision(const MapView& m, Layer* layer) const {
  if (!m.Has("precision")) return;
  const YAML::Node n = m.Get("precision");
  const std::string name = n.IsScalar() ? n.Scalar() : "";
  Precision p = Precision::kA8W8;
  if (!ParsePrecision(name, &p)) {
    Fail(n, m.Path("precision"), "one of a8w8, a8w4, a8w2, a4w4, a1w1, a16w8",
         Describe(n));
  }
  if (!PrecisionOnAccelerator(p)) {
    Fail(n, m.Path("precision"),
         "a precision the array runs in this build (a8w8, a8w4, a8w2, a4w4, "
         "a1w1 or a16w8)",
         "'" + name + "' in layer '" + layer->name + "'");
  }
  layer->precision = p;
}

void Parser::CheckInt16Input(const MapView& m, const Layer& layer) const {
  const bool a16w8 = (layer.kind == LayerKind::kConv ||
                      layer.kind == LayerKind::kFc) &&
                     layer.precision == Precision::kA16W8;
  for (const std::string& name : layer.inputs) {
    const bool int16 = int16_tensors_.count(name) != 0;
    if (a16w8 == int16) continue;
    const YAML::Node at = m.Has("input") ? m.Get("input") : m.node();
    if (a16w8) {
      Fail(at, m.Path("input"),
           "an int16 tensor for precision a16w8 (the network input with "
           "'dtype: int16', or an a16w8 layer's output)",
           "int8 tensor '" + name + "'");
    }
    Fail(at, m.Path("input"),
         "an int8 tensor (int16 tensors are read by a16w8 conv / fc layers "
         "only)",
         "int16 tensor '" + name + "'");
  }
}

void Parser::ParseA16W8Bias(const MapView& m, int cout, Layer* layer) const {
  if (m.Has("bias32")) {
    const YAML::Node k = m.Get("bias32");
    if (!k.IsScalar() || (k.Scalar() != "true" && k.Scalar() != "false")) {
      Fail(k, m.Path("bias32"), "true or false", Describe(k));
    }
    layer->bias32 = k.Scalar() == "true";
  }
  layer->bias.clear();
  layer->bias64.clear();
  if (!m.Has("bias")) return;
  if (layer->bias32) {
    layer->bias = Source<int32_t>(m.Get("bias"), m.Path("bias"), {cout},
                                  kInt32Min, kInt32Max, true, " (out_channels)")
                      .data;
  } else {
    layer->bias64 =
        Source<int64_t>(m.Get("bias"), m.Path("bias"), {cout},
                        std::numeric_limits<int64_t>::min(),
                        std::numeric_limits<int64_t>::max(), true,
                        " (out_channels, int64: '<i8')")
            .data;
  }
}

void Parser::CheckPrecisionRange(const MapView& m, const Layer& layer) const {
  if (!m.Has("precision")) return;
  const YAML::Node n = m.Get("precision");
  const Precision p = layer.precision;
  int lo = 0, hi = 0;
  WeightRange(p, &lo, &hi);
  const std::vector<int8_t>& w = layer.weights.data;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] < lo || w[i] > hi || (p == Precision::kA1W1 && w[i] == 0)) {
      Fail(n, m.Path("precision"),
           p == Precision::kA1W1
               ? std::string("weights -1 or +1 for a1w1")
               : "weights in [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "] for " + PrecisionName(p),
           "weight " + std::to_string(i) + " = " + std::to_string(w[i]));
    }
  }
}

Tensor<int8_t> Parser::WeightSource(const MapView& m, const Shape& shape,
                                    Precision p,
                                    const std::string& layout) const {
  const YAML::Node n =
      Need(m, "weights", "{npy: FILE} or {random: {seed, min, max}}");
  const int per_byte = PackedWeightsPerByte(p);
  if (per_byte == 0 || !n.IsMap() || !n["npy"] || n["random"]) {
    return Source<int8_t>(n, m.Path("weights"), shape, -127, 127, false,
                          layout);
  }
  const MapView src = Map(n, m.Path("weights"), {"npy", "random"});
  const YAML::Node f = src.Get("npy");
  const std::string fpath = src.Path("npy");
  std::filesystem::path file(String(f, fpath));
  if (file.is_relative() && !base_dir_.empty()) {
    file = std::filesystem::path(base_dir_) / file;
  }
  const std::string name = file.lexically_normal().string();
  std::string descr;
  Tensor<uint8_t> packed;
  try {
    const std::string bytes =
        ReadInputFile(name, ".npy file", kMaxNpyFileBytes);
    descr = NpyDescr(bytes, name);
    if (descr == "|u1" || descr == "<u1" || descr == "u1") {
      packed = ParseNpy<uint8_t>(bytes, name);
    }
  } catch (const InputError& e) {
    FailAt(f, fpath, e.what());
  }
  if (descr == "|i1" || descr == "<i1" || descr == "i1" || descr == "<i2") {
    return Source<int8_t>(n, m.Path("weights"), shape, -127, 127, false,
                          layout);
  }
  if (packed.shape.empty()) {
    Fail(f, fpath,
         std::string("int8 ('|i1', or '<i2' holding int8 values) or packed "
                     "uint8 ('|u1') weights for precision ") +
             PrecisionName(p),
         "dtype '" + descr + "' in " + name);
  }
  Tensor<int8_t> w(shape);
  try {
    w.data = UnpackWeightsNpy(p, packed, NumElements(shape));
  } catch (const InputError& e) {
    FailAt(f, fpath, name + ": " + e.what() + layout);
  }
  return w;
}

void Parser::ParseClamp(const MapView& m, int32_t zp,
                        std::optional<double> scale, int32_t* act_min,
                        int32_t* act_max) const {
  const int32_t lo = clamp16_ ? -32768 : -128, hi = clamp16_ ? 32767 : 127;
  *act_min = lo;
  *act_max = hi;
  if (m.Has("activation") && (m.Has("act_min") || m.Has("act_max"))) {
    const std::string other = m.Has("act_min") ? "act_min" : "act_max";
    Fail(m.Get(other), m.Path(other),
         "either 'activation' or 'act_min'/'act_max', not both", "both");
  }
  if (m.Has("activation")) {
    const YAML::Node a = m.Get("activation");
    const std::string kind = a.IsScalar() ? a.Scalar() : "";
    if (kind != "none" && kind != "relu" && kind != "relu6") {
      Fail(a, m.Path("activation"), "one of none, relu, relu6", Describe(a));
    }
    // Fused activations are clamps in the quantized domain (TFLite).
    if (kind == "relu" || kind == "relu6") *act_min = std::max(lo, zp);
    if (kind == "relu6") {
      if (!scale) {
        Fail(a, m.Path("activation"),
             "an output scale for relu6 (6.0 must be quantized; give "
             "output_scale)",
             "no known scale");
      }
      const double six = std::round(6.0 / *scale);
      *act_max =
          static_cast<int32_t>(std::min(static_cast<double>(hi),
                                        static_cast<double>(zp) + six));
      if (*act_max < *act_min) *act_max = *act_min;
    }
    return;
  }
  if (m.Has("act_min")) {
    *act_min = static_cast<int32_t>(
        Int(m.Get("act_min"), m.Path("act_min"), lo, hi));
  }
  if (m.Has("act_max")) {
    *act_max = static_cast<int32_t>(
        Int(m.Get("act_max"), m.Path("act_max"), *act_min, hi));
  }
}

TensorQuant Parser::ParseQuant(const MapView& m, const TensorQuant& in,
                               const std::string& in_name, int channels,
                               QuantParams* q) const {
  const double inf = std::numeric_limits<double>::infinity();
  q->in_zp =
      m.Has("input_zero_point")
          ? static_cast<int32_t>(Int(m.Get("input_zero_point"),
                                     m.Path("input_zero_point"), -128, 127))
          : in.zero_point;
  std::optional<double> in_scale = in.scale;
  if (m.Has("input_scale")) {
    in_scale = Real(m.Get("input_scale"), m.Path("input_scale"), 0, false, inf);
  }
  TensorQuant out;
  if (m.Has("output_zero_point")) {
    out.zero_point = static_cast<int32_t>(Int(
        m.Get("output_zero_point"), m.Path("output_zero_point"), -128, 127));
  }
  if (m.Has("output_scale")) {
    out.scale =
        Real(m.Get("output_scale"), m.Path("output_scale"), 0, false, inf);
  }
  q->out_zp = out.zero_point;

  const bool ready_made = m.Has("multiplier") || m.Has("shift");
  const size_t n = static_cast<size_t>(channels);
  if (ready_made && m.Has("weight_scale")) {
    Fail(m.Get("weight_scale"), m.Path("weight_scale"),
         "either scales (weight_scale, output_scale) or a ready-made "
         "multiplier and shift",
         "both");
  }
  if (ready_made) {
    const std::vector<int64_t> mult = IntOrList(
        Need(m, "multiplier", "a list of int32 multipliers (with 'shift')"),
        m.Path("multiplier"), 0, kInt32Max, n);
    const YAML::Node mult_node = m.Get("multiplier");
    for (size_t c = 0; c < n; ++c) {
      if (mult[c] != 0 && mult[c] < (int64_t{1} << 30)) {
        const YAML::Node at = mult_node.IsSequence() && mult_node.size() == n
                                  ? mult_node[c]
                                  : mult_node;
        Fail(at, m.Path("multiplier") + "[" + std::to_string(c) + "]",
             "0 or an integer in [2^30, 2^31) (TFLite M0)",
             std::to_string(mult[c]));
      }
    }
    const std::vector<int64_t> shift =
        IntOrList(Need(m, "shift", "a list of shifts (with 'multiplier')"),
                  m.Path("shift"), -31, 30, n);
    q->multiplier.assign(mult.begin(), mult.end());
    q->shift.assign(shift.begin(), shift.end());
  } else {
    const std::vector<double> ws = PositiveOrList(
        Need(m, "weight_scale",
             "weight_scale and output_scale, or multiplier and shift"),
        m.Path("weight_scale"), n);
    if (!in_scale) {
      Fail(m.node(), m.Path("input_scale"),
           "a positive number (tensor '" + in_name +
               "' has no known scale; give input_scale here or a scale where "
               "it is produced)",
           kMissing);
    }
    if (!out.scale) {
      Need(m, "output_scale", "a positive number (needed with weight_scale)");
    }
    for (size_t c = 0; c < n; ++c) {
      const double real = *in_scale * ws[c] / *out.scale;
      if (!(real < static_cast<double>(int64_t{1} << 30))) {
        Fail(m.Get("output_scale"), m.Path("output_scale"),
             "scales with input_scale * weight_scale / output_scale < 2^30",
             std::to_string(real) + " for channel " + std::to_string(c));
      }
      int32_t mult = 0;
      int shift = 0;
      QuantizeMultiplier(real, &mult, &shift);
      q->multiplier.push_back(mult);
      q->shift.push_back(shift);
    }
  }
  ParseClamp(m, out.zero_point, out.scale, &q->act_min, &q->act_max);
  return out;
}

Window Parser::ParseConvWindow(const MapView& m, const Shape& in,
                               ConvGeometry* g) const {
  Need(m, "kernel", "a positive integer or a list [kh, kw]");
  const Window k = Pair(m, "kernel", {});
  const Window s = Pair(m, "stride", {1, 1});
  const Window d = Pair(m, "dilation", {1, 1});
  const Padding p = ParsePadding(m);
  g->stride_h = s.h;
  g->stride_w = s.w;
  g->dilation_h = d.h;
  g->dilation_w = d.w;
  const int extent_h = (k.h - 1) * d.h + 1;
  const int extent_w = (k.w - 1) * d.w + 1;
  if (p.same) {
    SamePadding(in[1], extent_h, s.h, &g->pad_top, &g->pad_bottom);
    SamePadding(in[2], extent_w, s.w, &g->pad_left, &g->pad_right);
  } else {
    g->pad_top = p.top;
    g->pad_left = p.left;
    g->pad_bottom = p.bottom;
    g->pad_right = p.right;
  }
  if (extent_h > in[1] + g->pad_top + g->pad_bottom ||
      extent_w > in[2] + g->pad_left + g->pad_right) {
    Fail(m.Get("kernel"), m.Path("kernel"),
         "a kernel that fits the padded input " +
             std::to_string(in[1] + g->pad_top + g->pad_bottom) + "x" +
             std::to_string(in[2] + g->pad_left + g->pad_right) +
             " (dilation " + std::to_string(d.h) + "x" + std::to_string(d.w) +
             ")",
         "[" + std::to_string(k.h) + ", " + std::to_string(k.w) + "]");
  }
  return k;
}

// `engine`: dense (the array), sparse (the unstructured sparse engine), nm24
// (the array in its 2:4 mode) or auto (the compiler decides; docs/sparse.md).
void Parser::ParseEngine(const MapView& m, Layer* layer) const {
  if (!m.Has("engine")) return;
  const YAML::Node e = m.Get("engine");
  const std::string kind = e.IsScalar() ? e.Scalar() : "";
  if (kind == "auto") {
    layer->engine = LayerEngine::kAuto;
  } else if (kind == "dense") {
    layer->engine = LayerEngine::kDense;
  } else if (kind == "sparse") {
    layer->engine = LayerEngine::kSparse;
  } else if (kind == "nm24") {
    layer->engine = LayerEngine::kNm24;
  } else {
    Fail(e, m.Path("engine"), "one of auto, dense, sparse, nm24", Describe(e));
  }
}

void Parser::ParseConvBias(const MapView& m, int cout, const char* layout,
                           Layer* layer) const {
  if (m.Has("bias")) {
    layer->bias = Source<int32_t>(m.Get("bias"), m.Path("bias"), {cout},
                                  kInt32Min, kInt32Max, true, layout)
                      .data;
  } else {
    layer->bias.assign(static_cast<size_t>(cout), 0);
  }
}

Shape ConvOutShape(const Shape& in, const Window& k, const ConvGeometry& g,
                   int cout) {
  return {in[0],
          ConvOutSize(in[1], k.h, g.stride_h, g.pad_top, g.pad_bottom,
                      g.dilation_h),
          ConvOutSize(in[2], k.w, g.stride_w, g.pad_left, g.pad_right,
                      g.dilation_w),
          cout};
}

void Parser::ParseConv(const MapView& m, const Shape& in, Layer* layer,
                       Shape* out) const {
  const int cin = in[3];
  const int cout =
      static_cast<int>(Int(Need(m, "out_channels", "a positive integer"),
                           m.Path("out_channels"), 1, 1 << 16));
  const Window k = ParseConvWindow(m, in, &layer->geom);
  const int groups =
      m.Has("groups")
          ? static_cast<int>(Int(m.Get("groups"), m.Path("groups"), 1, 1 << 16))
          : 1;
  if (cin % groups != 0 || cout % groups != 0) {
    Fail(m.Get("groups"), m.Path("groups"),
         "a divisor of the input channels (" + std::to_string(cin) +
             ") and of out_channels (" + std::to_string(cout) + ")",
         std::to_string(groups));
  }
  ConvGeometry& g = layer->geom;
  g.groups = groups;
  const Shape wshape = {cout, k.h, k.w, cin / groups};
  CheckWeightShape(m, wshape);
  *out = ConvOutShape(in, k, g, cout);
  CheckLayerSize(m.node(), m.path(), *out,
                 static_cast<uint64_t>(k.h) * k.w * (cin / groups));
  layer->weights =
      WeightSource(m, wshape, layer->precision,
                   " (OHWI: out_channels, kh, kw, in_channels/groups)");
  ParseConvBias(m, cout, " (out_channels)", layer);
  ParseEngine(m, layer);
}

void Parser::ParseFc(const MapView& m, const Shape& in, Layer* layer,
                     Shape* out) const {
  const int features = static_cast<int>(NumElements(in) / in[0]);
  const int nout =
      static_cast<int>(Int(Need(m, "out_features", "a positive integer"),
                           m.Path("out_features"), 1, 1 << 20));
  CheckWeightShape(m, {nout, features});
  *out = {in[0], nout};
  CheckLayerSize(m.node(), m.path(), *out, static_cast<uint64_t>(features));
  layer->weights = WeightSource(
      m, {nout, features}, layer->precision,
      " ([out_features, in_features], in_features = " +
          std::to_string(features) + " flattened NHWC)");
  ParseEngine(m, layer);
  if (m.Has("bias")) {
    layer->bias = Source<int32_t>(m.Get("bias"), m.Path("bias"), {nout},
                                  kInt32Min, kInt32Max, true, " (out_features)")
                      .data;
  } else {
    layer->bias.assign(static_cast<size_t>(nout), 0);
  }
}

void Parser::ParsePool(const MapView& m, const Shape& in, Layer* layer,
                       Shape* out) const {
  Need(m, "kernel", "a positive integer or a list [kh, kw]");
  const Window k = Pair(m, "kernel", {});
  const Window s = Pair(m, "stride", k);
  const Padding p = ParsePadding(m);
  PoolParams& pp = layer->pool;
  pp.kh = k.h;
  pp.kw = k.w;
  pp.stride_h = s.h;
  pp.stride_w = s.w;
  if (p.same) {
    SamePadding(in[1], k.h, s.h, &pp.pad_top, &pp.pad_bottom);
    SamePadding(in[2], k.w, s.w, &pp.pad_left, &pp.pad_right);
  } else {
    pp.pad_top = p.top;
    pp.pad_left = p.left;
    pp.pad_bottom = p.bottom;
    pp.pad_right = p.right;
  }
  if (k.h > in[1] + pp.pad_top + pp.pad_bottom ||
      k.w > in[2] + pp.pad_left + pp.pad_right) {
    Fail(m.Get("kernel"), m.Path("kernel"),
         "a window that fits the padded input " +
             std::to_string(in[1] + pp.pad_top + pp.pad_bottom) + "x" +
             std::to_string(in[2] + pp.pad_left + pp.pad_right),
         "[" + std::to_string(k.h) + ", " + std::to_string(k.w) + "]");
  }
  *out = {in[0], ConvOutSize(in[1], k.h, s.h, pp.pad_top, pp.pad_bottom, 1),
          ConvOutSize(in[2], k.w, s.w, pp.pad_left, pp.pad_right, 1), in[3]};
}

void Parser::ParseDepthwise(const MapView& m, const Shape& in, Layer* layer,
                            Shape* out) const {
  const int cin = in[3];
  const int mult =
      m.Has("channel_multiplier")
          ? static_cast<int>(Int(m.Get("channel_multiplier"),
                                 m.Path("channel_multiplier"), 1, 1 << 12))
          : 1;
  const int cout = cin * mult;
  const Window k = ParseConvWindow(m, in, &layer->geom);
  ConvGeometry& g = layer->geom;
  g.groups = cin;
  CheckWeightShape(m, {1, k.h, k.w, cout});
  *out = ConvOutShape(in, k, g, cout);
  CheckLayerSize(m.node(), m.path(), *out, static_cast<uint64_t>(k.h) * k.w);
  const Tensor<int8_t> tfl = WeightSource(
      m, {1, k.h, k.w, cout}, layer->precision,
      " (TFLite depthwise: 1, kh, kw, in_channels * channel_multiplier)");
  // Output channel o = c * multiplier + j reads input channel c, which is
  // group o / multiplier of the grouped conv: only the layout changes.
  layer->weights = Tensor<int8_t>({cout, k.h, k.w, 1});
  for (int y = 0; y < k.h; ++y) {
    for (int x = 0; x < k.w; ++x) {
      for (int o = 0; o < cout; ++o) {
        layer->weights.at(o, y, x, 0) = tfl.at(0, y, x, o);
      }
    }
  }
  ParseConvBias(m, cout, " (in_channels * channel_multiplier)", layer);
}

void Parser::ParseHostLayer(const MapView& m, const std::vector<Shape>& in,
                            const std::vector<TensorQuant>& in_q, Layer* layer,
                            Shape* out, TensorQuant* out_q) const {
  const double inf = std::numeric_limits<double>::infinity();
  const auto need_scale = [&](size_t i, const std::string& why) {
    if (!in_q[i].scale) {
      Fail(m.Has("input") ? m.Get("input") : m.node(), m.Path("input"),
           "a tensor with a known scale (" + why + ")",
           "'" + layer->inputs[i] + "' without one");
    }
    return *in_q[i].scale;
  };
  switch (layer->kind) {
    case LayerKind::kSoftmax: {
      const bool ready_made =
          m.Has("multiplier") || m.Has("shift") || m.Has("diff_min");
      if (ready_made && m.Has("beta")) {
        Fail(m.Get("beta"), m.Path("beta"),
             "either beta or a ready-made multiplier, shift and diff_min",
             "both");
      }
      SoftmaxParams& sp = layer->softmax;
      if (ready_made) {
        sp.input_multiplier = static_cast<int32_t>(
            Int(Need(m, "multiplier", "an int32 multiplier in [2^30, 2^31)"),
                m.Path("multiplier"), int64_t{1} << 30, kInt32Max));
        sp.input_left_shift =
            static_cast<int>(Int(Need(m, "shift", "a left shift in [0, 30]"),
                                 m.Path("shift"), 0, 30));
        sp.diff_min = static_cast<int32_t>(
            Int(Need(m, "diff_min", "a non-positive integer"),
                m.Path("diff_min"), kInt32Min, 0));
      } else {
        const double beta =
            m.Has("beta") ? Real(m.Get("beta"), m.Path("beta"), 0, false, inf)
                          : 1.0;
        const double scale = need_scale(0, "softmax rescales by beta * scale");
        try {
          sp = SoftmaxParamsFromScale(beta, scale);
        } catch (const InputError& e) {
          FailAt(m.Has("beta") ? m.Get("beta") : m.node(), m.Path("beta"),
                 e.what());
        }
      }
      *out = in[0];
      out_q->scale = 1.0 / 256;
      out_q->zero_point = -128;
      break;
    }
    case LayerKind::kReshape: {
      const YAML::Node n = Need(m, "shape", "a list of 1 to 5 dimensions");
      for (int64_t d : IntList(n, m.Path("shape"), 1, 1 << 24, 1, 5)) {
        layer->reshape.push_back(static_cast<int>(d));
      }
      if (NumElements(layer->reshape) != NumElements(in[0])) {
        Fail(n, m.Path("shape"),
             "a shape of " + std::to_string(NumElements(in[0])) +
                 " elements (the input is " + ShapeToString(in[0]) + ")",
             ShapeToString(layer->reshape));
      }
      *out = layer->reshape;
      *out_q = in_q[0];
      break;
    }
    case LayerKind::kPad: {
      const YAML::Node n =
          Need(m, "paddings", "a list of [before, after] per input dimension");
      const std::string path = m.Path("paddings");
      if (!n.IsSequence() || n.size() != in[0].size()) {
        Fail(n, path,
             "a list of " + std::to_string(in[0].size()) +
                 " [before, after] pairs (one per dimension of " +
                 ShapeToString(in[0]) + ")",
             Describe(n));
      }
      for (size_t d = 0; d < n.size(); ++d) {
        const std::vector<int64_t> v =
            IntList(n[d], path + "[" + std::to_string(d) + "]", 0, 4096, 2, 2);
        layer->pad.before_after.emplace_back(static_cast<int>(v[0]),
                                             static_cast<int>(v[1]));
      }
      // TFLite pads int8 tensors with the zero point (the value 0).
      layer->pad.value = static_cast<int8_t>(in_q[0].zero_point);
      *out = PadOutputShape(in[0], layer->pad);
      *out_q = in_q[0];
      break;
    }
    case LayerKind::kMean: {
      if (in[0].size() != 4) {
        Fail(m.Has("input") ? m.Get("input") : m.node(), m.Path("input"),
             "an NHWC tensor (rank 4) for a mean over H and W",
             "'" + layer->inputs[0] + "' of shape " + ShapeToString(in[0]));
      }
      MeanParams& mp = layer->mean;
      if (m.Has("keep_dims")) {
        const YAML::Node k = m.Get("keep_dims");
        if (!k.IsScalar() || (k.Scalar() != "true" && k.Scalar() != "false")) {
          Fail(k, m.Path("keep_dims"), "true or false", Describe(k));
        }
        mp.keep_dims = k.Scalar() == "true";
      }
      const double in_scale = need_scale(0, "a mean requantizes");
      out_q->scale = Real(Need(m, "output_scale", "a positive number"),
                          m.Path("output_scale"), 0, false, inf);
      if (m.Has("output_zero_point")) {
        out_q->zero_point =
            static_cast<int32_t>(Int(m.Get("output_zero_point"),
                                     m.Path("output_zero_point"), -128, 127));
      }
      const double real = in_scale / *out_q->scale;
      if (!(real < static_cast<double>(int64_t{1} << 30))) {
        Fail(m.Get("output_scale"), m.Path("output_scale"),
             "an output scale with input_scale / output_scale < 2^30",
             std::to_string(real));
      }
      QuantizeMultiplier(real, &mp.multiplier, &mp.shift);
      mp.in_zp = in_q[0].zero_point;
      mp.out_zp = out_q->zero_point;
      *out = MeanOutputShape(in[0], mp);
      break;
    }
    case LayerKind::kConcat: {
      ConcatParams& cp = layer->concat;
      const int rank = static_cast<int>(in[0].size());
      const int axis = m.Has("axis")
                           ? static_cast<int>(Int(m.Get("axis"), m.Path("axis"),
                                                  -rank, rank - 1))
                           : rank - 1;
      cp.axis = axis < 0 ? axis + rank : axis;
      for (size_t i = 0; i < in.size(); ++i) {
        cp.in_scales.push_back(need_scale(i, "a concatenation requantizes"));
        cp.in_zps.push_back(in_q[i].zero_point);
      }
      out_q->scale = m.Has("output_scale")
                         ? Real(m.Get("output_scale"), m.Path("output_scale"),
                                0, false, inf)
                         : cp.in_scales[0];
      out_q->zero_point = m.Has("output_zero_point")
                              ? static_cast<int32_t>(
                                    Int(m.Get("output_zero_point"),
                                        m.Path("output_zero_point"), -128, 127))
                              : cp.in_zps[0];
      cp.out_scale = *out_q->scale;
      cp.out_zp = out_q->zero_point;
      try {
        *out = ConcatOutputShape(in, cp.axis);
      } catch (const InputError& e) {
        FailAt(m.Get("input"), m.Path("input"), e.what());
      }
      break;
    }
    default:
      assert(false && "not a host layer of ParseHostLayer");
  }
}

void Parser::ParseLayer(const YAML::Node& node, size_t index, RunConfig* cfg) {
  static const std::vector<std::string> kQuant = {
      "input_scale",       "input_zero_point", "weight_scale", "output_scale",
      "output_zero_point", "multiplier",       "shift",        "activation",
      "act_min",           "act_max",          "precision",
      "bias32"};
  static const std::vector<std::string> kClamp = {"activation", "act_min",
                                                  "act_max"};
  const auto fields = [](std::vector<std::string> own,
                         const std::vector<std::string>& extra) {
    std::vector<std::string> f = {"name", "type", "input"};
    f.insert(f.end(), own.begin(), own.end());
    f.insert(f.end(), extra.begin(), extra.end());
    return f;
  };
  static const std::map<std::string, std::vector<std::string>> kFields = {
      {"conv", fields({"out_channels", "kernel", "stride", "padding",
                       "dilation", "groups", "weights", "bias", "engine"},
                      kQuant)},
      {"fc", fields({"out_features", "weights", "bias", "engine"}, kQuant)},
      {"maxpool", fields({"kernel", "stride", "padding"}, kClamp)},
      {"avgpool", fields({"kernel", "stride", "padding"}, kClamp)},
      {"add", fields({"output_scale", "output_zero_point"}, kClamp)},
      {"flatten", fields({}, {})},
      {"depthwise", fields({"channel_multiplier", "kernel", "stride", "padding",
                            "dilation", "weights", "bias"},
                           kQuant)},
      {"softmax", fields({"beta", "multiplier", "shift", "diff_min"}, {})},
      {"reshape", fields({"shape"}, {})},
      {"pad", fields({"paddings"}, {})},
      {"mean", fields({"keep_dims", "output_scale", "output_zero_point"}, {})},
      {"concat", fields({"axis", "output_scale", "output_zero_point"}, {})},
  };
  static const std::vector<std::string> kAll = [] {
    std::set<std::string> all;
    for (const auto& [type, f] : kFields) all.insert(f.begin(), f.end());
    return std::vector<std::string>(all.begin(), all.end());
  }();

  const std::string path = "layers[" + std::to_string(index) + "]";
  // With a valid type the fields are checked against that type's list, so a
  // misspelling is matched against the fields that could be meant.
  // A missing key of a const node is an invalid node, on which everything
  // but IsDefined() throws.
  const YAML::Node peek = node.IsMap() ? node["type"] : YAML::Node();
  const std::string peeked =
      peek.IsDefined() && peek.IsScalar() ? peek.Scalar() : "";
  const MapView m = kFields.count(peeked) ? Map(node, path, kFields.at(peeked),
                                                "a " + peeked + " layer", kAll)
                                          : Map(node, path, kAll);
  set_fallback_line(Line(node));

  Layer layer;
  layer.name = Name(Need(m, "name", "a layer name"), m.Path("name"), true);
  if (cfg->shapes.count(layer.name)) {
    Fail(m.Get("name"), m.Path("name"), "a name not used by an earlier layer",
         "'" + layer.name + "'");
  }

  const std::string types =
      "one of conv, depthwise, fc, maxpool, avgpool, add, flatten, softmax, "
      "reshape, pad, mean, concat";
  const YAML::Node type_node = Need(m, "type", types);
  const std::string type = type_node.IsScalar() ? type_node.Scalar() : "";
  if (!kFields.count(type)) {
    Fail(type_node, m.Path("type"), types, Describe(type_node));
  }
  static const std::map<std::string, LayerKind> kKinds = {
      {"conv", LayerKind::kConv},       {"fc", LayerKind::kFc},
      {"maxpool", LayerKind::kMaxPool}, {"avgpool", LayerKind::kAvgPool},
      {"add", LayerKind::kAdd},         {"flatten", LayerKind::kFlatten},
      {"depthwise", LayerKind::kConv},  {"softmax", LayerKind::kSoftmax},
      {"reshape", LayerKind::kReshape}, {"pad", LayerKind::kPad},
      {"mean", LayerKind::kMean},       {"concat", LayerKind::kConcat}};
  layer.kind = kKinds.at(type);

  // Inputs: a name or a list of names; defaults to the previous tensor.
  const bool concat = layer.kind == LayerKind::kConcat;
  const size_t arity = layer.kind == LayerKind::kAdd ? 2 : 1;
  const std::string in_path = m.Path("input");
  const std::string arity_text =
      concat       ? "a list of earlier tensor names [a, b, ...]"
      : arity == 2 ? "a list of two earlier tensor names [a, b]"
                   : "the name of an earlier layer or 'input'";
  const YAML::Node in_node = m.Get("input");
  if (!m.Has("input")) {
    if (arity == 2 || concat) Need(m, "input", arity_text);
    layer.inputs = {cfg->net.layers.empty() ? std::string("input")
                                            : cfg->net.layers.back().name};
  } else if (in_node.IsSequence()) {
    if (concat ? in_node.size() == 0 : in_node.size() != arity) {
      Fail(in_node, in_path, arity_text, Describe(in_node));
    }
    for (size_t i = 0; i < in_node.size(); ++i) {
      layer.inputs.push_back(
          String(in_node[i], in_path + "[" + std::to_string(i) + "]"));
    }
  } else {
    if (arity == 2 || concat) {
      Fail(in_node, in_path, arity_text, Describe(in_node));
    }
    layer.inputs = {String(in_node, in_path)};
  }
  std::vector<Shape> in_shapes;
  for (size_t i = 0; i < layer.inputs.size(); ++i) {
    if (!cfg->shapes.count(layer.inputs[i])) {
      const YAML::Node at = in_node.IsSequence() ? in_node[i] : in_node;
      Fail(at, in_path, "'input' or the name of an earlier layer",
           "'" + layer.inputs[i] + "'");
    }
    in_shapes.push_back(cfg->shapes.at(layer.inputs[i]));
  }
  const Shape& in = in_shapes[0];
  const TensorQuant& in_q = cfg->quant.at(layer.inputs[0]);
  const auto need_rank4 = [&](const char* what) {
    if (in.size() != 4) {
      Fail(m.Has("input") ? in_node : node, in_path,
           std::string("an NHWC tensor (rank 4) for ") + what,
           "'" + layer.inputs[0] + "' of shape " + ShapeToString(in));
    }
  };

  Shape out;
  TensorQuant out_q;
  switch (layer.kind) {
    case LayerKind::kConv:
    case LayerKind::kFc: {
      const bool conv = layer.kind == LayerKind::kConv;
      if (conv) need_rank4("a conv layer");
      ParseLayerPrecision(m, &layer);
      CheckInt16Input(m, layer);
      const bool a16w8 = layer.precision == Precision::kA16W8;
      // a16w8: the shapes of the int16 elements, not of their bytes.
      Shape elems = in;
      if (a16w8) elems.back() /= 2;
      if (!conv) {
        ParseFc(m, elems, &layer, &out);
      } else if (type == "depthwise") {
        ParseDepthwise(m, elems, &layer, &out);
      } else {
        ParseConv(m, elems, &layer, &out);
      }
      CheckPrecisionRange(m, layer);
      clamp16_ = a16w8;
      out_q = ParseQuant(m, in_q, layer.inputs[0], out.back(), &layer.quant);
      clamp16_ = false;
      if (a16w8) {
        if (layer.quant.in_zp != 0 || layer.quant.out_zp != 0) {
          Fail(m.node(), m.path(),
               "zero points 0 in precision a16w8 (int16 activations are "
               "symmetric)",
               "input " + std::to_string(layer.quant.in_zp) + ", output " +
                   std::to_string(layer.quant.out_zp));
        }
        ParseA16W8Bias(m, out.back(), &layer);
        out.back() *= 2;
        int16_tensors_.insert(layer.name);
      }
      break;
    }
    case LayerKind::kMaxPool:
    case LayerKind::kAvgPool:
      need_rank4("a pooling layer");
      ParsePool(m, in, &layer, &out);
      out_q = in_q;  // pooling keeps its input's quantization (TFLite)
      ParseClamp(m, in_q.zero_point, in_q.scale, &layer.pool.act_min,
                 &layer.pool.act_max);
      break;
    case LayerKind::kAdd: {
      if (in_shapes[0] != in_shapes[1]) {
        Fail(in_node, in_path, "two tensors of the same shape",
             "'" + layer.inputs[0] + "' " + ShapeToString(in_shapes[0]) +
                 " and '" + layer.inputs[1] + "' " +
                 ShapeToString(in_shapes[1]));
      }
      const TensorQuant& b_q = cfg->quant.at(layer.inputs[1]);
      for (size_t i = 0; i < 2; ++i) {
        if (!cfg->quant.at(layer.inputs[i]).scale) {
          Fail(in_node[i], in_path + "[" + std::to_string(i) + "]",
               "a tensor with a known scale (an add rescales both inputs; "
               "give output_scale where it is produced)",
               "'" + layer.inputs[i] + "' without one");
        }
      }
      out_q.scale = Real(Need(m, "output_scale", "a positive number"),
                         m.Path("output_scale"), 0, false,
                         std::numeric_limits<double>::infinity());
      if (m.Has("output_zero_point")) {
        out_q.zero_point =
            static_cast<int32_t>(Int(m.Get("output_zero_point"),
                                     m.Path("output_zero_point"), -128, 127));
      }
      AddParams& a = layer.add;
      a.a_scale = *in_q.scale;
      a.b_scale = *b_q.scale;
      a.out_scale = *out_q.scale;
      a.a_zp = in_q.zero_point;
      a.b_zp = b_q.zero_point;
      a.out_zp = out_q.zero_point;
      ParseClamp(m, out_q.zero_point, out_q.scale, &a.act_min, &a.act_max);
      out = in;
      break;
    }
    case LayerKind::kFlatten:
      out = {in[0], static_cast<int>(NumElements(in) / in[0])};
      out_q = in_q;
      break;
    case LayerKind::kSoftmax:
    case LayerKind::kReshape:
    case LayerKind::kPad:
    case LayerKind::kMean:
    case LayerKind::kConcat: {
      std::vector<TensorQuant> quants;
      for (const std::string& name : layer.inputs) {
        quants.push_back(cfg->quant.at(name));
      }
      ParseHostLayer(m, in_shapes, quants, &layer, &out, &out_q);
      break;
    }
  }

  if (layer.kind != LayerKind::kConv && layer.kind != LayerKind::kFc) {
    // Host layers and pooling: about one operation per output element and
    // window tap; the output cap is what matters.
    CheckLayerSize(node, path, out, 1);
  }

  if (layer.kind != LayerKind::kConv && layer.kind != LayerKind::kFc) {
    CheckInt16Input(m, layer);
  }

  // golden decides what it can run; its complaint gets our file and line.
  Shape golden_out;
  try {
    golden_out = InferOutputShape(layer, in_shapes);
  } catch (const InputError& e) {
    FailAt(node, path, std::string("golden rejects the layer: ") + e.what());
  }
  assert(golden_out == out);
  (void)golden_out;

  cfg->shapes[layer.name] = out;
  cfg->quant[layer.name] = out_q;
  cfg->net.layers.push_back(std::move(layer));
}

RunConfig Parser::Parse(const YAML::Node& root) {
  RunConfig cfg;
  cfg.file = file();
  if (!root.IsDefined() || root.IsNull()) {
    throw InputError(file() +
                     ":1: field '(top level)': expected a mapping "
                     "with fields hardware, network, layers, got an empty "
                     "document");
  }
  const MapView top = Map(root, "", {"hardware", "network", "layers"});
  if (top.Has("hardware")) ParseHardware(top.Get("hardware"), &cfg);
  ParseNetwork(Need(top, "network", "a mapping {name, input}"), &cfg);
  const YAML::Node layers = Need(top, "layers", "a list of layers");
  if (!layers.IsSequence() || layers.size() == 0 ||
      layers.size() > kMaxLayers) {
    Fail(layers, "layers",
         "a non-empty list of at most " + std::to_string(kMaxLayers) +
             " layers",
         Describe(layers));
  }
  for (size_t i = 0; i < layers.size(); ++i) ParseLayer(layers[i], i, &cfg);
  return cfg;
}

}  // namespace

RunConfig ParseRunConfig(const std::string& text, const std::string& file,
                         const std::string& base_dir) {
  const YAML::Node root = ParseYaml(text, file);
  try {
    return Parser(file, base_dir).Parse(root);
  } catch (const YAML::Exception& e) {
    // A yaml-cpp error the reader did not foresee is still the file's fault.
    throw InputError(file + ":" + std::to_string(e.mark.line + 1) +
                     ": unreadable YAML structure: " + e.msg);
  }
}

RunConfig LoadRunConfig(const std::string& path) {
  return ParseRunConfig(ReadTextFile(path, "YAML file"), path,
                        std::filesystem::path(path).parent_path().string());
}

void RequireRtlArray(const RunConfig& cfg, const std::vector<RtlBuild>& built) {
  const RtlBuild want{cfg.rows, cfg.cols, cfg.dram_bits, cfg.nm24};
  const std::string size = want.Name();
  std::string list;
  bool other_nm24 = false;  // built with the other 2:4 choice
  for (const RtlBuild& b : built) {
    if (b == want) return;
    RtlBuild flip = b;
    flip.nm24 = !flip.nm24;
    if (flip == want) other_nm24 = true;
    list += (list.empty() ? "" : ", ") + b.Name();
  }
  // A build without RTL gets the default sizes back along with the new one.
  std::string configs = built.empty() ? "4x4;16x16;" : "";
  for (const RtlBuild& b : built) configs += b.Name() + ";";
  if (configs.find(size + ";") == std::string::npos) configs += size + ";";
  configs.pop_back();
  if (other_nm24) {
    throw InputError(FieldMessage(
        cfg.file,
        cfg.nm24_line > 0 ? cfg.nm24_line : std::max(cfg.array_line, 1),
        "hardware.nm24",
        std::string(
            "expected a 2:4 choice with a built RTL simulator (built: ") +
            list + "), got " + (cfg.nm24 ? "true" : "false") + " (" + size +
            "); build it with: cmake -S . -B build -DSPARQ_RTL_CONFIGS=\"" +
            configs + "\" && cmake --build build (or use --backend golden)"));
  }
  throw InputError(FieldMessage(
      cfg.file, std::max(cfg.array_line, 1), "hardware.array",
      "expected an array size with a built RTL simulator (built: " +
          (list.empty() ? std::string("none, RTL was not built") : list) +
          "), got " + size + "; build it with: cmake -S . -B build" +
          (built.empty() ? " -DSPARQ_BUILD_RTL=ON" : "") +
          " -DSPARQ_RTL_CONFIGS=\"" + configs +
          "\" && cmake --build build (or use --backend golden)"));
}

}  // namespace sparq
