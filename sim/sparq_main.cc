// The `sparq` command-line tool. Each subcommand registers itself through an
// Add*Command function; this file only maps outcomes to exit codes:
//   0 success, 1 an output mismatched golden's reference,
//   2 input error (bad YAML, files, options), 3 device or internal fault.

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "golden/errors.h"
#include "sim/cmd_compress.h"
#include "sim/cmd_disasm.h"
#include "sim/cmd_import.h"
#include "sim/cmd_run.h"
#include "sw/device.h"

int main(int argc, char** argv) {
  CLI::App app{"sparq: RTL co-simulation of a compressed-DNN accelerator"};
  app.require_subcommand(1);
  sparq::AddRunCommand(app);
  sparq::AddCompressCommand(app);
  sparq::AddDisasmCommand(app);
  sparq::AddImportCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a subcommand's own status, already reported
  } catch (const CLI::Error& e) {
    // Help and version exit 0; every command-line mistake is an input error.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const sparq::InputError& e) {
    std::cerr << "sparq: error: " << e.what() << "\n";
    return 2;
  } catch (const sparq::DeviceError& e) {
    std::cerr << "sparq: device error: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "sparq: internal error: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
