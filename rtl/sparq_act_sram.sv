// The activation SRAM: ActLines lines of R bytes in two banks (even and odd
// lines), so that one read returns line a and line a + 1 together: the 2R
// activation bytes per cycle of the GEMM mode N24W8 (docs/architecture.md,
// "N:M structured sparsity"). Every other reader uses rdata_o alone, which
// is the one-bank SRAM's line a with the same one-cycle latency.
//
// Parameters: Width (bits per line), Depth (lines, a power of two >= 4).
// Ports: we_i/waddr_i/wdata_i (write one line), re_i/raddr_i (read),
// rdata_o (line raddr), rdata_next_o (line raddr + 1, modulo Depth).

module sparq_act_sram #(
  parameter int Width = 128,
  parameter int Depth = 256,
  localparam int Aw = $clog2(Depth)
) (
  input  logic             clk_i,
  input  logic             we_i,
  input  logic [Aw-1:0]    waddr_i,
  input  logic [Width-1:0] wdata_i,
  input  logic             re_i,
  input  logic [Aw-1:0]    raddr_i,
  output logic [Width-1:0] rdata_o,
  output logic [Width-1:0] rdata_next_o
);

`include "sparq_assert.svh"

  if (Depth < 4 || (Depth & (Depth - 1)) != 0) begin : g_bad_depth
    `ELAB_ERROR("sparq_act_sram: Depth must be a power of two >= 4")
  end

  // Line a lives in bank a[0] at a >> 1. Lines a and a + 1 sit in different
  // banks: the even one at (a + 1) >> 1, the odd one at a >> 1.
  logic [Aw-1:0]    a_next;
  logic [Width-1:0] even_rdata, odd_rdata;
  logic             odd_q;

  assign a_next = raddr_i + Aw'(1);

  sparq_sram #(
    .Width(Width),
    .Depth(Depth / 2)
  ) u_even (
    .clk_i  (clk_i),
    .we_i   (we_i && !waddr_i[0]),
    .waddr_i(waddr_i[Aw-1:1]),
    .wdata_i(wdata_i),
    .re_i   (re_i),
    .raddr_i(raddr_i[0] ? a_next[Aw-1:1] : raddr_i[Aw-1:1]),
    .rdata_o(even_rdata)
  );

  sparq_sram #(
    .Width(Width),
    .Depth(Depth / 2)
  ) u_odd (
    .clk_i  (clk_i),
    .we_i   (we_i && waddr_i[0]),
    .waddr_i(waddr_i[Aw-1:1]),
    .wdata_i(wdata_i),
    .re_i   (re_i),
    .raddr_i(raddr_i[Aw-1:1]),
    .rdata_o(odd_rdata)
  );

  always_ff @(posedge clk_i) begin
    if (re_i) odd_q <= raddr_i[0];
  end

  logic unused_a_next;
  assign unused_a_next = a_next[0];

  assign rdata_o      = odd_q ? odd_rdata : even_rdata;
  assign rdata_next_o = odd_q ? even_rdata : odd_rdata;

endmodule
