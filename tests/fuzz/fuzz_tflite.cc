// libFuzzer target: the TFLite importer (sim/tflite/importer.h). Import or
// InputError, nothing else.

#include <cstddef>
#include <cstdint>
#include <string>

#include "golden/errors.h"
#include "sim/tflite/importer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    sparq::ImportTfliteBytes(bytes, "fuzz.tflite", {});
  } catch (const sparq::InputError&) {
  }
  return 0;
}
