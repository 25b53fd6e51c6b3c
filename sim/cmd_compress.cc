#include "sim/cmd_compress.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "golden/errors.h"
#include "golden/npy.h"
#include "sim/output_stage.h"
#include "sim/report.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;

std::string YamlLayers(const CompressResult& r) {
  YAML::Emitter out;
  out << YAML::BeginSeq;
  for (size_t i = 0; i < r.net.layers.size(); ++i) {
    const sparq::Layer& l = r.net.layers[i];
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
          << "weights/" + l.name + ".weights.npy" << YAML::EndMap;
      out << YAML::Key << "bias" << YAML::Value << YAML::Flow << YAML::BeginMap
          << YAML::Key << "npy" << YAML::Value
          << "weights/" + l.name + ".bias.npy" << YAML::EndMap;
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

bool WriteCompressedModel(const CompressResult& result, const Recipe& recipe,
                          const std::string& dir, int images) {
  fs::create_directories(dir);
  SaveIntegerWeights(result.net, dir + "/weights");
  const Dataset test = LoadFashionMnist(recipe.data, "t10k", images);
  Tensor<int8_t> input({images, kImageSide, kImageSide, 1});
  for (size_t i = 0; i < input.data.size(); ++i) {
    input.data[i] = static_cast<int8_t>(static_cast<int>(test.pixels[i]) - 128);
  }
  SaveNpy(dir + "/input.npy", input);
  std::string note;
  if (std::find(result.binary_input.begin(), result.binary_input.end(), true) !=
      result.binary_input.end()) {
    // sparq run has no layer for binary activations: no model.yaml.
    note =
        "\nmodel.yaml not written: binary activations (A1W1) have no "
        "accelerator mode yet; the integer accuracy above comes from "
        "golden's XNOR-popcount kernel.\n";
  } else {
    std::ostringstream y;
    y.precision(9);  // scales round-trip through float
    y << "# Written by `sparq compress` from recipe '" << recipe.name
      << "' (Fashion-MNIST CNN).\n# Input: the first " << images
      << " test images, q = pixel - 128 (scale 1/255).\n"
      << "hardware:\n  array: [16, 16]\n"
      << "network:\n  name: " << recipe.name
      << "\n  input:\n    npy: input.npy\n"
      << "    zero_point: " << result.input_zero_point
      << "\n    scale: " << result.input_scale << "\nlayers:\n";
    std::istringstream layers(YamlLayers(result));
    for (std::string line; std::getline(layers, line);)
      y << "  " << line << "\n";
    WriteFileAtomically(dir + "/model.yaml", y.str());
  }
  WriteFileAtomically(dir + "/report.md",
            "# sparq compress: " + recipe.name + "\n\n" + FormatReport(result));
  return note.empty();
}

bool ExportCompressedModel(const CompressResult& result, const Recipe& recipe,
                           int images, OutputStage* stage) {
  const std::string tree = stage->BeginTree();
  const bool yaml = WriteCompressedModel(result, recipe, tree, images);
  stage->Commit();
  return yaml;
}

void AddCompressCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("compress",
                                 "Compress the Fashion-MNIST baseline with a "
                                 "recipe (docs/compression.md)");
  struct Opts {
    std::string recipe, out;
    int train_limit = -1, test_limit = -1, images = 4;
    bool quiet = false;
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
    const bool yaml = ExportCompressedModel(result, r, o->images, &stage);
    std::cout << FormatReport(result) << "\nwrote " << out << "/report.md";
    if (yaml) {
      std::cout << " and " << out << "/model.yaml (sparq run " << out
                << "/model.yaml)";
    } else {
      std::cout << "; no model.yaml: binary activations have no accelerator "
                   "mode yet";
    }
    std::cout << "\n";
  });
}

}  // namespace sparq
