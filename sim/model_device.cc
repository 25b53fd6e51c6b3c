#include "sim/model_device.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "golden/int16_layers.h"
#include "golden/layers.h"
#include "golden/requant.h"
#include "sim/model_dwconv.h"
#include "sim/model_spmv.h"
#include "sw/cost_model.h"
#include "sw/isa.h"
#include "sw/packing.h"

namespace sparq {
namespace {

// Token counters, named by direction (docs/architecture.md).
enum Token : int { kL2C = 0, kC2L, kC2S, kS2C, kNumTokens };
const char* const kTokenNames[kNumTokens] = {"l2c", "c2l", "c2s", "s2c"};

enum Engine : int { kLoadEngine = 0, kGemmEngine, kStoreEngine, kNumEngines };

// A failure of the instruction being executed; Step() adds its index and
// disassembly.
class InstrFault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Byte-addressed DRAM in lazily allocated pages: untouched pages read as zero
// and cost no memory, so the default 256 MiB costs only what a program uses.
class PagedDram {
 public:
  explicit PagedDram(uint64_t bytes)
      : bytes_(bytes), pages_((bytes + kPageBytes - 1) / kPageBytes) {}

  uint64_t size() const { return bytes_; }
  bool Contains(uint64_t addr, uint64_t n) const {
    return addr <= bytes_ && n <= bytes_ - addr;
  }

  void Read(uint64_t addr, uint8_t* dst, size_t n) const {
    while (n > 0) {
      const uint64_t page = addr >> kPageBits;
      const size_t off = static_cast<size_t>(addr & (kPageBytes - 1));
      const size_t take = std::min<size_t>(n, kPageBytes - off);
      const std::unique_ptr<uint8_t[]>& p = pages_[page];
      if (p) {
        std::memcpy(dst, p.get() + off, take);
      } else {
        std::memset(dst, 0, take);
      }
      addr += take;
      dst += take;
      n -= take;
    }
  }

  void Write(uint64_t addr, const uint8_t* src, size_t n) {
    while (n > 0) {
      const uint64_t page = addr >> kPageBits;
      const size_t off = static_cast<size_t>(addr & (kPageBytes - 1));
      const size_t take = std::min<size_t>(n, kPageBytes - off);
      std::unique_ptr<uint8_t[]>& p = pages_[page];
      if (!p) p.reset(new uint8_t[kPageBytes]());
      std::memcpy(p.get() + off, src, take);
      addr += take;
      src += take;
      n -= take;
    }
  }

 private:
  static constexpr int kPageBits = 20;
  static constexpr size_t kPageBytes = size_t{1} << kPageBits;
  uint64_t bytes_;
  std::vector<std::unique_ptr<uint8_t[]>> pages_;
};

// The concurrent-execution estimate behind the `cycles` counter. Each
// instruction is dispatched in program order once its engine queue has a
// free slot, starts when its engine is free and its popped tokens were
// pushed, and pushes its tokens when its last write lands.
class Timeline {
 public:
  struct Result {
    uint64_t token_wait = 0;  // cycles waiting for tokens
    int binding_token = -1;   // token that was waited for longest
    uint64_t idle = 0;        // engine idle waiting for dispatch
  };

  void Begin(uint64_t now) {
    dispatch_ = now;
    end_ = now;
    for (EngineTime& e : engines_) {
      e.free = now;
      e.head_free = now;
      e.leave.clear();
    }
    for (std::deque<uint64_t>& t : tokens_) t.clear();
  }

  // pops / pushes: per token, whether the instruction takes / gives one.
  Result Issue(int engine, const std::array<bool, kNumTokens>& pops,
               const std::array<bool, kNumTokens>& pushes,
               const InstrCost& cost) {
    EngineTime& e = engines_[engine];
    uint64_t d = dispatch_ + 1;
    if (e.leave.size() == kEngineQueueDepth) d = std::max(d, e.leave.front());
    dispatch_ = d;
    Result r;
    r.idle = d > e.free ? d - e.free : 0;
    const uint64_t ready = std::max(d, e.free);
    uint64_t token_at = ready;
    for (int t = 0; t < kNumTokens; ++t) {
      if (!pops[t]) continue;
      const uint64_t at = tokens_[t].front();
      tokens_[t].pop_front();
      if (at > token_at) {
        token_at = at;
        r.binding_token = t;
      }
    }
    r.token_wait = token_at - ready;
    // The first cost.pre busy cycles (a STORE's PARAM reads) may run while
    // the tokens are awaited, and while the previous instruction of the
    // engine still runs: from the cycle it left the queue head (its start).
    const uint64_t head = std::max(d, e.head_free);
    const uint64_t start = std::max({token_at, ready, head + cost.pre});
    const uint64_t busy_end = start + cost.busy - cost.pre;
    const uint64_t done = busy_end + cost.latency;
    e.free = busy_end;
    e.head_free = start;
    e.leave.push_back(busy_end);
    if (e.leave.size() > kEngineQueueDepth) e.leave.pop_front();
    for (int t = 0; t < kNumTokens; ++t) {
      if (pushes[t]) tokens_[t].push_back(done);
    }
    end_ = std::max(end_, done);
    return r;
  }

  uint64_t end() const { return end_; }

 private:
  struct EngineTime {
    uint64_t free = 0;
    uint64_t head_free = 0;      // the last instruction's start
    std::deque<uint64_t> leave;  // busy-end of the last queued instructions
  };
  uint64_t dispatch_ = 0;
  uint64_t end_ = 0;
  std::array<EngineTime, kNumEngines> engines_;
  std::array<std::deque<uint64_t>, kNumTokens> tokens_;
};

// Checks that the tokens alone order every pair of conflicting SRAM accesses
// of different engines, as the concurrent RTL needs: a program can be valid
// in program order (where everything is ordered) and still race on the RTL.
// Vector clocks: an instruction knows, per engine, the latest instruction it
// is ordered after (its engine's predecessors and, through each popped token,
// the pushing instruction and everything that one was ordered after).
class RaceChecker {
 public:
  enum Mem : int { kActMem = 0, kWgtMem, kParamMem, kAccMem, kNumMems };
  // ExecLoad names the memory it writes by the LOAD buf code.
  static_assert(kActMem == static_cast<int>(LoadBuf::kAct) &&
                    kWgtMem == static_cast<int>(LoadBuf::kWgt) &&
                    kParamMem == static_cast<int>(LoadBuf::kParam),
                "RaceChecker::Mem must follow isa.def's LOAD buf codes");

  explicit RaceChecker(const HwConfig& hw)
      : sizes_{static_cast<size_t>(hw.act_lines),
               static_cast<size_t>(hw.wgt_lines),
               static_cast<size_t>(hw.param_entries),
               static_cast<size_t>(hw.acc_rows)} {}

  void Begin() {
    for (int m = 0; m < kNumMems; ++m) {
      shadow_[m].assign(sizes_[m], Line{});
    }
    for (int e = 0; e < kNumEngines; ++e) {
      engine_clock_[e].fill(0);
      index_[e].clear();
    }
    for (std::deque<Clock>& t : tokens_) t.clear();
  }

  void Start(int engine, size_t index,
             const std::array<bool, kNumTokens>& pops) {
    engine_ = engine;
    index_[engine].push_back(index);
    now_ = engine_clock_[engine];
    for (int t = 0; t < kNumTokens; ++t) {
      if (!pops[t]) continue;
      const Clock& c = tokens_[t].front();
      for (int e = 0; e < kNumEngines; ++e) now_[e] = std::max(now_[e], c[e]);
      tokens_[t].pop_front();
    }
    now_[engine] = static_cast<uint32_t>(index_[engine].size());
  }

  void Finish(const std::array<bool, kNumTokens>& pushes) {
    engine_clock_[engine_] = now_;
    for (int t = 0; t < kNumTokens; ++t) {
      if (pushes[t]) tokens_[t].push_back(now_);
    }
  }

  void Read(Mem m, int64_t first, int64_t count, int64_t stride) {
    for (int64_t k = 0; k < count; ++k) {
      Line& l = shadow_[m][static_cast<size_t>(first + k * stride)];
      CheckAgainst(l.writer_engine, l.writer, m, first + k * stride, "writes",
                   "read");
      l.reader[engine_] = now_[engine_];
    }
  }

  void Write(Mem m, int64_t first, int64_t count) {
    for (int64_t k = 0; k < count; ++k) {
      Line& l = shadow_[m][static_cast<size_t>(first + k)];
      CheckAgainst(l.writer_engine, l.writer, m, first + k, "writes", "write");
      for (int e = 0; e < kNumEngines; ++e) {
        CheckAgainst(e, l.reader[e], m, first + k, "reads", "write");
        l.reader[e] = 0;
      }
      l.writer_engine = static_cast<uint8_t>(engine_);
      l.writer = now_[engine_];
    }
  }

 private:
  using Clock = std::array<uint32_t, kNumEngines>;
  struct Line {
    uint32_t writer = 0;  // engine sequence number, 0 = none
    uint8_t writer_engine = 0;
    std::array<uint32_t, kNumEngines> reader{};
  };

  void CheckAgainst(int engine, uint32_t seq, int m, int64_t line,
                    const char* their, const char* ours) const {
    if (seq == 0 || engine == engine_ || now_[engine] >= seq) return;
    static const char* const kEngineNames[kNumEngines] = {"LOAD", "GEMM",
                                                          "STORE"};
    static const char* const kMemNames[kNumMems] = {"ACT line", "WGT line",
                                                    "PARAM record", "ACC row"};
    throw InstrFault(std::string("races with instruction ") +
                     std::to_string(index_[engine][seq - 1]) + " (" +
                     kEngineNames[engine] + "), which " + their + " " +
                     kMemNames[m] + " " + std::to_string(line) +
                     ": no token chain orders it before this " + ours);
  }

  std::array<size_t, kNumMems> sizes_;
  std::array<std::vector<Line>, kNumMems> shadow_;
  std::array<Clock, kNumEngines> engine_clock_{};
  std::array<std::vector<size_t>, kNumEngines> index_;
  std::array<std::deque<Clock>, kNumTokens> tokens_;
  int engine_ = 0;
  Clock now_{};
};

class ModelDevice final : public Device {
 public:
  ModelDevice(const HwConfig& hw, const ModelOptions& opts)
      : hw_(hw),
        opts_(opts),
        dram_(std::min<uint64_t>(hw.dram_bytes, uint64_t{1} << 32)),
        act_(static_cast<size_t>(hw.act_lines) * hw.rows),
        wgt_(static_cast<size_t>(hw.wgt_lines) * hw.cols),
        param_(static_cast<size_t>(hw.param_entries) * kParamBytes),
        acc_(static_cast<size_t>(hw.acc_rows) * hw.cols),
        races_(hw) {}

  ModelDevice(const ModelDevice&) = delete;
  ModelDevice& operator=(const ModelDevice&) = delete;

  std::string name() const override { return "model"; }
  const HwConfig& config() const override { return hw_; }

  void WriteDram(uint32_t addr, const uint8_t* src, size_t n) override {
    CheckHostRange(addr, n, "WriteDram");
    dram_.Write(addr, src, n);
  }
  void ReadDram(uint32_t addr, uint8_t* dst, size_t n) override {
    CheckHostRange(addr, n, "ReadDram");
    dram_.Read(addr, dst, n);
  }

  void Submit(const std::vector<InstrWord>& program) override {
    queue_.insert(queue_.end(), program.begin(), program.end());
  }

  void RunToIdle() override {
    std::vector<InstrWord> program;
    program.swap(queue_);
    tokens_.fill(0);
    timeline_.Begin(counters_.v[kCtrCycles]);
    if (opts_.check_races) races_.Begin();
    for (size_t n = 0; n < program.size(); ++n) Step(n, program[n]);
    counters_.v[kCtrCycles] = timeline_.end();
    for (int t = 0; t < kNumTokens; ++t) {
      if (tokens_[t] != 0) {
        const uint64_t left = tokens_[t];
        tokens_.fill(0);
        throw DeviceError("program of " + std::to_string(program.size()) +
                          " instructions ends with " + std::to_string(left) +
                          " token(s) left in " + kTokenNames[t] +
                          " (every push needs a matching pop)");
      }
    }
  }

  PerfCounters ReadCounters() override { return counters_; }

 private:

  void CheckHostRange(uint32_t addr, size_t n, const char* what) const {
    if (!dram_.Contains(addr, n)) {
      throw DeviceError(std::string(what) + " of " + std::to_string(n) +
                        " bytes at " + Hex(addr) + " leaves the " +
                        std::to_string(dram_.size()) + "-byte DRAM");
    }
  }

  void Step(size_t index, const InstrWord& w) {
    index_ = index;
    try {
      Opcode op;
      try {
        op = OpcodeOf(w);
      } catch (const std::invalid_argument& e) {
        throw InstrFault(e.what());
      }
      switch (op) {
        case Opcode::kLoad:
          ExecLoad(DecodeLoad(w));
          break;
        case Opcode::kGemm:
          ExecGemm(DecodeGemm(w));
          break;
        case Opcode::kStore:
          ExecStore(DecodeStore(w));
          break;
        case Opcode::kSpmv:
          ExecSpmvInstr(DecodeSpmv(w));
          break;
        case Opcode::kDwconv:
          ExecDwconv(DecodeDwconv(w));
          break;
      }
      ++counters_.v[kCtrInstrs];
    } catch (const InstrFault& e) {
      tokens_.fill(0);
      counters_.v[kCtrCycles] = timeline_.end();
      throw DeviceError("instruction " + std::to_string(index) + " (" +
                        Disassemble(w) + "): " + e.what());
    }
  }

  // Validates the token flags of one engine and takes the popped tokens.
  // `map` gives the token behind pop_prev, pop_next, push_prev, push_next
  // (-1: the flag does not apply to this engine and must be zero).
  void TakeTokens(int engine, const CommonFields& c,
                  const std::array<int, 4>& map,
                  std::array<bool, kNumTokens>* pops,
                  std::array<bool, kNumTokens>* pushes) {
    const std::array<int64_t, 4> flags = {c.pop_prev, c.pop_next, c.push_prev,
                                          c.push_next};
    static const char* const kFlagNames[4] = {"pop_prev", "pop_next",
                                              "push_prev", "push_next"};
    pops->fill(false);
    pushes->fill(false);
    for (int f = 0; f < 4; ++f) {
      if (flags[f] == 0) continue;
      if (map[f] < 0) {
        throw InstrFault(std::string(kFlagNames[f]) +
                         " does not apply to this engine and must be 0");
      }
      (f < 2 ? *pops : *pushes)[map[f]] = true;
    }
    for (int t = 0; t < kNumTokens; ++t) {
      if ((*pops)[t] && tokens_[t] == 0) {
        throw InstrFault(std::string("pops an empty ") + kTokenNames[t] +
                         " token counter (no earlier instruction pushed it)");
      }
    }
    for (int t = 0; t < kNumTokens; ++t) {
      if ((*pops)[t]) --tokens_[t];
    }
    if (opts_.check_races) races_.Start(engine, index_, *pops);
  }

  void GiveTokens(const std::array<bool, kNumTokens>& pushes) {
    for (int t = 0; t < kNumTokens; ++t) {
      if (pushes[t]) ++tokens_[t];
    }
    if (opts_.check_races) races_.Finish(pushes);
  }

  static void RequirePositive(int64_t v, const char* field) {
    if (v < 1) {
      throw InstrFault(std::string(field) + " = " + std::to_string(v) +
                       " must be at least 1");
    }
  }

  static void RequireRange(int64_t first, int64_t count, int64_t depth,
                           const char* what) {
    if (first < 0 || count < 0 || first + count > depth) {
      throw InstrFault(std::string(what) + " [" + std::to_string(first) + ", " +
                       std::to_string(first + count) + ") outside [0, " +
                       std::to_string(depth) + ")");
    }
  }

  void ExecLoad(const LoadInstr& i) {
    std::array<bool, kNumTokens> pops, pushes;
    // LOAD has no previous engine: pop_next takes c2l, push_next gives l2c.
    const std::array<int, 4> map = {-1, kC2L, -1, kL2C};
    const int lb = LoadLineBytes(i, hw_);
    uint8_t* sram = nullptr;
    int64_t depth = 0;
    const char* name = "";
    switch (i.buf) {
      case static_cast<int64_t>(LoadBuf::kAct):
        sram = reinterpret_cast<uint8_t*>(act_.data());
        depth = hw_.act_lines;
        name = "ACT lines";
        break;
      case static_cast<int64_t>(LoadBuf::kWgt):
        sram = reinterpret_cast<uint8_t*>(wgt_.data());
        depth = hw_.wgt_lines;
        name = "WGT lines";
        break;
      case static_cast<int64_t>(LoadBuf::kParam):
        param_keep_.ParamWritten();
        sram = param_.data();
        depth = hw_.param_entries;
        name = "PARAM records";
        break;
      default:
        throw InstrFault("buf = " + std::to_string(i.buf) +
                         " is not ACT (0), WGT (1) or PARAM (2)");
    }
    RequirePositive(i.ny, "ny");
    RequirePositive(i.nx, "nx");
    RequirePositive(i.kh, "kh");
    RequirePositive(i.kw, "kw");
    RequirePositive(i.nl, "nl");
    // A dense pixel's nl lines hold its kh * kw segments back to back.
    const int64_t seg_total = i.dense ? i.kh * i.kw * i.seg_bytes : i.seg_bytes;
    // Non-dense: the last line may lie wholly beyond the segment (zero; the
    // compiler pads an N24W8 row to whole line pairs).
    const int64_t spare = i.dense ? 1 : 2;
    if (seg_total <= (i.nl - spare) * lb ||
        (i.dense && seg_total > i.nl * lb)) {
      throw InstrFault(std::string(i.dense ? "kh * kw * " : "") +
                       "seg_bytes = " + std::to_string(seg_total) +
                       (i.dense ? " does not fill exactly" : " leaves the last of") +
                       " nl = " + std::to_string(i.nl) + " lines (needs > " +
                       std::to_string((i.nl - spare) * lb) +
                       (i.dense ? " and <= " + std::to_string(i.nl * lb) : "") +
                       ")");
    }
    const int64_t lines = LoadLines(i);
    RequireRange(i.sram_base, lines, depth, name);
    TakeTokens(kLoadEngine, i, map, &pops, &pushes);
    if (opts_.check_races) {
      races_.Write(static_cast<RaceChecker::Mem>(i.buf), i.sram_base, lines);
    }

    const uint8_t pad = static_cast<uint8_t>(i.pad);
    const uint64_t limit = dram_.size();
    uint8_t* base = sram + static_cast<size_t>(i.sram_base) * lb;
    auto copy = [&](uint64_t line, uint8_t* dst, bool in, int64_t addr,
                    int valid) {
      if (in) {
        if (addr < 0 || static_cast<uint64_t>(addr) > limit ||
            static_cast<uint64_t>(valid) >
                limit - static_cast<uint64_t>(addr)) {
          throw InstrFault("line " + std::to_string(line) + " reads DRAM [" +
                           Hex(static_cast<uint64_t>(addr)) + ", +" +
                           std::to_string(valid) + ") outside the " +
                           std::to_string(limit) + "-byte DRAM");
        }
        dram_.Read(static_cast<uint64_t>(addr), dst,
                   static_cast<size_t>(valid));
      } else {
        std::memset(dst, pad, static_cast<size_t>(valid));
      }
    };
    if (i.dense) {
      // The architecture's rule, tap by tap: segment t of pixel p lands at
      // byte t * seg_bytes of the pixel's nl lines; the rest stays zero.
      std::memset(base, 0, static_cast<size_t>(lines * lb));
      const uint64_t pixel_bytes = static_cast<uint64_t>(i.nl * lb);
      for (int64_t y = 0, p = 0; y < i.ny; ++y) {
        for (int64_t x = 0; x < i.nx; ++x, ++p) {
          for (int64_t ky = 0, t = 0; ky < i.kh; ++ky) {
            const int64_t ih = i.iy0 + y * i.sy + ky * i.dy;
            for (int64_t kx = 0; kx < i.kw; ++kx, ++t) {
              const int64_t iw = i.ix0 + x * i.sx + kx * i.dx;
              const bool in = ih >= 0 && ih < i.h && iw >= 0 && iw < i.w;
              const uint64_t off = p * pixel_bytes + t * i.seg_bytes;
              copy(off / lb, base + off, in,
                   i.dram_base + (ih * i.w + iw) * i.pix_stride,
                   static_cast<int>(i.seg_bytes));
            }
          }
        }
      }
    } else {
      WalkLoadLines(i, lb, [&](uint64_t line, bool in, int64_t addr, int valid) {
        uint8_t* dst = base + line * static_cast<uint64_t>(lb);
        copy(line, dst, in, addr, valid);
        std::memset(dst + valid, 0, static_cast<size_t>(lb - valid));
      });
    }
    GiveTokens(pushes);
    const Timeline::Result t =
        timeline_.Issue(kLoadEngine, pops, pushes,
                        LoadCost(i, hw_, step_keep_.Take(i)));
    counters_.v[kCtrStallLoadTokens] += t.token_wait;
  }

  void ExecGemm(const GemmInstr& i) {
    std::array<bool, kNumTokens> pops, pushes;
    const std::array<int, 4> map = {kL2C, kS2C, kC2L, kC2S};
    const int r = hw_.rows, c = hw_.cols;
    RequirePositive(i.m_rows, "m_rows");
    const int lanes = GemmModeLanes(static_cast<int>(i.mode));
    if (lanes == 0) {
      throw InstrFault("mode = " + std::to_string(i.mode) +
                       " is not a GEMM mode");
    }
    // A4W4 packs two K elements per row byte, A1W1 eight.
    const bool a4w4 = i.mode == kGemmModeA4W4;
    const bool a1w1 = i.mode == kGemmModeA1W1;
    const bool a16w8 = i.mode == kGemmModeA16W8;
    const bool n24w4 = i.mode == kGemmModeN24W4;
    const bool n24 = i.mode == kGemmModeN24W8 || n24w4;
    if (n24 && !hw_.nm24) {
      throw InstrFault("mode = " + std::to_string(i.mode) +
                       (n24w4 ? " (N24W4)" : " (N24W8)") +
                       " on a build without the 2:4 mode");
    }
    const int k_per_row = a4w4 ? 2 : a1w1 ? 8 : 1;
    if (i.k_valid > k_per_row * r || i.n_valid > lanes * c) {
      throw InstrFault("k_valid = " + std::to_string(i.k_valid) +
                       ", n_valid = " + std::to_string(i.n_valid) +
                       " exceed the " + std::to_string(k_per_row * r) + "x" +
                       std::to_string(c) + " array in " +
                       std::to_string(lanes) + " lanes");
    }
    if (i.acc_base % lanes != 0) {
      throw InstrFault("acc_base = " + std::to_string(i.acc_base) +
                       " is not a multiple of the mode's " +
                       std::to_string(lanes) + " lanes");
    }
    const int64_t acc_rows = i.m_rows * lanes;
    const int64_t last_act = i.act_base + (i.m_rows - 1) * i.act_stride;
    // N24W8: a row is two ACT lines, a tile 5R/4 WGT lines (N24W4: 3R/4).
    const int act_span = n24 ? 2 : 1;
    const int wgt_span = n24w4 ? 3 * r / 4 : n24 ? r + r / 4 : r;
    RequireRange(i.act_base, act_span, hw_.act_lines, "ACT line of row 0");
    RequireRange(last_act, act_span, hw_.act_lines, "ACT line of the last row");
    if (a16w8) {
      RequireRange(i.act_base + i.act_hi, 1, hw_.act_lines,
                   "ACT high-byte line of row 0");
      RequireRange(last_act + i.act_hi, 1, hw_.act_lines,
                   "ACT high-byte line of the last row");
    }
    RequireRange(i.wgt_base, wgt_span, hw_.wgt_lines, "WGT lines");
    RequireRange(i.acc_base, acc_rows, hw_.acc_rows, "ACC rows");
    TakeTokens(kGemmEngine, i, map, &pops, &pushes);
    if (opts_.check_races) {
      races_.Read(RaceChecker::kActMem, i.act_base, i.m_rows, i.act_stride);
      if (a16w8) {
        races_.Read(RaceChecker::kActMem, i.act_base + i.act_hi, i.m_rows,
                    i.act_stride);
      }
      if (n24) {
        races_.Read(RaceChecker::kActMem, i.act_base + 1, i.m_rows,
                    i.act_stride);
      }
      races_.Read(RaceChecker::kWgtMem, i.wgt_base, wgt_span, 1);
      if (i.accumulate)
        races_.Read(RaceChecker::kAccMem, i.acc_base, acc_rows, 1);
      races_.Write(RaceChecker::kAccMem, i.acc_base, acc_rows);
    }

    // Lane l of activation row m lands in ACC row acc_base + lanes*m + l.
    const int8_t* wgt = wgt_.data() + static_cast<size_t>(i.wgt_base) * c;
    if (a4w4) GemmA4W4(i, wgt);
    if (a1w1) GemmA1W1(i, wgt);
    if (a16w8) GemmA16W8(i, wgt);
    if (n24w4) {
      const std::vector<int8_t> w8 = WidenN24W4Tile(wgt);
      GemmN24W8(i, w8.data());
    } else if (n24) {
      GemmN24W8(i, wgt);
    }
    std::vector<int8_t> lane_w;
    for (int l = 0; l < lanes && !a4w4 && !a1w1 && !a16w8 && !n24; ++l) {
      const int8_t* b = wgt;
      if (lanes > 1) {
        lane_w.resize(static_cast<size_t>(r) * c);
        for (size_t k = 0; k < lane_w.size(); ++k) {
          lane_w[k] = static_cast<int8_t>(DecodeWeightLane(
              static_cast<int>(i.mode), static_cast<uint8_t>(wgt[k]), l));
        }
        b = lane_w.data();
      }
      GemmInt8Int32(static_cast<int>(i.m_rows), c, r,
                    act_.data() + static_cast<size_t>(i.act_base) * r,
                    static_cast<int>(i.act_stride * r), b, c,
                    acc_.data() + static_cast<size_t>(i.acc_base + l) * c,
                    lanes * c, i.accumulate != 0);
    }

    const uint64_t m = static_cast<uint64_t>(i.m_rows);
    // A16W8 issues two rows (the low and high byte lines) per activation row.
    const uint64_t issued = a16w8 ? 2 * m : m;
    counters_.v[kCtrArrayBusy] += issued;
    counters_.v[kCtrMacsIssued] +=
        issued * static_cast<uint64_t>(r * c * (a16w8 ? 1 : lanes) * k_per_row);
    counters_.v[kCtrUsefulMacs] +=
        m * static_cast<uint64_t>(i.k_valid * i.n_valid);
    GiveTokens(pushes);
    const InstrCost cost = GemmCost(i, hw_);
    const Timeline::Result t = timeline_.Issue(kGemmEngine, pops, pushes, cost);
    counters_.v[kCtrStallGemmWeights] += cost.weight_stall;
    counters_
        .v[t.binding_token == kS2C ? kCtrStallGemmStore : kCtrStallGemmLoad] +=
        t.token_wait;
    counters_.v[kCtrGemmIdle] += t.idle;
  }

  // The sparse engine drains the compute queue like GEMM: same tokens, same
  // stall counters; its data path is sim/model_spmv.cc.
  void ExecSpmvInstr(const SpmvInstr& i) {
    std::array<bool, kNumTokens> pops, pushes;
    const std::array<int, 4> map = {kL2C, kS2C, kC2L, kC2S};
    TakeTokens(kGemmEngine, i, map, &pops, &pushes);
    // ExecSpmv checks every address before it touches a memory; the race
    // check below needs the stream length it found.
    SpmvOutcome o;
    try {
      o = ExecSpmv(i, hw_, act_.data(), wgt_.data(), acc_.data(),
                   &spmv_held_);
    } catch (const SpmvFault& e) {
      throw InstrFault(e.what());
    }
    if (opts_.check_races) {
      const int64_t lines = SpmvActLines(i, hw_);
      for (int64_t m = 0; m < i.m_rows; ++m) {
        races_.Read(RaceChecker::kActMem, i.act_base + m * i.act_stride, lines,
                    1);
      }
      races_.Read(RaceChecker::kWgtMem, i.wgt_base, o.wgt_lines, 1);
      for (int64_t g = 0; i.lane_hold == 0 && g < i.n_groups; ++g) {
        const int64_t row = i.acc_base + g * i.acc_gstride;
        if (i.accumulate) races_.Read(RaceChecker::kAccMem, row, i.m_rows, 1);
        races_.Write(RaceChecker::kAccMem, row, i.m_rows);
      }
    }
    counters_.v[kCtrSparseZeroWeights] += o.zero_weights;
    counters_.v[kCtrSparseZeroActs] += o.zero_acts;
    counters_.v[kCtrSparseMetaWords] += o.meta_words;
    counters_.v[kCtrSparseLaneIdle] += o.lane_idle;
    GiveTokens(pushes);
    InstrCost cost;
    cost.busy = o.busy;
    cost.latency = 1;
    const Timeline::Result t = timeline_.Issue(kGemmEngine, pops, pushes, cost);
    counters_
        .v[t.binding_token == kS2C ? kCtrStallGemmStore : kCtrStallGemmLoad] +=
        t.token_wait;
    counters_.v[kCtrGemmIdle] += t.idle;
  }

  // The depthwise unit shares the compute queue, the tokens and the stall
  // counters with the GEMM engine; its arithmetic is in model_dwconv.cc.
  void ExecDwconv(const DwconvInstr& i) {
    std::array<bool, kNumTokens> pops, pushes;
    const std::array<int, 4> map = {kL2C, kS2C, kC2L, kC2S};
    const int r = hw_.rows, c = hw_.cols;
    if (c < r) {
      throw InstrFault("the depthwise unit needs C >= R (" + std::to_string(r) +
                       "x" + std::to_string(c) + " array)");
    }
    if (i.kh < 1 || i.kh > kDwMaxKernel || i.kw < 1 || i.kw > kDwMaxKernel) {
      throw InstrFault("kernel " + std::to_string(i.kh) + "x" +
                       std::to_string(i.kw) + " is outside 1.." +
                       std::to_string(kDwMaxKernel));
    }
    RequirePositive(i.sy, "sy");
    RequirePositive(i.sx, "sx");
    if (i.in_h < i.kh || i.in_w < i.kw || i.in_w > kDwMaxWidth) {
      throw InstrFault("input grid " + std::to_string(i.in_h) + "x" +
                       std::to_string(i.in_w) + " must be at least the kernel "
                       "and at most " + std::to_string(kDwMaxWidth) + " wide");
    }
    if (i.ch_off + ((r - 1) >> i.ch_shift) >= r || i.n_valid > r) {
      throw InstrFault("ch_off = " + std::to_string(i.ch_off) +
                       ", ch_shift = " + std::to_string(i.ch_shift) +
                       ", n_valid = " + std::to_string(i.n_valid) +
                       " select bytes or lanes beyond R = " + std::to_string(r));
    }
    if (i.pair && (i.kw != kDwMaxKernel || i.sx != 1 || i.ch_shift != 0 ||
                   i.ch_off != 0 || r % 2 != 0)) {
      throw InstrFault("pair mode needs kw = " + std::to_string(kDwMaxKernel) +
                       ", sx = 1, ch_shift = ch_off = 0 and an even R (kw = " +
                       std::to_string(i.kw) + ", sx = " + std::to_string(i.sx) +
                       ")");
    }
    if (i.px2 && (i.pair || i.sx != 2 || i.kw % 2 != 1 || i.act_pix != 1)) {
      throw InstrFault("the two-pixel walk (px2) needs sx = 2, an odd kw, "
                       "act_pix = 1 and pair = 0 (sx = " + std::to_string(i.sx) +
                       ", kw = " + std::to_string(i.kw) + ", act_pix = " +
                       std::to_string(i.act_pix) + ", pair = " +
                       std::to_string(i.pair) + ")");
    }
    const int64_t outs = DwconvOutRows(i) * DwconvOutCols(i);
    const bool reads = i.valid_h > 0 && i.valid_w > 0;
    const int64_t last_act = i.act_base + (i.valid_h - 1) * i.act_row +
                             (i.valid_w - 1) * i.act_pix;
    if (reads) {
      RequireRange(i.act_base, 1, hw_.act_lines, "ACT line of pixel (0,0)");
      RequireRange(last_act, 1, hw_.act_lines, "ACT line of the last pixel");
    }
    // The reverse walk starts at the rectangle's last pixel and the last
    // output, which the instruction names (the unit has no multiplier for
    // them), and needs the grid exactly covered by the outputs.
    if (i.rev) {
      if (i.pair || i.pad_top + i.valid_h > i.in_h ||
          i.pad_left + i.valid_w > i.in_w || (i.in_h - i.kh) % i.sy != 0 ||
          (i.in_w - i.kw) % i.sx != 0) {
        throw InstrFault(
            "the reverse walk (rev) needs pair = 0, the ACT rectangle inside "
            "the grid and (in - k) a multiple of the stride on both axes");
      }
      if ((reads && i.act_last != last_act) ||
          i.acc_last != i.acc_base + outs - 1) {
        throw InstrFault("rev: act_last = " + std::to_string(i.act_last) +
                         ", acc_last = " + std::to_string(i.acc_last) +
                         " must be " + std::to_string(last_act) + " and " +
                         std::to_string(i.acc_base + outs - 1));
      }
    }
    const int64_t box = kDwMaxKernel * kDwMaxKernel;
    RequireRange(i.wgt_base, box, hw_.wgt_lines, "WGT lines");
    RequireRange(i.acc_base, outs, hw_.acc_rows, "ACC rows");
    // Weight box prefetch: a pf DWCONV also reads the box at wgt_next into
    // the unit's second weight bank while it walks (it must walk long
    // enough for the reads); the next DWCONV takes it with pre.
    const InstrCost cost = DwconvCost(i, hw_);
    if (i.pre && !(dw_pf_.valid && dw_pf_.base == i.wgt_base &&
                   dw_pf_.kh == i.kh && dw_pf_.kw == i.kw &&
                   dw_pf_.rev == i.rev)) {
      throw InstrFault("pre: the previous DWCONV did not prefetch the box at "
                       "WGT line " + std::to_string(i.wgt_base) +
                       " with kernel " + std::to_string(i.kh) + "x" +
                       std::to_string(i.kw) + (i.rev ? " rev" : ""));
    }
    if (i.pf) {
      RequireRange(i.wgt_next, box, hw_.wgt_lines, "WGT lines (wgt_next)");
      const uint64_t need = i.pre ? box : 2 * box;
      if (cost.busy < need) {
        throw InstrFault("pf: the walk takes " + std::to_string(cost.busy) +
                         " cycles, the box reads " + std::to_string(need));
      }
    }
    TakeTokens(kGemmEngine, i, map, &pops, &pushes);
    if (opts_.check_races) {
      for (int64_t y = 0; reads && y < i.valid_h; ++y) {
        races_.Read(RaceChecker::kActMem, i.act_base + y * i.act_row,
                    i.valid_w, i.act_pix);
      }
      if (!i.pre) races_.Read(RaceChecker::kWgtMem, i.wgt_base, box, 1);
      if (i.pf) races_.Read(RaceChecker::kWgtMem, i.wgt_next, box, 1);
      races_.Write(RaceChecker::kAccMem, i.acc_base, outs);
    }
    if (i.pre) {
      DwconvInstr from_bank = i;
      from_bank.wgt_base = 0;
      DwconvExecute(from_bank, r, c, act_.data(), dw_pf_.box.data(),
                    acc_.data());
    } else {
      DwconvExecute(i, r, c, act_.data(), wgt_.data(), acc_.data());
    }
    dw_pf_.valid = i.pf != 0;
    if (i.pf) {
      dw_pf_.base = i.wgt_next;
      dw_pf_.kh = i.kh;
      dw_pf_.kw = i.kw;
      dw_pf_.rev = i.rev;
      const auto first = wgt_.begin() + i.wgt_next * c;
      dw_pf_.box.assign(first, first + box * c);
    }
    const uint64_t macs =
        static_cast<uint64_t>(outs) * static_cast<uint64_t>(i.n_valid * i.kh * i.kw);
    counters_.v[kCtrUsefulMacs] += macs;
    counters_.v[kCtrDwUsefulMacs] += macs;
    counters_.v[kCtrMacsIssued] += static_cast<uint64_t>(outs) *
                                   static_cast<uint64_t>(r * kDwMaxKernel * kDwMaxKernel);
    GiveTokens(pushes);
    const Timeline::Result t = timeline_.Issue(kGemmEngine, pops, pushes, cost);
    // dw_busy counts the cycles after the accept in which the unit waits
    // for its weight box or walks (the cost's busy cycles).
    counters_.v[kCtrDwBusy] += cost.busy;
    counters_
        .v[t.binding_token == kS2C ? kCtrStallGemmStore : kCtrStallGemmLoad] +=
        t.token_wait;
    counters_.v[kCtrGemmIdle] += t.idle;
  }

  // Activation-narrow modes: each ACT byte meets the WGT byte of its row and
  // column, dot(act byte, weight byte) adds into one int32 per output column
  // (wrapping).
  template <typename ByteDot>
  void GemmBytePairs(const GemmInstr& i, const int8_t* wgt, ByteDot dot) {
    const int r = hw_.rows, c = hw_.cols;
    for (int64_t m = 0; m < i.m_rows; ++m) {
      const int8_t* a =
          act_.data() + static_cast<size_t>(i.act_base + m * i.act_stride) * r;
      int32_t* acc = acc_.data() + static_cast<size_t>(i.acc_base + m) * c;
      for (int col = 0; col < c; ++col) {
        int32_t sum = 0;
        for (int k = 0; k < r; ++k) {
          sum += dot(static_cast<uint8_t>(a[k]),
                     static_cast<uint8_t>(wgt[k * c + col]));
        }
        acc[col] = i.accumulate != 0 ? WrapAdd(acc[col], sum) : sum;
      }
    }
  }

  // A4W4: signed nibble products, low with low and high with high.
  void GemmA4W4(const GemmInstr& i, const int8_t* wgt) {
    GemmBytePairs(i, wgt, [](uint8_t ab, uint8_t wb) {
      return DecodeWeightLane(kGemmModeA8W4, ab, 0) *
                 DecodeWeightLane(kGemmModeA8W4, wb, 0) +
             DecodeWeightLane(kGemmModeA8W4, ab, 1) *
                 DecodeWeightLane(kGemmModeA8W4, wb, 1);
    });
  }

  // A1W1: eight signs per byte (1 = +1), 2 * popcount(~(a ^ w)) - 8.
  void GemmA1W1(const GemmInstr& i, const int8_t* wgt) {
    GemmBytePairs(i, wgt, [](uint8_t ab, uint8_t wb) {
      return 2 * __builtin_popcount(~(unsigned{ab} ^ wb) & 0xffu) - 8;
    });
  }

  // A16W8: activation row m is two ACT lines under the same weight tile,
  // the low bytes (act_base + m*act_stride, each as (a ^ 0x80): u - 128) into
  // lane 0 (ACC row acc_base + 2m) and the high bytes (act_hi lines further)
  // into lane 1 (row + 1).
  void GemmA16W8(const GemmInstr& i, const int8_t* wgt) {
    const int r = hw_.rows, c = hw_.cols;
    for (int64_t m = 0; m < i.m_rows; ++m) {
      const int64_t lo_line = i.act_base + m * i.act_stride;
      for (int l = 0; l < 2; ++l) {
        const int8_t* a =
            act_.data() +
            static_cast<size_t>(lo_line + (l == 0 ? 0 : i.act_hi)) * r;
        int32_t* acc =
            acc_.data() + static_cast<size_t>(i.acc_base + 2 * m + l) * c;
        for (int col = 0; col < c; ++col) {
          int32_t sum = 0;
          for (int k = 0; k < r; ++k) {
            const int32_t x =
                l == 0 ? static_cast<int8_t>(static_cast<uint8_t>(a[k]) ^ 0x80u)
                       : a[k];
            sum += x * wgt[k * c + col];
          }
          acc[col] = i.accumulate != 0 ? WrapAdd(acc[col], sum) : sum;
        }
      }
    }
  }

  // N24W4: the 3R/4-line tile as the N24W8 tile the engine writes into the
  // array: per 4 rows the index line, then value line p's low nibble (row
  // 4g+2p) and high nibble (row 4g+2p+1), each sign-extended.
  std::vector<int8_t> WidenN24W4Tile(const int8_t* wgt) const {
    const int r = hw_.rows, c = hw_.cols;
    std::vector<int8_t> w8(static_cast<size_t>(r + r / 4) * c);
    for (int g = 0; g < r / 4; ++g) {
      const int8_t* src = wgt + static_cast<size_t>(3 * g) * c;
      int8_t* dst = w8.data() + static_cast<size_t>(5 * g) * c;
      std::memcpy(dst, src, static_cast<size_t>(c));
      for (int q = 0; q < 4; ++q) {
        for (int col = 0; col < c; ++col) {
          const uint8_t b =
              static_cast<uint8_t>(src[static_cast<size_t>(1 + q / 2) * c + col]);
          const int nib = q % 2 == 0 ? (b & 0x0f) : (b >> 4);
          dst[static_cast<size_t>(1 + q) * c + col] =
              static_cast<int8_t>(nib >= 8 ? nib - 16 : nib);
        }
      }
    }
    return w8;
  }

  // N24W8 (2:4): the tile is 5R/4 WGT lines, per 4 rows an index line
  // (byte col: bits [2q+1:2q] = the in-group index of row 4g+q) and the 4
  // value lines; row k multiplies byte 4*(k/2) + index of the 2R-byte row
  // (ACT lines act_base + m*act_stride and the next one).
  void GemmN24W8(const GemmInstr& i, const int8_t* wgt) {
    const int r = hw_.rows, c = hw_.cols;
    std::vector<int8_t> a(static_cast<size_t>(2 * r));
    for (int64_t m = 0; m < i.m_rows; ++m) {
      const size_t line = static_cast<size_t>(i.act_base + m * i.act_stride);
      std::memcpy(a.data(), act_.data() + line * r, static_cast<size_t>(2 * r));
      int32_t* acc = acc_.data() + static_cast<size_t>(i.acc_base + m) * c;
      for (int col = 0; col < c; ++col) {
        int32_t sum = 0;
        for (int k = 0; k < r; ++k) {
          const int8_t* idx_line = wgt + static_cast<size_t>(k / 4 * 5) * c;
          const int8_t w = wgt[static_cast<size_t>(k / 4 * 5 + 1 + k % 4) * c + col];
          const int idx =
              (static_cast<uint8_t>(idx_line[col]) >> (2 * (k % 4))) & 3;
          sum += a[static_cast<size_t>(4 * (k / 2) + idx)] * w;
        }
        acc[col] = i.accumulate != 0 ? WrapAdd(acc[col], sum) : sum;
      }
    }
  }

  // A16W8 STORE (out_int16): channel k of a pixel is lane 1 * 256 + lane 0
  // plus the 64-bit bias, requantized to int16 with the int64 path (or the
  // int32-bias variant's double rounding on the low 32 bits); its low byte
  // goes to the pixel's address + k, its high byte hi_off bytes further.
  void StoreInt16(const StoreInstr& i, const int64_t acc_step,
                  const std::array<bool, kNumTokens>& pops,
                  const std::array<bool, kNumTokens>& pushes) {
    const int c = hw_.cols;
    struct Record {
      int64_t bias;
      int32_t mult;
      int rm, shift;
    };
    std::vector<Record> rec(static_cast<size_t>(i.n_bytes));
    for (int64_t k = 0; k < i.n_bytes; ++k) {
      const uint8_t* p = param_.data() + (i.param_base + k) * kParamBytes;
      Record& r = rec[static_cast<size_t>(k)];
      uint32_t lo = 0, hi = 0;
      uint16_t m15 = 0;
      std::memcpy(&lo, p + kParamBiasByte, 4);
      std::memcpy(&hi, p + kParamBiasHiByte, 4);
      std::memcpy(&r.mult, p + kParamMultByte, 4);
      std::memcpy(&m15, p + kParamMult15Byte, 2);
      r.bias = static_cast<int64_t>((uint64_t{hi} << 32) | lo);
      r.rm = m15;
      r.shift = static_cast<int8_t>(p[kParamShiftByte]);
      const bool ok = i.bias32 != 0
                          ? r.shift >= -31 && r.shift <= 30 &&
                                (r.mult == 0 || r.mult >= (int32_t{1} << 30))
                          : r.shift >= -31 && r.shift <= 7 && r.rm < 32768;
      if (!ok) {
        throw InstrFault("PARAM record " + std::to_string(i.param_base + k) +
                         " holds multiplier " + std::to_string(r.mult) +
                         " (Q15 " + std::to_string(r.rm) + "), shift " +
                         std::to_string(r.shift) +
                         " outside the out_int16 requantization");
      }
    }
    uint8_t out[512];
    for (int64_t y = 0; y < i.ny; ++y) {
      for (int64_t x = 0; x < i.nx; ++x) {
        const int32_t* lane0 =
            acc_.data() +
            static_cast<size_t>(i.acc_base + (y * i.nx + x) * acc_step) * c;
        const int32_t* lane1 = lane0 + c;
        for (int64_t k = 0; k < i.n_bytes; ++k) {
          const Record& r = rec[static_cast<size_t>(k)];
          const uint64_t v = static_cast<uint64_t>(r.bias) +
                             (static_cast<uint64_t>(int64_t{lane1[k]}) << 8) +
                             static_cast<uint64_t>(int64_t{lane0[k]});
          int32_t q = 0;
          if (i.bias32 != 0) {
            q = RequantizeOne(static_cast<int32_t>(static_cast<uint32_t>(v)),
                              r.mult, r.shift, 0,
                              static_cast<int32_t>(i.act_min16),
                              static_cast<int32_t>(i.act_max16));
          } else {
            // RequantizeOneInt64 takes M0 and rounds it to Q15 itself; the
            // record's Mult15 is that value (PackA16W8Params).
            q = RequantizeOneInt64Q15(static_cast<int64_t>(v), r.rm, r.shift,
                                      static_cast<int32_t>(i.act_min16),
                                      static_cast<int32_t>(i.act_max16));
          }
          const uint16_t u = static_cast<uint16_t>(q);
          out[k] = static_cast<uint8_t>(u & 0xff);
          out[256 + k] = static_cast<uint8_t>(u >> 8);
        }
        const int64_t addr = i.dram_base + y * i.row_stride + x * i.pix_stride;
        WriteStorePixel(y, x, addr, out, i.n_bytes);
        WriteStorePixel(y, x, addr + i.hi_off, out + 256, i.n_bytes);
      }
    }
    FinishStore(i, pops, pushes);
  }

  // One pixel's requantized bytes into DRAM (a fault when they leave it),
  // shared by every STORE format.
  void WriteStorePixel(int64_t y, int64_t x, int64_t addr, const uint8_t* out,
                       int64_t n_out) {
    const uint64_t limit = dram_.size();
    if (static_cast<uint64_t>(addr) > limit ||
        static_cast<uint64_t>(n_out) > limit - static_cast<uint64_t>(addr)) {
      throw InstrFault("pixel (" + std::to_string(y) + "," +
                       std::to_string(x) + ") writes DRAM [" +
                       Hex(static_cast<uint64_t>(addr)) + ", +" +
                       std::to_string(n_out) + ") outside the " +
                       std::to_string(limit) + "-byte DRAM");
    }
    dram_.Write(static_cast<uint64_t>(addr), out, static_cast<size_t>(n_out));
    if (opts_.on_dram_write) {
      opts_.on_dram_write(index_, static_cast<uint64_t>(addr), out,
                          static_cast<size_t>(n_out));
    }
  }

  // A STORE's tokens and its time on the store engine.
  void FinishStore(const StoreInstr& i,
                   const std::array<bool, kNumTokens>& pops,
                   const std::array<bool, kNumTokens>& pushes) {
    GiveTokens(pushes);
    const Timeline::Result t =
        timeline_.Issue(kStoreEngine, pops, pushes,
                        StoreCost(i, hw_, param_keep_.Take(i, hw_)));
    counters_.v[kCtrStallStoreTokens] += t.token_wait;
  }

  void ExecStore(const StoreInstr& i) {
    std::array<bool, kNumTokens> pops, pushes;
    // STORE has no next engine: pop_prev takes c2s, push_prev gives s2c.
    const std::array<int, 4> map = {kC2S, -1, kS2C, -1};
    const int c = hw_.cols;
    RequirePositive(i.ny, "ny");
    RequirePositive(i.nx, "nx");
    if (i.n_bytes > c) {
      throw InstrFault("n_bytes = " + std::to_string(i.n_bytes) +
                       " exceeds C = " + std::to_string(c));
    }
    if (i.out_int4 + i.out_binary + i.out_int16 > 1) {
      throw InstrFault("more than one of out_int4, out_binary, out_int16 set");
    }
    if (i.out_int16 != 0 && i.acc_shift != 1) {
      throw InstrFault("out_int16 needs acc_shift = 1 (two lanes), got " +
                       std::to_string(i.acc_shift));
    }
    const int64_t acc_step = int64_t{1} << i.acc_shift;
    RequireRange(i.acc_base, (i.ny * i.nx - 1) * acc_step + 1 + i.out_int16,
                 hw_.acc_rows, "ACC rows");
    RequireRange(i.param_base, i.n_bytes, hw_.param_entries, "PARAM records");
    if (i.act_write != 0) {
      // Chaining: int8 pixels of at most R channels, one ACT line each.
      if (i.out_int4 + i.out_binary + i.out_int16 != 0) {
        throw InstrFault("act_write needs an int8 output (out_int4, "
                         "out_binary and out_int16 0)");
      }
      if (i.n_bytes > hw_.rows) {
        throw InstrFault("act_write with n_bytes = " +
                         std::to_string(i.n_bytes) + " exceeds R = " +
                         std::to_string(hw_.rows));
      }
      RequireRange(i.act_dst, i.ny * i.nx, hw_.act_lines, "ACT lines");
    }
    TakeTokens(kStoreEngine, i, map, &pops, &pushes);
    if (opts_.check_races) {
      if (i.act_write != 0) {
        races_.Write(RaceChecker::kActMem, i.act_dst, i.ny * i.nx);
      }
      races_.Read(RaceChecker::kParamMem, i.param_base, i.n_bytes, 1);
      races_.Read(RaceChecker::kAccMem, i.acc_base, i.ny * i.nx, acc_step);
      if (i.out_int16 != 0) {
        races_.Read(RaceChecker::kAccMem, i.acc_base + 1, i.ny * i.nx,
                    acc_step);
      }
    }
    if (i.out_int16 != 0) {
      StoreInt16(i, acc_step, pops, pushes);
      return;
    }

    struct Record {
      int32_t bias, mult;
      int shift;
    };
    static_assert(kParamBiasBytes == sizeof(int32_t) &&
                      kParamMultBytes == sizeof(int32_t) &&
                      kParamShiftBytes == 1,
                  "isa.def PARAM field sizes differ from the decode below");
    std::vector<Record> rec(static_cast<size_t>(i.n_bytes));
    for (int64_t k = 0; k < i.n_bytes; ++k) {
      const uint8_t* p = param_.data() + (i.param_base + k) * kParamBytes;
      Record& r = rec[static_cast<size_t>(k)];
      std::memcpy(&r.bias, p + kParamBiasByte, kParamBiasBytes);
      std::memcpy(&r.mult, p + kParamMultByte, kParamMultBytes);
      r.shift = static_cast<int8_t>(p[kParamShiftByte]);
      if (r.shift < -31 || r.shift > 30 ||
          (r.mult != 0 && r.mult < (int32_t{1} << 30))) {
        throw InstrFault("PARAM record " + std::to_string(i.param_base + k) +
                         " holds multiplier " + std::to_string(r.mult) +
                         ", shift " + std::to_string(r.shift) +
                         " (needs 0 or [2^30, 2^31) and [-31, 30])");
      }
    }
    uint8_t out[256];
    for (int64_t y = 0; y < i.ny; ++y) {
      for (int64_t x = 0; x < i.nx; ++x) {
        const int32_t* row =
            acc_.data() +
            static_cast<size_t>(i.acc_base + (y * i.nx + x) * acc_step) * c;
        for (int64_t k = 0; k < i.n_bytes; ++k) {
          const Record& r = rec[static_cast<size_t>(k)];
          out[k] = static_cast<uint8_t>(RequantizeOne(
              WrapAdd(row[k], r.bias), r.mult, r.shift,
              static_cast<int32_t>(i.out_zp), static_cast<int32_t>(i.act_min),
              static_cast<int32_t>(i.act_max)));
        }
        const int64_t addr = i.dram_base + y * i.row_stride + x * i.pix_stride;
        if (i.act_write != 0) {
          int8_t* line = act_.data() +
                         static_cast<size_t>(i.act_dst + y * i.nx + x) * hw_.rows;
          std::memset(line, 0, static_cast<size_t>(hw_.rows));
          std::memcpy(line, out, static_cast<size_t>(i.n_bytes));
        }
        if (i.out_binary != 0) {
          // Channel 8j+b in bit b of byte j: 1 for a value > 0; bits
          // beyond n_bytes are 0.
          uint8_t bits[32] = {};
          for (int64_t k = 0; k < i.n_bytes; ++k) {
            if (static_cast<int8_t>(out[k]) > 0) {
              bits[k / 8] |= static_cast<uint8_t>(1u << (k % 8));
            }
          }
          std::memcpy(out, bits, sizeof(bits));
        } else if (i.out_int4 != 0) {
          // Channel 2j in the low nibble; a missing last high nibble is 0.
          for (int64_t k = 0; k < i.n_bytes; k += 2) {
            const uint8_t hi = k + 1 < i.n_bytes ? out[k + 1] : 0;
            out[k / 2] = static_cast<uint8_t>((out[k] & 0xf) | (hi << 4));
          }
        }
        const int64_t n_out = i.out_binary != 0 ? (i.n_bytes + 7) / 8
                              : i.out_int4 != 0 ? (i.n_bytes + 1) / 2
                                                : i.n_bytes;
        WriteStorePixel(y, x, addr, out, n_out);
      }
    }
    FinishStore(i, pops, pushes);
  }

  HwConfig hw_;
  ModelOptions opts_;
  PagedDram dram_;
  std::vector<int8_t> act_;
  std::vector<int8_t> wgt_;
  std::vector<uint8_t> param_;
  std::vector<int32_t> acc_;
  std::vector<int32_t> spmv_held_;  // lane sums held by a lane_hold Spmv
  std::vector<InstrWord> queue_;
  std::array<uint64_t, kNumTokens> tokens_{};
  PerfCounters counters_;
  Timeline timeline_;
  StoreParamKeep param_keep_;  // the STORE engine's kept PARAM records
  struct DwPrefetch {  // the depthwise unit's second weight bank
    bool valid = false;
    int64_t base = 0, kh = 0, kw = 0, rev = 0;
    std::vector<int8_t> box;
  } dw_pf_;
  LoadStepKeep step_keep_;     // the load engine's kept steps
  RaceChecker races_;
  size_t index_ = 0;  // of the instruction being executed
};

}  // namespace

std::unique_ptr<Device> MakeModelDevice(const HwConfig& hw) {
  return MakeModelDevice(hw, ModelOptions{});
}

std::unique_ptr<Device> MakeModelDevice(const HwConfig& hw,
                                        const ModelOptions& opts) {
  return std::make_unique<ModelDevice>(hw, opts);
}

}  // namespace sparq
