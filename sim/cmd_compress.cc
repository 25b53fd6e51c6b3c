#include "sim/cmd_compress.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <vector>

#include "golden/errors.h"
#include "golden/npy.h"
#include "golden/precision.h"
#include "sim/output_stage.h"
#include "sim/packed_npy.h"
#include "sim/report.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;

bool Narrow(const sparq::Layer& l) {
  return PackedWeightsPerByte(l.precision) > 0;
}

// The weights' file under weights/: the packed form of a narrow layer
// (sim/packed_npy.h) or int8; `int8` names the int8 copy of a narrow layer's
// weights that model_a8w8.yaml reads.
std::string WeightFile(const sparq::Layer& l, bool int8) {
  return l.name + (int8 && Narrow(l) ? ".weights.i8.npy" : ".weights.npy");
}

// Every conv/fc layer's weights (packed for a narrow precision, plus an
// int8 copy) and int32 bias.
void SaveWeights(const Network& net, const std::string& dir) {
  fs::create_directories(dir);
  for (const sparq::Layer& l : net.layers) {
    if (l.kind != LayerKind::kConv && l.kind != LayerKind::kFc) continue;
    if (Narrow(l)) {
      SaveNpy(dir + "/" + WeightFile(l, false),
              PackWeightsNpy(l.precision, l.weights));
    }
    SaveNpy(dir + "/" + WeightFile(l, true), l.weights);
    Tensor<int32_t> bias({static_cast<int>(l.bias.size())});
    bias.data = l.bias;
    SaveNpy(dir + "/" + l.name + ".bias.npy", bias);
  }
}

// The layers of model.yaml, or with `int8` those of model_a8w8.yaml: the
// same network with every layer in precision a8w8 (int8 copies of the
// weights). An a1w1 layer is the same computation in a8w8 (its +-1 input has
// zero point 0, so padded taps add 0 in both).
std::string YamlLayers(const CompressResult& r, bool int8) {
  YAML::Emitter out;
  out << YAML::BeginSeq;
  std::map<std::string, int> zp = {{"input", r.input_zero_point}};
  for (size_t i = 0; i < r.net.layers.size(); ++i) {
    const sparq::Layer& l = r.net.layers[i];
    const int in_zp = zp.at(l.inputs[0]);
    zp[l.name] = l.kind == LayerKind::kConv || l.kind == LayerKind::kFc
                     ? l.quant.out_zp
                     : in_zp;
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << l.name;
    out << YAML::Key << "type" << YAML::Value << LayerKindName(l.kind);
    if (l.kind == LayerKind::kConv) {
      out << YAML::Key << "out_channels" << YAML::Value << l.weights.dim(0);
      out << YAML::Key << "kernel" << YAML::Value << YAML::Flow
          << YAML::BeginSeq << l.weights.dim(1) << l.weights.dim(2)
          << YAML::EndSeq;
      out << YAML::Key << "stride" << YAML::Value << YAML::Flow
          << YAML::BeginSeq << l.geom.stride_h << l.geom.stride_w
          << YAML::EndSeq;
      out << YAML::Key << "padding" << YAML::Value << YAML::Flow
          << YAML::BeginSeq << l.geom.pad_top << l.geom.pad_left
          << l.geom.pad_bottom << l.geom.pad_right << YAML::EndSeq;
      if (l.geom.groups != 1)
        out << YAML::Key << "groups" << YAML::Value << l.geom.groups;
    } else if (l.kind == LayerKind::kFc) {
      out << YAML::Key << "out_features" << YAML::Value << l.weights.dim(0);
    } else if (l.kind == LayerKind::kMaxPool) {
      out << YAML::Key << "kernel" << YAML::Value << YAML::Flow
          << YAML::BeginSeq << l.pool.kh << l.pool.kw << YAML::EndSeq;
      out << YAML::Key << "stride" << YAML::Value << YAML::Flow
          << YAML::BeginSeq << l.pool.stride_h << l.pool.stride_w
          << YAML::EndSeq;
    }
    if (l.kind == LayerKind::kConv || l.kind == LayerKind::kFc) {
      out << YAML::Key << "weights" << YAML::Value << YAML::Flow
          << YAML::BeginMap << YAML::Key << "npy" << YAML::Value
          << "weights/" + WeightFile(l, int8) << YAML::EndMap;
      out << YAML::Key << "bias" << YAML::Value << YAML::Flow << YAML::BeginMap
          << YAML::Key << "npy" << YAML::Value
          << "weights/" + l.name + ".bias.npy" << YAML::EndMap;
      if (!int8 && l.precision != Precision::kA8W8) {
        out << YAML::Key << "precision" << YAML::Value
            << PrecisionName(l.precision);
      }
      if (l.quant.in_zp != in_zp) {
        out << YAML::Key << "input_zero_point" << YAML::Value << l.quant.in_zp;
      }
      out << YAML::Key << "multiplier" << YAML::Value << YAML::Flow
          << l.quant.multiplier;
      out << YAML::Key << "shift" << YAML::Value << YAML::Flow << l.quant.shift;
      out << YAML::Key << "output_scale" << YAML::Value << r.output_scales[i];
      out << YAML::Key << "output_zero_point" << YAML::Value << l.quant.out_zp;
      out << YAML::Key << "act_min" << YAML::Value << l.quant.act_min;
      out << YAML::Key << "act_max" << YAML::Value << l.quant.act_max;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  return out.c_str();
}

// A non-negative count of images on the command line.
int Limit(const std::string& flag, int v) {
  if (v < 0) {
    throw InputError(flag + ": expected an integer >= 0 (0: all images), got " +
                     std::to_string(v));
  }
  return v;
}

}  // namespace

void WriteCompressedModel(const CompressResult& result, const Recipe& recipe,
                          const std::string& dir, int images, int rows,
                          int cols) {
  fs::create_directories(dir);
  SaveWeights(result.net, dir + "/weights");
  const Dataset test = LoadFashionMnist(recipe.data, "t10k", images);
  Tensor<int8_t> input({images, kImageSide, kImageSide, 1});
  for (size_t i = 0; i < input.data.size(); ++i) {
    input.data[i] = static_cast<int8_t>(static_cast<int>(test.pixels[i]) - 128);
  }
  SaveNpy(dir + "/input.npy", input);
  const bool narrow = std::any_of(result.net.layers.begin(),
                                  result.net.layers.end(), Narrow);
  for (const bool int8 : {false, true}) {
    if (int8 && !narrow) break;
    std::ostringstream y;
    y.precision(9);  // scales round-trip through float
    y << "# Written by `sparq compress` from recipe '" << recipe.name
      << "' (Fashion-MNIST CNN)"
      << (int8 ? ", every layer in precision a8w8 (the int8 form of "
                 "model.yaml, same outputs)"
               : "")
      << ".\n# Input: the first " << images
      << " test images, q = pixel - 128 (scale 1/255).\n"
      << "hardware:\n  array: [" << rows << ", " << cols << "]\n"
      << "network:\n  name: " << recipe.name << (int8 ? "_a8w8" : "")
      << "\n  input:\n    npy: input.npy\n"
      << "    zero_point: " << result.input_zero_point
      << "\n    scale: " << result.input_scale << "\nlayers:\n";
    std::istringstream layers(YamlLayers(result, int8));
    for (std::string line; std::getline(layers, line);)
      y << "  " << line << "\n";
    WriteFileAtomically(dir + (int8 ? "/model_a8w8.yaml" : "/model.yaml"),
                        y.str());
  }
  WriteFileAtomically(dir + "/report.md", "# sparq compress: " + recipe.name +
                                              "\n\n" + FormatReport(result));
}

void ExportCompressedModel(const CompressResult& result, const Recipe& recipe,
                           int images, int rows, int cols,
                           OutputStage* stage) {
  const std::string tree = stage->BeginTree();
  WriteCompressedModel(result, recipe, tree, images, rows, cols);
  stage->Commit();
}

void AddCompressCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("compress",
                                 "Compress the Fashion-MNIST baseline with a "
                                 "recipe (docs/compression.md)");
  struct Opts {
    std::string recipe, out;
    int train_limit = -1, test_limit = -1, images = 4;
    bool quiet = false;
    std::vector<int> array = {16, 16};
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("recipe", o->recipe, "recipe YAML")->required();
  cmd->add_option("--out", o->out, "output folder (default out/<recipe name>)");
  auto* train_limit = cmd->add_option(
      "--train-limit", o->train_limit,
      "use only the first N training images (overrides the recipe)");
  auto* test_limit = cmd->add_option(
      "--test-limit", o->test_limit,
      "evaluate on the first N test images (overrides the recipe)");
  cmd->add_option("--images", o->images, "test images in the written input.npy")
      ->check(CLI::Range(1, 10000));
  cmd->add_flag("--quiet", o->quiet, "no progress output");
  cmd->add_option("--array", o->array,
                  "R C: the array size written into model.yaml (default 16 "
                  "16; sparq run checks it)")
      ->expected(2)
      ->check(CLI::Range(1, 4096));
  cmd->callback([o, train_limit, test_limit]() {
    Recipe r = LoadRecipe(o->recipe);
    if (train_limit->count()) {
      r.train_limit = Limit("--train-limit", o->train_limit);
    }
    if (test_limit->count()) {
      r.test_limit = Limit("--test-limit", o->test_limit);
    }
    r.progress = !o->quiet;
    // Everything is checked before training starts, --out included (a
    // folder, made if missing, in which files can be created). A failure
    // or SIGINT/SIGTERM from here on leaves nothing behind.
    const std::string out = o->out.empty() ? "out/" + r.name : o->out;
    PreflightRecipe(r);
    OutputStage stage;
    stage.AddDir("--out", out, /*make_parents=*/true);
    stage.Arm();
    const CompressResult result = RunRecipe(r);
    ExportCompressedModel(result, r, o->images, o->array[0], o->array[1],
                          &stage);
    std::cout << FormatReport(result) << "\nwrote " << out << "/report.md and "
              << out << "/model.yaml (sparq run " << out << "/model.yaml)";
    std::cout << "\n";
  });
}

}  // namespace sparq
