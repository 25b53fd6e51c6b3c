// One multi-precision processing element of the weight-stationary systolic
// array (modes: docs/architecture.md, "Processing element and modes").
//
// Two weight banks let the next tile be written into one bank while
// activations of the current tile still multiply with the other; every
// activation arrives together with the bank and the mode it belongs to, so a
// tile boundary (and a mode change) sweeps through the array as a wavefront.
// The activation (with bank and mode) moves one PE to the right per cycle and
// the Lanes partial sums one PE down.
//
// The weight byte w is read per mode:
//   A8W8  lane 0 += a * w              (the 8x8 product as two 8x4 partial
//                                       products: low nibble unsigned, high
//                                       nibble signed, the high one << 4)
//   A8W4  lane 0 += a * w[3:0], lane 1 += a * w[7:4]  (both nibbles signed:
//                                       the same two partial products)
//   A8W2  lane l += a * t(w[2l+1:2l]), l < 4, t(01) = +1, t(11) = -1,
//                                       t(00) = t(10) = 0: lanes 0 and 1
//                                       through the two partial products
//                                       (factor -1, 0 or +1), lanes 2 and 3
//                                       add, subtract or skip
// Lanes a mode does not use carry don't-care values (the accumulator ignores
// them). Lane 1 is SumW - 4 bits wide, lanes 2 and 3 SumW - 7 (the widest
// sums they carry).
// None of these registers is reset: the engine knows which wavefront slots
// carry a real activation row, and results of empty slots are never written.
//
// Parameters: SumW (partial-sum width per lane, chosen by the array from its
// depth so that a column sum cannot overflow).
// Ports: act_i/bank_i/mode_i from the left neighbour, act_o/bank_o/mode_o to
// the right one; psum<l>_i from the PE above (zero in the top row),
// psum<l>_o to the one below (one port per lane, each at most 32 bits, which a
// simulator keeps in one machine word); wl_en_i/wl_bank_i/wl_data_i write one
// weight bank.

module sparq_pe #(
  parameter int SumW = 20,
  localparam int Lanes = sparq_isa_pkg::GemmMaxLanes,
  localparam int W1 = SumW - 4,  // lane 1: int8 x int4 column sums
  localparam int W2 = SumW - 7   // lanes 2, 3: int8 x ternary column sums
) (
  input  logic            clk_i,
  input  logic [7:0]      act_i,
  input  logic            bank_i,
  input  logic [1:0]      mode_i,
  input  logic [SumW-1:0] psum0_i,
  input  logic [W1-1:0]   psum1_i,
  input  logic [W2-1:0]   psum2_i,
  input  logic [W2-1:0]   psum3_i,
  input  logic            wl_en_i,
  input  logic            wl_bank_i,
  input  logic [7:0]      wl_data_i,
  output logic [7:0]      act_o,
  output logic            bank_o,
  output logic [1:0]      mode_o,
  output logic [SumW-1:0] psum0_o,
  output logic [W1-1:0]   psum1_o,
  output logic [W2-1:0]   psum2_o,
  output logic [W2-1:0]   psum3_o
);

`include "sparq_assert.svh"

  if (SumW < 16 || SumW > 32) begin : g_bad_sumw
    `ELAB_ERROR("sparq_pe: SumW must be 16 to 32 (an int8 product needs 16 bits)")
  end
  if (Lanes != 4) begin : g_bad_lanes
    `ELAB_ERROR("sparq_pe: the A8W2 decode below assumes GemmMaxLanes = 4")
  end

  localparam logic [1:0] ModeW8 = 2'(sparq_isa_pkg::GemmModeA8W8);
  localparam logic [1:0] ModeW4 = 2'(sparq_isa_pkg::GemmModeA8W4);
  localparam logic [1:0] ModeW2 = 2'(sparq_isa_pkg::GemmModeA8W2);

  logic [7:0] w0_q, w1_q, w;
  logic [7:0] act_q;
  logic       bank_q;
  logic [1:0] mode_q;

  // The two partial products of the one multiplier. Low factor: the low
  // nibble, unsigned in A8W8 (the low half of an int8), signed in A8W4, and
  // A8W2's lane-0 code decoded to -1, 0 or +1; high factor: the high nibble,
  // or A8W2's lane-1 code decoded. Lanes 2 and 3 of A8W2 add, subtract or
  // skip the activation. Continuous assignments only: a cycle-based
  // simulator folds them into a few expressions per PE.
  logic               is_w8, is_w4, is_w2;
  logic signed [4:0]  w_lo;
  logic signed [3:0]  w_hi;
  logic signed [12:0] p_lo;
  logic signed [11:0] p_hi;
  logic [SumW-1:0]    add0;
  logic [W2-1:0]      act_ext, add2, add3;

  assign w       = bank_i ? w1_q : w0_q;
  assign is_w8   = (mode_i == ModeW8);
  assign is_w4   = (mode_i == ModeW4);
  assign is_w2   = (mode_i == ModeW2);
  assign w_lo    = is_w2 ? (w[0] ? {{4{w[1]}}, 1'b1} : 5'sd0) : {is_w4 && w[3], w[3:0]};
  assign w_hi    = is_w2 ? (w[2] ? {{3{w[3]}}, 1'b1} : 4'sd0) : w[7:4];
  assign p_lo    = $signed(act_i) * w_lo;
  assign p_hi    = $signed(act_i) * w_hi;
  assign add0    = is_w8 ? SumW'(p_lo) + (SumW'(p_hi) << 4) : SumW'(p_lo);
  assign act_ext = W2'($signed(act_i));
  assign add2    = w[4] ? (w[5] ? W2'(0) - act_ext : act_ext) : W2'(0);
  assign add3    = w[6] ? (w[7] ? W2'(0) - act_ext : act_ext) : W2'(0);

  logic [SumW-1:0] s0_q;
  logic [W1-1:0]   s1_q;
  logic [W2-1:0]   s2_q, s3_q;

  // A lane its mode does not use keeps its old (don't-care) value: fewer
  // toggles, and less work for a cycle-based simulator.
  always_ff @(posedge clk_i) begin
    act_q  <= act_i;
    bank_q <= bank_i;
    mode_q <= mode_i;
    s0_q   <= psum0_i + add0;
  end

  always_ff @(posedge clk_i) begin
    if (!is_w8) s1_q <= psum1_i + W1'(p_hi);
  end

  always_ff @(posedge clk_i) begin
    if (is_w2) begin
      s2_q <= psum2_i + add2;
      s3_q <= psum3_i + add3;
    end
  end

  always_ff @(posedge clk_i) begin
    if (wl_en_i && !wl_bank_i) w0_q <= wl_data_i;
  end

  always_ff @(posedge clk_i) begin
    if (wl_en_i && wl_bank_i) w1_q <= wl_data_i;
  end

  assign psum0_o = s0_q;
  assign psum1_o = s1_q;
  assign psum2_o = s2_q;
  assign psum3_o = s3_q;
  assign act_o  = act_q;
  assign bank_o = bank_q;
  assign mode_o = mode_q;

endmodule
