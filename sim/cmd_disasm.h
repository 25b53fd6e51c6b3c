// `sparq disasm CONFIG.yaml [--layer NAME]`: compiles the network and prints
// each accelerator layer's ISA program, one instruction per line.
// `sparq disasm --filter`: GTKWave's translate-filter process for
// instruction words (rtl/sparq.gtkw).

#ifndef SPARQ_SIM_CMD_DISASM_H_
#define SPARQ_SIM_CMD_DISASM_H_

#include <CLI/CLI.hpp>

namespace sparq {

void AddDisasmCommand(CLI::App& app);

}  // namespace sparq

#endif  // SPARQ_SIM_CMD_DISASM_H_
