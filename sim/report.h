// The result of `sparq run`: per layer and backend the cycles, array
// utilization and comparison against golden's reference, printed as a table
// and written as JSON (docs/yaml.md, "Report").

#ifndef SPARQ_SIM_REPORT_H_
#define SPARQ_SIM_REPORT_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "golden/tensor.h"
#include "sim/checker.h"
#include "sw/device.h"
#include "sw/hw_config.h"

namespace sparq {

struct BackendLayerStats {
  PerfCounters counters;  // delta over the layer; zero for host layers
  double seconds = 0;     // wall time of the layer on this backend
  CompareResult compare;  // against golden's layer reference
};

struct LayerReport {
  std::string name;
  std::string type;  // LayerKindName
  bool host = false;
  uint64_t macs = 0;  // useful multiply-accumulates (0 for host layers)
  Shape shape;        // output
  std::map<std::string, BackendLayerStats> backends;  // by backend name
  std::string mode;         // precision (a8w8, a8w4, ...); "-" for host layers
  uint64_t dram_bytes = 0;  // DRAM beats read and written by its program,
                            // times the beat size (0 for host layers)
  bool nm24 = false;        // ran in the array's 2:4 mode (GEMM N24W8)
};

struct RunReport {
  std::string config;   // YAML file
  std::string network;  // network.name
  int rows = 0;
  int cols = 0;
  HwConfig hw;  // the whole configuration the run used (printed in full)
  std::vector<std::string> backends;  // in the order they ran
  std::vector<LayerReport> layers;    // in network order
  double wall_seconds = 0;            // the whole command

  bool ok() const;
  // "<backend>: layer <name>: ... first at index ..." for the first
  // mismatching layer in network order; empty when everything matched.
  std::string FirstMismatch() const;
};

// useful_macs / (cycles * rows * cols); 0 when no cycles were spent.
double Utilization(uint64_t useful_macs, uint64_t cycles, int rows, int cols);

void PrintReport(const RunReport& report, std::ostream& os);
std::string ReportToJson(const RunReport& report);

// Writes through a temporary file and a rename, so readers never see a
// half-written file. Throws InputError naming the path on failure.
void WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace sparq

#endif  // SPARQ_SIM_REPORT_H_
