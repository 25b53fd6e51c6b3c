// Helpers shared by the block-level RTL tests: the bench base that owns the
// verilated model and its clock, and 128-bit beat packing for verilated
// ports. Instructions are encoded with sw/isa.h's Encode.

#ifndef SPARQ_TESTS_RTL_RTL_TEST_UTIL_H_
#define SPARQ_TESTS_RTL_RTL_TEST_UTIL_H_

#include <verilated.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "sw/isa.h"

namespace sparq {
namespace rtltest {

// A verilated wide port (VlWide<N> or WData[N]) from / to bytes.
template <typename Wide>
void BytesToWide(const uint8_t* src, int n, Wide& dst) {
  for (int word = 0; word * 4 < n; ++word) {
    uint32_t v = 0;
    for (int b = 0; b < 4 && word * 4 + b < n; ++b) {
      v |= static_cast<uint32_t>(src[word * 4 + b]) << (8 * b);
    }
    dst[word] = v;
  }
}

template <typename Wide>
uint8_t WideByte(const Wide& src, int i) {
  return static_cast<uint8_t>(src[i / 4] >> (8 * (i % 4)));
}

// The harness of one verilated block (clk_i, and rst_ni if Reset() is used):
// owns the VerilatedContext and the model and runs the clock loop. Inputs
// change while the clock is low, so the rising edge samples settled values
// (STYLE.md). A bench derives from it and hooks its drivers and monitors
// into the loop:
//   Drive()     clock low: set this cycle's inputs;
//   Sample()    inputs settled, before the edge: observe the handshakes the
//               edge will complete;
//   AfterEdge() after the edge: observe registered outputs.
// Assertion failures in the RTL are recorded, not fatal: assertion_failed().
template <typename Model>
class BlockBench {
 public:
  BlockBench() : ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->fatalOnError(false);
    model_ = std::make_unique<Model>(ctx_.get(), "TOP");
  }
  virtual ~BlockBench() { model_->final(); }
  BlockBench(const BlockBench&) = delete;
  BlockBench& operator=(const BlockBench&) = delete;

  // One clock cycle.
  void Tick() {
    model_->clk_i = 0;
    Drive();
    model_->eval();
    ctx_->timeInc(1);
    Sample();
    model_->clk_i = 1;
    model_->eval();
    ctx_->timeInc(1);
    ++cycle_;
    AfterEdge();
  }
  void RunCycles(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) Tick();
  }
  // Clocks until Idle() held for two cycles in a row; false after
  // `max_cycles` or when an RTL assertion failed.
  bool RunToIdle(uint64_t max_cycles) {
    const uint64_t stop = cycle_ + max_cycles;
    int idle = 0;
    while (idle < 2 && cycle_ < stop) {
      Tick();
      idle = Idle() ? idle + 1 : 0;
    }
    return idle >= 2 && !assertion_failed();
  }

  // Cycles since reset was released.
  uint64_t cycle() const { return cycle_; }
  bool assertion_failed() const { return ctx_->gotError(); }

 protected:
  // Holds rst_ni low for `cycles` clock cycles and releases it; the next
  // Tick() is cycle 0.
  void Reset(int cycles = 3) {
    model_->rst_ni = 0;
    for (int i = 0; i < cycles; ++i) Tick();
    model_->rst_ni = 1;
    cycle_ = 0;
  }

  virtual void Drive() {}
  virtual void Sample() {}
  virtual void AfterEdge() {}
  // True when the bench has nothing left to give and the block is done.
  virtual bool Idle() const { return true; }

  Model& top() { return *model_; }
  const Model& top() const { return *model_; }

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Model> model_;
  uint64_t cycle_ = 0;
};

}  // namespace rtltest
}  // namespace sparq

#endif  // SPARQ_TESTS_RTL_RTL_TEST_UTIL_H_
