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

std::string MismatchCell(const CompareResult& c) {
  return c.shape_mismatch ? "shape" : std::to_string(c.mismatches);
}

// Minimal JSON emitter: the report is flat enough that a dependency is not
// worth it, and this keeps number formatting under our control. Objects go
// one member per line; arrays of numbers stay on one line.
class Json {
 public:
  std::string str() const { return out_.str(); }

  void Open(char c, bool multiline) {
    Comma();
    out_ << c;
    stack_.push_back(multiline);
    first_ = true;
  }
  void Close(char c) {
    const bool multiline = stack_.back();
    stack_.pop_back();
    if (multiline && !first_) Newline();
    out_ << c;
    first_ = false;
  }
  void Key(const std::string& k) {
    Comma();
    String(k);
    out_ << ": ";
    first_ = true;  // the value follows without a separator
    after_key_ = true;
  }
  void Str(const std::string& s) {
    Comma();
    String(s);
  }
  void Uint(uint64_t v) {
    Comma();
    out_ << v;
  }
  void Int(int64_t v) {
    Comma();
    out_ << v;
  }
  void Real(double v) {
    Comma();
    if (!std::isfinite(v)) {
      out_ << "null";
      return;
    }
    std::ostringstream os;
    os << std::setprecision(9) << v;
    out_ << os.str();
  }
  void Bool(bool v) {
    Comma();
    out_ << (v ? "true" : "false");
  }
  void Null() {
    Comma();
    out_ << "null";
  }

 private:
  void Newline() { out_ << "\n" << std::string(2 * stack_.size(), ' '); }
  void Comma() {
    if (after_key_) {
      after_key_ = false;
      first_ = false;
      return;
    }
    if (!first_) out_ << ",";
    if (!stack_.empty() && stack_.back()) {
      Newline();
    } else if (!first_) {
      out_ << " ";
    }
    first_ = false;
  }
  void String(const std::string& s) {
    out_ << '"';
    for (const char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out_ << '\\' << ch;
      } else if (c == '\n') {
        out_ << "\\n";
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out_ << buf;
      } else {
        out_ << ch;
      }
    }
    out_ << '"';
  }

  std::ostringstream out_;
  std::vector<bool> stack_;  // per open container: one member per line?
  bool first_ = true;
  bool after_key_ = false;
};

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
    // "dw": the depthwise unit did the layer's MACs (counter dw_useful_macs).
    bool dw = false;
    for (const auto& [name, s] : l.backends) {
      dw = dw || s.counters[kCtrDwUsefulMacs] > 0;
    }
    std::vector<std::string> row = {
        l.name,
        l.type,
        l.host ? "host" : (dw ? "dw" : "array"),
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
  Json j;
  j.Open('{', true);
  j.Key("config");
  j.Str(r.config);
  j.Key("network");
  j.Str(r.network);
  j.Key("array");
  j.Open('[', false);
  j.Int(r.rows);
  j.Int(r.cols);
  j.Close(']');
  j.Key("hardware");
  j.Open('{', true);
  j.Key("act_lines");
  j.Int(r.hw.act_lines);
  j.Key("wgt_lines");
  j.Int(r.hw.wgt_lines);
  j.Key("acc_rows");
  j.Int(r.hw.acc_rows);
  j.Key("param_entries");
  j.Int(r.hw.param_entries);
  j.Key("dram_bits");
  j.Int(r.hw.dram_bits);
  j.Key("dram_bytes");
  j.Uint(r.hw.dram_bytes);
  j.Key("dram_latency");
  j.Int(r.hw.dram_latency);
  j.Key("dram_stall");
  j.Real(r.hw.dram_stall);
  j.Key("dram_stall_seed");
  j.Uint(r.hw.dram_stall_seed);
  j.Close('}');
  j.Key("backends");
  j.Open('[', false);
  for (const std::string& b : r.backends) j.Str(b);
  j.Close(']');
  const std::string first = r.FirstMismatch();
  j.Key("status");
  j.Str(first.empty() ? "pass" : "mismatch");
  j.Key("first_mismatch");
  if (first.empty()) {
    j.Null();
  } else {
    j.Str(first);
  }
  j.Key("wall_seconds");
  j.Real(r.wall_seconds);

  j.Key("layers");
  j.Open('[', true);
  for (const LayerReport& l : r.layers) {
    j.Open('{', true);
    j.Key("name");
    j.Str(l.name);
    j.Key("type");
    j.Str(l.type);
    j.Key("host");
    j.Bool(l.host);
    j.Key("macs");
    j.Uint(l.macs);
    j.Key("mode");
    j.Str(l.mode.empty() ? "-" : l.mode);
    j.Key("dram_bytes");
    j.Uint(l.dram_bytes);
    j.Key("shape");
    j.Open('[', false);
    for (int d : l.shape) j.Int(d);
    j.Close(']');
    j.Key("backends");
    j.Open('{', true);
    for (const std::string& b : r.backends) {
      auto it = l.backends.find(b);
      if (it == l.backends.end()) continue;
      const BackendLayerStats& s = it->second;
      j.Key(b);
      j.Open('{', true);
      j.Key("cycles");
      j.Uint(s.counters[kCtrCycles]);
      j.Key("utilization");
      if (l.host) {
        j.Null();
      } else {
        j.Real(Utilization(l.macs, s.counters[kCtrCycles], r.rows, r.cols));
      }
      j.Key("macs_per_cycle");
      if (l.host || s.counters[kCtrCycles] == 0) {
        j.Null();
      } else {
        j.Real(static_cast<double>(l.macs) / s.counters[kCtrCycles]);
      }
      j.Key("compared");
      j.Uint(s.compare.compared);
      j.Key("mismatches");
      j.Uint(s.compare.mismatches);
      j.Key("shape_mismatch");
      j.Bool(s.compare.shape_mismatch);
      if (!s.compare.ok()) {
        j.Key("first_mismatch");
        j.Open('{', false);
        j.Key("index");
        j.Uint(s.compare.first_index);
        j.Key("coord");
        j.Open('[', false);
        for (int c : s.compare.first_coord) j.Int(c);
        j.Close(']');
        j.Key("expected");
        j.Int(s.compare.first_expected);
        j.Key("got");
        j.Int(s.compare.first_got);
        j.Close('}');
      }
      j.Key("seconds");
      j.Real(s.seconds);
      j.Key("counters");
      j.Open('{', false);
      for (int c = 0; c < kNumCounters; ++c) {
        j.Key(CounterName(c));
        j.Uint(s.counters[c]);
      }
      j.Close('}');
      j.Close('}');
    }
    j.Close('}');
    j.Close('}');
  }
  j.Close(']');

  j.Key("totals");
  j.Open('{', true);
  for (const std::string& b : r.backends) {
    const Totals t = BackendTotals(r, b);
    j.Key(b);
    j.Open('{', true);
    j.Key("macs");
    j.Uint(t.macs);
    j.Key("cycles");
    j.Uint(t.cycles);
    j.Key("utilization");
    j.Real(Utilization(t.macs, t.cycles, r.rows, r.cols));
    j.Key("compared");
    j.Uint(t.compared);
    j.Key("mismatches");
    j.Uint(t.mismatches);
    j.Key("device_seconds");
    j.Real(t.device_seconds);
    j.Key("cycles_per_second");
    if (t.device_seconds > 0) {
      j.Real(t.cycles / t.device_seconds);
    } else {
      j.Null();
    }
    j.Close('}');
  }
  j.Close('}');
  j.Close('}');
  return j.str() + "\n";
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
