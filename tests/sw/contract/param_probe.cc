// Prints the PARAM record the compiler packs for one output channel with
// known requantization values, as 16 hex bytes, so contract_follow_test.sh
// can compare it with a layout written out by hand: the bias (0x11223344,
// input zero point 0, so nothing is folded in), M0 0x55667788 and shift -5
// (0xfb) must sit at the byte offsets the edited isa.def gives them.

#include <cstdio>
#include <cstring>
#include <vector>

#include "golden/network.h"
#include "sw/compiler.h"
#include "sw/hw_config.h"

int main() {
  using sparq::Layer;
  constexpr int kIn = 8;
  constexpr int kOut = 4;
  Layer l;
  l.name = "fc";
  l.kind = sparq::LayerKind::kFc;
  l.inputs = {"input"};
  l.weights = sparq::Tensor<int8_t>({kOut, kIn}, 1);
  l.bias = {0x11223344, 0, 0, 0};
  l.quant.multiplier = {0x55667788, 1 << 30, 1 << 30, 1 << 30};
  l.quant.shift = {-5, 0, 0, 0};
  sparq::Network net;
  net.name = "param_probe";
  net.input = sparq::Tensor<int8_t>({1, kIn}, 0);
  net.layers.push_back(l);

  const sparq::CompiledNetwork c =
      sparq::Compile(net, sparq::HwConfig::ForArray(4, 4));
  const unsigned char key[8] = {0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55};
  // The bias and the multiplier are adjacent in both the default layout and
  // the test's edited one; search for them, then print the whole record.
  for (const auto& [addr, bytes] : c.image) {
    for (size_t i = 0; i + 16 <= bytes.size(); ++i) {
      if (std::memcmp(bytes.data() + i, key, sizeof(key)) != 0) continue;
      for (size_t k = 0; k < 16; ++k) std::printf("%02x", bytes[i + k]);
      std::printf("\n");
      return 0;
    }
  }
  std::fprintf(stderr, "param_probe: no PARAM record with the probe's bias\n");
  return 1;
}
