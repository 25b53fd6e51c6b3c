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
//   `ELAB_ERROR(msg)             stops elaboration; placed in the generate
//                                branch that an illegal parameter combination
//                                selects
//
// Every assertion macro takes the clock and the active-low reset as optional
// trailing arguments (default clk_i / rst_ni).
//
// Icarus Verilog 11 (which predefines __ICARUS__) parses neither concurrent
// assertions, nor $stable / $past, nor $error as an elaboration task. Under
// Icarus:
// - ASSERT_KNOWN is an immediate check at the rising clock edge out of reset,
//   since X checks are what a 4-state simulator adds; it stops the simulation
//   with $fatal, as a failed assertion stops a Verilator run. It tests the
//   XOR reduction for X: Icarus 11's $isunknown of a concatenation returns 1
//   even when every bit is known.
// - ASSERT and ASSERT_STABLE expand to nothing: their properties are
//   sequences or need $stable, and every verilated test checks them.
// - ELAB_ERROR instantiates a module that does not exist, so elaboration
//   still fails, with "Unknown module type: sparq_illegal_parameters" at the
//   line of the check (whose message is right there in the source).

`ifndef SPARQ_ASSERT_SVH
`define SPARQ_ASSERT_SVH

`ifdef __ICARUS__
`define ELAB_ERROR(__msg) sparq_illegal_parameters u_illegal_parameters ();
`else
`define ELAB_ERROR(__msg) $error(__msg);
`endif

`ifdef SYNTHESIS

`define ASSERT(__name, __prop, __clk = clk_i, __rst_n = rst_ni)
`define ASSERT_KNOWN(__name, __sig, __clk = clk_i, __rst_n = rst_ni)
`define ASSERT_STABLE(__name, __valid, __ready, __data, __clk = clk_i, __rst_n = rst_ni)

`elsif __ICARUS__

`define ASSERT(__name, __prop, __clk = clk_i, __rst_n = rst_ni)
`define ASSERT_STABLE(__name, __valid, __ready, __data, __clk = clk_i, __rst_n = rst_ni)

`define ASSERT_KNOWN(__name, __sig, __clk = clk_i, __rst_n = rst_ni)           \
  always @(posedge __clk) begin                                                 \
    if ((__rst_n) && (^(__sig)) === 1'bx) $fatal(1, "[sparq assert] %s", `"__name`"); \
  end

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
