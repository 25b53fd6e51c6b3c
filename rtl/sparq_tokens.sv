// One dependency-token counter between two engines (docs/architecture.md,
// "Engines and ordering"). A push and a pop in the same cycle cancel.
//
// Parameters: Width (counter bits; 16 allows 65535 outstanding tokens).
// Ports: push_i / pop_i (one-cycle pulses), avail_o (count non-zero).

module sparq_tokens #(
  parameter int Width = 16
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             push_i,
  input  logic             pop_i,
  output logic             avail_o
);

`include "sparq_assert.svh"

  logic [Width-1:0] cnt_d, cnt_q;

  always_comb begin
    cnt_d = cnt_q;
    if (push_i && !pop_i) begin
      cnt_d = cnt_q + Width'(1);
    end else if (pop_i && !push_i) begin
      cnt_d = cnt_q - Width'(1);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cnt_q <= '0;
    end else begin
      cnt_q <= cnt_d;
    end
  end

  assign avail_o = (cnt_q != '0);

  // An engine pops only after seeing avail_o, so a pop of zero is a design bug.
  `ASSERT(NoUnderflow, pop_i |-> avail_o)
  `ASSERT(NoOverflow, push_i && !pop_i |-> cnt_q != '1)

endmodule
