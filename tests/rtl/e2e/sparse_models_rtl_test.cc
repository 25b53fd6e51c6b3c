// The pruned Fashion-MNIST models of `sparq compress` (models/recipes/
// prune90.yaml: unstructured 91 % in conv2 and fc1; nm24.yaml: 2:4 in every
// layer) on the unstructured sparse engine of the verilated 4x4 build. The
// recipes run as shipped except for the data: fine-tuning on a 256-image
// subset, so the test takes seconds; the pruning itself (exact non-zero
// counts per layer, 2:4 groups) is the full recipe's. The model goes through
// the files `sparq compress` writes and `sparq run` reads (model.yaml,
// weights/*.npy), every conv and fc layer is forced onto the sparse engine
// (engine: sparse), and every output element of every layer is compared with
// golden's integer reference, on the RTL and on the machine model. The 2:4
// model also runs with every conv and fc layer in the array's 2:4 mode
// (engine: nm24, GEMM mode N24W8).

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "golden/compress/recipe.h"
#include "golden/network.h"
#include "sim/checker.h"
#include "sim/cmd_compress.h"
#include "sim/model_device.h"
#include "sim/network_yaml.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/isa.h"
#include "sw/pack_nm.h"
#include "sw/runtime.h"
#include "tests/common/build_paths.h"
#include "tests/common/network_on_rtl.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;

constexpr int kImages = 2;

RunConfig CompressedModel(const std::string& recipe_name) {
  Recipe r = LoadRecipe(std::string(SPARQ_SOURCE_DIR) + "/models/recipes/" +
                        recipe_name + ".yaml");
  r.train_limit = 256;
  r.test_limit = 40;
  r.calib_images = 64;
  r.progress = false;
  const CompressResult res = RunRecipe(r);
  const fs::path dir = fs::temp_directory_path() /
                       ("sparq_sparse_models_" + recipe_name + "_" +
                        std::to_string(::getpid()));
  WriteCompressedModel(res, r, dir.string(), kImages);
  RunConfig cfg = LoadRunConfig((dir / "model.yaml").string());
  fs::remove_all(dir);
  return cfg;
}

double Density(const Layer& l) {
  size_t nz = 0;
  for (int8_t w : l.weights.data) nz += w != 0;
  return static_cast<double>(nz) / static_cast<double>(l.weights.size());
}

// Every conv and fc layer on the sparse engine; every output of every layer
// equal to golden on the RTL and the model, the exact counters equal.
void ExpectSparseModelMatchesGolden(Network net) {
  for (Layer& l : net.layers) {
    if (l.kind == LayerKind::kConv || l.kind == LayerKind::kFc) {
      l.engine = LayerEngine::kSparse;
    }
  }
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.dram_latency = 7;
  hw.dram_stall = 0.05;
  const CompiledNetwork compiled = Compile(net, hw);
  int sparse_layers = 0;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    if (net.layers[i].engine == LayerEngine::kSparse) {
      EXPECT_EQ(compiled.layers[i].engine, LayerEngine::kSparse)
          << net.layers[i].name;
      ++sparse_layers;
    }
  }
  EXPECT_EQ(sparse_layers, 4);
  const NetworkRuns runs = ExpectNetworkMatchesOnRtlAndModel(
      net, compiled, hw,
      {kCtrInstrs, kCtrSparseZeroWeights, kCtrSparseZeroActs,
       kCtrSparseMetaWords, kCtrArrayBusy});
  for (const LayerRun& run : runs.rtl) {
    if (run.host) continue;
    EXPECT_EQ(run.counters[kCtrArrayBusy], 0u) << run.name;
    EXPECT_GT(run.counters[kCtrSparseMetaWords], 0u) << run.name;
  }
}

TEST(SparseModelsRtlTest, Prune90RunsOnTheSparseEngine) {
  const RunConfig cfg = CompressedModel("prune90");
  ASSERT_EQ(cfg.net.input.shape, (Shape{kImages, 28, 28, 1}));
  for (const Layer& l : cfg.net.layers) {
    // conv2 and fc1 pruned to 91 % zeros (int8 rounding may add zeros).
    if (l.name == "conv2" || l.name == "fc1") {
      EXPECT_LE(Density(l), 0.09 + 1e-3) << l.name;
    }
  }
  ExpectSparseModelMatchesGolden(cfg.net);
}

TEST(SparseModelsRtlTest, Nm24RunsOnTheSparseEngine) {
  const RunConfig cfg = CompressedModel("nm24");
  for (const Layer& l : cfg.net.layers) {
    if (l.kind != LayerKind::kConv && l.kind != LayerKind::kFc) continue;
    // In every output channel, every group of 4 consecutive weights along
    // the reduction (and a trailing partial group) keeps at most 2.
    const int outs = l.weights.dim(0);
    const size_t per_out = l.weights.size() / static_cast<size_t>(outs);
    for (int o = 0; o < outs; ++o) {
      for (size_t g = 0; g < per_out; g += 4) {
        int nz = 0;
        for (size_t e = g; e < std::min(per_out, g + 4); ++e) {
          nz += l.weights.data[o * per_out + e] != 0;
        }
        ASSERT_LE(nz, 2) << l.name << " channel " << o << " group " << g / 4;
      }
    }
  }
  ExpectSparseModelMatchesGolden(cfg.net);
}

// The 2:4 model with every conv and fc layer in the array's 2:4 mode: every
// output of every layer equal to golden on the RTL and the model, the exact
// counters equal, and every GEMM of those layers in mode N24W8.
TEST(SparseModelsRtlTest, Nm24RunsOnTheArrayIn24Mode) {
  RunConfig cfg = CompressedModel("nm24");
  Network& net = cfg.net;
  int nm_layers = 0;
  for (Layer& l : net.layers) {
    if (l.kind != LayerKind::kConv && l.kind != LayerKind::kFc) continue;
    EXPECT_EQ(Nm24Violation(l), "") << l.name;
    l.engine = LayerEngine::kNm24;
    ++nm_layers;
  }
  EXPECT_EQ(nm_layers, 4);
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.dram_latency = 7;
  hw.dram_stall = 0.05;
  const CompiledNetwork compiled = Compile(net, hw);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    if (net.layers[i].engine != LayerEngine::kNm24) continue;
    EXPECT_EQ(compiled.layers[i].engine, LayerEngine::kNm24)
        << net.layers[i].name;
    int gemms = 0;
    for (const InstrWord& w : compiled.layers[i].program) {
      if (OpcodeOf(w) != Opcode::kGemm) continue;
      EXPECT_EQ(DecodeGemm(w).mode, kGemmModeN24W8) << net.layers[i].name;
      ++gemms;
    }
    EXPECT_GT(gemms, 0) << net.layers[i].name;
  }
  ExpectNetworkMatchesOnRtlAndModel(
      net, compiled, hw,
      {kCtrInstrs, kCtrArrayBusy, kCtrMacsIssued, kCtrUsefulMacs});
}

}  // namespace
}  // namespace sparq
