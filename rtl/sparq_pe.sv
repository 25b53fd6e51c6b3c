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
//                                       t(00) = t(10) = 0: add, subtract or
//                                       skip, no multiplier
// Lanes a mode does not use carry don't-care values (the accumulator ignores
// them).
// None of these registers is reset: the engine knows which wavefront slots
// carry a real activation row, and results of empty slots are never written.
//
// Parameters: SumW (partial-sum width per lane, chosen by the array from its
// depth so that a column sum cannot overflow).
// Ports: act_i/bank_i/mode_i from the left neighbour, act_o/bank_o/mode_o to
// the right one; psum_i from the PE above (zero in the top row), psum_o to the
// one below, lane l in bits [SumW*l +: SumW]; wl_en_i/wl_bank_i/wl_data_i
// write one weight bank.

module sparq_pe #(
  parameter int SumW = 20,
  localparam int Lanes = sparq_isa_pkg::GemmMaxLanes
) (
  input  logic                  clk_i,
  input  logic [7:0]            act_i,
  input  logic                  bank_i,
  input  logic [1:0]            mode_i,
  input  logic [Lanes*SumW-1:0] psum_i,
  input  logic                  wl_en_i,
  input  logic                  wl_bank_i,
  input  logic [7:0]            wl_data_i,
  output logic [7:0]            act_o,
  output logic                  bank_o,
  output logic [1:0]            mode_o,
  output logic [Lanes*SumW-1:0] psum_o
);

`include "sparq_assert.svh"

  if (SumW < 16) begin : g_bad_sumw
    `ELAB_ERROR("sparq_pe: SumW must be at least 16 (an int8 product needs 16 bits)")
  end
  if (Lanes != 4) begin : g_bad_lanes
    `ELAB_ERROR("sparq_pe: the A8W2 decode below assumes GemmMaxLanes = 4")
  end

  localparam logic [1:0] ModeW8 = 2'(sparq_isa_pkg::GemmModeA8W8);
  localparam logic [1:0] ModeW4 = 2'(sparq_isa_pkg::GemmModeA8W4);
  localparam logic [1:0] ModeW2 = 2'(sparq_isa_pkg::GemmModeA8W2);

  logic [7:0]            w0_q, w1_q, w;
  logic [7:0]            act_q;
  logic                  bank_q;
  logic [1:0]            mode_q;
  logic [Lanes*SumW-1:0] psum_d, psum_q;

  // The two partial products of the one multiplier: the low nibble is
  // unsigned in A8W8 (the low half of an int8) and signed in A8W4.
  logic signed [4:0]  w_lo;
  logic signed [12:0] p_lo;
  logic signed [11:0] p_hi;
  logic [SumW-1:0]    act_ext;

  assign w       = bank_i ? w1_q : w0_q;
  assign w_lo    = {(mode_i == ModeW4) && w[3], w[3:0]};
  assign p_lo    = $signed(act_i) * w_lo;
  assign p_hi    = $signed(act_i) * $signed(w[7:4]);
  assign act_ext = SumW'($signed(act_i));

  always_comb begin
    psum_d = psum_i;
    case (mode_i)
      ModeW4: begin
        psum_d[0 +: SumW]    = psum_i[0 +: SumW] + SumW'(p_lo);
        psum_d[SumW +: SumW] = psum_i[SumW +: SumW] + SumW'(p_hi);
      end
      ModeW2: begin
        for (int l = 0; l < Lanes; l++) begin
          if (w[2*l]) begin
            psum_d[SumW*l +: SumW] = w[2*l+1] ? psum_i[SumW*l +: SumW] - act_ext
                                              : psum_i[SumW*l +: SumW] + act_ext;
          end
        end
      end
      ModeW8: begin
        psum_d[0 +: SumW] = psum_i[0 +: SumW] + SumW'(p_lo) + (SumW'(p_hi) << 4);
      end
      default: ;  // no mode: the engine never issues one (asserted there)
    endcase
  end

  always_ff @(posedge clk_i) begin
    act_q  <= act_i;
    bank_q <= bank_i;
    mode_q <= mode_i;
    psum_q <= psum_d;
  end

  always_ff @(posedge clk_i) begin
    if (wl_en_i && !wl_bank_i) w0_q <= wl_data_i;
  end

  always_ff @(posedge clk_i) begin
    if (wl_en_i && wl_bank_i) w1_q <= wl_data_i;
  end

  assign act_o  = act_q;
  assign bank_o = bank_q;
  assign mode_o = mode_q;
  assign psum_o = psum_q;

endmodule
