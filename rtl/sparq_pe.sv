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
//   A8W8  lane 0 += a * w
//   A8W4  lane 0 += a * w[3:0], lane 1 += a * w[7:4]  (signed nibbles)
//   A8W2  lane l += a * t(w[2l+1:2l]), l < 4, t(01) = +1, t(11) = -1,
//                                       t(00) = t(10) = 0
//   A4W4  lane 0 += a[3:0] * w[3:0] + a[7:4] * w[7:4]  (signed nibbles: two
//                   K-adjacent elements per byte)
//   A1W1  lane 0 += 2 * popcount(~(a ^ w)) - 8  (eight K-adjacent signs per
//                   byte, 1 = +1: an XNOR and a popcount beside the
//                   multipliers, evaluated only in its branch)
// The byte is decoded when it is written (wl_en_i): each bank holds lane 0's
// factor for every mode, lane 1's for A8W4 and A8W2 and the two ternary
// factors of lanes 2 and 3, so a cycle only selects a factor by bank and mode
// and multiplies. Lanes a mode does not use keep their old (don't-care) value
// (the accumulator ignores them): no toggling, and no work for a cycle-based
// simulator. Lane 1 is SumW - 4 bits wide, lanes 2 and 3 SumW - 7 (the widest
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
  input  logic [2:0]      mode_i,
  input  logic [SumW-1:0] psum0_i,
  input  logic [W1-1:0]   psum1_i,
  input  logic [W2-1:0]   psum2_i,
  input  logic [W2-1:0]   psum3_i,
  input  logic            wl_en_i,
  input  logic            wl_bank_i,
  input  logic [7:0]      wl_data_i,
  output logic [7:0]      act_o,
  output logic            bank_o,
  output logic [2:0]      mode_o,
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

  localparam logic [2:0] ModeW8 = 3'(sparq_isa_pkg::GemmModeA8W8);
  localparam logic [2:0] ModeW4 = 3'(sparq_isa_pkg::GemmModeA8W4);
  localparam logic [2:0] ModeW2 = 3'(sparq_isa_pkg::GemmModeA8W2);
  localparam logic [2:0] ModeA4 = 3'(sparq_isa_pkg::GemmModeA4W4);
  localparam logic [2:0] ModeA1 = 3'(sparq_isa_pkg::GemmModeA1W1);
  if (ModeW8 != 3'd0 || ModeW4 != 3'd1 || ModeW2 != 3'd2 || ModeA4 != 3'd3 ||
      ModeA1 != 3'd4) begin : g_bad_modes
    `ELAB_ERROR("sparq_pe: the factor tables below assume modes A8W8 = 0, A8W4 = 1, A8W2 = 2, A4W4 = 3, A1W1 = 4")
  end

  // A1W1: 2 * popcount(~(a ^ w)) - 8, in [-8, 8]. Called only inside the
  // A1W1 branch of the lane-0 register, so a cycle-based simulator computes
  // it only for A1W1 rows.
  function automatic logic signed [4:0] xnor_dot(input logic [7:0] a, input logic [7:0] w);
    logic [7:0] x;
    logic [3:0] ones;
    x    = ~(a ^ w);
    ones = 4'd0;
    for (int i = 0; i < 8; i++) ones = ones + {3'd0, x[i]};
    // 2 * ones in [0, 16] minus 8, modulo 32: [-8, 8] as a signed 5-bit.
    xnor_dot = {ones, 1'b0} - 5'd8;
  endfunction

  // Bank b's byte, decoded when it is written (plain expressions inside the
  // write enable, so a cycle-based simulator evaluates them only then).
  // f0: lane 0's factor per mode, byte m for mode m: the byte, its signed
  // low nibble, t(w[1:0]); f1: lane 1's factor, nibble 0 for A8W4 (the high
  // nibble), nibble 1 for A8W2 (t(w[3:2])); t2, t3: t(w[5:4]), t(w[7:6]).
  // t(c) as a signed factor is {c[1] & c[0], c[0]} sign-extended.
  logic [7:0]  wd;
  logic        z0, z1;
  logic [23:0] f0_b0_q, f0_b1_q;
  logic [7:0]  f1_b0_q, f1_b1_q;
  logic [1:0]  t2_b0_q, t2_b1_q, t3_b0_q, t3_b1_q;

  assign wd = wl_data_i;
  assign z0 = wd[1] & wd[0];
  assign z1 = wd[3] & wd[2];

  always_ff @(posedge clk_i) begin
    if (wl_en_i && !wl_bank_i) begin
      f0_b0_q <= {{7{z0}}, wd[0], {4{wd[3]}}, wd[3:0], wd};
      f1_b0_q <= {{3{z1}}, wd[2], wd[7:4]};
      t2_b0_q <= {wd[5] & wd[4], wd[4]};
      t3_b0_q <= {wd[7] & wd[6], wd[6]};
    end
  end

  always_ff @(posedge clk_i) begin
    if (wl_en_i && wl_bank_i) begin
      f0_b1_q <= {{7{z0}}, wd[0], {4{wd[3]}}, wd[3:0], wd};
      f1_b1_q <= {{3{z1}}, wd[2], wd[7:4]};
      t2_b1_q <= {wd[5] & wd[4], wd[4]};
      t3_b1_q <= {wd[7] & wd[6], wd[6]};
    end
  end

  // This cycle's factors and products. A4W4 reuses the two partial-product
  // multipliers: lane 0's takes the low activation nibble and the low weight
  // nibble (f0 byte 3 repeats byte 1), lane 1's the high nibbles (f1 nibble
  // 0), and both products go into lane 0.
  logic [23:0]        f0_sel;
  logic [31:0]        f0_all;
  logic [7:0]         f1_all;
  logic               a4;
  logic signed [7:0]  a0, a1;
  logic signed [7:0]  f0;
  logic signed [3:0]  f1;
  logic signed [1:0]  f2, f3;
  logic signed [15:0] p0;
  logic signed [11:0] p1;
  logic signed [9:0]  p2, p3;

  assign f0_sel = bank_i ? f0_b1_q : f0_b0_q;
  assign f0_all = {f0_sel[15:8], f0_sel};
  assign f1_all = bank_i ? f1_b1_q : f1_b0_q;
  assign a4     = (mode_i == ModeA4);
  assign a0     = a4 ? {{4{act_i[3]}}, act_i[3:0]} : act_i;
  assign a1     = a4 ? {{4{act_i[7]}}, act_i[7:4]} : act_i;
  assign f0     = f0_all[8*mode_i[1:0] +: 8];
  assign f1     = (mode_i == ModeW2) ? f1_all[7:4] : f1_all[3:0];
  assign f2     = bank_i ? t2_b1_q : t2_b0_q;
  assign f3     = bank_i ? t3_b1_q : t3_b0_q;
  assign p0     = a0 * f0;
  assign p1     = a1 * f1;
  assign p2     = $signed(act_i) * f2;
  assign p3     = $signed(act_i) * f3;

  logic [7:0]      act_q;
  logic            bank_q;
  logic [2:0]      mode_q;
  logic [SumW-1:0] s0_q;
  logic [W1-1:0]   s1_q;
  logic [W2-1:0]   s2_q, s3_q;

  always_ff @(posedge clk_i) begin
    act_q  <= act_i;
    bank_q <= bank_i;
    mode_q <= mode_i;
    if (mode_i == ModeA1) s0_q <= psum0_i + SumW'(xnor_dot(act_i, f0_sel[7:0]));
    else                  s0_q <= psum0_i + SumW'(p0) + (a4 ? SumW'(p1) : '0);
  end

  always_ff @(posedge clk_i) begin
    if (mode_i == ModeW4 || mode_i == ModeW2) s1_q <= psum1_i + W1'(p1);
  end

  always_ff @(posedge clk_i) begin
    if (mode_i == ModeW2) begin
      s2_q <= psum2_i + W2'(p2);
      s3_q <= psum3_i + W2'(p3);
    end
  end

  assign psum0_o = s0_q;
  assign psum1_o = s1_q;
  assign psum2_o = s2_q;
  assign psum3_o = s3_q;
  assign act_o  = act_q;
  assign bank_o = bank_q;
  assign mode_o = mode_q;

endmodule
