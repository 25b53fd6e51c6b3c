// `sparq compress RECIPE.yaml`: applies a compression recipe to the trained
// Fashion-MNIST baseline, fine-tunes, and writes the integer model as a YAML
// network that `sparq run` accepts, its .npy weights and a report
// (docs/compression.md describes the recipe format).

#ifndef SPARQ_SIM_CMD_COMPRESS_H_
#define SPARQ_SIM_CMD_COMPRESS_H_

#include <CLI/CLI.hpp>
#include <string>

#include "golden/compress/recipe.h"
#include "sim/output_stage.h"

namespace sparq {

void AddCompressCommand(CLI::App& app);

// Writes DIR/model.yaml (each conv/fc in its precision, narrow weights in
// their packed .npy form), DIR/model_a8w8.yaml when a layer is narrow (the
// same network in a8w8: the int8 model on the same array), DIR/weights/*.npy,
// DIR/input.npy (the first `images` test images) and DIR/report.md. The
// YAMLs' `hardware.array` is [rows, cols].
void WriteCompressedModel(const CompressResult& result, const Recipe& recipe,
                          const std::string& dir, int images, int rows = 16,
                          int cols = 16);

// The export of `sparq compress`: writes WriteCompressedModel's files into
// the tree of `stage` (AddDir'ed on the --out folder, armed) and commits
// them together; a failure, or a SIGINT/SIGTERM during the export, leaves
// the folder as it was (sim/output_stage.h).
void ExportCompressedModel(const CompressResult& result, const Recipe& recipe,
                           int images, int rows, int cols, OutputStage* stage);

}  // namespace sparq

#endif  // SPARQ_SIM_CMD_COMPRESS_H_
