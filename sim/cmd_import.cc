#include "sim/cmd_import.h"

#include <stdlib.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/network.h"
#include "sim/output_stage.h"
#include "sim/tflite/importer.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;

struct ImportOptions {
  std::string model;
  std::string out;
  std::string input;
  std::string name;
  std::string array;  // RxC, recorded in the YAML's hardware section
};

std::string YamlName(const ImportOptions& o) {
  if (!o.name.empty()) return o.name;
  return fs::path(o.model).stem().string() + ".yaml";
}

TfliteImportOptions ToImporter(const std::string& input_npy) {
  TfliteImportOptions t;
  // The YAML lives elsewhere than the caller's working folder.
  if (!input_npy.empty()) t.input_npy = fs::absolute(input_npy).string();
  return t;
}

// Reads the written YAML back, so a model that imports is one sparq runs.
RunConfig CheckImported(const std::string& model, const std::string& yaml) {
  try {
    return LoadRunConfig(yaml);
  } catch (const InputError& e) {
    throw InputError(model +
                     ": the imported network does not load: " + e.what());
  }
}

void RunImport(const ImportOptions& o) {
  if (!IsTflitePath(o.model)) {
    throw InputError(o.model + ": expected a .tflite file");
  }
  const std::string name = YamlName(o);
  if (name.find('/') != std::string::npos ||
      fs::path(name).extension() != ".yaml") {
    throw InputError("--name " + name +
                     ": expected a file name ending in .yaml");
  }
  TfliteImportOptions t = ToImporter(o.input);
  if (!o.array.empty()) {
    const size_t x = o.array.find('x');
    const auto number = [](const std::string& v) {
      return !v.empty() && v.size() < 6 &&
             v.find_first_not_of("0123456789") == std::string::npos;
    };
    if (x == std::string::npos || !number(o.array.substr(0, x)) ||
        !number(o.array.substr(x + 1))) {
      throw InputError("--array " + o.array +
                       ": expected RxC, e.g. 16x16 or 4x4");
    }
    t.rows = std::stoi(o.array.substr(0, x));
    t.cols = std::stoi(o.array.substr(x + 1));
  }
  // --out is probed before the import; the files are staged and committed
  // together once the YAML loads back, so that a failure or a SIGINT leaves
  // nothing (sim/output_stage.h).
  OutputStage stage;
  stage.AddDir("--out", o.out, /*make_parents=*/true);
  stage.Arm();
  const TfliteImport model = ImportTflite(o.model, t);
  const std::string tree = stage.BeginTree();
  WriteTfliteImport(model, tree, name);
  const std::string yaml = (fs::path(o.out) / name).string();
  RunConfig cfg;
  try {
    cfg = CheckImported(o.model, (fs::path(tree) / name).string());
  } catch (const InputError& e) {
    // Named where the YAML would have been written, not the stage.
    std::string m = e.what();
    const std::string staged = (fs::path(tree) / name).string();
    for (size_t at; (at = m.find(staged)) != std::string::npos;) {
      m.replace(at, staged.size(), yaml);
    }
    throw InputError(m);
  }
  stage.Commit();
  size_t host = 0;
  for (const Layer& l : cfg.net.layers) host += IsHostLayer(l.kind);
  std::cout << "sparq import: wrote " << yaml << ": " << cfg.net.layers.size()
            << " layers (" << cfg.net.layers.size() - host << " on the array, "
            << host << " on the host), "
            << model.int8_npy.size() + model.int32_npy.size()
            << " .npy files\n";
}

}  // namespace

RunConfig LoadTfliteRunConfig(const std::string& model,
                              const std::string& input_npy) {
  const TfliteImport imported = ImportTflite(model, ToImporter(input_npy));
  std::string tmpl =
      (fs::temp_directory_path() / "sparq-import-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    throw InputError(model + ": cannot create a temporary folder in " +
                     fs::temp_directory_path().string());
  }
  const fs::path dir(buf.data());
  RunConfig cfg;
  try {
    WriteTfliteImport(imported, dir.string(), "model.yaml");
    cfg = CheckImported(model, (dir / "model.yaml").string());
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    throw;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  cfg.file = model;
  return cfg;
}

void AddImportCommand(CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Convert an int8 TFLite model into a network YAML plus .npy weights "
      "(docs/import.md)");
  cmd->add_option("model", o->model, "TFLite model (.tflite)")->required();
  cmd->add_option("--out", o->out, "Output folder (created if missing)")
      ->required();
  cmd->add_option("--input", o->input,
                  "int8 .npy network input to reference from the YAML "
                  "(default: seeded random)");
  cmd->add_option("--array", o->array,
                  "Target array RxC, written as hardware.array (checked "
                  "like a hand-written YAML; default: none, so 16x16)");
  cmd->add_option("--name", o->name,
                  "YAML file name (default: the model's name + .yaml)");
  cmd->callback([o]() { RunImport(*o); });
}

}  // namespace sparq
