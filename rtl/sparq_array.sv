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
// leaves the array, each lane sign-extended to int32. A4W4 rows carry their
// two nibble products in lanes 0 and 1 (sparq_pe); the bottom edge adds lane
// 1 to lane 0 for rows whose mode (from the bottom PE, registered with the
// sums) is A4W4: one adder per column.
//
// N24W8 (2:4): an activation row is 2R bytes {act_next_i, act_i}; rows 2j
// and 2j+1 (a row pair) share the 4-byte window of K group j (bytes 4j ..
// 4j+3), and each PE multiplies the window byte its stored 2-bit index
// selects. Bytes 4j and 4j+1 enter rows 2j and 2j+1 in place of bytes 2j
// and 2j+1 and move right as usual; bytes 4j+2 and 4j+3 move right on one
// extra 16-bit register chain per row pair (skewed like row 2j). PE (2j, c)
// takes byte 4j+1 from the input of PE (2j+1, c-1), and PE (2j+1, c) byte
// 4j from the output of PE (2j, c) and the upper bytes from chain stage
// c+1: both see the window one cycle apart, as their partial sums are.
// Each PE gets the three window bytes other than its own activation, and
// the index is renumbered for the odd row once per column (K byte 4j+1 is
// its 0, byte 4j its 1) and is 0 in tiles of the other modes, so a PE's
// select needs no mode decode. Cost per PE: half a 16-bit chain register,
// two 2-bit index registers and a 4:1 byte select.
//
// Parameters: ArrayRows (R, reduction rows, even), ArrayCols (C, output
// columns), SumW (partial-sum width, at least 16 + clog2(R)), NmSparse (the
// N24W8 mode is built: the pair chains and the PEs' index select).
// Ports: act_i/bank_i/mode_i (one activation row, its weight bank and mode),
// act_next_i (N24W8: bytes R .. 2R-1 of the row),
// wl_en_i (one-hot array row), wl_bank_i, wl_data_i (one weight line),
// wl_idx_i (N24W8: the line's 2-bit indices, column c in bits [2c+1:2c]),
// wl_mode_i (the mode of the tile the line belongs to),
// sum_o (lane l of column c in bits [32*(Lanes*c + l) +: 32]).

module sparq_array #(
  parameter int ArrayRows = 16,
  parameter int ArrayCols = 16,
  parameter int SumW      = 20,
  parameter bit NmSparse  = 1'b1,
  localparam int Lanes    = sparq_isa_pkg::GemmMaxLanes
) (
  input  logic                    clk_i,
  input  logic [ArrayRows*8-1:0]  act_i,
  input  logic [ArrayRows*8-1:0]  act_next_i,
  input  logic                    bank_i,
  input  logic [2:0]              mode_i,
  input  logic [ArrayRows-1:0]    wl_en_i,
  input  logic                    wl_bank_i,
  input  logic [ArrayCols*8-1:0]  wl_data_i,
  input  logic [ArrayCols*2-1:0]  wl_idx_i,
  input  logic [2:0]              wl_mode_i,
  output logic [Lanes*ArrayCols*32-1:0] sum_o
);

`include "sparq_assert.svh"

  if (ArrayRows < 2 || ArrayRows % 2 != 0 || ArrayCols < 2) begin : g_bad_shape
    `ELAB_ERROR("sparq_array: ArrayRows must be even (N24W8 row pairs) and ArrayCols at least 2")
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
  localparam logic [2:0] ModeA4 = 3'(sparq_isa_pkg::GemmModeA4W4);
  localparam logic [2:0] ModeA1 = 3'(sparq_isa_pkg::GemmModeA1W1);
  localparam logic [2:0] ModeN24 = 3'(sparq_isa_pkg::GemmModeN24W8);

  for (genvar c = 0; c < ArrayCols; c++) begin : g_dec
    logic [7:0] w, f0;
    logic [3:0] f1;
    logic [1:0] t2, t3;
    assign w  = wl_data_i[8*c +: 8];
    assign f0 = (wl_mode_i == ModeW8 || wl_mode_i == ModeA1 || wl_mode_i == ModeN24) ? w :
                (wl_mode_i == ModeW2) ? {{7{w[1] & w[0]}}, w[0]} : {{4{w[3]}}, w[3:0]};
    assign f1 = (wl_mode_i == ModeW2) ? {{3{w[3] & w[2]}}, w[2]} : w[7:4];
    assign t2 = {w[5] & w[4], w[4]};
    assign t3 = {w[7] & w[6], w[6]};
    // N24W8 index for even / odd rows (the PE's window order), 0 otherwise.
    logic [1:0] idx, idx_even, idx_odd;
    assign idx      = wl_idx_i[2*c +: 2];
    assign idx_even = (wl_mode_i == ModeN24) ? idx : 2'd0;
    assign idx_odd  = (wl_mode_i == ModeN24) ? {idx[1], idx[0] ^ ~idx[1]} : 2'd0;
  end

  // N24W8: the 2R bytes of the row; row 2j takes byte 4j, row 2j+1 byte 4j+1.
  logic [2*ArrayRows*8-1:0] act_pair;
  assign act_pair = {act_next_i, act_i};

  // N24W8 row pairs: bytes 4j+2 and 4j+3 of the row, skewed 2j cycles like
  // row 2j's byte (ext_in), then one stage per column: chain stage c - 1
  // holds what PE (2j, c) multiplies (stage 0 for c = 0 is ext_in).
  logic [ArrayRows/2*16-1:0]           pair_ext;    // ext_in of pair j
  logic [ArrayRows/2*ArrayCols*16-1:0] pair_chain;  // chain_q of pair j
  for (genvar j = 0; j < ArrayRows / 2; j++) begin : g_pair
    logic [15:0]              ext_in;
    logic [ArrayCols*16-1:0]  chain_q;
    assign pair_ext[16*j +: 16]                     = NmSparse ? ext_in : '0;
    assign pair_chain[ArrayCols*16*j +: ArrayCols*16] = NmSparse ? chain_q : '0;
    if (j == 0) begin : g_noskew
      assign ext_in = act_pair[8*(4*j + 2) +: 16];
    end else begin : g_skew
      logic [2*j*16-1:0] skew_q;
      always_ff @(posedge clk_i) begin
        skew_q <= {skew_q[(2*j-1)*16-1:0], act_pair[8*(4*j + 2) +: 16]};
      end
      assign ext_in = skew_q[2*j*16-1 -: 16];
    end
    always_ff @(posedge clk_i) begin
      chain_q <= {chain_q[(ArrayCols-1)*16-1:0], ext_in};
    end
  end

  // Odd rows' activation inputs, for the window of the even row above:
  // odd_act_l (PE inputs, per column) and odd_next (the byte that enters
  // the row's column 0 in the next cycle).
  logic [ArrayRows/2*ArrayCols*8-1:0] odd_act_l;
  logic [ArrayRows/2*8-1:0]           odd_next;
  for (genvar j = 0; j < ArrayRows / 2; j++) begin : g_odd_last
    // No even PE right of the last column reads its odd neighbour.
    logic unused_last;
    assign unused_last = ^odd_act_l[8*(j*ArrayCols + ArrayCols - 1) +: 8];
  end

  for (genvar r = 0; r < ArrayRows; r++) begin : g_row
    logic [7:0] act_in, act_entry;
    logic       bank_in;
    logic [2:0] mode_in;

    assign act_entry = (mode_i == ModeN24) ? act_pair[8*(4*(r/2) + r%2) +: 8] : act_i[8*r +: 8];

    if (r == 0) begin : g_top
      assign act_in  = act_entry;
      assign bank_in = bank_i;
      assign mode_in = mode_i;
    end else begin : g_skew
      // Stage k holds this row's byte k + 1 cycles after act_i carried it.
      for (genvar k = 0; k < r; k++) begin : g_stage
        logic [7:0] q;
        if (k == 0) begin : g_in
          always_ff @(posedge clk_i) begin
            q <= act_entry;
          end
        end else begin : g_link
          always_ff @(posedge clk_i) begin
            q <= g_stage[k-1].q;
          end
        end
      end
      assign act_in  = g_stage[r-1].q;
      if (r == 1) begin : g_odd_next
        assign odd_next[8*(r/2) +: 8] = act_entry;
      end else if (r % 2 == 1) begin : g_odd_next_staged
        assign odd_next[8*(r/2) +: 8] = g_stage[r-2].q;
      end
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

      // N24W8 window of K group r/2 without this row's own byte: even rows
      // K bytes 4j+3, 4j+2, 4j+1 (the PE's act_l is 4j), odd rows 4j+3,
      // 4j+2, 4j (act_l is 4j+1).
      logic [23:0] win;
      logic [1:0]  idx_l;  // the column's index in this row's window order
      if (r % 2 == 0) begin : g_win_even
        logic [7:0]  g1;
        logic [15:0] hi;
        if (c == 0) begin : g_c0
          assign g1 = odd_next[8*(r/2) +: 8];
          assign hi = pair_ext[16*(r/2) +: 16];
        end else begin : g_cn
          assign g1 = odd_act_l[8*((r/2)*ArrayCols + c - 1) +: 8];
          assign hi = pair_chain[ArrayCols*16*(r/2) + 16*(c-1) +: 16];
        end
        assign win = {hi, g1};
        assign idx_l = g_dec[c].idx_even;
        logic unused_even;
        assign unused_even = ^act_l;  // the PE's own byte, not in win
      end else begin : g_win_odd
        assign odd_act_l[8*((r/2)*ArrayCols + c) +: 8] = act_l;
        assign win = {pair_chain[ArrayCols*16*(r/2) + 16*c +: 16],
                      g_row[r-1].g_col[c].act_o};
        assign idx_l = g_dec[c].idx_odd;
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
        .SumW    (SumW),
        .NmSparse(NmSparse)
      ) u_pe (
        .clk_i    (clk_i),
        .act_i    (act_l),
        .win_i    (win),
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
        .wl_idx_i (idx_l),
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

  // Each lane of the bottom row, sign-extended from its width (sparq_pe);
  // A4W4 rows: lane 0 plus lane 1 (both nibble products' column sums; the
  // sum of R products of at most 64 each fits SumW bits).
  for (genvar c = 0; c < ArrayCols; c++) begin : g_out
    logic [SumW-1:0] b0;
    logic [SumW-5:0] b1;
    logic [SumW-8:0] b2, b3;
    assign b0 = (g_row[ArrayRows-1].g_col[c].mode_o == ModeA4)
                    ? g_row[ArrayRows-1].g_col[c].psum0_o +
                      SumW'($signed(g_row[ArrayRows-1].g_col[c].psum1_o))
                    : g_row[ArrayRows-1].g_col[c].psum0_o;
    assign b1 = g_row[ArrayRows-1].g_col[c].psum1_o;
    assign b2 = g_row[ArrayRows-1].g_col[c].psum2_o;
    assign b3 = g_row[ArrayRows-1].g_col[c].psum3_o;
    assign sum_o[32*Lanes*c +: 32*Lanes] = {{(39 - SumW){b3[SumW-8]}}, b3,
                                            {(39 - SumW){b2[SumW-8]}}, b2,
                                            {(36 - SumW){b1[SumW-5]}}, b1,
                                            {(32 - SumW){b0[SumW-1]}}, b0};
  end

endmodule
