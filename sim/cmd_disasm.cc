#include "sim/cmd_disasm.h"

#include <cctype>
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
  bool filter = false;
};

// One instruction word as GTKWave's translate-filter process hands it over:
// hexadecimal, most significant digit first, at most kInstrBits wide,
// optionally "0x"-prefixed. False when it is not (e.g. holds x or z bits).
bool ParseHexWord(std::string s, InstrWord* w) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.pop_back();
  }
  if (s.rfind("0x", 0) == 0 || s.rfind("0X", 0) == 0) s = s.substr(2);
  if (s.empty() || s.size() > static_cast<size_t>(kInstrBits / 4)) return false;
  w->fill(0);
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = static_cast<char>(
        std::tolower(static_cast<unsigned char>(s[s.size() - 1 - i])));
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      return false;
    }
    (*w)[i / 8] |= static_cast<uint32_t>(v) << (4 * (i % 8));
  }
  return true;
}

// GTKWave translate filter: one line out (flushed) per line in, for as long
// as GTKWave keeps the pipe open.
void RunFilter() {
  std::string line;
  InstrWord w;
  while (std::getline(std::cin, line)) {
    if (ParseHexWord(line, &w)) {
      std::cout << Disassemble(w) << std::endl;
    } else {
      std::cout << line << std::endl;  // x/z or not a word: shown as given
    }
  }
}

void RunDisasm(const DisasmOptions& o) {
  if (o.filter) {
    if (!o.config.empty() || !o.layer.empty()) {
      throw InputError(
          "disasm --filter: expected no CONFIG and no --layer (it reads hex "
          "instruction words on stdin)");
    }
    RunFilter();
    return;
  }
  if (o.config.empty()) {
    throw InputError("disasm: expected a network description CONFIG.yaml "
                     "(or --filter)");
  }
  const RunConfig cfg = LoadRunConfig(o.config);
  HwConfig hw = HwConfig::ForArray(cfg.rows, cfg.cols, cfg.dram_bits);
  hw.nm24 = cfg.nm24;
  const CompiledNetwork c = Compile(cfg.net, hw);
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
  cmd->add_option("config", o->config, "Network description (YAML)");
  cmd->add_option("--layer", o->layer, "Only this layer");
  cmd->add_flag("--filter", o->filter,
                "Translate filter for GTKWave: read one hex instruction word "
                "per line on stdin, print its disassembly (as in the program "
                "listing, without the index) per line");
  cmd->callback([o]() { RunDisasm(*o); });
}

}  // namespace sparq
