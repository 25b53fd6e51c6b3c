// libFuzzer target: the run path of `sparq run CONFIG.yaml` up to the
// backends, without the RTL: the YAML run config reader (sim/network_yaml.h:
// parse and validate), then the compiler (sw/compiler.h) for the config's
// own array, the cost model's analysis of every program and its
// disassembly. Any input must either go through or be refused with an
// InputError; anything else (another exception, a crash, a sanitizer
// report) is a bug.
//
// The compiler runs only on networks of at most kCompileMacs multiply-
// accumulates: the documented caps allow layers that take the compiler
// seconds, which the fuzzer would report as timeouts, not bugs.

#include <cstddef>
#include <cstdint>
#include <string>

#include "golden/errors.h"
#include "sim/network_yaml.h"
#include "sw/compiler.h"
#include "sw/cost_model.h"
#include "sw/hw_config.h"
#include "sw/isa.h"

namespace {

constexpr uint64_t kCompileMacs = uint64_t{1} << 24;

// Multiply-accumulates of the conv and fc layers (weights x output pixels),
// saturating.
uint64_t Macs(const sparq::RunConfig& cfg) {
  uint64_t total = 0;
  for (const sparq::Layer& l : cfg.net.layers) {
    if (l.kind != sparq::LayerKind::kConv && l.kind != sparq::LayerKind::kFc) {
      continue;
    }
    const auto it = cfg.shapes.find(l.name);
    if (it == cfg.shapes.end()) return UINT64_MAX;
    uint64_t pixels = 1;
    const sparq::Shape& s = it->second;
    for (size_t d = 0; d + 1 < s.size(); ++d) {
      pixels = __builtin_mul_overflow(pixels, static_cast<uint64_t>(s[d]),
                                      &pixels)
                   ? UINT64_MAX
                   : pixels;
    }
    uint64_t macs = 0;
    if (__builtin_mul_overflow(pixels,
                               static_cast<uint64_t>(l.weights.data.size()),
                               &macs) ||
        __builtin_add_overflow(total, macs, &total)) {
      return UINT64_MAX;
    }
  }
  return total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  sparq::RunConfig cfg;
  try {
    // .npy paths resolve under a folder that does not exist; absolute ones
    // are read (regular files only).
    cfg = sparq::ParseRunConfig(text, "fuzz.yaml", "/nonexistent-sparq-fuzz");
  } catch (const sparq::InputError&) {
    return 0;
  }
  if (Macs(cfg) > kCompileMacs) return 0;
  const sparq::HwConfig hw =
      sparq::HwConfig::ForArray(cfg.rows, cfg.cols, cfg.dram_bits);
  sparq::CompiledNetwork compiled;
  try {
    compiled = sparq::Compile(cfg.net, hw);
  } catch (const sparq::InputError&) {
    return 0;
  }
  for (const sparq::CompiledLayer& cl : compiled.layers) {
    if (cl.host) continue;
    (void)sparq::AnalyzeProgram(cl.program, hw);
    (void)sparq::Disassemble(cl.program);
  }
  return 0;
}
