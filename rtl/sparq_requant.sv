// One requantization lane: TFLite MultiplyByQuantizedMultiplier, output zero
// point and clamp, bit-exact with golden RequantizeOne (docs/architecture.md,
// "Integer contract"):
//
//   x1 = x * 2^max(shift, 0)                    wrapping int32
//   h  = SaturatingRoundingDoublingHighMul(x1, mult)
//   r  = RoundingDivideByPOT(h, max(-shift, 0)) ties away from zero
//   q  = clamp(r + zp, act_min, act_max)        (max first, then min)
//
// Two pipeline stages (multiply, then round/clamp); every input travels with
// its data, so the lane needs no valid or enable. r + zp is computed in 33
// bits, so it cannot wrap before the clamp.
//
// Parameters: QW (output width: 8, or 16 for A16W8's int32-bias variant).
// Ports: x_i (int32), mult_i (M0, int32), shift_i (int8 in [-31, 30]),
// zp_i / min_i / max_i (QW bits, signed), q_o (QW bits, two cycles later).

module sparq_requant #(
  parameter int QW = 8
) (
  input  logic        clk_i,
  input  logic [31:0] x_i,
  input  logic [31:0] mult_i,
  input  logic [7:0]  shift_i,
  input  logic [QW-1:0] zp_i,
  input  logic [QW-1:0] min_i,
  input  logic [QW-1:0] max_i,
  output logic [QW-1:0] q_o
);

  // Stage 1: left shift and the 32x32 signed product.
  logic [4:0]  left, right;
  logic [31:0] x1;
  logic [63:0] ab;
  logic        sat;

  assign left  = shift_i[7] ? 5'd0 : shift_i[4:0];
  assign right = shift_i[7] ? 5'(-shift_i) : 5'd0;
  assign x1    = x_i << left;
  assign ab    = $signed({{32{x1[31]}}, x1}) * $signed({{32{mult_i[31]}}, mult_i});
  // The one product SRDHM saturates instead of rounding: (-2^31) * (-2^31).
  assign sat   = (x1 == 32'h8000_0000) && (mult_i == 32'h8000_0000);

  logic [63:0] ab_q;
  logic        sat_q;
  logic [4:0]  right_q;
  logic [QW-1:0] zp_q, min_q, max_q;

  always_ff @(posedge clk_i) begin
    ab_q    <= ab;
    sat_q   <= sat;
    right_q <= right;
    zp_q    <= zp_i;
    min_q   <= min_i;
    max_q   <= max_i;
  end

  // Stage 2: doubling high half with round-half-away, divide by 2^right,
  // zero point, clamp.
  logic [63:0] nudge, t;
  logic [63:0] t_floor;
  logic [31:0] high, high_sra, mask, rem, thr, res;
  logic [32:0] sum, lo, hi, clamped;

  // Nudge +2^30 or 1-2^30, then divide by 2^31 truncating toward zero (the
  // C++ division the reference uses): floor, plus one for an inexact negative.
  assign nudge   = ab_q[63] ? 64'hFFFF_FFFF_C000_0001 : 64'h0000_0000_4000_0000;
  assign t       = ab_q + nudge;
  assign t_floor = $signed(t) >>> 31;
  assign high    = sat_q ? 32'h7FFF_FFFF
                         : t_floor[31:0] + {31'd0, t[63] && (t[30:0] != 31'd0)};

  assign mask = (32'd1 << right_q) - 32'd1;
  assign rem  = high & mask;
  assign thr  = (mask >> 1) + {31'd0, high[31]};
  // A separate assign keeps the shift arithmetic: inside a mixed-sign
  // expression Verilog would turn >>> into a logical shift.
  assign high_sra = $signed(high) >>> right_q;
  assign res      = high_sra + {31'd0, rem > thr};

  assign sum = {res[31], res} + 33'($signed(zp_q));
  assign lo  = 33'($signed(min_q));
  assign hi  = 33'($signed(max_q));

  always_comb begin
    clamped = sum;
    if ($signed(clamped) < $signed(lo)) clamped = lo;
    if ($signed(clamped) > $signed(hi)) clamped = hi;
  end

  logic [QW-1:0] q_q;
  logic unused_clamped;

  always_ff @(posedge clk_i) begin
    q_q <= clamped[QW-1:0];
  end

  assign q_o = q_q;
  // Only the low QW bits survive the clamp; the upper bits are sign copies.
  assign unused_clamped = ^clamped[32:QW];

  // t_floor fits in 33 bits; bit 32 only matters for the saturated case.
  logic unused_t_floor;
  assign unused_t_floor = ^t_floor[63:32];

endmodule
