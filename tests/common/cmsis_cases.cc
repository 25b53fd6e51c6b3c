#include "tests/common/cmsis_cases.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "golden/errors.h"
#include "golden/int16_layers.h"
#include "golden/int4.h"
#include "golden/npy.h"

namespace sparq {
namespace {

using Params = std::map<std::string, std::string>;

Params ReadParams(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open");
  Params params;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, value;
    ls >> key;
    std::getline(ls >> std::ws, value);
    params[key] = value;
  }
  return params;
}

int Int(const Params& p, const std::string& path, const std::string& key) {
  const auto it = p.find(key);
  if (it == p.end()) throw InputError(path + ": missing '" + key + "'");
  try {
    return std::stoi(it->second);
  } catch (const std::exception&) {
    throw InputError(path + ": '" + key + "' is '" + it->second +
                     "', expected an integer");
  }
}

int IntOr(const Params& p, const std::string& path, const std::string& key,
          int fallback) {
  return p.count(key) ? Int(p, path, key) : fallback;
}

std::vector<int> Shifts(const std::string& path) {
  std::vector<int> shifts;
  for (int32_t s : LoadNpy<int32_t>(path).data) shifts.push_back(s);
  return shifts;
}

// Packed int4 weights unpacked to `weight_shape`; the depthwise filter keeps
// upstream's [1, KH, KW, C] order in the file and becomes OHWI [C, KH, KW, 1].
Tensor<int8_t> UnpackWeights(const std::vector<uint8_t>& packed,
                             const Shape& shape, bool depthwise) {
  Tensor<int8_t> w(shape);
  w.data = UnpackInt4(packed, NumElements(shape));
  if (!depthwise) return w;
  const int kh = shape[1], kw = shape[2], c = shape[3];
  Tensor<int8_t> ohwi({c, kh, kw, 1});
  for (int o = 0; o < c; ++o)
    for (int y = 0; y < kh; ++y)
      for (int x = 0; x < kw; ++x) ohwi.at(o, y, x, 0) = w.at(0, y, x, o);
  return ohwi;
}

}  // namespace

std::vector<std::string> ListCmsisCases(const std::string& dir) {
  std::vector<std::string> cases;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name[0] == '.') continue;
      if (std::ifstream(dir + "/" + name + "/params.txt")) {
        cases.push_back(name);
      }
    }
    closedir(d);
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

CmsisCase LoadCmsisCase(const std::string& dir, const std::string& name) {
  const std::string base = dir + "/" + name + "/";
  const std::string ppath = base + "params.txt";
  const Params p = ReadParams(ppath);
  CmsisCase c;
  c.name = name;
  c.kind = p.count("kind") ? p.at("kind") : "";
  if (c.kind != "conv" && c.kind != "depthwise" && c.kind != "fc") {
    throw InputError(ppath + ": kind '" + c.kind +
                     "', expected conv, depthwise or fc");
  }
  c.act_bits = IntOr(p, ppath, "act_bits", 8);
  c.weight_bits = IntOr(p, ppath, "weight_bits", 8);
  c.bias_bits = IntOr(p, ppath, "bias_bits", 32);
  if ((c.act_bits != 8 && c.act_bits != 16) ||
      (c.weight_bits != 8 && c.weight_bits != 4) ||
      (c.bias_bits != 32 && c.bias_bits != 64) ||
      (c.bias_bits == 64 && c.act_bits != 16)) {
    throw InputError(ppath + ": unsupported act_bits/weight_bits/bias_bits " +
                     std::to_string(c.act_bits) + "/" +
                     std::to_string(c.weight_bits) + "/" +
                     std::to_string(c.bias_bits));
  }
  if (c.kind != "fc") {
    c.geom.stride_h = Int(p, ppath, "stride_h");
    c.geom.stride_w = Int(p, ppath, "stride_w");
    c.geom.pad_top = Int(p, ppath, "pad_top");
    c.geom.pad_left = Int(p, ppath, "pad_left");
    c.geom.pad_bottom = Int(p, ppath, "pad_bottom");
    c.geom.pad_right = Int(p, ppath, "pad_right");
    c.geom.dilation_h = Int(p, ppath, "dilation_h");
    c.geom.dilation_w = Int(p, ppath, "dilation_w");
    c.geom.groups = Int(p, ppath, "groups");
  }

  if (c.weight_bits == 4) {
    Shape shape;
    std::istringstream dims(p.count("weight_shape") ? p.at("weight_shape")
                                                    : "");
    for (int d; dims >> d;) shape.push_back(d);
    if (shape.empty() || (c.kind == "depthwise" && shape.size() != 4)) {
      throw InputError(ppath + ": bad or missing 'weight_shape'");
    }
    c.packed_weights = LoadNpy<uint8_t>(base + "weights_int4.npy").data;
    c.weights = UnpackWeights(c.packed_weights, shape, c.kind == "depthwise");
  } else {
    c.weights = LoadNpy<int8_t>(base + "weights.npy");
  }
  if (c.bias_bits == 64) {
    c.bias64 = LoadNpy<int64_t>(base + "bias.npy").data;
  } else {
    c.bias32 = LoadNpy<int32_t>(base + "bias.npy").data;
  }

  const std::vector<int32_t> multiplier =
      LoadNpy<int32_t>(base + "multiplier.npy").data;
  const std::vector<int> shift = Shifts(base + "shift.npy");
  if (c.act_bits == 16) {
    c.input16 = LoadNpy<int16_t>(base + "input.npy");
    c.output16 = LoadNpy<int16_t>(base + "output.npy");
    c.q16.act_min = Int(p, ppath, "act_min");
    c.q16.act_max = Int(p, ppath, "act_max");
    c.q16.multiplier = multiplier;
    c.q16.shift = shift;
  } else {
    c.input8 = LoadNpy<int8_t>(base + "input.npy");
    c.output8 = LoadNpy<int8_t>(base + "output.npy");
    c.q8.in_zp = Int(p, ppath, "in_zp");
    c.q8.out_zp = Int(p, ppath, "out_zp");
    c.q8.act_min = Int(p, ppath, "act_min");
    c.q8.act_max = Int(p, ppath, "act_max");
    c.q8.multiplier = multiplier;
    c.q8.shift = shift;
  }
  return c;
}

namespace {

// The case's layer as "layer" reading "input": kind, geometry and weights.
Layer CmsisBaseLayer(const CmsisCase& c) {
  Layer l;
  l.name = "layer";
  l.kind = c.kind == "fc" ? LayerKind::kFc : LayerKind::kConv;
  l.inputs = {"input"};
  l.geom = c.geom;
  l.weights = c.weights;
  return l;
}

}  // namespace

Network CmsisLayerNetwork(const CmsisCase& c) {
  Network net;
  net.name = c.name;
  net.input = c.input8;
  Layer l = CmsisBaseLayer(c);
  l.bias = c.bias32;
  l.quant = c.q8;
  l.precision = c.weight_bits == 4 ? Precision::kA8W4 : Precision::kA8W8;
  net.layers.push_back(std::move(l));
  return net;
}

Network CmsisInt16LayerNetwork(const CmsisCase& c) {
  Network net;
  net.name = c.name;
  net.input = Int16ToBytes(c.input16);
  Layer l = CmsisBaseLayer(c);
  l.precision = Precision::kA16W8;
  l.bias32 = c.bias_bits == 32;
  l.bias = c.bias32;
  l.bias64 = c.bias64;
  l.quant.act_min = c.q16.act_min;
  l.quant.act_max = c.q16.act_max;
  l.quant.multiplier = c.q16.multiplier;
  l.quant.shift = c.q16.shift;
  net.layers.push_back(std::move(l));
  return net;
}

}  // namespace sparq
