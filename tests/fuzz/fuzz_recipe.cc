// libFuzzer target: the compression recipe reader
// (golden/compress/recipe.h). Parse or InputError, nothing else.

#include <cstddef>
#include <cstdint>
#include <string>

#include "golden/compress/recipe.h"
#include "golden/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    sparq::ParseRecipe(text, "fuzz.yaml", "/nonexistent-sparq-fuzz");
  } catch (const sparq::InputError&) {
  }
  return 0;
}
