#include "sim/cmd_run.h"

#include <CLI/CLI.hpp>
#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "golden/network.h"
#include "golden/errors.h"
#include "golden/int16_layers.h"
#include "golden/npy.h"
#include "sim/checker.h"
#include "sim/cmd_import.h"
#include "sim/localize.h"
#include "sim/model_device.h"
#include "sim/network_yaml.h"
#include "sim/output_stage.h"
#include "sim/report.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/cost_model.h"
#include "sw/runtime.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kModelBackend[] = "golden";
constexpr char kRtlBackend[] = "rtl";
constexpr char kReferenceDir[] = "golden_ref";

struct RunOptions {
  std::string config;
  std::string backend = "both";
  std::string json;
  std::string outputs;
  std::string trace;
  // Cycle counts and the seed are parsed here (ParseCount), not by CLI11,
  // whose unsigned conversion accepts "-5" as 2^64 - 5.
  std::string trace_from_text = "0";
  std::string trace_to_text;
  std::string seed_text = "1";
  uint64_t trace_from = 0;
  uint64_t trace_to = std::numeric_limits<uint64_t>::max();
  uint64_t seed = 1;
  int dram_latency = 0;
  double dram_stall = 0;
  std::string inject_fault;
  std::string input;  // network input of a .tflite config
  std::string trace_on_mismatch;  // folder for the divergence's window trace

  // Which options were given (CLI11 2.1 has no std::optional binding).
  const CLI::Option* dram_latency_opt = nullptr;
  const CLI::Option* dram_stall_opt = nullptr;
  const CLI::Option* trace_from_opt = nullptr;
  const CLI::Option* trace_to_opt = nullptr;
};

struct Fault {
  std::string layer;
  uint64_t index = 0;
};

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// `--inject-fault LAYER:INDEX` (test hook): checked against the parsed
// network before anything runs.
Fault ParseFault(const std::string& spec, const RunConfig& cfg) {
  const size_t colon = spec.rfind(':');
  Fault f;
  const std::string expected =
      "--inject-fault: expected LAYER:INDEX with a layer of " + cfg.file +
      " and an index inside its output, got '" + spec + "'";
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
    throw InputError(expected);
  }
  f.layer = spec.substr(0, colon);
  const std::string index = spec.substr(colon + 1);
  if (index.find_first_not_of("0123456789") != std::string::npos ||
      index.size() > 18 || f.layer == "input" || !cfg.shapes.count(f.layer)) {
    throw InputError(expected);
  }
  f.index = std::stoull(index);
  if (f.index >= NumElements(cfg.shapes.at(f.layer))) {
    throw InputError(expected);
  }
  return f;
}

// A non-negative decimal integer that fits 64 bits.
uint64_t ParseCount(const std::string& flag, const std::string& text,
                    const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text.size() > 20 ||
      text.find_first_not_of("0123456789") != std::string::npos ||
      *end != '\0' || errno == ERANGE) {
    throw InputError(flag + ": expected " + what +
                     " (an integer in [0, 2^64 - 1]), got '" + text + "'");
  }
  return v;
}

// Everything a user can get wrong on the command line is checked here,
// before any device runs or any file is written.
void CheckOptions(RunOptions& o, bool use_rtl) {
  o.trace_from = ParseCount("--trace-from", o.trace_from_text, "a cycle");
  if (!o.trace_to_text.empty()) {
    o.trace_to = ParseCount("--trace-to", o.trace_to_text, "a cycle");
  }
  o.seed = ParseCount("--seed", o.seed_text, "a seed");
  // CLI11's Range lets NaN through (every comparison with it is false).
  if (!(o.dram_stall >= 0.0 && o.dram_stall <= 0.999)) {
    throw InputError("--dram-stall: expected a probability in [0, 0.999], got " +
                     std::to_string(o.dram_stall));
  }
  if (!o.trace.empty() && !use_rtl) {
    throw InputError(
        "--trace: expected --backend rtl or both (only the RTL "
        "has waveforms), got --backend " +
        o.backend);
  }
  if (!o.trace_on_mismatch.empty() && !use_rtl) {
    throw InputError("--trace-on-mismatch: expected --backend rtl or both, "
                     "got --backend " + o.backend);
  }
  if (fs::exists(o.trace_on_mismatch) &&
      !fs::is_directory(o.trace_on_mismatch)) {
    throw InputError("--trace-on-mismatch " + o.trace_on_mismatch +
                     ": expected a folder (created if missing), got a file");
  }
  if (o.trace.empty() &&
      (o.trace_from_opt->count() || o.trace_to_opt->count())) {
    throw InputError(
        "--trace-from/--trace-to: expected together with --trace "
        "FILE.fst, got no --trace");
  }
  if (o.trace_from > o.trace_to) {
    throw InputError("--trace-from " + std::to_string(o.trace_from) +
                     ": expected a cycle <= --trace-to " +
                     std::to_string(o.trace_to));
  }
  if (!o.json.empty() && !o.trace.empty() &&
      fs::path(o.json).lexically_normal() ==
          fs::path(o.trace).lexically_normal()) {
    throw InputError("--json " + o.json +
                     ": expected a file other than --trace");
  }
}

// Every output of the run, staged (and so probed) before anything runs:
// backend -> layer -> staged .npy path.
using StagedNpys = std::map<std::string, std::map<std::string, std::string>>;

StagedNpys StageOutputs(const RunOptions& o, const RunConfig& cfg,
                        const std::vector<std::string>& backends,
                        OutputStage* stage, std::string* json,
                        std::string* trace) {
  if (!o.json.empty()) *json = stage->AddFile("--json", o.json);
  if (!o.trace.empty()) {
    *trace = stage->AddFile("--trace", o.trace, {".hier"}, true);
  }
  StagedNpys npys;
  if (o.outputs.empty()) return npys;
  stage->AddDir("--outputs", o.outputs);
  for (const std::string& backend : backends) {
    std::vector<std::string> names;
    if (backend == kReferenceDir) names.push_back("input");
    for (const Layer& l : cfg.net.layers) names.push_back(l.name);
    for (const std::string& name : names) {
      npys[backend][name] = stage->AddDirFile(backend + "/" + name + ".npy");
    }
  }
  return npys;
}

int Run(RunOptions o) {
  const Clock::time_point start = Clock::now();
  if (!o.input.empty() && !IsTflitePath(o.config)) {
    throw InputError("--input " + o.input +
                     ": expected with a .tflite model (a YAML names its "
                     "input itself)");
  }
  const RunConfig cfg = IsTflitePath(o.config)
                            ? LoadTfliteRunConfig(o.config, o.input)
                            : LoadRunConfig(o.config);
  const bool use_model = o.backend != kRtlBackend;
  const bool use_rtl = o.backend != kModelBackend;
  CheckOptions(o, use_rtl);
  std::vector<Fault> faults;
  if (!o.inject_fault.empty()) {
    faults.push_back(ParseFault(o.inject_fault, cfg));
  }
  std::vector<std::string> out_backends;
  if (use_model) out_backends.push_back(kModelBackend);
  if (use_rtl) out_backends.push_back(kRtlBackend);
  out_backends.push_back(kReferenceDir);
  OutputStage stage;
  std::string staged_json, staged_trace;
  const StagedNpys staged_npys = StageOutputs(o, cfg, out_backends, &stage,
                                              &staged_json, &staged_trace);
  stage.Arm();
  if (use_rtl) RequireRtlArray(cfg, BuiltRtlArrays());

  // The YAML's hardware, the command line overriding its DRAM timing. The
  // machine model's estimate follows the latency as the RTL does.
  HwConfig hw = HwConfig::ForArray(cfg.rows, cfg.cols, cfg.dram_bits);
  hw.nm24 = cfg.nm24;
  hw.dram_latency = o.dram_latency_opt->count()
                        ? o.dram_latency
                        : cfg.dram_latency.value_or(hw.dram_latency);
  hw.dram_stall = o.dram_stall_opt->count()
                      ? o.dram_stall
                      : cfg.dram_stall.value_or(hw.dram_stall);
  hw.dram_stall_seed = o.seed;
  CompiledNetwork compiled;
  try {
    compiled = Compile(cfg.net, hw);
  } catch (const InputError& e) {
    throw InputError(cfg.file + ": " + e.what());
  }

  std::vector<std::pair<std::string, std::unique_ptr<Device>>> devices;
  if (use_model) devices.emplace_back(kModelBackend, MakeModelDevice(hw));
  if (use_rtl) {
    RtlOptions ro;
    ro.trace_file = staged_trace;
    ro.trace_from = o.trace_from;
    ro.trace_to = o.trace_to;
    devices.emplace_back(kRtlBackend, MakeRtlDevice(hw, ro));
  }

  const std::map<std::string, Tensor<int8_t>> ref =
      RunNetworkReference(cfg.net);

  RunReport report;
  report.config = cfg.file;
  report.network = cfg.net.name;
  report.rows = hw.rows;
  report.cols = hw.cols;
  report.hw = hw;
  for (const CompiledLayer& cl : compiled.layers) {
    LayerReport l;
    l.name = cl.name;
    l.type = LayerKindName(cl.kind);
    l.host = cl.host;
    l.macs = cl.macs;
    l.mode = cl.host ? "-" : PrecisionName(cl.precision);
    l.nm24 = !cl.host && cl.engine == LayerEngine::kNm24;
    if (!cl.host) {
      const ProgramStats st = AnalyzeProgram(cl.program, hw);
      l.dram_bytes = st.dram_read_bytes + st.dram_write_bytes;
    }
    l.shape = cfg.shapes.at(cl.name);
    report.layers.push_back(std::move(l));
  }

  std::map<std::string, std::vector<LayerRun>> runs;
  for (auto& [backend, dev] : devices) {
    report.backends.push_back(backend);
    std::vector<LayerRun>& run = runs[backend];
    run = RunNetwork(cfg.net, compiled, *dev);
    assert(run.size() == report.layers.size());
    for (const Fault& f : faults) {
      for (LayerRun& lr : run) {
        if (lr.name == f.layer && f.index < lr.output.data.size()) {
          lr.output.data[f.index] ^= 1;
        }
      }
    }
    for (size_t i = 0; i < run.size(); ++i) {
      BackendLayerStats& s = report.layers[i].backends[backend];
      s.counters = run[i].counters;
      s.seconds = run[i].seconds;
      s.compare = CompareTensors(ref.at(run[i].name), run[i].output);
    }
  }
  report.wall_seconds = Seconds(start);

  // Closes the trace before it is moved into place.
  devices.clear();

  PrintReport(report, std::cout);
  std::cout.flush();
  if (!o.json.empty()) WriteFileAtomically(staged_json, ReportToJson(report));
  if (!o.outputs.empty()) {
    // int16 tensors (a16w8, held as bytes) are written as int16 .npy files.
    std::set<std::string> int16;
    for (const Layer& l : cfg.net.layers) {
      if (l.precision != Precision::kA16W8 ||
          (l.kind != LayerKind::kConv && l.kind != LayerKind::kFc)) {
        continue;
      }
      int16.insert(l.name);
      int16.insert(l.inputs.begin(), l.inputs.end());
    }
    auto save = [&](const std::string& path, const std::string& name,
                    const Tensor<int8_t>& t) {
      if (int16.count(name)) {
        SaveNpy(path, Int16FromBytes(t));
      } else {
        SaveNpy(path, t);
      }
    };
    for (const auto& [backend, run] : runs) {
      for (const LayerRun& lr : run) {
        save(staged_npys.at(backend).at(lr.name), lr.name, lr.output);
      }
    }
    for (const auto& [name, t] : ref) {
      save(staged_npys.at(kReferenceDir).at(name), name, t);
    }
  }
  stage.Commit();
  if (!report.ok()) {
    std::cerr << "sparq: mismatch: " << report.FirstMismatch() << "\n";
    if (!o.trace_on_mismatch.empty()) {
      ReportDivergence(cfg.net, compiled, hw, MakeRtlDevice,
                       RtlRunCommand("sparq", o.config, hw),
                       o.trace_on_mismatch, DisasmFilterCommand(), std::cerr);
    }
    return 1;
  }
  return 0;
}

}  // namespace

void AddRunCommand(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* run = app.add_subcommand(
      "run",
      "Run a YAML-described network on the machine model and/or the RTL and "
      "compare every layer's output with golden's reference (docs/yaml.md)");
  run->add_option("config", o->config,
                  "Network description (YAML) or an int8 TFLite model")
      ->required();
  run->add_option("--input", o->input,
                  "int8 .npy network input of a .tflite model (default: "
                  "seeded random)");
  run->add_option("--backend", o->backend,
                  "golden = instruction-level machine model, rtl = verilated "
                  "RTL, both (default)")
      ->check(CLI::IsMember({"golden", "rtl", "both"}));
  run->add_option("--json", o->json, "Write the report as JSON to this file");
  run->add_option("--outputs", o->outputs,
                  "Write every layer's output as int8 .npy to "
                  "DIR/<backend>/<layer>.npy and golden's to DIR/golden_ref/");
  run->add_option("--trace", o->trace, "FST waveform of the RTL run");
  o->trace_from_opt = run->add_option("--trace-from", o->trace_from_text,
                                      "First traced cycle (default 0)");
  o->trace_to_opt = run->add_option("--trace-to", o->trace_to_text,
                                    "Last traced cycle (default: the end)");
  run->add_option("--trace-on-mismatch", o->trace_on_mismatch,
                  "On a mismatch, localize the first RTL instruction whose "
                  "DRAM writes differ from the machine model's and write "
                  "DIR/mismatch.fst and .gtkw for its cycle window");
  o->dram_latency_opt =
      run->add_option("--dram-latency", o->dram_latency,
                      "DRAM read latency in cycles (RTL, and the machine "
                      "model's estimate; overrides the YAML)")
          ->check(CLI::Range(1, 100000));
  o->dram_stall_opt =
      run->add_option("--dram-stall", o->dram_stall,
                      "Probability per cycle that the DRAM port stalls (RTL; "
                      "overrides the YAML)")
          ->check(CLI::Range(0.0, 0.999));
  run->add_option("--seed", o->seed_text,
                  "SplitMix64 seed of the DRAM stall pattern (RTL)");
  // Test hook: flips the lowest bit of one output element after the device
  // ran, so tests can prove that mismatches are caught and reported.
  run->add_option("--inject-fault", o->inject_fault,
                  "LAYER:INDEX (testing only)")
      ->group("");
  run->callback([o]() {
    const int code = Run(*o);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace sparq
