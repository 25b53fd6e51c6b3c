// The hardware configuration: the parameters of rtl/sparq_top.sv
// (docs/architecture.md, "Hardware parameters") and the timing of the DRAM
// the harness models. One object read by every consumer: the compiler and the
// cost model, the machine model, the DRAM model and the RTL device, `sparq run`
// (YAML `hardware:` and the --dram-* options), its report, and the bench.

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
  int dram_bits = 128;       // DRAM port width: bits per beat
  uint64_t dram_bytes = 1ull << 28;  // modelled DRAM size
  // The array's 2:4 mode, GEMM mode N24W8 (sparq_top parameter NmSparse;
  // about 5 % of a PE's cells, docs/results.md).
  bool nm24 = true;

  // The modelled DRAM's timing. Not parameters of the RTL, but they set the
  // cycle counts of the RTL run and the machine model's estimate alike.
  int dram_latency = 20;           // cycles from read request to data
  double dram_stall = 0.0;         // per cycle, probability a channel stalls
  uint64_t dram_stall_seed = 1;    // SplitMix64 seed of the stall pattern

  int dram_beat_bytes() const { return dram_bits / 8; }
  int dram_beat_words() const { return dram_bits / 32; }

  // The configuration every build of an R x C array uses:
  // act_lines = 2048*R, wgt_lines = 512*R, acc_rows = 256*R,
  // param_entries = 2048. Same formulas in rtl/sparq_top.sv.
  static HwConfig ForArray(int rows, int cols, int dram_bits = 128);

  // "RxC" for a 128-bit port, else "RxC@bits", plus "-nonm" without the 2:4
  // mode: how SPARQ_RTL_CONFIGS and the RTL device table name a verilated
  // build.
  std::string BuildName() const;

  std::string ToString() const;        // "16x16 (act 32768 lines, ...)"
  std::string TimingString() const;    // "DRAM latency 20, stall 0 (seed 1)"
  bool operator==(const HwConfig& o) const;
};

}  // namespace sparq

#endif  // SPARQ_SW_HW_CONFIG_H_
