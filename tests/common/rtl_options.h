// RTL device options and hardware set-ups shared by the end-to-end RTL tests.
#ifndef SPARQ_TESTS_COMMON_RTL_OPTIONS_H_
#define SPARQ_TESTS_COMMON_RTL_OPTIONS_H_

#include "sim/rtl_device.h"
#include "sw/hw_config.h"
#include "tests/common/random_layers.h"

namespace sparq {

// Options that let a long layer (slow DRAM timing, many tiles) run to idle:
// the idle wait is raised far above any layer these tests build.
inline RtlOptions Patient() {
  RtlOptions o;
  o.max_idle_wait = 20000000;
  return o;
}

// The 4x4 array with a DRAM timing drawn from `seed` (RandomDramTiming),
// its stall stream seeded from `seed` too.
inline HwConfig Hw4x4RandomDram(uint64_t seed) {
  SplitMix64 rng(seed);
  HwConfig hw = HwConfig::ForArray(4, 4);
  const DramTiming t = RandomDramTiming(&rng);
  hw.dram_latency = t.latency;
  hw.dram_stall = t.stall;
  hw.dram_stall_seed = seed + 1;
  return hw;
}

}  // namespace sparq

#endif  // SPARQ_TESTS_COMMON_RTL_OPTIONS_H_
