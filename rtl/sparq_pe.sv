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
//   A4W4  lane 0 += a[3:0] * w[3:0], lane 1 += a[7:4] * w[7:4]  (signed
//                   nibbles: two K-adjacent elements per byte; the array
//                   adds the two lanes once per column at its bottom edge)
//   A1W1  lane 0 += 2 * popcount(~(a ^ w)) - 8  (eight K-adjacent signs per
//                   byte, 1 = +1: an XNOR and a popcount beside the
//                   multipliers, evaluated only in its branch)
//   N24W8 (2:4) lane 0 += win[idx] * w: each bank also holds a 2-bit index
//         that selects lane 0's activation from the 4-byte window
//         {win_i, act_i} of the row pair's K group (the array builds win_i,
//         the three window bytes other than the PE's own act_i, and gives
//         each row the index in that order). The array stores index 0 for
//         tiles of every other mode, so the select needs no mode decode:
//         index 0 is act_i, which every mode but A4W4 multiplies.
// The byte arrives decoded for the mode of the tile it belongs to (the array
// decodes once per column; a tile has one mode, and its activations carry
// the same mode): each bank holds lane 0's factor (8 bits), lane 1's (4 bits)
// and the two ternary factors of lanes 2 and 3, so a cycle only selects a
// factor by bank and multiplies. Lanes a mode does not use keep their old
// (don't-care) value (the accumulator ignores them): no toggling, and no
// work for a cycle-based simulator. Lane 1 is SumW - 4 bits wide, lanes 2 and
// 3 SumW - 7 (the widest sums they carry).
// Simulation speed: every product sits in the one nonblocking assignment that
// uses it, under the condition of the modes that use it, so Verilator computes
// only the current mode's products.
// None of these registers is reset: the engine knows which wavefront slots
// carry a real activation row, and results of empty slots are never written.
//
// Parameters: SumW (partial-sum width per lane, chosen by the array from its
// depth so that a column sum cannot overflow); NmSparse (the N24W8 mode is
// built: its index registers and select).
// Ports: act_i/bank_i/mode_i from the left neighbour, win_i (N24W8: the
// window bytes 1 to 3, byte 0 being act_i),
// act_o/bank_o/mode_o to the right one; psum<l>_i from the PE above (zero in the top row),
// psum<l>_o to the one below (one port per lane, each at most 32 bits, which a
// simulator keeps in one machine word); wl_en_i/wl_bank_i and the decoded
// factors wl_f0_i/wl_f1_i/wl_t2_i/wl_t3_i and the N24W8 index wl_idx_i write
// one weight bank.

module sparq_pe #(
  parameter int SumW = 20,
  parameter bit NmSparse = 1'b1,
  localparam int Lanes = sparq_isa_pkg::GemmMaxLanes,
  localparam int W1 = SumW - 4,  // lane 1: int8 x int4 column sums
  localparam int W2 = SumW - 7   // lanes 2, 3: int8 x ternary column sums
) (
  input  logic            clk_i,
  input  logic [7:0]      act_i,
  input  logic [23:0]     win_i,
  input  logic            bank_i,
  input  logic [2:0]      mode_i,
  input  logic [SumW-1:0] psum0_i,
  input  logic [W1-1:0]   psum1_i,
  input  logic [W2-1:0]   psum2_i,
  input  logic [W2-1:0]   psum3_i,
  input  logic            wl_en_i,
  input  logic            wl_bank_i,
  input  logic [7:0]      wl_f0_i,
  input  logic [3:0]      wl_f1_i,
  input  logic [1:0]      wl_t2_i,
  input  logic [1:0]      wl_t3_i,
  input  logic [1:0]      wl_idx_i,
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
  localparam logic [2:0] ModeN24 = 3'(sparq_isa_pkg::GemmModeN24W8);
  if (ModeW8 != 3'd0 || ModeW4 != 3'd1 || ModeW2 != 3'd2 || ModeA4 != 3'd3 ||
      ModeA1 != 3'd4 || ModeN24 != 3'd6) begin : g_bad_modes
    `ELAB_ERROR("sparq_pe: the factor tables below assume modes A8W8 = 0, A8W4 = 1, A8W2 = 2, A4W4 = 3, A1W1 = 4, N24W8 = 6")
  end

  // A8W2 lanes 2 and 3: a ternary factor t ({t[1] & t[0], t[0]}: +1, -1 or
  // 0) adds, subtracts or skips the activation (no multiplier). Called only
  // inside the A8W2 branch.
  function automatic logic [W2-1:0] tern(input logic [7:0] a, input logic [1:0] t);
    logic [W2-1:0] ax;
    ax   = W2'($signed(a));
    tern = t[0] ? (t[1] ? -ax : ax) : '0;
  endfunction

  // Bank b's factors, decoded by the array for the tile's mode (once per
  // column, sparq_array): f0 lane 0's, f1 lane 1's, t2 / t3 the ternary
  // factors of lanes 2 and 3.
  logic [7:0] f0_b0_q, f0_b1_q;
  logic [3:0] f1_b0_q, f1_b1_q;
  logic [1:0] t2_b0_q, t2_b1_q, t3_b0_q, t3_b1_q;

  always_ff @(posedge clk_i) begin
    if (wl_en_i && !wl_bank_i) begin
      f0_b0_q <= wl_f0_i;
      f1_b0_q <= wl_f1_i;
      t2_b0_q <= wl_t2_i;
      t3_b0_q <= wl_t3_i;
    end
  end

  always_ff @(posedge clk_i) begin
    if (wl_en_i && wl_bank_i) begin
      f0_b1_q <= wl_f0_i;
      f1_b1_q <= wl_f1_i;
      t2_b1_q <= wl_t2_i;
      t3_b1_q <= wl_t3_i;
    end
  end

  // N24W8: each bank's in-group index (which window byte lane 0 multiplies;
  // 0 in tiles of the other modes).
  logic [1:0] idx_b0_q, idx_b1_q;

  always_ff @(posedge clk_i) begin
    if (wl_en_i) begin
      if (wl_bank_i) begin
        idx_b1_q <= wl_idx_i;
      end else begin
        idx_b0_q <= wl_idx_i;
      end
    end
  end

  // This cycle's products, each written where it is used. A4W4 reuses the
  // two partial-product multipliers: lane 0's takes the low activation
  // nibble and the low weight nibble, lane 1's the high nibbles, each into
  // its own lane (the array's bottom edge adds lane 1 to lane 0: one adder
  // per column instead of a third addend in every PE).
  logic            a4;
  logic [7:0]      act_q;
  logic            bank_q;
  logic [2:0]      mode_q;
  logic [SumW-1:0] s0_q;
  logic [W1-1:0]   s1_q;
  logic [W2-1:0]   s2_q, s3_q;

  assign a4 = (mode_i == ModeA4);

  // A1W1: the XNOR of the activation and lane 0's weight byte (a bit is
  // 1 where the two signs agree).
  logic [7:0] a1_x;
  assign a1_x = ~(act_i ^ (bank_i ? f0_b1_q : f0_b0_q));

  // Lane 0's addend, chosen by mode, so that one adder onto psum0 serves
  // every mode (each branch computes only its own mode's products). Its
  // multiplier input: A4W4's low nibble, else the window byte of the bank's
  // index (the activation itself in every mode but N24W8).
  logic [SumW-1:0] add0;

  always_comb begin
    if (mode_i == ModeA1) begin
      // 2 * popcount(~(a ^ w)) - 8 in [-8, 8] (modulo 32: a signed 5-bit),
      // one expression rather than a function call so that a cycle-based
      // simulator evaluates it only in this branch (Verilator computes an
      // inlined function's body ahead of the branch, in every PE, every
      // cycle).
      add0 = SumW'($signed(5'({4'(a1_x[0]) + 4'(a1_x[1]) + 4'(a1_x[2]) + 4'(a1_x[3]) +
                                4'(a1_x[4]) + 4'(a1_x[5]) + 4'(a1_x[6]) + 4'(a1_x[7]),
                                1'b0}) - 5'd8));
    end else begin
      add0 = SumW'($signed(a4 ? {{4{act_i[3]}}, act_i[3:0]}
                              : NmSparse ? 8'({win_i, act_i} >> {bank_i ? idx_b1_q : idx_b0_q, 3'b000})
                                         : act_i) *
                   $signed(bank_i ? f0_b1_q : f0_b0_q));
    end
  end

  always_ff @(posedge clk_i) begin
    act_q  <= act_i;
    bank_q <= bank_i;
    mode_q <= mode_i;
    s0_q   <= psum0_i + add0;
  end

  always_ff @(posedge clk_i) begin
    if (mode_i == ModeW4 || mode_i == ModeW2 || a4) begin
      s1_q <= psum1_i + W1'($signed(a4 ? {{4{act_i[7]}}, act_i[7:4]} : act_i) *
                            $signed(bank_i ? f1_b1_q : f1_b0_q));
    end
  end

  always_ff @(posedge clk_i) begin
    if (mode_i == ModeW2) begin
      s2_q <= psum2_i + tern(act_i, bank_i ? t2_b1_q : t2_b0_q);
      s3_q <= psum3_i + tern(act_i, bank_i ? t3_b1_q : t3_b0_q);
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
