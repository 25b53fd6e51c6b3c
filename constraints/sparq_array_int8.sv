// An int8-only R x C array of constraints/sparq_pe_int8.sv (the PE before
// the precision modes) with the same input skew, bank wavefront and bottom
// outputs as rtl/sparq_array.sv, kept only so that `make synth` (PE_ARRAY)
// can compare whole arrays: the multi-precision array's cells against this
// one's. Not part of the design.
//
// Parameters: ArrayRows, ArrayCols, SumW (as sparq_array). Ports: act_i (one
// activation row), bank_i, wl_en_i (one-hot array row), wl_bank_i, wl_data_i
// (one weight line), sum_o (column c in bits [32*c +: 32]).

module sparq_array_int8 #(
  parameter int ArrayRows = 16,
  parameter int ArrayCols = 16,
  parameter int SumW      = 20
) (
  input  logic                   clk_i,
  input  logic [ArrayRows*8-1:0] act_i,
  input  logic                   bank_i,
  input  logic [ArrayRows-1:0]   wl_en_i,
  input  logic                   wl_bank_i,
  input  logic [ArrayCols*8-1:0] wl_data_i,
  output logic [ArrayCols*32-1:0] sum_o
);

  for (genvar r = 0; r < ArrayRows; r++) begin : g_row
    logic [7:0] act_in;
    logic       bank_in;
    if (r == 0) begin : g_top
      assign act_in  = act_i[7:0];
      assign bank_in = bank_i;
    end else begin : g_skew
      logic [8*r-1:0] skew_q;
      if (r == 1) begin : g_one
        always_ff @(posedge clk_i) skew_q <= act_i[8*r +: 8];
      end else begin : g_more
        always_ff @(posedge clk_i) skew_q <= {skew_q[8*(r-1)-1:0], act_i[8*r +: 8]};
      end
      assign act_in  = skew_q[8*r-1 -: 8];
      assign bank_in = g_row[r-1].g_col[0].bank_o;
    end

    for (genvar c = 0; c < ArrayCols; c++) begin : g_col
      logic [7:0]      act_l, act_o;
      logic            bank_l, bank_o;
      logic [SumW-1:0] psum_u, psum_o;
      if (c == 0) begin : g_first
        assign act_l  = act_in;
        assign bank_l = bank_in;
      end else begin : g_next
        assign act_l  = g_row[r].g_col[c-1].act_o;
        assign bank_l = g_row[r].g_col[c-1].bank_o;
      end
      if (r == 0) begin : g_zero
        assign psum_u = '0;
      end else begin : g_above
        assign psum_u = g_row[r-1].g_col[c].psum_o;
      end
      sparq_pe_int8 #(.SumW(SumW)) u_pe (
        .clk_i    (clk_i),
        .act_i    (act_l),
        .bank_i   (bank_l),
        .psum_i   (psum_u),
        .wl_en_i  (wl_en_i[r]),
        .wl_bank_i(wl_bank_i),
        .wl_data_i(wl_data_i[8*c +: 8]),
        .act_o    (act_o),
        .bank_o   (bank_o),
        .psum_o   (psum_o)
      );
    end
  end

  for (genvar c = 0; c < ArrayCols; c++) begin : g_out
    logic [SumW-1:0] b;
    assign b = g_row[ArrayRows-1].g_col[c].psum_o;
    assign sum_o[32*c +: 32] = {{(32 - SumW){b[SumW-1]}}, b};
  end

endmodule
