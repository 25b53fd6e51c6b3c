// Synchronous FIFO on valid/ready streams.
//
// Registered full/empty: in_ready_o and out_valid_o depend only on state, so
// chaining FIFOs adds no combinational path between producer and consumer.
// The head entry drives out_data_o straight from storage; a consumer may
// therefore keep an entry at the head and use it as its instruction register
// until it pops.
//
// Parameters: Width (bits per entry), Depth (entries, power of two, >= 2).
// Ports: in_* (push side), out_* (pop side), count_o (entries held).

module sparq_fifo #(
  parameter int Width = 8,
  parameter int Depth = 4,
  localparam int PtrW = $clog2(Depth),
  localparam int CntW = $clog2(Depth + 1)
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             in_valid_i,
  output logic             in_ready_o,
  input  logic [Width-1:0] in_data_i,
  output logic             out_valid_o,
  input  logic             out_ready_i,
  output logic [Width-1:0] out_data_o,
  output logic [CntW-1:0]  count_o
);

`include "sparq_assert.svh"

  if (Depth < 2 || (Depth & (Depth - 1)) != 0) begin : g_bad_depth
    `ELAB_ERROR("sparq_fifo: Depth must be a power of two >= 2")
  end

  logic [Width-1:0] mem_q [Depth];
  logic [PtrW-1:0]  wptr_d, wptr_q, rptr_d, rptr_q;
  logic [CntW-1:0]  cnt_d, cnt_q;
  logic             push, pop;

  assign in_ready_o  = (cnt_q != CntW'(Depth));
  assign out_valid_o = (cnt_q != '0);
  assign out_data_o  = mem_q[rptr_q];
  assign count_o     = cnt_q;

  assign push = in_valid_i && in_ready_o;
  assign pop  = out_valid_o && out_ready_i;

  always_comb begin
    wptr_d = wptr_q;
    rptr_d = rptr_q;
    cnt_d  = cnt_q;
    if (push) wptr_d = wptr_q + PtrW'(1);
    if (pop) rptr_d = rptr_q + PtrW'(1);
    if (push && !pop) begin
      cnt_d = cnt_q + CntW'(1);
    end else if (pop && !push) begin
      cnt_d = cnt_q - CntW'(1);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q <= '0;
      rptr_q <= '0;
      cnt_q  <= '0;
    end else begin
      wptr_q <= wptr_d;
      rptr_q <= rptr_d;
      cnt_q  <= cnt_d;
    end
  end

  // Storage is not reset: entries are only read after being written.
  always_ff @(posedge clk_i) begin
    if (push) mem_q[wptr_q] <= in_data_i;
  end

  `ASSERT_STABLE(InStable, in_valid_i, in_ready_o, in_data_i)
  `ASSERT_KNOWN(CountKnown, cnt_q)

endmodule
