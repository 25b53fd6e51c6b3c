// Seeded random quantized layers for the executor tests: conv (stride,
// asymmetric padding, dilation, groups, depthwise, 1x1) and fully connected,
// with sizes that are not multiples of the array, random zero points and
// clamps.

#ifndef SPARQ_TESTS_COMMON_RANDOM_LAYERS_H_
#define SPARQ_TESTS_COMMON_RANDOM_LAYERS_H_

#include <cstdint>
#include <string>

#include "golden/network.h"

namespace sparq {

struct RandomLayerOptions {
  int max_hw = 14;        // input height/width upper bound
  int max_channels = 24;  // per layer
  bool allow_large = true;  // occasionally a layer that needs several tiles of
                            // every SRAM on the 4x4 build
};

// A one-layer network (input + conv or fc) drawn from seed.
Network RandomLayerNetwork(uint32_t seed, const RandomLayerOptions& opts = {});

// "conv 1x13x9x10 -> 7 k3x2 s2x1 pad[1,0,2,1] d1x2 g1 in_zp=-3 out_zp=5 [-128,127]"
std::string DescribeLayer(const Network& net);

}  // namespace sparq

#endif  // SPARQ_TESTS_COMMON_RANDOM_LAYERS_H_
