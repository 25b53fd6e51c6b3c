// Converts an int8 TensorFlow Lite model into sparq's network description
// (docs/yaml.md) plus the .npy weights and biases it references
// (docs/import.md). Every file is checked with the flatbuffers Verifier
// before anything is read; anything sparq cannot run exactly as TFLite does
// (an unsupported operator, float or per-channel activations, asymmetric
// weights, ...) is an InputError naming the operator index, its op name and
// the tensor.

#ifndef SPARQ_SIM_TFLITE_IMPORTER_H_
#define SPARQ_SIM_TFLITE_IMPORTER_H_

#include <cstdint>
#include <map>
#include <string>

#include "golden/tensor.h"

namespace sparq {

struct TfliteImport {
  std::string yaml;  // the network description; .npy paths are relative
  std::map<std::string, Tensor<int8_t>> int8_npy;    // file name -> tensor
  std::map<std::string, Tensor<int32_t>> int32_npy;  // file name -> tensor
};

struct TfliteImportOptions {
  // Network input: this .npy path (written into the YAML as given) or, when
  // empty, seeded random data of the model's input shape.
  std::string input_npy;
  uint64_t input_seed = 1;
  // Target array written as `hardware: {array: [rows, cols]}`; 0: none
  // (sparq run's default, 16x16).
  int rows = 0, cols = 0;
};

// Reads and converts `path`; throws InputError ("PATH: operator 3
// (CONV_2D): tensor 7 'name': ...") on anything it cannot convert.
TfliteImport ImportTflite(const std::string& path,
                          const TfliteImportOptions& options);

// Same, from the file's bytes; `path` names it in messages.
TfliteImport ImportTfliteBytes(const std::string& bytes,
                               const std::string& path,
                               const TfliteImportOptions& options);

// Writes DIR/<yaml_name> and the .npy files (DIR is created).
void WriteTfliteImport(const TfliteImport& model, const std::string& dir,
                       const std::string& yaml_name);

}  // namespace sparq

#endif  // SPARQ_SIM_TFLITE_IMPORTER_H_
