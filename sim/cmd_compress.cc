#include "sim/cmd_compress.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "golden/errors.h"
#include "golden/npy.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;

class RecipeReader {
 public:
  explicit RecipeReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void Fail(const YAML::Node& n, const std::string& field,
                         const std::string& msg) const {
    const int line = n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
    throw InputError(file_ + ":" + std::to_string(line) + ": field '" + field +
                     "': " + msg);
  }

  void CheckKeys(const YAML::Node& map, const std::string& where,
                 const std::set<std::string>& allowed) const {
    if (!map.IsMap()) Fail(map, where, "expected a mapping");
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        Fail(kv.first, where.empty() ? key : where + "." + key,
             "unknown field; expected one of " + list);
      }
    }
  }

  template <typename T>
  T Get(const YAML::Node& n, const std::string& field, const char* what) const {
    if (!n.IsScalar()) Fail(n, field, std::string("expected ") + what);
    // Quoted scalars are strings, never numbers.
    if (n.Tag() == "!" && !std::is_same_v<T, std::string>) {
      Fail(n, field, std::string("expected ") + what + ", got a quoted string");
    }
    try {
      return n.as<T>();
    } catch (const YAML::Exception&) {
      Fail(n, field,
           std::string("expected ") + what + ", got '" + n.Scalar() + "'");
    }
  }

 private:
  std::string file_;
};

const char* const kTopKeys[] = {"name",        "baseline",   "seed",
                                "train_limit", "test_limit", "calib_images",
                                "steps"};
const char* const kStepKeys[] = {
    "method",   "layers", "rank", "ranks", "energy",  "groups", "iterations",
    "sparsity", "keep",   "n",    "m",     "weights", "epochs", "lr"};

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

// Writes through a temporary file and a rename, like the other outputs.
void WriteText(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    f << text;
    if (!f) throw InputError(path + ": cannot write");
  }
  fs::rename(tmp, path);
}

}  // namespace

Recipe ParseRecipe(const std::string& text, const std::string& file,
                   const std::string& base_dir) {
  RecipeReader rd(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(file + ":" + std::to_string(e.mark.line + 1) +
                     ": YAML syntax: " + e.msg);
  }
  rd.CheckKeys(root, "", {std::begin(kTopKeys), std::end(kTopKeys)});
  Recipe r;
  r.name = fs::path(file).stem().string();
  if (root["name"])
    r.name = rd.Get<std::string>(root["name"], "name", "a string");
  if (root["baseline"]) {
    r.baseline = rd.Get<std::string>(root["baseline"], "baseline", "a folder");
    if (fs::path(r.baseline).is_relative())
      r.baseline = (fs::path(base_dir) / r.baseline).string();
  } else {
    r.baseline = (fs::path(base_dir) / ".." / "baseline").string();
  }
  if (root["seed"])
    r.seed = rd.Get<uint32_t>(root["seed"], "seed", "an unsigned integer");
  if (root["train_limit"])
    r.train_limit =
        rd.Get<int>(root["train_limit"], "train_limit", "an integer");
  if (root["test_limit"])
    r.test_limit = rd.Get<int>(root["test_limit"], "test_limit", "an integer");
  if (root["calib_images"]) {
    r.calib_images =
        rd.Get<int>(root["calib_images"], "calib_images", "an integer");
    if (r.calib_images < 1)
      rd.Fail(root["calib_images"], "calib_images", "expected >= 1");
  }
  const YAML::Node steps = root["steps"];
  if (!steps || !steps.IsSequence() || steps.size() == 0) {
    rd.Fail(steps ? steps : root, "steps",
            "expected a non-empty list of steps");
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    const YAML::Node s = steps[i];
    const std::string at = "steps[" + std::to_string(i) + "]";
    rd.CheckKeys(s, at, {std::begin(kStepKeys), std::end(kStepKeys)});
    RecipeStep st;
    if (!s["method"]) rd.Fail(s, at + ".method", "required");
    st.method =
        rd.Get<std::string>(s["method"], at + ".method", "a method name");
    if (st.method == "cp") st.cp_iterations = 100;
    if (const YAML::Node l = s["layers"]) {
      if (!l.IsSequence())
        rd.Fail(l, at + ".layers", "expected a list of layer names");
      for (size_t j = 0; j < l.size(); ++j) {
        st.layers.push_back(
            rd.Get<std::string>(l[j], at + ".layers", "a layer name"));
      }
    }
    if (s["rank"]) st.rank = rd.Get<int>(s["rank"], at + ".rank", "an integer");
    if (const YAML::Node rk = s["ranks"]) {
      if (!rk.IsSequence() || rk.size() != 2) {
        rd.Fail(rk, at + ".ranks", "expected [rank_in, rank_out]");
      }
      st.rank_in = rd.Get<int>(rk[0], at + ".ranks", "an integer");
      st.rank_out = rd.Get<int>(rk[1], at + ".ranks", "an integer");
    }
    if (s["energy"])
      st.energy = rd.Get<double>(s["energy"], at + ".energy", "a number");
    if (s["groups"])
      st.groups = rd.Get<int>(s["groups"], at + ".groups", "an integer");
    if (s["iterations"]) {
      const int it =
          rd.Get<int>(s["iterations"], at + ".iterations", "an integer");
      if (st.method == "cp")
        st.cp_iterations = it;
      else
        st.iterations = it;
    }
    if (s["sparsity"])
      st.sparsity = rd.Get<double>(s["sparsity"], at + ".sparsity", "a number");
    if (s["keep"]) st.keep = rd.Get<int>(s["keep"], at + ".keep", "an integer");
    if (s["n"]) st.n = rd.Get<int>(s["n"], at + ".n", "an integer");
    if (s["m"]) st.m = rd.Get<int>(s["m"], at + ".m", "an integer");
    if (s["weights"])
      st.weights =
          rd.Get<std::string>(s["weights"], at + ".weights", "a precision");
    if (s["epochs"])
      st.epochs = rd.Get<int>(s["epochs"], at + ".epochs", "an integer");
    if (s["lr"]) st.lr = rd.Get<float>(s["lr"], at + ".lr", "a number");
    r.steps.push_back(st);
  }
  return r;
}

Recipe LoadRecipe(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw InputError(path + ": cannot open the recipe");
  std::stringstream ss;
  ss << f.rdbuf();
  return ParseRecipe(ss.str(), path, fs::path(path).parent_path().string());
}

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
    WriteText(dir + "/model.yaml", y.str());
  }
  WriteText(dir + "/report.md",
            "# sparq compress: " + recipe.name + "\n\n" + FormatReport(result));
  return note.empty();
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
  cmd->add_option(
      "--train-limit", o->train_limit,
      "use only the first N training images (overrides the recipe)");
  cmd->add_option("--test-limit", o->test_limit,
                  "evaluate on the first N test images (overrides the recipe)");
  cmd->add_option("--images", o->images, "test images in the written input.npy")
      ->check(CLI::Range(1, 10000));
  cmd->add_flag("--quiet", o->quiet, "no progress output");
  cmd->callback([o]() {
    Recipe r = LoadRecipe(o->recipe);
    if (o->train_limit >= 0) r.train_limit = o->train_limit;
    if (o->test_limit >= 0) r.test_limit = o->test_limit;
    r.progress = !o->quiet;
    const std::string out = o->out.empty() ? "out/" + r.name : o->out;
    const CompressResult result = RunRecipe(r);
    const bool yaml = WriteCompressedModel(result, r, out, o->images);
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
