// Assertion macros for every sparq module.
//
// Checked when Verilator runs with --assert (the verilated harness builds
// with it, so a failure stops a co-simulation); compiled out when SYNTHESIS
// is defined (Yosys defines it, constraints/synth.ys passes it explicitly).
//
//   `ASSERT(Name, prop)          prop holds at every rising clk_i edge out of
//                                reset; prop may be a |-> / |=> sequence
//   `ASSERT_KNOWN(Name, sig)     sig never carries X or Z (4-state simulators)
//   `ASSERT_STABLE(Name, valid, ready, data)
//                                a stream's data holds while valid && !ready
//
// Every macro takes the clock and the active-low reset as optional trailing
// arguments (default clk_i / rst_ni).

`ifndef SPARQ_ASSERT_SVH
`define SPARQ_ASSERT_SVH

`ifdef SYNTHESIS

`define ASSERT(__name, __prop, __clk = clk_i, __rst_n = rst_ni)
`define ASSERT_KNOWN(__name, __sig, __clk = clk_i, __rst_n = rst_ni)
`define ASSERT_STABLE(__name, __valid, __ready, __data, __clk = clk_i, __rst_n = rst_ni)

`else

`define ASSERT(__name, __prop, __clk = clk_i, __rst_n = rst_ni)                 \
  __name: assert property (@(posedge __clk) disable iff (!(__rst_n)) (__prop))  \
    else $error("[sparq assert] %s", `"__name`");

`define ASSERT_KNOWN(__name, __sig, __clk = clk_i, __rst_n = rst_ni)            \
  `ASSERT(__name, !$isunknown(__sig), __clk, __rst_n)

`define ASSERT_STABLE(__name, __valid, __ready, __data, __clk = clk_i, __rst_n = rst_ni) \
  `ASSERT(__name, ((__valid) && !(__ready)) |=> ((__valid) && $stable(__data)), __clk, __rst_n)

`endif

`endif  // SPARQ_ASSERT_SVH
