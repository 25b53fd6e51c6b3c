// `sparq run CONFIG.yaml`: runs a YAML-described network on the machine model
// and/or the verilated RTL, compares every layer's output with golden's
// reference and reports cycles and utilization (docs/yaml.md).

#ifndef SPARQ_SIM_CMD_RUN_H_
#define SPARQ_SIM_CMD_RUN_H_

namespace CLI {
class App;
}  // namespace CLI

namespace sparq {

// Registers the `run` subcommand. Its callback throws InputError for user
// mistakes, DeviceError for device faults, and CLI::RuntimeError(1) when an
// output mismatches; sparq_main.cc maps these to exit codes 2, 3 and 1.
void AddRunCommand(CLI::App& app);

}  // namespace sparq

#endif  // SPARQ_SIM_CMD_RUN_H_
