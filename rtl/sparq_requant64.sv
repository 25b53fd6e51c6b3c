// One A16W8 requantization lane with a 64-bit accumulator: TFLite's int64
// MultiplyByQuantizedMultiplier (CMSIS-NN arm_nn_requantize_s64) and the
// int16 clamp, bit-exact with golden RequantizeOneInt64
// (docs/architecture.md, "A16W8"):
//
//   t = 15 - shift                              (shift in [-31, 7]: t in [8, 46])
//   y = (acc * rm + 2^(t-1)) >> t               exact, arithmetic shift
//   q = clamp(y, act_min, act_max)
//
// rm is the Q15 multiplier (PARAM Mult15, [0, 32767]). acc * rm is kept in
// 80 bits, so no int64 accumulator overflows it. Two pipeline stages
// (multiply, then round/shift/clamp), like sparq_requant; every input travels
// with its data.
//
// Ports: acc_i (int64), rm_i (15 bits unsigned), shift_i (int8),
// min_i / max_i (int16), q_o (int16, two cycles later).

module sparq_requant64 (
  input  logic        clk_i,
  input  logic [63:0] acc_i,
  input  logic [14:0] rm_i,
  input  logic [7:0]  shift_i,
  input  logic [15:0] min_i,
  input  logic [15:0] max_i,
  output logic [15:0] q_o
);

  // Stage 1: the exact product and the total shift.
  logic [79:0] prod;
  logic [5:0]  t;

  assign prod = 80'($signed(acc_i) * $signed({1'b0, rm_i}));
  assign t    = 6'(8'd15 - shift_i);

  logic [79:0] prod_q;
  logic [5:0]  t_q;
  logic [15:0] min_q, max_q;

  always_ff @(posedge clk_i) begin
    prod_q <= prod;
    t_q    <= t;
    min_q  <= min_i;
    max_q  <= max_i;
  end

  // Stage 2: round half toward +infinity, shift, clamp.
  logic [79:0] rounded, y;
  logic [79:0] lo, hi;
  logic [15:0] q_d;

  assign rounded = prod_q + (80'd1 << (t_q - 6'd1));
  // A separate assign keeps the shift arithmetic (see sparq_requant).
  assign y  = $signed(rounded) >>> t_q;
  assign lo = 80'($signed(min_q));
  assign hi = 80'($signed(max_q));

  always_comb begin
    q_d = y[15:0];
    if ($signed(y) < $signed(lo)) q_d = min_q;
    if ($signed(y) > $signed(hi)) q_d = max_q;
  end

  logic [15:0] q_q;

  always_ff @(posedge clk_i) begin
    q_q <= q_d;
  end

  assign q_o = q_q;

endmodule
