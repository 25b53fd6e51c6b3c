// Runs seeded random conv and fc layers, compiled by sw/, on the machine model
// and on the verilated 4x4 array, and compares every output element with
// golden's layer reference. contract_follow_test.sh builds it in a scratch
// tree whose isa.def was edited: it links only the executors (no YAML, no
// trainer), so the scratch build stays small. Exit 0 when every element of
// every layer matches on both executors, 1 otherwise.

#include <cstdio>
#include <memory>
#include <string>

#include "golden/network.h"
#include "sim/model_device.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/runtime.h"
#include "tests/common/random_layers.h"

namespace sparq {
namespace {

constexpr int kLayers = 12;

// Mismatching elements of one executor's output against the reference.
size_t CountMismatches(const Tensor<int8_t>& want, const Tensor<int8_t>& got) {
  if (want.shape != got.shape) return want.size() + 1;
  size_t bad = 0;
  for (size_t i = 0; i < want.size(); ++i) bad += want.data[i] != got.data[i];
  return bad;
}

int Main() {
  const HwConfig hw = HwConfig::ForArray(4, 4);
  RtlOptions opts;
  opts.max_idle_wait = 20000000;
  size_t compared = 0;
  size_t bad = 0;
  for (int seed = 0; seed < kLayers; ++seed) {
    const Network net = RandomLayerNetwork(static_cast<uint64_t>(seed));
    const CompiledNetwork compiled = Compile(net, hw);
    const Tensor<int8_t> want = RunNetworkReference(net).at("layer");
    auto model = MakeModelDevice(hw);
    auto rtl = MakeRtlDevice(hw, opts);
    for (Device* dev : {model.get(), rtl.get()}) {
      const size_t n = CountMismatches(
          want, RunNetwork(net, compiled, *dev).at(0).output);
      if (n != 0) {
        std::printf("seed %d on %s: %zu of %zu elements differ (%s)\n", seed,
                    dev->name().c_str(), n, want.size(),
                    DescribeLayer(net).c_str());
      }
      compared += want.size();
      bad += n;
    }
  }
  std::printf("contract_follow_driver: %d layers, %zu elements compared on "
              "model and rtl, %zu differ\n",
              kLayers, compared, bad);
  return bad == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sparq

int main() { return sparq::Main(); }
