#include "sw/runtime.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "golden/network.h"
#include "golden/errors.h"
#include "golden/requant.h"
#include "sim/model_device.h"
#include "sw/compiler.h"
#include "tests/common/random_layers.h"

namespace sparq {
namespace {

Layer Conv(SplitMix64* rng, const std::string& name, const std::string& in,
           int cin, int cout, int k, int stride, int groups, bool relu) {
  Layer l;
  l.name = name;
  l.kind = LayerKind::kConv;
  l.inputs = {in};
  l.geom.stride_h = l.geom.stride_w = stride;
  l.geom.pad_top = l.geom.pad_bottom = l.geom.pad_left = l.geom.pad_right =
      k / 2;
  l.geom.groups = groups;
  l.weights = RandomTensor(rng, {cout, k, k, cin / groups});
  for (int c = 0; c < cout; ++c) l.bias.push_back(RandInt(rng, -3000, 3000));
  l.quant.in_zp = -7;
  l.quant.out_zp = relu ? -128 : 3;
  l.quant.act_min = l.quant.out_zp;
  for (int c = 0; c < cout; ++c) {
    int32_t m;
    int s;
    QuantizeMultiplier(0.0009 + 0.0001 * c, &m, &s);
    l.quant.multiplier.push_back(m);
    l.quant.shift.push_back(s);
  }
  if (!relu) l.quant.act_min = -128;
  return l;
}

// conv -> host maxpool -> conv -> host add (skip) -> depthwise -> flatten
// -> fc: accelerator and host layers alternate through DRAM.
Network SmallNet(SplitMix64* rng) {
  Network net;
  net.name = "small";
  net.input = RandomTensor(rng, {1, 9, 9, 5});
  net.layers.push_back(Conv(rng, "conv1", "input", 5, 8, 3, 1, 1, true));
  Layer pool;
  pool.name = "pool";
  pool.kind = LayerKind::kMaxPool;
  pool.inputs = {"conv1"};
  net.layers.push_back(pool);
  net.layers.push_back(Conv(rng, "conv2", "pool", 8, 8, 3, 1, 1, false));
  Layer add;
  add.name = "add";
  add.kind = LayerKind::kAdd;
  add.inputs = {"pool", "conv2"};
  add.add.a_scale = 0.05;
  add.add.b_scale = 0.08;
  add.add.out_scale = 0.1;
  add.add.a_zp = -128;
  add.add.b_zp = 3;
  add.add.out_zp = -5;
  net.layers.push_back(add);
  net.layers.push_back(Conv(rng, "dw", "add", 8, 8, 3, 2, 8, false));
  Layer flat;
  flat.name = "flat";
  flat.kind = LayerKind::kFlatten;
  flat.inputs = {"dw"};
  net.layers.push_back(flat);
  Layer fc;
  fc.name = "fc";
  fc.kind = LayerKind::kFc;
  fc.inputs = {"flat"};
  fc.weights = RandomTensor(rng, {10, 32});
  fc.quant.in_zp = 3;
  fc.quant.out_zp = 0;
  for (int c = 0; c < 10; ++c) {
    int32_t m;
    int s;
    QuantizeMultiplier(0.0004, &m, &s);
    fc.quant.multiplier.push_back(m);
    fc.quant.shift.push_back(s);
  }
  net.layers.push_back(fc);
  return net;
}

TEST(RuntimeTest, MixedNetworkMatchesGoldenLayerByLayer) {
  SplitMix64 rng(42);
  const Network net = SmallNet(&rng);
  const HwConfig hw = HwConfig::ForArray(4, 4);
  const CompiledNetwork c = Compile(net, hw);
  std::unique_ptr<Device> dev = MakeModelDevice(hw);
  const std::vector<LayerRun> runs = RunNetwork(net, c, *dev);
  const std::map<std::string, Tensor<int8_t>> ref = RunNetworkReference(net);
  ASSERT_EQ(runs.size(), net.layers.size());
  for (size_t n = 0; n < runs.size(); ++n) {
    const LayerRun& run = runs[n];
    const Tensor<int8_t>& want = ref.at(run.name);
    EXPECT_EQ(run.name, net.layers[n].name);
    EXPECT_EQ(run.kind, net.layers[n].kind);
    EXPECT_EQ(run.host, IsHostLayer(run.kind)) << run.name;
    ASSERT_EQ(run.output.shape, want.shape) << run.name;
    size_t bad = 0;
    for (size_t i = 0; i < want.size(); ++i)
      bad += run.output.data[i] != want.data[i];
    EXPECT_EQ(bad, 0u) << run.name << ": " << bad << " of " << want.size()
                       << " differ";
    // Not degenerate: a constant output would hide layout errors.
    EXPECT_GT(std::set<int8_t>(want.data.begin(), want.data.end()).size(), 3u)
        << run.name;
    EXPECT_GE(run.seconds, 0.0);
    if (run.host) {
      EXPECT_EQ(run.counters[kCtrInstrs], 0u) << run.name;
      EXPECT_EQ(run.macs, 0u) << run.name;
    } else {
      EXPECT_EQ(run.counters[kCtrInstrs], c.layers[n].program.size());
      EXPECT_EQ(run.counters[kCtrUsefulMacs], run.macs) << run.name;
      EXPECT_GT(run.counters[kCtrCycles], run.counters[kCtrArrayBusy]);
    }
  }
}

TEST(RuntimeTest, RejectsAMismatchedDeviceOrInput) {
  SplitMix64 rng(1);
  Network net = SmallNet(&rng);
  const CompiledNetwork c = Compile(net, HwConfig::ForArray(4, 4));
  std::unique_ptr<Device> big = MakeModelDevice(HwConfig::ForArray(16, 16));
  try {
    RunNetwork(net, c, *big);
    ADD_FAILURE() << "ran a 4x4 program on a 16x16 device";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("compiled for 4x4"), std::string::npos)
        << e.what();
  }
  std::unique_ptr<Device> dev = MakeModelDevice(HwConfig::ForArray(4, 4));
  net.input = RandomTensor(&rng, {1, 9, 8, 5});
  EXPECT_THROW(RunNetwork(net, c, *dev), InputError);
}

}  // namespace
}  // namespace sparq
