// The int8-only processing element before the precision modes (the PE of
// commit 48ee84b), kept only so that `make synth` can print its cells next
// to the multi-precision rtl/sparq_pe.sv. Not part of the design.
//
// One int8 processing element of the weight-stationary systolic array.
//
// Two weight banks let the next tile be written into one bank while
// activations of the current tile still multiply with the other; every
// activation arrives together with the bank it belongs to, so a tile boundary
// can sweep through the array as a wavefront. The activation (with its bank
// bit) moves one PE to the right per cycle and the partial sum one PE down.
// None of these registers is reset: the engine knows which wavefront slots
// carry a real activation row, and results of empty slots are never written.
//
// Parameters: SumW (partial-sum width, chosen by the array from its depth so
// that a column sum cannot overflow).
// Ports: act_i/bank_i from the left neighbour, act_o/bank_o to the right one;
// psum_i from the PE above (zero in the top row), psum_o to the one below;
// wl_en_i/wl_bank_i/wl_data_i write one weight bank.

module sparq_pe_int8 #(
  parameter int SumW = 20
) (
  input  logic            clk_i,
  input  logic [7:0]      act_i,
  input  logic            bank_i,
  input  logic [SumW-1:0] psum_i,
  input  logic            wl_en_i,
  input  logic            wl_bank_i,
  input  logic [7:0]      wl_data_i,
  output logic [7:0]      act_o,
  output logic            bank_o,
  output logic [SumW-1:0] psum_o
);

`include "sparq_assert.svh"

  if (SumW < 16) begin : g_bad_sumw
    `ELAB_ERROR("sparq_pe: SumW must be at least 16 (an int8 product needs 16 bits)")
  end

  // The weight banks hold sign-extended weights: the copies of bit 7 are
  // identical flip-flops that synthesis merges, and a simulator then does one
  // sign extension per weight write instead of one per multiply-accumulate.
  logic [SumW-1:0] w0_q, w1_q, wl_ext;
  logic [SumW-1:0] act_ext, psum_d;
  logic [7:0]      act_q;
  logic            bank_q;
  logic [SumW-1:0] psum_q;

  // A signed product of sign-extended operands: synthesis trims it back to
  // an 8 x 8 multiplier. SumW bits hold any column sum, so nothing wraps here.
  assign act_ext = SumW'($signed(act_i));
  assign wl_ext  = SumW'($signed(wl_data_i));
  assign psum_d  = psum_i + SumW'($signed(act_ext) * $signed(bank_i ? w1_q : w0_q));

  always_ff @(posedge clk_i) begin
    act_q  <= act_i;
    bank_q <= bank_i;
    psum_q <= psum_d;
  end

  always_ff @(posedge clk_i) begin
    if (wl_en_i && !wl_bank_i) w0_q <= wl_ext;
  end

  always_ff @(posedge clk_i) begin
    if (wl_en_i && wl_bank_i) w1_q <= wl_ext;
  end

  assign act_o  = act_q;
  assign bank_o = bank_q;
  assign psum_o = psum_q;

endmodule
