// Whole third-party networks on an RTL build, for `make bench`: person_detect
// (TensorFlow Lite Micro, imported from its .tflite) and ds_cnn_s (CMSIS-NN,
// from its converted test data), per layer and whole network.

#ifndef SPARQ_BENCH_BENCH_NETWORKS_H_
#define SPARQ_BENCH_BENCH_NETWORKS_H_

#include <string>
#include <vector>

#include "sw/hw_config.h"

namespace sparq {

struct NetworkFigures {
  std::string name;
  uint64_t cycles = 0;       // accelerator layers, run one after the other
  uint64_t useful_macs = 0;  // from the RTL counters
  bool exact = false;        // every layer's output equals golden's
};

// Runs `names` (person_detect, ds_cnn_s) on the RTL plugin of `hw` and
// prints a table per network. Files come from the source tree.
std::vector<NetworkFigures> BenchNetworks(const HwConfig& hw,
                                          const std::vector<std::string>& names);

}  // namespace sparq

#endif  // SPARQ_BENCH_BENCH_NETWORKS_H_
