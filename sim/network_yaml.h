// The YAML description of a run: hardware (array size, DRAM timing), the
// network input and the layer list (docs/yaml.md). Parsing resolves
// everything the golden reference and the compiler need: weights and biases
// (from .npy files or seeded random), shapes, and the integer quantization
// parameters derived from scales. Every user mistake becomes an InputError
// "FILE:LINE: field 'layers[2].kernel': expected ..., got ...".

#ifndef SPARQ_SIM_NETWORK_YAML_H_
#define SPARQ_SIM_NETWORK_YAML_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "golden/network.h"
#include "golden/tensor.h"
#include "sim/rtl_device.h"

namespace sparq {

// Quantization of one int8 tensor, tracked along the layer chain.
struct TensorQuant {
  std::optional<double> scale;  // unknown when only multipliers were given
  int32_t zero_point = 0;
};

struct RunConfig {
  std::string file;  // the YAML file, as given (used in messages)

  int rows = 16;  // hardware.array
  int cols = 16;
  int array_line = 0;  // 1-based line of hardware.array (0 = defaulted)
  int dram_bits = 128;               // hardware.dram.bits
  bool nm24 = true;                  // hardware.nm24 (the array's 2:4 mode)
  int nm24_line = 0;                 // 1-based line of hardware.nm24, or 0
  std::optional<int> dram_latency;   // hardware.dram.latency
  std::optional<double> dram_stall;  // hardware.dram.stall

  Network net;
  // "input" and every layer name -> output shape and quantization.
  std::map<std::string, Shape> shapes;
  std::map<std::string, TensorQuant> quant;
};

// Reads and validates a YAML file; .npy paths are relative to its folder.
RunConfig LoadRunConfig(const std::string& path);

// Same, from text: `file` names the source in messages, `base_dir` resolves
// relative .npy paths.
RunConfig ParseRunConfig(const std::string& text, const std::string& file,
                         const std::string& base_dir);

// Throws InputError unless the build rows x cols on dram_bits, with or
// without the 2:4 mode (nm24), is among `built` (BuiltRtlArrays()), saying
// which are built and how to build another: at hardware.nm24 when only the
// 2:4 choice differs from a built one, else at hardware.array.
void RequireRtlArray(const RunConfig& cfg, const std::vector<RtlBuild>& built);

}  // namespace sparq

#endif  // SPARQ_SIM_NETWORK_YAML_H_
