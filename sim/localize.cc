#include "sim/localize.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "golden/errors.h"
#include "sim/checker.h"
#include "sim/model_device.h"
#include "sw/isa.h"
#include "sw/runtime.h"

#ifndef SPARQ_GTKW_LAYOUT
#error "SPARQ_GTKW_LAYOUT (the path of rtl/sparq.gtkw) must be defined"
#endif

namespace sparq {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kTicksPerCycle = 10;  // trace resolution 100 ps, 1 ns/cycle
constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();

// Forwards to a device and counts the programs run to idle, so the model's
// write hook knows which layer program is executing.
class CountingDevice final : public Device {
 public:
  CountingDevice(std::unique_ptr<Device> dev, size_t* programs)
      : dev_(std::move(dev)), programs_(programs) {}
  std::string name() const override { return dev_->name(); }
  const HwConfig& config() const override { return dev_->config(); }
  void WriteDram(uint32_t addr, const uint8_t* src, size_t n) override {
    dev_->WriteDram(addr, src, n);
  }
  void ReadDram(uint32_t addr, uint8_t* dst, size_t n) override {
    dev_->ReadDram(addr, dst, n);
  }
  void Submit(const std::vector<InstrWord>& program) override {
    dev_->Submit(program);
  }
  void RunToIdle() override {
    dev_->RunToIdle();
    ++*programs_;
  }
  PerfCounters ReadCounters() override { return dev_->ReadCounters(); }

 private:
  std::unique_ptr<Device> dev_;
  size_t* programs_;
};

struct ModelWrite {
  size_t instr;
  uint8_t value;
};
struct RtlWrite {
  uint64_t cycle;
  uint8_t value;
};

// The accelerator layers in the order RunNetwork runs their programs.
std::vector<const CompiledLayer*> ArrayLayers(const CompiledNetwork& c) {
  std::vector<const CompiledLayer*> out;
  for (const CompiledLayer& l : c.layers) {
    if (!l.host) out.push_back(&l);
  }
  return out;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

int Log2(int64_t v) {
  int n = 0;
  while ((int64_t{1} << n) < v) ++n;
  return n;
}

}  // namespace

Divergence Localize(const Network& net, const CompiledNetwork& compiled,
                    const HwConfig& hw, const RtlMaker& make_rtl) {
  const std::vector<const CompiledLayer*> layers = ArrayLayers(compiled);

  // Model: per program, per address, the writes in program order.
  size_t model_programs = 0;
  std::vector<std::map<uint32_t, std::vector<ModelWrite>>> model(
      layers.size());
  ModelOptions mo;
  mo.on_dram_write = [&](size_t instr, uint64_t addr, const uint8_t* data,
                         size_t n) {
    if (model_programs >= model.size()) return;
    auto& writes = model[model_programs];
    for (size_t i = 0; i < n; ++i) {
      writes[static_cast<uint32_t>(addr + i)].push_back({instr, data[i]});
    }
  };
  CountingDevice model_dev(MakeModelDevice(hw, mo), &model_programs);
  const std::vector<LayerRun> model_runs =
      RunNetwork(net, compiled, model_dev);

  Divergence d;
  const auto ref = RunNetworkReference(net);
  d.model_matches_golden = true;
  for (const LayerRun& r : model_runs) {
    if (!CompareTensors(ref.at(r.name), r.output).ok()) {
      d.model_matches_golden = false;
    }
  }

  RtlProbe probe;
  RtlOptions ro;
  ro.probe = &probe;
  std::unique_ptr<Device> rtl = make_rtl(hw, ro);
  RunNetwork(net, compiled, *rtl);

  size_t first_instr_of_program = 0;
  size_t w = 0;  // next probe write
  for (size_t p = 0; p < layers.size() && p < probe.idle_at.size(); ++p) {
    std::map<uint32_t, std::vector<RtlWrite>> rtl_writes;
    for (; w < probe.writes.size() && probe.writes[w].cycle <= probe.idle_at[p];
         ++w) {
      rtl_writes[probe.writes[w].addr].push_back(
          {probe.writes[w].cycle, probe.writes[w].value});
    }
    const std::vector<InstrWord>& program = layers[p]->program;
    const auto accepted = [&](size_t instr) {
      const size_t k = first_instr_of_program + instr;
      return k < probe.cmd_accepted.size() ? probe.cmd_accepted[k] : 0;
    };
    // The STORE that was executing when the RTL made a write the model
    // never made: the last one accepted before it.
    const auto owner_of = [&](uint64_t cycle) {
      size_t owner = program.size();
      for (size_t i = 0; i < program.size(); ++i) {
        if (accepted(i) <= cycle && OpcodeOf(program[i]) == Opcode::kStore) {
          owner = i;
        }
      }
      return owner;
    };

    struct Pair {
      size_t instr;
      uint32_t addr;
      int expected, got;
      uint64_t cycle;
    };
    std::vector<Pair> pairs;  // every write, paired
    std::map<uint32_t, bool> seen;
    const auto pair_address = [&](uint32_t addr) {
      if (seen[addr]) return;
      seen[addr] = true;
      static const std::vector<ModelWrite> kNoModel;
      static const std::vector<RtlWrite> kNoRtl;
      const auto mi = model[p].find(addr);
      const auto ri = rtl_writes.find(addr);
      const auto& m = mi == model[p].end() ? kNoModel : mi->second;
      const auto& r = ri == rtl_writes.end() ? kNoRtl : ri->second;
      for (size_t k = 0; k < std::max(m.size(), r.size()); ++k) {
        Pair x;
        x.addr = addr;
        x.expected = k < m.size() ? m[k].value : -1;
        x.got = k < r.size() ? r[k].value : -1;
        x.cycle = k < r.size() ? r[k].cycle : kNone;
        x.instr = k < m.size() ? m[k].instr : owner_of(x.cycle);
        pairs.push_back(x);
      }
    };
    for (const auto& [addr, unused] : model[p]) pair_address(addr);
    for (const auto& [addr, unused] : rtl_writes) pair_address(addr);

    size_t first = program.size();
    for (const Pair& x : pairs) {
      if (x.expected != x.got) first = std::min(first, x.instr);
    }
    if (first < program.size()) {
      d.found = true;
      d.layer = layers[p]->name;
      d.instr = first;
      d.disasm = Disassemble(program[first]);
      d.window_from = accepted(first);
      d.window_to = d.window_from;
      d.bad_cycle = kNone;
      for (const Pair& x : pairs) {
        if (x.instr != first) continue;
        if (x.cycle != kNone) d.window_to = std::max(d.window_to, x.cycle);
        if (x.expected == x.got) continue;
        ++d.bytes_differing;
        if (d.bad_cycle == kNone || x.cycle < d.bad_cycle) {
          d.bad_cycle = x.cycle;
          d.addr = x.addr;
          d.expected = x.expected;
          d.got = x.got;
        }
      }
      if (d.bad_cycle == kNone) d.bad_cycle = d.window_to;  // never written
      return d;
    }
    first_instr_of_program += program.size();
  }
  return d;
}

std::string DescribeDivergence(const Divergence& d) {
  if (!d.found) return "the RTL and the machine model write the same DRAM bytes";
  std::ostringstream s;
  s << "first divergence: layer " << d.layer << ", instruction " << d.instr
    << " (" << d.disasm << "): DRAM " << Hex32(d.addr) << " = ";
  if (d.got < 0) {
    s << "never written";
  } else {
    s << static_cast<int>(static_cast<int8_t>(d.got));
  }
  s << " on the RTL, ";
  if (d.expected < 0) {
    s << "never written";
  } else {
    s << static_cast<int>(static_cast<int8_t>(d.expected));
  }
  s << " on the model, at cycle " << d.bad_cycle << " (" << d.bytes_differing
    << " differing byte write(s) of this instruction); RTL cycle window "
    << d.window_from << ".." << d.window_to
    << (d.model_matches_golden ? "; the model matches golden"
                               : "; the model differs from golden too");
  return s.str();
}

std::string WindowLayout(const std::string& fst, const HwConfig& hw,
                         uint64_t from, uint64_t to, uint64_t marker,
                         const std::string& filter_command) {
  std::ifstream in(SPARQ_GTKW_LAYOUT);
  if (!in) {
    throw InputError(std::string(SPARQ_GTKW_LAYOUT) +
                     ": cannot read the GTKWave layout");
  }
  const int line_bytes = std::max({hw.rows, hw.cols, kParamBytes});
  const std::map<std::string, int> widths = {
      {"dram_rd_rsp_data_i", hw.dram_bits},
      {"dram_wr_data_o", hw.dram_bits},
      {"dram_wr_strb_o", hw.dram_bits / 8},
      {"ld_wr_data", line_bytes * 8},
      {"act_rdata_i", hw.rows * 8},
      {"wgt_rdata_i", hw.cols * 8},
      {"act_raddr_o", Log2(hw.act_lines)},
      {"wgt_raddr_o", Log2(hw.wgt_lines)},
      {"acc_raddr", Log2(hw.acc_rows)},
  };
  // GTKWave: one pixel is 2^-zoom time units; about 1200 pixels of waves.
  const double span = static_cast<double>((to + 1 - from) * kTicksPerCycle);
  const double zoom = -std::log2(std::max(span / 1200.0, 1e-3));
  std::ostringstream s;
  s << "[*] sparq trace window: cycles " << from << ".." << to
    << " (1 ns per cycle), marker at cycle " << marker << "\n";
  s << "[dumpfile] \"" << fs::absolute(fst).string() << "\"\n";
  s << "[timestart] " << from * kTicksPerCycle << "\n";
  char zoom_line[64];
  std::snprintf(zoom_line, sizeof zoom_line, "*%.6f %llu", zoom,
                static_cast<unsigned long long>(marker * kTicksPerCycle +
                                                kTicksPerCycle / 2));
  s << zoom_line;
  for (int i = 0; i < 26; ++i) s << " -1";
  s << "\n";
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("[*]", 0) == 0 || line.rfind("[timestart]", 0) == 0 ||
        line.rfind("[dumpfile]", 0) == 0) {
      continue;
    }
    if (line.rfind("^>", 0) == 0) {  // the layout's own filter command
      s << "^>1 " << filter_command << "\n";
      continue;
    }
    const size_t bracket = line.find('[');
    const size_t dot = line.rfind('.', bracket);
    if (line.rfind("TOP.", 0) == 0 && bracket != std::string::npos &&
        dot != std::string::npos) {
      const auto it = widths.find(line.substr(dot + 1, bracket - dot - 1));
      if (it != widths.end()) {
        line = line.substr(0, bracket) + "[" + std::to_string(it->second - 1) +
               ":0]";
      }
    }
    s << line << "\n";
  }
  return s.str();
}

void WriteDivergenceTrace(const Network& net, const CompiledNetwork& compiled,
                          const HwConfig& hw, const RtlMaker& make_rtl,
                          const Divergence& d, const std::string& dir,
                          const std::string& filter_command) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw InputError(dir + ": cannot create the folder (" + ec.message() + ")");
  }
  const std::string fst = (fs::path(dir) / "mismatch.fst").string();
  {
    RtlOptions ro;
    ro.trace_file = fst;
    ro.trace_from = d.window_from;
    ro.trace_to = d.window_to;
    std::unique_ptr<Device> rtl = make_rtl(hw, ro);
    RunNetwork(net, compiled, *rtl);
  }  // the FST is complete once the device is gone
  const std::string gtkw = (fs::path(dir) / "mismatch.gtkw").string();
  std::ofstream out(gtkw);
  out << WindowLayout(fst, hw, d.window_from, d.window_to, d.bad_cycle,
                      filter_command);
  out.close();
  if (!out) throw InputError(gtkw + ": cannot write the GTKWave layout");
}

std::string RtlRunCommand(const std::string& sparq, const std::string& config,
                          const HwConfig& hw) {
  std::ostringstream s;
  s << sparq << " run " << config << " --backend rtl --dram-latency "
    << hw.dram_latency << " --dram-stall " << hw.dram_stall << " --seed "
    << hw.dram_stall_seed;
  return s.str();
}

Divergence ReportDivergence(const Network& net, const CompiledNetwork& compiled,
                            const HwConfig& hw, const RtlMaker& make_rtl,
                            const std::string& run_command,
                            const std::string& dir,
                            const std::string& filter_command,
                            std::ostream& out) {
  const Divergence d = Localize(net, compiled, hw, make_rtl);
  out << "sparq: " << DescribeDivergence(d) << "\n";
  if (!d.found) {
    if (!d.model_matches_golden) {
      out << "sparq: the machine model differs from golden as well: the "
             "program (compiler) or the reference is wrong, not the RTL\n";
    }
    return d;
  }
  const std::string fst = (fs::path(dir) / "mismatch.fst").string();
  out << "sparq: trace of the window: " << run_command << " --trace " << fst
      << " --trace-from " << d.window_from << " --trace-to " << d.window_to
      << "\n";
  WriteDivergenceTrace(net, compiled, hw, make_rtl, d, dir, filter_command);
  out << "sparq: wrote " << fst << " and "
      << (fs::path(dir) / "mismatch.gtkw").string()
      << " (open: gtkwave " << (fs::path(dir) / "mismatch.gtkw").string()
      << ")\n";
  return d;
}

std::string DisasmFilterCommand(const std::string& sparq) {
  if (!sparq.empty()) return sparq + " disasm --filter";
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (ec ? std::string("sparq") : self.string()) + " disasm --filter";
}

}  // namespace sparq
