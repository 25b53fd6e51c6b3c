// Lowers the accelerator layers of a Network (conv, fc) to ISA programs and a
// DRAM image: tiling to the SRAMs, im2col gathers, weight packing, folded
// biases and requantization records, and the token schedule that overlaps
// load, compute and store (docs/compiler.md).

#ifndef SPARQ_SW_COMPILER_H_
#define SPARQ_SW_COMPILER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "golden/network.h"
#include "sw/hw_config.h"
#include "sw/isa.h"

namespace sparq {

// Where a tensor lives in DRAM: dense NHWC, `bytes` long; int8, or with
// `int4` two per byte / with `binary` eight per byte, each row of the last
// dimension packed on its own (sw/packing.h PackInt4Rows, PackBinaryRows). A
// tensor is int4 (binary) when an a4w4 (a1w1) layer reads it and no other
// array layer does (docs/architecture.md, "Packed formats").
struct TensorPlacement {
  uint32_t addr = 0;
  Shape shape;
  uint32_t bytes = 0;
  bool int4 = false;
  bool binary = false;
  // int16 (read or written by a16w8 layers): held as bytes, the last
  // dimension doubled (golden/network.h); in DRAM each row of it is planar,
  // its low bytes then its high bytes (sw/packing.h PlanarInt16Rows).
  bool int16 = false;
};

struct CompiledLayer {
  std::string name;
  LayerKind kind = LayerKind::kConv;
  bool host = false;                 // runs on the host through golden
  std::vector<std::string> inputs;   // tensor names read
  std::vector<InstrWord> program;    // empty for host layers
  uint64_t macs = 0;                 // useful multiply-accumulates
  LayerEngine engine = LayerEngine::kDense;  // accelerator layers: chosen engine
  Precision precision = Precision::kA8W8;  // GEMM mode of its program
};

struct CompiledNetwork {
  HwConfig hw;
  std::vector<CompiledLayer> layers;  // in network order
  // "input" and every layer's output name -> its DRAM placement.
  std::map<std::string, TensorPlacement> tensors;
  // Constant DRAM contents (packed weights, requant records): address -> bytes.
  std::map<uint32_t, std::vector<uint8_t>> image;
  uint32_t dram_used = 0;  // bytes
};

struct CompileOptions {
  // Chain a layer into the depthwise layer that consumes it (sw/chain.h).
  bool chain = true;
};

// Throws InputError naming the layer when a layer cannot be compiled for hw
// (for example a field that does not fit its ISA width).
CompiledNetwork Compile(const Network& net, const HwConfig& hw,
                        const CompileOptions& opts = CompileOptions());

}  // namespace sparq

#endif  // SPARQ_SW_COMPILER_H_
