#include "sim/report.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

#include "golden/errors.h"

namespace sparq {
namespace {

struct Totals {
  uint64_t cycles = 0;
  uint64_t macs = 0;  // accelerator layers
  uint64_t compared = 0;
  uint64_t mismatches = 0;
  double device_seconds = 0;  // accelerator layers only
};

Totals BackendTotals(const RunReport& r, const std::string& backend) {
  Totals t;
  for (const LayerReport& l : r.layers) {
    auto it = l.backends.find(backend);
    if (it == l.backends.end()) continue;
    const BackendLayerStats& s = it->second;
    t.compared += s.compare.compared;
    t.mismatches += s.compare.mismatches + (s.compare.shape_mismatch ? 1 : 0);
    if (l.host) continue;
    t.cycles += s.counters[kCtrCycles];
    t.macs += l.macs;
    t.device_seconds += s.seconds;
  }
  return t;
}

std::string Fixed(double v, int digits) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

std::string Percent(double v) { return Fixed(100.0 * v, 1) + "%"; }

// The unit that did a layer's MACs: "host"; "dw", the depthwise unit (counter
// dw_useful_macs); "sparse", the sparse engine (it reads at least one header
// word); "array 2:4", the array in its 2:4 mode; else "array".
std::string UnitName(const LayerReport& l) {
  if (l.host) return "host";
  bool dw = false, sparse = false;
  for (const auto& [name, s] : l.backends) {
    dw = dw || s.counters[kCtrDwUsefulMacs] > 0;
    sparse = sparse || s.counters[kCtrSparseMetaWords] > 0;
  }
  if (dw) return "dw";
  if (sparse) return "sparse";
  return l.nm24 ? "array 2:4" : "array";
}

std::string MismatchCell(const CompareResult& c) {
  return c.shape_mismatch ? "shape" : std::to_string(c.mismatches);
}

}  // namespace

bool RunReport::ok() const { return FirstMismatch().empty(); }

std::string RunReport::FirstMismatch() const {
  for (const LayerReport& l : layers) {
    for (const std::string& b : backends) {
      auto it = l.backends.find(b);
      if (it != l.backends.end() && !it->second.compare.ok()) {
        return b + ": " + DescribeMismatch(l.name, it->second.compare);
      }
    }
  }
  return "";
}

double Utilization(uint64_t useful_macs, uint64_t cycles, int rows, int cols) {
  if (cycles == 0) return 0;
  return static_cast<double>(useful_macs) /
         (static_cast<double>(cycles) * rows * cols);
}

void PrintReport(const RunReport& r, std::ostream& os) {
  std::string backends;
  for (const std::string& b : r.backends) {
    backends += (backends.empty() ? "" : ", ") + b;
  }
  os << "sparq run " << r.config << ": network " << r.network << " on a "
     << r.rows << "x" << r.cols << " array; backends " << backends
     << "; every output compared with golden's reference\n"
     << "hardware: " << r.hw.ToString() << "; " << r.hw.TimingString()
     << "\n\n";

  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {"layer", "type", "unit", "mode", "MACs",
                                   "DRAM bytes"};
  for (const std::string& b : r.backends) {
    head.insert(head.end(),
                {b + " cycles", "util", "MACs/cycle", "mismatches"});
  }
  head.push_back("compared");
  rows.push_back(head);
  for (const LayerReport& l : r.layers) {
    std::vector<std::string> row = {
        l.name,
        l.type,
        UnitName(l),
        l.mode.empty() ? "-" : l.mode,
        l.host ? "-" : std::to_string(l.macs),
        l.host ? "-" : std::to_string(l.dram_bytes)};
    uint64_t compared = 0;
    for (const std::string& b : r.backends) {
      auto it = l.backends.find(b);
      if (it == l.backends.end()) {
        row.insert(row.end(), {"-", "-", "-", "-"});
        continue;
      }
      const BackendLayerStats& s = it->second;
      const uint64_t cycles = s.counters[kCtrCycles];
      row.push_back(l.host ? "-" : std::to_string(cycles));
      row.push_back(
          l.host ? "-" : Percent(Utilization(l.macs, cycles, r.rows, r.cols)));
      row.push_back(l.host || cycles == 0
                        ? "-"
                        : Fixed(static_cast<double>(l.macs) / cycles, 1));
      row.push_back(MismatchCell(s.compare));
      compared = std::max(compared, s.compare.compared);
    }
    row.push_back(std::to_string(compared));
    rows.push_back(row);
  }
  std::vector<std::string> total = {"total", "", "", "", "", ""};
  uint64_t total_dram = 0;
  for (const LayerReport& l : r.layers) total_dram += l.dram_bytes;
  total[5] = std::to_string(total_dram);
  uint64_t total_compared = 0;
  for (const std::string& b : r.backends) {
    const Totals t = BackendTotals(r, b);
    total[4] = std::to_string(t.macs);
    total.push_back(std::to_string(t.cycles));
    total.push_back(Percent(Utilization(t.macs, t.cycles, r.rows, r.cols)));
    total.push_back(
        t.cycles == 0 ? "-" : Fixed(static_cast<double>(t.macs) / t.cycles, 1));
    total.push_back(std::to_string(t.mismatches));
    total_compared = std::max(total_compared, t.compared);
  }
  total.push_back(std::to_string(total_compared));
  rows.push_back(total);

  std::vector<size_t> width(head.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  for (size_t k = 0; k < rows.size(); ++k) {
    if (k + 1 == rows.size()) {
      size_t line = 0;
      for (size_t w : width) line += w + 2;
      os << std::string(line - 2, '-') << "\n";
    }
    for (size_t i = 0; i < rows[k].size(); ++i) {
      // Names left-aligned, numbers right-aligned.
      const bool left = i < 4;
      const std::string& cell = rows[k][i];
      const std::string pad(width[i] - cell.size(), ' ');
      os << (left ? cell + pad : pad + cell)
         << (i + 1 < rows[k].size() ? "  " : "\n");
    }
  }
  os << "\n";
  // Layers that ran on the unstructured sparse engine (docs/sparse.md).
  for (const LayerReport& l : r.layers) {
    for (const std::string& b : r.backends) {
      auto it = l.backends.find(b);
      if (it == l.backends.end()) continue;
      const PerfCounters& c = it->second.counters;
      if (c[kCtrSparseMetaWords] == 0) continue;
      os << b << ": " << l.name << " on the sparse engine: "
         << c[kCtrSparseZeroWeights] << " zero weights and "
         << c[kCtrSparseZeroActs] << " zero activations skipped, "
         << c[kCtrSparseMetaWords] << " metadata words, "
         << c[kCtrSparseLaneIdle] << " lane idle cycles\n";
    }
  }
  for (const std::string& b : r.backends) {
    const Totals t = BackendTotals(r, b);
    os << b << ": " << t.cycles << " cycles simulated in "
       << Fixed(t.device_seconds, 3) << " s";
    if (t.device_seconds > 0) {
      os << " (" << Fixed(t.cycles / t.device_seconds / 1e6, 2)
         << " M cycles/s)";
    }
    os << "\n";
  }
  os << "wall time " << Fixed(r.wall_seconds, 3) << " s\n";
  const std::string first = r.FirstMismatch();
  if (first.empty()) {
    uint64_t compared = 0;
    for (const std::string& b : r.backends) {
      compared += BackendTotals(r, b).compared;
    }
    os << "PASS: all " << compared << " outputs of " << r.layers.size()
       << " layers on " << r.backends.size()
       << " backend(s) match golden's reference\n";
  } else {
    os << "MISMATCH: " << first << "\n";
  }
}

std::string ReportToJson(const RunReport& r) {
  using nlohmann::ordered_json;
  // Non-finite figures (a utilization of an empty run) become null, as
  // nlohmann-json writes them.
  const auto real = [](double v) {
    return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr);
  };
  ordered_json j;
  j["config"] = r.config;
  j["network"] = r.network;
  j["array"] = {r.rows, r.cols};
  j["hardware"] = {{"act_lines", r.hw.act_lines},
                   {"wgt_lines", r.hw.wgt_lines},
                   {"acc_rows", r.hw.acc_rows},
                   {"param_entries", r.hw.param_entries},
                   {"dram_bits", r.hw.dram_bits},
                   {"dram_bytes", r.hw.dram_bytes},
                   {"dram_latency", r.hw.dram_latency},
                   {"dram_stall", real(r.hw.dram_stall)},
                   {"dram_stall_seed", r.hw.dram_stall_seed}};
  j["backends"] = r.backends;
  const std::string first = r.FirstMismatch();
  j["status"] = first.empty() ? "pass" : "mismatch";
  j["first_mismatch"] =
      first.empty() ? ordered_json(nullptr) : ordered_json(first);
  j["wall_seconds"] = real(r.wall_seconds);

  ordered_json layers = ordered_json::array();
  for (const LayerReport& l : r.layers) {
    ordered_json layer;
    layer["name"] = l.name;
    layer["type"] = l.type;
    layer["host"] = l.host;
    layer["macs"] = l.macs;
    layer["unit"] = UnitName(l);
    layer["mode"] = l.mode.empty() ? "-" : l.mode;
    layer["dram_bytes"] = l.dram_bytes;
    layer["shape"] = l.shape;
    ordered_json backends = ordered_json::object();
    for (const std::string& b : r.backends) {
      auto it = l.backends.find(b);
      if (it == l.backends.end()) continue;
      const BackendLayerStats& s = it->second;
      ordered_json e;
      e["cycles"] = s.counters[kCtrCycles];
      e["utilization"] =
          l.host ? ordered_json(nullptr)
                 : real(Utilization(l.macs, s.counters[kCtrCycles], r.rows,
                                    r.cols));
      e["macs_per_cycle"] =
          (l.host || s.counters[kCtrCycles] == 0)
              ? ordered_json(nullptr)
              : real(static_cast<double>(l.macs) / s.counters[kCtrCycles]);
      e["compared"] = s.compare.compared;
      e["mismatches"] = s.compare.mismatches;
      e["shape_mismatch"] = s.compare.shape_mismatch;
      if (!s.compare.ok()) {
        e["first_mismatch"] = {{"index", s.compare.first_index},
                               {"coord", s.compare.first_coord},
                               {"expected", s.compare.first_expected},
                               {"got", s.compare.first_got}};
      }
      e["seconds"] = real(s.seconds);
      ordered_json counters = ordered_json::object();
      for (int c = 0; c < kNumCounters; ++c) {
        counters[CounterName(c)] = s.counters[c];
      }
      e["counters"] = std::move(counters);
      backends[b] = std::move(e);
    }
    layer["backends"] = std::move(backends);
    layers.push_back(std::move(layer));
  }
  j["layers"] = std::move(layers);

  ordered_json totals = ordered_json::object();
  for (const std::string& b : r.backends) {
    const Totals t = BackendTotals(r, b);
    totals[b] = {
        {"macs", t.macs},
        {"cycles", t.cycles},
        {"utilization", real(Utilization(t.macs, t.cycles, r.rows, r.cols))},
        {"compared", t.compared},
        {"mismatches", t.mismatches},
        {"device_seconds", real(t.device_seconds)},
        {"cycles_per_second", t.device_seconds > 0
                                  ? real(t.cycles / t.device_seconds)
                                  : ordered_json(nullptr)}};
  }
  j["totals"] = std::move(totals);
  // Names are printable ASCII (sim/network_yaml.cc) but the config path is
  // whatever the user typed: bytes that are not UTF-8 become U+FFFD, so the
  // report is always valid JSON.
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

void WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw InputError(path + ": cannot create " + tmp + " (" +
                       std::strerror(errno) + ")");
    }
    out << text;
    out.flush();
    if (!out) {
      const std::string err = std::strerror(errno);
      std::remove(tmp.c_str());
      throw InputError(path + ": write failed (" + err + ")");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    std::remove(tmp.c_str());
    throw InputError(path + ": cannot rename " + tmp + " into place (" + err +
                     ")");
  }
}

}  // namespace sparq
