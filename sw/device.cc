#include "sw/device.h"

namespace sparq {

const char* CounterName(int counter) {
  switch (counter) {
    case kCtrCycles:
      return "cycles";
    case kCtrArrayBusy:
      return "array_busy";
    case kCtrMacsIssued:
      return "macs_issued";
    case kCtrUsefulMacs:
      return "useful_macs";
    case kCtrStallGemmLoad:
      return "stall_gemm_load";
    case kCtrStallGemmStore:
      return "stall_gemm_store";
    case kCtrStallGemmWeights:
      return "stall_gemm_weights";
    case kCtrStallLoadDram:
      return "stall_load_dram";
    case kCtrStallLoadTokens:
      return "stall_load_tokens";
    case kCtrStallStoreDram:
      return "stall_store_dram";
    case kCtrStallStoreTokens:
      return "stall_store_tokens";
    case kCtrInstrs:
      return "instrs";
    case kCtrGemmIdle:
      return "gemm_idle";
  }
  return "unknown";
}

PerfCounters PerfCounters::operator-(const PerfCounters& o) const {
  PerfCounters d;
  for (size_t i = 0; i < v.size(); ++i) d.v[i] = v[i] - o.v[i];
  return d;
}

}  // namespace sparq
