// Behavioural 1W1R SRAM with a registered read port (one cycle latency).
//
// Stands in for a memory-compiler macro: synthesis keeps the array as a
// memory cell (attribute sparq_macro, see constraints/synth.ys) rather than
// expanding it into flip-flops. A read of the line being written in the same
// cycle returns the old contents. rdata_o holds its value while re_i is low.
//
// Parameters: Width (bits per line), Depth (lines, power of two).
// Ports: we_i/waddr_i/wdata_i (write), re_i/raddr_i/rdata_o (read).

module sparq_sram #(
  parameter int Width = 8,
  parameter int Depth = 256,
  localparam int Aw = $clog2(Depth)
) (
  input  logic             clk_i,
  input  logic             we_i,
  input  logic [Aw-1:0]    waddr_i,
  input  logic [Width-1:0] wdata_i,
  input  logic             re_i,
  input  logic [Aw-1:0]    raddr_i,
  output logic [Width-1:0] rdata_o
);

`include "sparq_assert.svh"

  if (Depth < 2 || (Depth & (Depth - 1)) != 0) begin : g_bad_depth
    `ELAB_ERROR("sparq_sram: Depth must be a power of two >= 2")
  end

  (* sparq_macro *) logic [Width-1:0] mem_q [Depth];
  logic [Width-1:0] rdata_q;

  always_ff @(posedge clk_i) begin
    if (we_i) mem_q[waddr_i] <= wdata_i;
  end

  always_ff @(posedge clk_i) begin
    if (re_i) rdata_q <= mem_q[raddr_i];
  end

  assign rdata_o = rdata_q;

endmodule
