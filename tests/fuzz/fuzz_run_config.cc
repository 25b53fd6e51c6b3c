// libFuzzer target: the YAML run config reader (sim/network_yaml.h). Any
// input must either parse or be refused with an InputError; anything else
// (another exception, a crash, a sanitizer report) is a bug.

#include <cstddef>
#include <cstdint>
#include <string>

#include "golden/errors.h"
#include "sim/network_yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // .npy paths resolve under a folder that does not exist; absolute ones
    // are read (regular files only).
    sparq::ParseRunConfig(text, "fuzz.yaml", "/nonexistent-sparq-fuzz");
  } catch (const sparq::InputError&) {
  }
  return 0;
}
