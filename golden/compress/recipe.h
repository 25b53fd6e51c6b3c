// A compression recipe: steps applied in order to the trained baseline
// (low-rank decomposition, pruning, quantization), each followed by
// fine-tuning, with a report row after every step. This header is free of
// Eigen so that the sparq CLI can use it without the trainer's build flags.

#ifndef SPARQ_GOLDEN_COMPRESS_RECIPE_H_
#define SPARQ_GOLDEN_COMPRESS_RECIPE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "golden/compress/fashion_mnist.h"
#include "golden/network.h"

namespace sparq {

struct RecipeStep {
  // svd | tucker2 | grouped_tucker2 | cp | prune | prune_filters | nm |
  // quantize | binary_activations
  std::string method;
  std::vector<std::string> layers;  // empty: every conv and fc layer
  int rank = 0;                     // svd, cp
  int rank_in = 0, rank_out = 0;    // tucker2, grouped_tucker2
  double energy = 0;                // tucker2/svd rank by energy when > 0
  int groups = 1;                   // grouped_tucker2
  int cp_iterations = 100;          // cp
  double sparsity = 0;              // prune
  int iterations = 1;               // prune: train-prune-retrain rounds
  int keep = 0;                     // prune_filters: filters kept
  int n = 2, m = 4;                 // nm
  std::string weights = "int8";     // quantize: int8 | int4 | ternary | binary
  int epochs = 0;                   // fine-tuning epochs after the step
  float lr = 0.01f;                 // fine-tuning learning rate
  // 1-based lines of the step ("") and of its fields in the recipe file, so
  // that errors found when the step runs name the line too. Empty for a
  // step built in code.
  std::map<std::string, int> lines;
};

struct Recipe {
  std::string file = "recipe";       // the recipe file, as given (in messages)
  std::map<std::string, int> lines;  // top-level field -> 1-based line
  std::string name = "recipe";
  std::string baseline = "models/baseline";  // float .npy weights
  std::string data = kFashionMnistDir;
  uint32_t seed = 1;
  int train_limit = 0;      // 0: all 60,000 training images
  int test_limit = 0;       // 0: all 10,000 test images
  int calib_images = 2000;  // training images for activation ranges
  bool progress = true;
  std::vector<RecipeStep> steps;
};

struct ReportRow {
  std::string step;        // "baseline", then one row per step
  int64_t params = 0;      // non-zero weights + biases
  int64_t macs = 0;        // per image, non-zero weights only
  int64_t dense_macs = 0;  // per image, as the layers are shaped
  int64_t conv_macs = 0;   // per image, conv layers, non-zero weights only
  int64_t fp32_bytes = 0;  // float storage (sparse: bitmask + non-zeros)
  int64_t int_bytes = 0;   // deployed integer model (codes, indices, bias,
                           // per-channel multiplier and shift)
  double float_acc = 0;    // test accuracy of the float model
  double int_acc = -1;     // test accuracy of the integer golden network
  double seconds = 0;      // time the step took (training included)
};

struct LayerSummary {
  std::string name, kind, weights;  // weights: int8/int4/ternary/binary
  std::string shape;                // e.g. "32x5x5x1"
  int64_t nonzeros = 0, size = 0;
  bool nm_2_4 = false;  // every 4-group holds at most 2
};

struct CompressResult {
  std::vector<ReportRow> rows;
  std::vector<LayerSummary> layers;
  Network net;  // the final integer network; input empty
  double input_scale = 0;
  int input_zero_point = 0;
  std::vector<double> output_scales;  // per net layer
  std::vector<int> output_zero_points;
  std::vector<bool> binary_input;  // per net layer: runs A1W1 (see quantize.h)
};

// Reads a recipe (docs/compression.md); relative paths (baseline) resolve
// against `base_dir`, `file` names the source in messages. Every error, here
// or when RunRecipe finds a step that does not fit the model, is an
// InputError "FILE:LINE: field 'steps[1].rank': expected ..., got ..."
// (golden/yaml_reader.h).
Recipe ParseRecipe(const std::string& text, const std::string& file,
                   const std::string& base_dir);
Recipe LoadRecipe(const std::string& path);

// Throws the InputError of the first field that breaks the recipe's rules
// (ParseRecipe has already done this for a recipe it read).
void ValidateRecipe(const Recipe& recipe);

// Everything that can be checked before training starts, each failure an
// InputError naming the recipe file, a line and a field: the recipe's rules,
// the baseline's weights (field 'baseline'), the Fashion-MNIST files, and
// every step applied without fine-tuning to the baseline's structure (a layer
// name, rank or filter count that does not fit the model at that step).
void PreflightRecipe(const Recipe& recipe);

// Validates the recipe, runs it on the baseline and returns the report and the
// final integer network. Integer accuracy is measured after the baseline, after
// every quantize step and for the final model.
CompressResult RunRecipe(const Recipe& recipe);

// Markdown table of the rows, with the change against the first row.
std::string FormatReport(const CompressResult& result);


// Trains the baseline CNN as `make train` does and saves its float weights.
// Returns the test accuracy.
double TrainBaseline(const std::string& out_dir, const std::string& data,
                     int epochs, float lr, uint32_t seed, int train_limit);

}  // namespace sparq

#endif  // SPARQ_GOLDEN_COMPRESS_RECIPE_H_
