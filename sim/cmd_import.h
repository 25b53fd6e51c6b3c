// `sparq import MODEL.tflite --out DIR`: converts an int8 TFLite model into a
// network YAML plus .npy weights (docs/import.md). Also the loader that lets
// `sparq run` take a .tflite directly.

#ifndef SPARQ_SIM_CMD_IMPORT_H_
#define SPARQ_SIM_CMD_IMPORT_H_

#include <CLI/CLI.hpp>
#include <string>

#include "sim/network_yaml.h"

namespace sparq {

void AddImportCommand(CLI::App& app);

// Imports `model` into a temporary folder, reads it back as a run
// configuration (so exactly what `sparq import` writes is what runs) and
// removes the folder. `input_npy` (may be empty: seeded random input) is the
// network input. Messages name `model`.
RunConfig LoadTfliteRunConfig(const std::string& model,
                              const std::string& input_npy);

inline bool IsTflitePath(const std::string& path) {
  return path.size() > 7 && path.compare(path.size() - 7, 7, ".tflite") == 0;
}

}  // namespace sparq

#endif  // SPARQ_SIM_CMD_IMPORT_H_
