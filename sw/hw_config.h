// The hardware configuration a program is compiled for. Mirrors the
// parameters of rtl/sparq_top.sv (docs/architecture.md, "Hardware parameters").

#ifndef SPARQ_SW_HW_CONFIG_H_
#define SPARQ_SW_HW_CONFIG_H_

#include <cstdint>
#include <string>

namespace sparq {

struct HwConfig {
  int rows = 16;             // R: reduction rows, ACT line bytes
  int cols = 16;             // C: output columns, WGT line bytes
  int act_lines = 32768;     // ACT SRAM lines (R bytes each)
  int wgt_lines = 8192;      // WGT SRAM lines (C bytes each)
  int acc_rows = 4096;       // ACC SRAM rows (C int32 each)
  int param_entries = 2048;  // PARAM SRAM 16-byte records
  int dram_bits = 128;       // DRAM port width
  uint64_t dram_bytes = 1ull << 28;  // modelled DRAM size

  int dram_beat_bytes() const { return dram_bits / 8; }

  // The configuration every build of an R x C array uses:
  // act_lines = 2048*R, wgt_lines = 512*R, acc_rows = 256*R,
  // param_entries = 2048. Same formulas in rtl/sparq_top.sv.
  static HwConfig ForArray(int rows, int cols);

  std::string ToString() const;  // "16x16 (act 32768 lines, ...)"
  bool operator==(const HwConfig& o) const;
};

}  // namespace sparq

#endif  // SPARQ_SW_HW_CONFIG_H_
