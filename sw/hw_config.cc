#include "sw/hw_config.h"

#include <cstdio>
#include <string>

namespace sparq {

HwConfig HwConfig::ForArray(int rows, int cols, int dram_bits) {
  HwConfig hw;
  hw.rows = rows;
  hw.cols = cols;
  hw.act_lines = 2048 * rows;
  hw.wgt_lines = 512 * rows;
  hw.acc_rows = 256 * rows;
  hw.param_entries = 2048;
  hw.dram_bits = dram_bits;
  return hw;
}

std::string HwConfig::BuildName() const {
  std::string s = std::to_string(rows) + "x" + std::to_string(cols);
  if (dram_bits != 128) s += "@" + std::to_string(dram_bits);
  if (!nm24) s += "-nonm";
  return s;
}

std::string HwConfig::ToString() const {
  return std::to_string(rows) + "x" + std::to_string(cols) + " (act " +
         std::to_string(act_lines) + " lines, wgt " +
         std::to_string(wgt_lines) + " lines, acc " + std::to_string(acc_rows) +
         " rows, param " + std::to_string(param_entries) + " entries, dram " +
         std::to_string(dram_bits) + " bits, " +
         std::to_string(dram_bytes >> 20) + " MiB" +
         (nm24 ? "" : ", no 2:4 mode") + ")";
}

std::string HwConfig::TimingString() const {
  char stall[32];
  std::snprintf(stall, sizeof(stall), "%g", dram_stall);
  return "DRAM latency " + std::to_string(dram_latency) + " cycles, stall " +
         stall + " (seed " + std::to_string(dram_stall_seed) + ")";
}

bool HwConfig::operator==(const HwConfig& o) const {
  return rows == o.rows && cols == o.cols && act_lines == o.act_lines &&
         wgt_lines == o.wgt_lines && acc_rows == o.acc_rows &&
         param_entries == o.param_entries && dram_bits == o.dram_bits &&
         dram_bytes == o.dram_bytes && nm24 == o.nm24 &&
         dram_latency == o.dram_latency &&
         dram_stall == o.dram_stall && dram_stall_seed == o.dram_stall_seed;
}

}  // namespace sparq
