// Seeded random networks for the chaining tests (sw/chain.h): a 1x1 conv
// feeding a depthwise layer (stride 1 or 2, dilation 2, padding, 4..3R
// channels, channel multiplier 1, 2 or 4, batch 2 sometimes), and networks
// that must not chain (the conv output read twice, a host layer between, a
// pair-mode depthwise layer).

#ifndef SPARQ_TESTS_COMMON_CHAIN_NETWORKS_H_
#define SPARQ_TESTS_COMMON_CHAIN_NETWORKS_H_

#include <cstdint>
#include <vector>

#include "golden/network.h"
#include "sw/isa.h"

namespace sparq {

// conv 1x1 ("pw") -> depthwise ("dw") on an array of R rows.
Network RandomChainNetwork(uint32_t seed, int rows);

enum class NoChainCase { kTwoReaders, kHostBetween, kPairMode };
// A network with a 1x1 conv and a depthwise layer that must not chain.
Network NoChainNetwork(NoChainCase c, uint32_t seed, int rows);

// STOREs of a program with act_write set; LOADs into ACT.
int CountActWriteStores(const std::vector<InstrWord>& program);
int CountActLoads(const std::vector<InstrWord>& program);
int CountLoads(const std::vector<InstrWord>& program);

}  // namespace sparq

#endif  // SPARQ_TESTS_COMMON_CHAIN_NETWORKS_H_
