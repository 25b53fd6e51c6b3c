#include "bench/bench_layer.h"

#include <memory>
#include <vector>

#include "golden/random.h"
#include "golden/requant.h"
#include "sim/model_device.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/runtime.h"

namespace sparq {

Network OneLayerNetwork(const char* name, int hw, int cin, int cout, int k,
                        int pad) {
  Network net;
  net.name = name;
  Layer l;
  l.name = "layer";
  l.inputs = {"input"};
  if (hw == 0) {
    l.kind = LayerKind::kFc;
    net.input = Tensor<int8_t>({1, cin});
    l.weights = Tensor<int8_t>({cout, cin});
  } else {
    l.kind = LayerKind::kConv;
    l.geom.pad_top = l.geom.pad_bottom = l.geom.pad_left = l.geom.pad_right =
        pad;
    net.input = Tensor<int8_t>({1, hw, hw, cin});
    l.weights = Tensor<int8_t>({cout, k, k, cin});
  }
  net.layers.push_back(std::move(l));
  return net;
}

void SetUniformQuant(Layer& l, SplitMix64& rng, int in_zp, int out_zp,
                     double scale) {
  const int cout = l.weights.dim(0);
  l.bias.assign(static_cast<size_t>(cout), 0);
  for (auto& v : l.bias) v = static_cast<int32_t>(rng.Uniform(-20000, 20000));
  l.quant.in_zp = in_zp;
  l.quant.out_zp = out_zp;
  l.quant.act_min = -128;
  l.quant.act_max = 127;
  l.quant.multiplier.clear();
  l.quant.shift.clear();
  for (int o = 0; o < cout; ++o) {
    int32_t m;
    int s;
    QuantizeMultiplier(scale, &m, &s);
    l.quant.multiplier.push_back(m);
    l.quant.shift.push_back(s);
  }
}

OneLayerRun RunOneLayer(const Network& net, const HwConfig& hw, bool model) {
  const CompiledNetwork c = Compile(net, hw);
  std::unique_ptr<Device> dev = model ? MakeModelDevice(hw) : MakeRtlDevice(hw);
  const std::vector<LayerRun> runs = RunNetwork(net, c, *dev);
  const auto ref = RunNetworkReference(net);
  OneLayerRun r;
  r.ctr = runs[0].counters;
  r.cycles = r.ctr[kCtrCycles];
  r.exact = runs[0].output.data == ref.at("layer").data;
  for (const auto& [addr, bytes] : c.image) {
    if (bytes.size() > r.largest_constant) r.largest_constant = bytes.size();
  }
  return r;
}

}  // namespace sparq
