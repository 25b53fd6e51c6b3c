// sparq_regress: the random regression driver (`make regress`).
//
//   sparq_regress run [--count N] [--first S] [--shard i/n] [--jobs J]
//                     [--array 4x4] [--out DIR]
//     runs the seeds S .. S+N-1 that belong to shard i of n (seed % n == i),
//     split over J worker processes; each seed is one random layer
//     (regress_case.h) on the RTL, every output element compared with golden.
//     A failing seed is shrunk to a minimal failing layer, localized to its
//     first diverging instruction and cycle window, and written as a repro
//     bundle DIR/seed-<S>/ (case.yaml + .npy, README.txt, replay.sh,
//     mismatch.fst + mismatch.gtkw). Prints layers per minute. Exit 0 when
//     every layer matched, 1 when one did not, 2 on bad options.
//   sparq_regress replay DIR/case.yaml --seed S
//     reruns a bundle; exit 1 (and the localization, trace rewritten) when
//     it still fails, 0 when it passes.
//
// --plugin PATH (testing): run a specific RTL plugin, e.g. a build with an
// injected fault, instead of the configured build of the array.

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "sim/checker.h"
#include "sim/localize.h"
#include "sim/network_yaml.h"
#include "sim/regress/regress_case.h"
#include "sim/rtl_device.h"
#include "sw/compiler.h"
#include "sw/runtime.h"

namespace sparq {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  uint64_t count = 100;
  uint64_t first = 0;
  std::string shard = "0/1";
  int jobs = 1;
  std::string array = "4x4";
  std::string out = "regress";
  std::string plugin;
  int shrink_runs = 400;
  int bundles = 1;  // failures per worker that are shrunk and bundled
  bool plain = false;  // no precision / sparsity draws (RegressDims::modes)
  // replay
  std::string yaml;
  uint64_t seed = 1;
};

// The sparq binary beside this tool's folder (build/sim/sparq).
std::string SparqBinary() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "sparq";
  return (self.parent_path().parent_path() / "sparq").string();
}

std::string Self() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "sparq_regress" : self.string();
}

RegressDims ParseArray(const std::string& a) {
  RegressDims d;
  int r = 0, c = 0, bits = 128;
  char x = 0, at = 0;
  std::istringstream s(a);
  s >> r >> x >> c;
  if (!s.eof()) s >> at >> bits;
  if (!s || x != 'x' || r <= 0 || c <= 0 || (at != 0 && at != '@') ||
      !s.eof()) {
    throw InputError("--array " + a + ": expected RxC or RxC@bits (e.g. 4x4)");
  }
  d.rows = r;
  d.cols = c;
  d.dram_bits = bits;
  d.max_channels = std::max(24, 5 * std::max(r, c) / 2);
  return d;
}

void ParseShard(const std::string& s, uint64_t* i, uint64_t* n) {
  const size_t slash = s.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument(s);
    *i = std::stoull(s.substr(0, slash));
    *n = std::stoull(s.substr(slash + 1));
  } catch (const std::exception&) {
    *n = 0;
  }
  if (*n == 0 || *i >= *n) {
    throw InputError("--shard " + s + ": expected i/n with 0 <= i < n");
  }
}

// Shrinks, localizes and bundles one failing case; returns the bundle folder.
std::string Bundle(const RegressCase& original, const CaseOutcome& first,
                   const RtlMaker& make_rtl, const Options& o,
                   const std::string& plugin_arg) {
  int runs = 0;
  const RegressCase small = Shrink(
      original,
      [&](const RegressCase& c) {
        // The same kind of failure: a mismatch must not shrink into a hang.
        const CaseOutcome r = RunCase(c, make_rtl);
        return !r.pass && !r.invalid && r.device_error == first.device_error;
      },
      o.shrink_runs, &runs);
  const CaseOutcome again = RunCase(small, make_rtl);
  const std::string dir =
      (fs::path(o.out) / ("seed-" + std::to_string(original.seed))).string();
  WriteCaseYaml(small, dir);
  const std::string yaml = fs::absolute(fs::path(dir) / "case.yaml").string();

  std::ostringstream readme;
  readme << "seed " << original.seed << "\n"
         << "original: " << DescribeCase(original) << "\n"
         << "  " << first.what << "\n"
         << "shrunk in " << runs << " runs to: " << DescribeCase(small) << "\n"
         << "  " << again.what << "\n";
  const std::string replay = Self() + " replay " + yaml + " --seed " +
                             std::to_string(small.hw.dram_stall_seed) +
                             plugin_arg;
  // The bundle must stand alone: its YAML and .npy, read back, still fail.
  {
    const RunConfig cfg = LoadRunConfig(yaml);
    RegressCase back = small;
    back.net = cfg.net;
    const CaseOutcome r = RunCase(back, make_rtl);
    readme << "bundle read back from case.yaml: "
           << (!r.pass && !r.invalid ? "fails as above" : "DOES NOT FAIL: " +
                                                              r.what)
           << "\n";
  }
  std::ostringstream loc;
  try {
    const CompiledNetwork compiled = Compile(small.net, small.hw);
    ReportDivergence(small.net, compiled, small.hw, make_rtl,
                         RtlRunCommand(SparqBinary(), yaml, small.hw), dir,
                         DisasmFilterCommand(SparqBinary()), loc);
  } catch (const std::exception& e) {
    loc << "sparq: localization failed: " << e.what() << "\n";
  }
  readme << loc.str();
  readme << "replay (one command): " << replay << "\n";
  if (plugin_arg.empty()) {
    readme << "or: " << SparqBinary() << " run " << yaml
           << " --backend both --seed " << small.hw.dram_stall_seed
           << " --trace-on-mismatch " << fs::absolute(dir).string() << "\n";
  }
  std::ofstream(fs::path(dir) / "README.txt") << readme.str();
  const fs::path script = fs::path(dir) / "replay.sh";
  std::ofstream(script) << "#!/bin/sh\n# " << DescribeCase(small) << "\nexec "
                        << replay << "\n";
  fs::permissions(script, fs::perms::owner_exec | fs::perms::group_exec |
                              fs::perms::others_exec,
                  fs::perm_options::add);
  return dir;
}

// One worker: its seeds, a line per result on `out` ("P seed cycles outputs",
// "F seed what", "B seed dir").
int Work(const std::vector<uint64_t>& seeds, const Options& o,
         const RegressDims& dims, FILE* out) {
  const RtlMaker make = PluginMaker(o.plugin);
  const std::string plugin_arg =
      o.plugin.empty() ? "" : " --plugin " + fs::absolute(o.plugin).string();
  int bundled = 0;
  for (uint64_t seed : seeds) {
    const RegressCase c = DrawCase(seed, dims);
    const CaseOutcome r = RunCase(c, make);
    if (r.pass) {
      std::fprintf(out, "P %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", seed,
                   r.rtl_cycles, r.outputs);
      std::fflush(out);
      continue;
    }
    std::string what = r.what;
    for (char& ch : what) {
      if (ch == '\n') ch = ' ';
    }
    std::fprintf(out, "F %" PRIu64 " %s: %s\n", seed,
                 DescribeCase(c).c_str(), what.c_str());
    std::fflush(out);
    if (!r.invalid && bundled < o.bundles) {
      ++bundled;
      const std::string dir = Bundle(c, r, make, o, plugin_arg);
      std::fprintf(out, "B %" PRIu64 " %s\n", seed, dir.c_str());
      std::fflush(out);
    }
  }
  return 0;
}

int RunRegression(const Options& o) {
  RegressDims dims = ParseArray(o.array);
  dims.modes = !o.plain;
  uint64_t shard = 0, shards = 1;
  ParseShard(o.shard, &shard, &shards);
  if (o.jobs < 1) throw InputError("--jobs: expected >= 1");
  if (o.plugin.empty()) {
    // Fails early, naming the build command, when the array is not built.
    MakeRtlDevice(HwConfig::ForArray(dims.rows, dims.cols, dims.dram_bits));
  }
  std::vector<std::vector<uint64_t>> per_job(static_cast<size_t>(o.jobs));
  uint64_t total = 0;
  for (uint64_t s = o.first; s < o.first + o.count; ++s) {
    if (s % shards != shard) continue;
    per_job[total % static_cast<uint64_t>(o.jobs)].push_back(s);
    ++total;
  }
  const Clock::time_point start = Clock::now();
  std::vector<pid_t> pids;
  std::vector<int> pipes;
  for (int j = 0; j < o.jobs; ++j) {
    int fd[2];
    if (pipe(fd) != 0) throw DeviceError("pipe failed");
    const pid_t pid = fork();
    if (pid < 0) throw DeviceError("fork failed");
    if (pid == 0) {
      close(fd[0]);
      FILE* out = fdopen(fd[1], "w");
      int code = 3;
      try {
        code = Work(per_job[static_cast<size_t>(j)], o, dims, out);
      } catch (const std::exception& e) {
        std::fprintf(out, "E %s\n", e.what());
      }
      std::fclose(out);
      _exit(code);
    }
    close(fd[1]);
    pids.push_back(pid);
    pipes.push_back(fd[0]);
  }
  // Lines from every worker as they come (poll), so a worker busy shrinking
  // never holds up the others' reports.
  uint64_t done = 0, failed = 0, cycles = 0, outputs = 0;
  std::vector<std::string> pending(pipes.size());
  std::vector<pollfd> fds;
  for (int fd : pipes) fds.push_back({fd, POLLIN, 0});
  size_t open_count = pipes.size();
  uint64_t next_report = std::max<uint64_t>(total / 10, 1);
  const auto handle = [&](const std::string& l) {
    if (l.empty()) return;
    if (l[0] == 'P') {
      uint64_t seed, c, n;
      std::sscanf(l.c_str(), "P %" SCNu64 " %" SCNu64 " %" SCNu64, &seed, &c,
                  &n);
      ++done;
      cycles += c;
      outputs += n;
    } else if (l[0] == 'F') {
      ++done;
      ++failed;
      std::cout << "regress: FAIL seed " << l.substr(2) << "\n";
    } else if (l[0] == 'B') {
      const std::string rest = l.substr(2);  // "seed dir"
      std::cout << "regress: repro bundle " << rest.substr(rest.find(' ') + 1)
                << " (seed " << rest.substr(0, rest.find(' ')) << ")\n";
    } else {
      std::cout << "regress: worker error: " << l.substr(2) << "\n";
      ++failed;
    }
    if (done >= next_report && done < total) {
      const double s =
          std::chrono::duration<double>(Clock::now() - start).count();
      std::cout << "regress: " << done << " / " << total << " layers, "
                << failed << " failing, " << static_cast<int>(done * 60 / s)
                << " layers/min\n";
      next_report += std::max<uint64_t>(total / 10, 1);
    }
    std::cout.flush();
  };
  char buf[4096];
  while (open_count > 0) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw DeviceError("poll failed");
    }
    for (size_t j = 0; j < fds.size(); ++j) {
      if (fds[j].fd < 0 || !(fds[j].revents & (POLLIN | POLLHUP | POLLERR))) {
        continue;
      }
      const ssize_t n = read(fds[j].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[j].fd);
        fds[j].fd = -1;
        --open_count;
        handle(pending[j]);
        continue;
      }
      pending[j].append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = pending[j].find('\n')) != std::string::npos) {
        handle(pending[j].substr(0, nl));
        pending[j].erase(0, nl + 1);
      }
    }
  }
  int worst = 0;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) worst = 3;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.0f", secs > 0 ? done * 60.0 / secs : 0.0);
  std::cout << "regress: " << done << " layers (seeds " << o.first << ".."
            << o.first + o.count - 1 << ", shard " << o.shard << ", "
            << o.jobs << " job(s)) on " << o.array
            << (o.plugin.empty() ? "" : " (plugin " + o.plugin + ")") << ": "
            << failed << " failing; " << outputs << " outputs compared, "
            << cycles << " RTL cycles; " << secs << " s wall, " << rate
            << " layers/min\n";
  if (worst != 0 || done != total) {
    std::cout << "regress: a worker did not finish (" << done << " of "
              << total << " layers reported)\n";
    return 3;
  }
  return failed == 0 ? 0 : 1;
}

int Replay(const Options& o) {
  const RunConfig cfg = LoadRunConfig(o.yaml);
  HwConfig hw = HwConfig::ForArray(cfg.rows, cfg.cols, cfg.dram_bits);
  hw.dram_latency = cfg.dram_latency.value_or(hw.dram_latency);
  hw.dram_stall = cfg.dram_stall.value_or(hw.dram_stall);
  hw.dram_stall_seed = o.seed;
  RegressCase c;
  c.seed = o.seed;
  c.net = cfg.net;
  c.hw = hw;
  const RtlMaker make = PluginMaker(o.plugin);
  const CaseOutcome r = RunCase(c, make);
  std::cout << "replay: " << DescribeCase(c) << "\n";
  if (r.pass) {
    std::cout << "replay: PASS (" << r.outputs
              << " outputs match golden): the failure does not reproduce\n";
    return 0;
  }
  std::cout << "replay: FAIL " << r.what << "\n";
  if (r.invalid) return 1;
  const std::string dir = fs::path(o.yaml).parent_path().string();
  const CompiledNetwork compiled = Compile(c.net, c.hw);
  ReportDivergence(c.net, compiled, c.hw, make,
                   RtlRunCommand(SparqBinary(), o.yaml, c.hw),
                   dir.empty() ? "." : dir, DisasmFilterCommand(SparqBinary()),
                   std::cout);
  return 1;
}

}  // namespace
}  // namespace sparq

int main(int argc, char** argv) {
  using sparq::Options;
  CLI::App app{"sparq_regress: random RTL regression, shrinking, localization"};
  app.require_subcommand(1);
  auto o = std::make_shared<Options>();
  CLI::App* run = app.add_subcommand("run", "Run seeded random layers on the RTL");
  run->add_option("--count,-n", o->count, "Seeds to run (default 100)");
  run->add_option("--first", o->first, "First seed (default 0)");
  run->add_option("--shard", o->shard,
                  "i/n: only the seeds with seed % n == i (default 0/1)");
  run->add_option("--jobs,-j", o->jobs, "Worker processes (default 1)");
  run->add_option("--array", o->array, "RTL build: RxC or RxC@bits (default 4x4)");
  run->add_option("--out", o->out, "Folder of repro bundles (default regress)");
  run->add_option("--shrink-runs", o->shrink_runs,
                  "Most RTL runs spent shrinking one failure (default 400)");
  run->add_option("--bundles", o->bundles,
                  "Failures per worker shrunk and bundled (default 1)");
  run->add_flag("--plain", o->plain,
                "Int8 dense layers only (no precision or sparsity draws)");
  run->add_option("--plugin", o->plugin, "RTL plugin .so (testing)")->group("");
  CLI::App* replay =
      app.add_subcommand("replay", "Rerun a repro bundle's case.yaml");
  replay->add_option("yaml", o->yaml, "The bundle's case.yaml")->required();
  replay->add_option("--seed", o->seed, "DRAM stall seed (see replay.sh)");
  replay->add_option("--plugin", o->plugin, "RTL plugin .so (testing)")->group("");
  int code = 0;
  try {
    app.parse(argc, argv);
    code = run->parsed() ? sparq::RunRegression(*o) : sparq::Replay(*o);
  } catch (const CLI::Error& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const sparq::InputError& e) {
    std::cerr << "sparq_regress: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "sparq_regress: internal error: " << e.what() << "\n";
    return 3;
  }
  return code;
}
