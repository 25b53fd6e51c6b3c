// Icarus (4-state) testbench for sparq_requant: one vector per cycle into the
// two-stage pipeline, every output compared two cycles later with a value
// worked out by hand from the TFLite rules (golden/requant.h):
//
//   x1 = x * 2^max(s, 0)  wrapping;  h = (x1 * M + nudge) / 2^31 truncated,
//   nudge = 2^30 or 1 - 2^30 by the product's sign (ties toward +inf);
//   r = h / 2^max(-s, 0) rounded half away from zero;  q = clamp(r + zp).
//
// Inputs change on the falling edge; q_o is checked on the falling edge too,
// so it must also be free of X and Z there. Prints "PASS" at the end; any
// mismatch prints "FAIL" and stops with $fatal.

module sparq_requant_tb;

  typedef struct packed {
    logic [31:0] x;
    logic [31:0] mult;
    logic [7:0]  shift;
    logic [7:0]  zp;
    logic [7:0]  lo;
    logic [7:0]  hi;
    logic [7:0]  q;     // expected output
  } vec_t;

  localparam int NumVecs = 15;
  localparam logic [31:0] Half = 32'h4000_0000;  // M0 = 2^30: real multiplier 0.5

  vec_t vecs[NumVecs];

  initial begin
    // 100 * 0.5 = 50 exactly.
    vecs[0]  = {32'sd100, Half, 8'sd0, 8'sd0, -8'sd128, 8'sd127, 8'sd50};
    // 101 * 0.5 = 50.5: the doubling high multiply rounds up to 51; zp -3.
    vecs[1]  = {32'sd101, Half, 8'sd0, -8'sd3, -8'sd128, 8'sd127, 8'sd48};
    // -101 * 0.5 = -50.5: its tie goes toward +inf, to -50 (not -51).
    vecs[2]  = {-32'sd101, Half, 8'sd0, 8'sd0, -8'sd128, 8'sd127, -8'sd50};
    // 20 * 0.5 = 10, then 10 / 4 = 2.5 rounds away from zero to 3.
    vecs[3]  = {32'sd20, Half, -8'sd2, 8'sd0, -8'sd128, 8'sd127, 8'sd3};
    // -20 * 0.5 = -10, then -10 / 4 = -2.5 rounds away from zero to -3.
    vecs[4]  = {-32'sd20, Half, -8'sd2, 8'sd0, -8'sd128, 8'sd127, -8'sd3};
    // 2^30 << 2 wraps to 0; only the zero point 5 remains.
    vecs[5]  = {32'sd1073741824, Half, 8'sd2, 8'sd5, -8'sd128, 8'sd127, 8'sd5};
    // 3 << 1 = 6, 6 * 0.5 = 3.
    vecs[6]  = {32'sd3, Half, 8'sd1, 8'sd0, -8'sd128, 8'sd127, 8'sd3};
    // 1000 * 0.5 + 10 = 510 clamps to 127.
    vecs[7]  = {32'sd1000, Half, 8'sd0, 8'sd10, -8'sd128, 8'sd127, 8'sd127};
    // -1000 * 0.5 + 10 = -490 clamps to act_min 10 (a fused ReLU at zp 10).
    vecs[8]  = {-32'sd1000, Half, 8'sd0, 8'sd10, 8'sd10, 8'sd127, 8'sd10};
    // 1000 * 0.5 + 10 = 510 clamps to act_max 60 (a ReLU6-like bound).
    vecs[9]  = {32'sd1000, Half, 8'sd0, 8'sd10, 8'sd0, 8'sd60, 8'sd60};
    // (-2^31) * (-2^31) saturates to 2^31 - 1; + zp 127 must not wrap
    // negative before the clamp: 127.
    vecs[10] = {32'h8000_0000, 32'h8000_0000, 8'sd0, 8'sd127, -8'sd128, 8'sd127, 8'sd127};
    // M0 = 1717986918 (0.8): 1234 * 0.8 = 987.2 -> 987; 987 / 32 = 30.84
    // -> 31; zp -7: 24.
    vecs[11] = {32'sd1234, 32'sd1717986918, -8'sd5, -8'sd7, -8'sd128, 8'sd127, 8'sd24};
    // M0 = 1395864371 (0.65): -5000 * 0.65 = -3250; -3250 / 64 = -50.78
    // -> -51; zp 3: -48.
    vecs[12] = {-32'sd5000, 32'sd1395864371, -8'sd6, 8'sd3, -8'sd128, 8'sd127, -8'sd48};
    // (2^31 - 1)^2 / 2^31 = 2^31 - 2 + 2^-31 -> 2147483646; / 2^31 = 0.99..
    // -> 1.
    vecs[13] = {32'sd2147483647, 32'sd2147483647, -8'sd31, 8'sd0, -8'sd128, 8'sd127, 8'sd1};
    // The most negative 4x4 int8 column sum, 4 * (-128 * 128) = -65536:
    // * 0.5 = -32768 clamps to -128.
    vecs[14] = {-32'sd65536, Half, 8'sd0, 8'sd0, -8'sd128, 8'sd127, -8'sd128};
  end

  logic        clk;
  logic [31:0] x, mult;
  logic [7:0]  shift, zp, lo, hi, q;

  sparq_requant u_dut (
    .clk_i  (clk),
    .x_i    (x),
    .mult_i (mult),
    .shift_i(shift),
    .zp_i   (zp),
    .min_i  (lo),
    .max_i  (hi),
    .q_o    (q)
  );

  initial clk = 1'b0;
  always #5 clk = !clk;

  int   errors = 0;
  vec_t in, out;  // Icarus 11 cannot select a field of vecs[i] directly

  initial begin
    // Vector i enters on the falling edge before rising edge i + 1, so its
    // result is on q_o after rising edge i + 2, checked at falling edge i + 2.
    for (int i = 0; i < NumVecs + 2; i++) begin
      @(negedge clk);
      if (i >= 2) begin
        out = vecs[i-2];
        if (q !== out.q) begin
          $display("FAIL vector %0d: x=%0d mult=%0d shift=%0d zp=%0d [%0d, %0d]: q=%0d (%b), expected %0d",
                   i - 2, $signed(out.x), $signed(out.mult), $signed(out.shift), $signed(out.zp),
                   $signed(out.lo), $signed(out.hi), $signed(q), q, $signed(out.q));
          errors++;
        end
      end
      if (i < NumVecs) begin
        in = vecs[i];
        {x, mult, shift, zp, lo, hi} = {in.x, in.mult, in.shift, in.zp, in.lo, in.hi};
      end else begin
        // The last results must not depend on what follows them.
        {x, mult, shift, zp, lo, hi} = 'x;
      end
    end
    if (errors != 0) $fatal(1, "FAIL sparq_requant_tb: %0d of %0d vectors wrong", errors, NumVecs);
    $display("PASS sparq_requant_tb: %0d vectors", NumVecs);
    $finish;
  end

endmodule
