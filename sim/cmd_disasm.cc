#include "sim/cmd_disasm.h"

#include <iostream>
#include <memory>
#include <string>

#include "golden/errors.h"
#include "sim/network_yaml.h"
#include "sw/compiler.h"
#include "sw/isa.h"

namespace sparq {
namespace {

struct DisasmOptions {
  std::string config;
  std::string layer;
};

void RunDisasm(const DisasmOptions& o) {
  const RunConfig cfg = LoadRunConfig(o.config);
  const CompiledNetwork c =
      Compile(cfg.net, HwConfig::ForArray(cfg.rows, cfg.cols, cfg.dram_bits));
  bool found = o.layer.empty();
  for (const CompiledLayer& l : c.layers) {
    if (!o.layer.empty() && l.name != o.layer) continue;
    found = true;
    std::cout << "# layer " << l.name << " (" << LayerKindName(l.kind) << ", "
              << (l.host ? "host" : "array") << "): " << l.program.size()
              << " instructions, " << l.macs << " MACs\n";
    std::cout << Disassemble(l.program);
  }
  if (!found) {
    throw InputError(o.config + ": no layer named '" + o.layer + "'");
  }
}

}  // namespace

void AddDisasmCommand(CLI::App& app) {
  auto o = std::make_shared<DisasmOptions>();
  CLI::App* cmd = app.add_subcommand(
      "disasm", "Compile a network and print each layer's ISA program");
  cmd->add_option("config", o->config, "Network description (YAML)")
      ->required();
  cmd->add_option("--layer", o->layer, "Only this layer");
  cmd->callback([o]() { RunDisasm(*o); });
}

}  // namespace sparq
