// libFuzzer target: the .npy reader (golden/npy.h) for every dtype sparq
// reads. Parse or InputError; a parsed tensor holds exactly as many elements
// as its shape says.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "golden/errors.h"
#include "golden/npy.h"

namespace {

template <typename T>
void Try(const std::string& bytes) {
  try {
    const sparq::Tensor<T> t = sparq::ParseNpy<T>(bytes, "fuzz.npy");
    if (t.data.size() != sparq::NumElements(t.shape)) std::abort();
  } catch (const sparq::InputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  Try<int8_t>(bytes);
  Try<uint8_t>(bytes);
  Try<int32_t>(bytes);
  Try<float>(bytes);
  return 0;
}
