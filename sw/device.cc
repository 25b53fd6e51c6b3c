#include "sw/device.h"

namespace sparq {

PerfCounters PerfCounters::operator-(const PerfCounters& o) const {
  PerfCounters d;
  for (size_t i = 0; i < v.size(); ++i) d.v[i] = v[i] - o.v[i];
  return d;
}

}  // namespace sparq
