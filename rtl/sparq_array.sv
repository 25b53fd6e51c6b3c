// Weight-stationary R x C systolic array of sparq_pe, with its input skew.
//
// An activation row arrives all at once on act_i (straight from the ACT SRAM);
// byte r is delayed r cycles (triangular skew registers) so that it enters
// array row r at column 0 one cycle after row r-1's byte. From there the
// activation moves right one PE per cycle and partial sums move down, so
// sum_o carries row m's result for column c ArrayRows + c cycles after act_i
// carried row m.
// Each array row gets the bank bit and the mode of its activation from the
// column-0 PE above it, which saw the same activation row one cycle earlier.
// Every PE carries Lanes partial sums (docs/architecture.md, "Processing
// element and modes"); a mode uses the first L of them.
//
// Weights: a weight line (C bytes, byte c for column c) is written into one
// bank of every PE of the single array row selected by wl_en_i, decoded
// for the tile's mode wl_mode_i; it takes
// effect at the end of the cycle. The engine writes row r of a tile no earlier
// than the cycle in which the bank's previous tile multiplies its last row in
// row r's last column, and before the new tile's first activation reaches
// row r, so the weight path needs no skew.
//
// Signals between PEs are local (neighbour to neighbour); only the bottom row
// leaves the array, each lane sign-extended to int32.
//
// Parameters: ArrayRows (R, reduction rows), ArrayCols (C, output columns),
// SumW (partial-sum width, at least 16 + clog2(R)).
// Ports: act_i/bank_i/mode_i (one activation row, its weight bank and mode),
// wl_en_i (one-hot array row), wl_bank_i, wl_data_i (one weight line),
// wl_mode_i (the mode of the tile the line belongs to),
// sum_o (lane l of column c in bits [32*(Lanes*c + l) +: 32]).

module sparq_array #(
  parameter int ArrayRows = 16,
  parameter int ArrayCols = 16,
  parameter int SumW      = 20,
  localparam int Lanes    = sparq_isa_pkg::GemmMaxLanes
) (
  input  logic                    clk_i,
  input  logic [ArrayRows*8-1:0]  act_i,
  input  logic                    bank_i,
  input  logic [2:0]              mode_i,
  input  logic [ArrayRows-1:0]    wl_en_i,
  input  logic                    wl_bank_i,
  input  logic [ArrayCols*8-1:0]  wl_data_i,
  input  logic [2:0]              wl_mode_i,
  output logic [Lanes*ArrayCols*32-1:0] sum_o
);

`include "sparq_assert.svh"

  if (ArrayRows < 2 || ArrayCols < 2) begin : g_bad_shape
    `ELAB_ERROR("sparq_array: ArrayRows and ArrayCols must both be at least 2")
  end
  if (Lanes != 4) begin : g_bad_lanes
    `ELAB_ERROR("sparq_array: the lane ports of sparq_pe assume GemmMaxLanes = 4")
  end
  if (SumW < 16 + $clog2(ArrayRows) || SumW > 31) begin : g_bad_sumw
    `ELAB_ERROR("sparq_array: SumW must hold a sum of ArrayRows int8 products, below 32 bits")
  end

  // Column c's weight byte w, decoded once for the tile's mode (the PEs of
  // the column store the factors; sparq_pe):
  //   f0 (lane 0): A8W8 / A1W1 w, A8W4 / A4W4 the signed low nibble, A8W2
  //                t(w[1:0]);
  //   f1 (lane 1): A8W4 / A4W4 the high nibble, A8W2 t(w[3:2]);
  //   t2, t3:      t(w[5:4]), t(w[7:6]) (A8W2 lanes 2 and 3);
  // t(c) as a signed factor is {c[1] & c[0], c[0]} sign-extended.
  localparam logic [2:0] ModeW8 = 3'(sparq_isa_pkg::GemmModeA8W8);
  localparam logic [2:0] ModeW2 = 3'(sparq_isa_pkg::GemmModeA8W2);
  localparam logic [2:0] ModeA1 = 3'(sparq_isa_pkg::GemmModeA1W1);

  for (genvar c = 0; c < ArrayCols; c++) begin : g_dec
    logic [7:0] w, f0;
    logic [3:0] f1;
    logic [1:0] t2, t3;
    assign w  = wl_data_i[8*c +: 8];
    assign f0 = (wl_mode_i == ModeW8 || wl_mode_i == ModeA1) ? w :
                (wl_mode_i == ModeW2) ? {{7{w[1] & w[0]}}, w[0]} : {{4{w[3]}}, w[3:0]};
    assign f1 = (wl_mode_i == ModeW2) ? {{3{w[3] & w[2]}}, w[2]} : w[7:4];
    assign t2 = {w[5] & w[4], w[4]};
    assign t3 = {w[7] & w[6], w[6]};
  end

  for (genvar r = 0; r < ArrayRows; r++) begin : g_row
    logic [7:0] act_in;
    logic       bank_in;
    logic [2:0] mode_in;

    if (r == 0) begin : g_top
      assign act_in  = act_i[7:0];
      assign bank_in = bank_i;
      assign mode_in = mode_i;
    end else begin : g_skew
      // Stage k holds this row's byte k + 1 cycles after act_i carried it.
      for (genvar k = 0; k < r; k++) begin : g_stage
        logic [7:0] q;
        if (k == 0) begin : g_in
          always_ff @(posedge clk_i) begin
            q <= act_i[8*r +: 8];
          end
        end else begin : g_link
          always_ff @(posedge clk_i) begin
            q <= g_stage[k-1].q;
          end
        end
      end
      assign act_in  = g_stage[r-1].q;
      assign bank_in = g_row[r-1].g_col[0].bank_o;
      assign mode_in = g_row[r-1].g_col[0].mode_o;
    end

    for (genvar c = 0; c < ArrayCols; c++) begin : g_col
      logic [7:0]      act_l, act_o;
      logic            bank_l, bank_o;
      logic [2:0]      mode_l, mode_o;
      logic [SumW-1:0]       psum0_u, psum0_o;
      logic [SumW-5:0]       psum1_u, psum1_o;
      logic [SumW-8:0]       psum2_u, psum2_o, psum3_u, psum3_o;

      if (c == 0) begin : g_first
        assign act_l  = act_in;
        assign bank_l = bank_in;
        assign mode_l = mode_in;
      end else begin : g_next
        assign act_l  = g_row[r].g_col[c-1].act_o;
        assign bank_l = g_row[r].g_col[c-1].bank_o;
        assign mode_l = g_row[r].g_col[c-1].mode_o;
      end

      if (r == 0) begin : g_zero
        assign psum0_u = '0;
        assign psum1_u = '0;
        assign psum2_u = '0;
        assign psum3_u = '0;
      end else begin : g_above
        assign psum0_u = g_row[r-1].g_col[c].psum0_o;
        assign psum1_u = g_row[r-1].g_col[c].psum1_o;
        assign psum2_u = g_row[r-1].g_col[c].psum2_o;
        assign psum3_u = g_row[r-1].g_col[c].psum3_o;
      end

      sparq_pe #(
        .SumW(SumW)
      ) u_pe (
        .clk_i    (clk_i),
        .act_i    (act_l),
        .bank_i   (bank_l),
        .mode_i   (mode_l),
        .psum0_i  (psum0_u),
        .psum1_i  (psum1_u),
        .psum2_i  (psum2_u),
        .psum3_i  (psum3_u),
        .wl_en_i  (wl_en_i[r]),
        .wl_bank_i(wl_bank_i),
        .wl_f0_i  (g_dec[c].f0),
        .wl_f1_i  (g_dec[c].f1),
        .wl_t2_i  (g_dec[c].t2),
        .wl_t3_i  (g_dec[c].t3),
        .act_o    (act_o),
        .bank_o   (bank_o),
        .mode_o   (mode_o),
        .psum0_o  (psum0_o),
        .psum1_o  (psum1_o),
        .psum2_o  (psum2_o),
        .psum3_o  (psum3_o)
      );
    end

    // The rightmost column passes its activation on to nobody.
    logic unused_right;
    assign unused_right = ^{g_col[ArrayCols-1].act_o, g_col[ArrayCols-1].bank_o,
                            g_col[ArrayCols-1].mode_o};
  end

  // Each lane of the bottom row, sign-extended from its width (sparq_pe).
  for (genvar c = 0; c < ArrayCols; c++) begin : g_out
    logic [SumW-1:0] b0;
    logic [SumW-5:0] b1;
    logic [SumW-8:0] b2, b3;
    assign b0 = g_row[ArrayRows-1].g_col[c].psum0_o;
    assign b1 = g_row[ArrayRows-1].g_col[c].psum1_o;
    assign b2 = g_row[ArrayRows-1].g_col[c].psum2_o;
    assign b3 = g_row[ArrayRows-1].g_col[c].psum3_o;
    assign sum_o[32*Lanes*c +: 32*Lanes] = {{(39 - SumW){b3[SumW-8]}}, b3,
                                            {(39 - SumW){b2[SumW-8]}}, b2,
                                            {(36 - SumW){b1[SumW-5]}}, b1,
                                            {(32 - SumW){b0[SumW-1]}}, b0};
  end

endmodule
