// The compiler's engine choice (docs/sparse.md, "Choosing the engine") and
// the sparse lowering on the machine model: every output compared with
// golden, and `engine: auto` never slower than the array on the model's
// cycle estimate.

#include <gtest/gtest.h>

#include <string>

#include "golden/errors.h"
#include "golden/network.h"
#include "sim/checker.h"
#include "sim/model_device.h"
#include "sw/compiler.h"
#include "sw/runtime.h"
#include "tests/common/random_layers.h"

namespace sparq {
namespace {

Network SparseFc(int batch, int in, int out, double density, uint64_t seed) {
  SplitMix64 rng(seed);
  Layer l = RandomFcLayer(&rng, "layer", in, out);
  for (int8_t& w : l.weights.data) {
    if (!Coin(&rng, density)) w = 0;
  }
  return OneLayerNetwork(&rng, {batch, in}, l);
}

struct Outcome {
  LayerEngine engine;
  uint64_t cycles;
};

Outcome RunOnModel(const Network& net, const HwConfig& hw) {
  const CompiledNetwork c = Compile(net, hw);
  auto dev = MakeModelDevice(hw);
  const auto runs = RunNetwork(net, c, *dev);
  const auto ref = RunNetworkReference(net);
  const CompareResult r = CompareTensors(ref.at("layer"), runs[0].output);
  EXPECT_TRUE(r.ok()) << DescribeMismatch("layer", r);
  EXPECT_EQ(r.compared, ref.at("layer").size());
  return {c.layers[0].engine, runs[0].counters[kCtrCycles]};
}

TEST(SparseCompileTest, AutoPicksSparseForAVerySparseFcAndIsFaster) {
  Network net = SparseFc(1, 1024, 512, 0.05, 1);
  const HwConfig hw = HwConfig::ForArray(16, 16);
  const Outcome chosen = RunOnModel(net, hw);
  net.layers[0].engine = LayerEngine::kDense;
  const Outcome dense = RunOnModel(net, hw);
  EXPECT_EQ(chosen.engine, LayerEngine::kSparse);
  EXPECT_EQ(dense.engine, LayerEngine::kDense);
  EXPECT_LT(chosen.cycles, dense.cycles);
}

TEST(SparseCompileTest, AutoKeepsDenseLayersOnTheArray) {
  const Network net = SparseFc(1, 256, 64, 1.0, 2);
  EXPECT_EQ(RunOnModel(net, HwConfig::ForArray(16, 16)).engine,
            LayerEngine::kDense);
}

// A conv with many pixels reuses each weight across them on the array: at
// 30% density it stays dense.
TEST(SparseCompileTest, AutoNeverSlowerThanDenseOnAWideConv) {
  SplitMix64 rng(4);
  ConvGeometry g;
  Layer l = RandomConvLayer(&rng, "layer", 32, 32, 1, 1, g);
  for (int8_t& w : l.weights.data) {
    if (!Coin(&rng, 0.3)) w = 0;
  }
  Network net = OneLayerNetwork(&rng, {1, 14, 14, 32}, l);
  const HwConfig hw = HwConfig::ForArray(16, 16);
  const Outcome chosen = RunOnModel(net, hw);
  net.layers[0].engine = LayerEngine::kDense;
  const Outcome dense = RunOnModel(net, hw);
  EXPECT_LE(chosen.cycles, dense.cycles);
  net.layers[0].engine = LayerEngine::kSparse;
  const Outcome sparse = RunOnModel(net, hw);
  EXPECT_EQ(sparse.engine, LayerEngine::kSparse);
  EXPECT_GT(sparse.cycles, dense.cycles);
}

TEST(SparseCompileTest, ForcedSparseOnAGroupedConvSaysWhy) {
  SplitMix64 rng(5);
  ConvGeometry g;
  g.groups = 2;
  Layer l = RandomConvLayer(&rng, "layer", 8, 8, 3, 3, g);
  l.engine = LayerEngine::kSparse;
  const Network net = OneLayerNetwork(&rng, {1, 6, 6, 8}, l);
  try {
    Compile(net, HwConfig::ForArray(4, 4));
    FAIL() << "grouped conv compiled for the sparse engine";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("layer 'layer'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("engine: sparse"), std::string::npos) << msg;
    EXPECT_NE(msg.find("grouped"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace sparq
