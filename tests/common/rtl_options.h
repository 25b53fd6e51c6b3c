// RTL device options shared by the end-to-end RTL tests.
#ifndef SPARQ_TESTS_COMMON_RTL_OPTIONS_H_
#define SPARQ_TESTS_COMMON_RTL_OPTIONS_H_

#include "sim/rtl_device.h"

namespace sparq {

// Options that let a long layer (slow DRAM timing, many tiles) run to idle:
// the idle wait is raised far above any layer these tests build.
inline RtlOptions Patient() {
  RtlOptions o;
  o.max_idle_wait = 20000000;
  return o;
}

}  // namespace sparq

#endif  // SPARQ_TESTS_COMMON_RTL_OPTIONS_H_
