// Accumulator SRAM, banked per array column, with the read-modify-write
// pipeline that follows the array's skewed output.
//
// Every issued activation row brings its ACC row address, its accumulate flag
// and a tag; they travel down one shared delay line (one stage per cycle).
// Column c's sum of that row arrives on sum_i exactly SumLatency + c cycles
// after the issue, so bank c taps the line there: one cycle earlier it reads
// the old ACC value (stage A), at the sum's arrival it adds and writes
// (stage B). Consecutive rows may name the same address (a GEMM accumulating
// onto the rows the previous GEMM just wrote): when stage A reads the address
// that stage B writes in the same cycle, the new value is forwarded, so any
// m_rows >= 1 works without stalls. The tag leaves on retire_* the cycle
// after the row's last column (C-1) write has landed.
//
// The store engine reads one ACC row of all banks at once through acc_re_i /
// acc_raddr_i (data the cycle after, held otherwise). A read of a row written
// in the same cycle returns the old contents.
//
// Lanes: a row issued in a mode of L = 2^issue_lanes_lg_i lanes (its address
// a multiple of L) brings L sums per column; lane l goes to ACC row
// addr + l. Each bank is therefore split into Lanes sub-banks by the low
// address bits (sub-bank s holds the rows = s mod Lanes), each with its own
// read-modify-write, so the L rows of one activation row are written in the
// same cycle.
//
// A second user reads and writes whole rows through ext_*: the sparse engine
// (docs/sparse.md) reads and writes, the depthwise unit (sparq_dw_unit) only
// writes; sparq_top muxes the two (the compute queue runs one unit at a
// time). Row a lives in sub-bank a mod Lanes of every column, like a store
// read. The read shares stage A's read port (data on ext_rdata_o the cycle
// after ext_re_i, held until the next ext read), the write stage B's write
// port. It runs only while no row is in flight here (sparq_top interlocks it
// with the GEMM engine).
//
// Parameters: ArrayCols (C, banks), AccRows (rows per bank, power of two),
// SumLatency (cycles from issue to column 0's sum, >= 2), TagW.
// Ports: issue_* (one activation row entering the array), sum_i (lane l of
// column c in bits [32*(Lanes*c + l) +: 32]), retire_* (row done), busy_o
// (rows in flight), acc_* (store read port), ext_* (whole-row port).

module sparq_acc_buf #(
  parameter int ArrayCols  = 16,
  parameter int AccRows    = 4096,
  parameter int SumLatency = 17,
  parameter int TagW       = 1,
  localparam int AccAw = $clog2(AccRows),
  localparam int Lanes = sparq_isa_pkg::GemmMaxLanes,
  localparam int LaneW = $clog2(Lanes)
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    issue_valid_i,
  input  logic [AccAw-1:0]        issue_addr_i,
  input  logic                    issue_accumulate_i,
  input  logic [LaneW-1:0]        issue_lanes_lg_i,
  input  logic [TagW-1:0]         issue_tag_i,
  input  logic [Lanes*ArrayCols*32-1:0] sum_i,
  output logic                    retire_valid_o,
  output logic [TagW-1:0]         retire_tag_o,
  output logic                    busy_o,
  input  logic                    acc_re_i,
  input  logic [AccAw-1:0]        acc_raddr_i,
  output logic [ArrayCols*32-1:0] acc_rdata_o,
  input  logic                    ext_re_i,
  input  logic [AccAw-1:0]        ext_raddr_i,
  output logic [ArrayCols*32-1:0] ext_rdata_o,
  input  logic                    ext_we_i,
  input  logic [AccAw-1:0]        ext_waddr_i,
  input  logic [ArrayCols*32-1:0] ext_wdata_i
);

`include "sparq_assert.svh"

  localparam int CtrlW = TagW + Lanes + 1 + AccAw;  // {tag, subs, accumulate, addr}
  localparam int SubRows = AccRows / Lanes;
  localparam int SubAw = AccAw - LaneW;
  localparam int Len   = SumLatency + ArrayCols;

  if (AccRows < 2 * Lanes || (AccRows & (AccRows - 1)) != 0) begin : g_bad_rows
    `ELAB_ERROR("sparq_acc_buf: AccRows must be a power of two >= 2 * GemmMaxLanes")
  end
  if (Lanes < 2 || (Lanes & (Lanes - 1)) != 0) begin : g_bad_lanes
    `ELAB_ERROR("sparq_acc_buf: GemmMaxLanes must be a power of two >= 2")
  end
  if (SumLatency < 2) begin : g_bad_latency
    `ELAB_ERROR("sparq_acc_buf: SumLatency must leave a cycle for the read before the sum")
  end

  // Stage k holds the row issued k cycles ago (valid bits reset, fields not).
  logic [Len:1] vld_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      vld_q <= '0;
    end else begin
      vld_q <= {vld_q[Len-1:1], issue_valid_i};
    end
  end

  // The sub-banks a row writes (bit s: sub-bank s takes lane s - addr mod
  // Lanes), decoded once at issue rather than in every bank and stage. The
  // address is a multiple of the row's lane count L, so the L lanes never
  // carry into the row.
  logic [Lanes-1:0] issue_span, issue_subs;
  assign issue_span = Lanes'((32'd1 << (32'd1 << issue_lanes_lg_i)) - 32'd1);
  assign issue_subs = issue_span << issue_addr_i[LaneW-1:0];

  for (genvar k = 1; k <= Len; k++) begin : g_stage
    logic [CtrlW-1:0] ctrl_d, ctrl_q;
    if (k == 1) begin : g_head
      assign ctrl_d = {issue_tag_i, issue_subs, issue_accumulate_i, issue_addr_i};
    end else begin : g_link
      assign ctrl_d = g_stage[k-1].ctrl_q;
    end
    always_ff @(posedge clk_i) begin
      ctrl_q <= ctrl_d;
    end
  end

  // Store read: the sub-bank select of the read follows its data by a cycle.
  logic [LaneW-1:0] rd_sub_q;

  always_ff @(posedge clk_i) begin
    if (acc_re_i) rd_sub_q <= acc_raddr_i[LaneW-1:0];
  end

  // Whole-row port: the sub-bank of the row, and that of the last ext read.
  logic [LaneW-1:0] ext_rsub, ext_wsub, ext_sub_q;
  assign ext_rsub = ext_raddr_i[LaneW-1:0];
  assign ext_wsub = ext_waddr_i[LaneW-1:0];

  always_ff @(posedge clk_i) begin
    if (ext_re_i) ext_sub_q <= ext_rsub;
  end

  // Simulation speed: the read-modify-write of a sub-bank is written inside
  // the conditions under which it happens (its sum twice, for the write and
  // for the forward register: one adder after synthesis), so a cycle-based
  // simulator does the work of the sub-banks that take a lane this cycle only.
  for (genvar c = 0; c < ArrayCols; c++) begin : g_bank
    localparam int KA = SumLatency + c - 1;
    localparam int KB = SumLatency + c;

    logic             a_valid, a_accumulate, b_valid, b_accumulate, rows_eq;
    logic [AccAw-1:0] a_addr, b_addr;
    logic [Lanes-1:0] a_subs, b_subs;
    logic [TagW-1:0]  unused_a_tag, unused_b_tag;
    logic [SubAw-1:0] a_row, b_row;
    logic [Lanes*32-1:0] col_sum, rd_sub, old_sub;

    assign a_valid = vld_q[KA];
    assign b_valid = vld_q[KB];
    assign {unused_a_tag, a_subs, a_accumulate, a_addr} = g_stage[KA].ctrl_q;
    assign {unused_b_tag, b_subs, b_accumulate, b_addr} = g_stage[KB].ctrl_q;
    assign a_row   = a_addr[AccAw-1:LaneW];
    logic [LaneW-1:0] unused_a_sub;  // stage A's sub-banks come from a_subs
    assign unused_a_sub = a_addr[LaneW-1:0];
    assign b_row   = b_addr[AccAw-1:LaneW];
    assign rows_eq = (a_row == b_row);
    assign col_sum = sum_i[32*Lanes*c +: 32*Lanes];

    for (genvar s = 0; s < Lanes; s++) begin : g_sub
      (* sparq_macro *) logic [31:0] mem_q [SubRows];
      logic [LaneW-1:0] b_lane;
      logic             a_hit, b_hit;
      logic             fwd_hit, fwd_hit_q;
      logic [31:0]      old_q, fwd_q;
      logic [31:0]      rd_q;

      assign b_lane  = LaneW'(s) - b_addr[LaneW-1:0];
      assign a_hit   = a_valid && a_subs[s];
      assign b_hit   = b_valid && b_subs[s];

      // The write of stage B lands at the end of this cycle, after stage A's read.
      assign fwd_hit = a_hit && b_hit && rows_eq;

      always_ff @(posedge clk_i) begin
        if (ext_re_i && ext_rsub == LaneW'(s)) begin
          old_q <= mem_q[ext_raddr_i[AccAw-1:LaneW]];
        end else if (a_hit && a_accumulate) begin
          old_q <= mem_q[a_row];
        end
      end
      assign old_sub[32*s +: 32] = old_q;

      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          fwd_hit_q <= 1'b0;
        end else begin
          fwd_hit_q <= fwd_hit;
        end
      end

      always_ff @(posedge clk_i) begin
        if (fwd_hit) begin
          fwd_q <= (b_accumulate ? (fwd_hit_q ? fwd_q : old_q) : 32'd0) +
                   col_sum[32*b_lane +: 32];
        end
      end

      // One write port: the whole-row port or stage B.
      logic ext_we;
      assign ext_we = ext_we_i && ext_wsub == LaneW'(s);

      always_ff @(posedge clk_i) begin
        if (ext_we || b_hit) begin
          mem_q[ext_we ? ext_waddr_i[AccAw-1:LaneW] : b_row] <=
              ext_we ? ext_wdata_i[32*c +: 32] :
                       (b_accumulate ? (fwd_hit_q ? fwd_q : old_q) : 32'd0) +
                       col_sum[32*b_lane +: 32];
        end
      end

      always_ff @(posedge clk_i) begin
        if (acc_re_i && acc_raddr_i[LaneW-1:0] == LaneW'(s)) begin
          rd_q <= mem_q[acc_raddr_i[AccAw-1:LaneW]];
        end
      end

      assign rd_sub[32*s +: 32] = rd_q;
    end

    assign acc_rdata_o[32*c +: 32] = rd_sub[32*rd_sub_q +: 32];
    assign ext_rdata_o[32*c +: 32] = old_sub[32*ext_sub_q +: 32];
  end

  logic [Lanes+AccAw:0] unused_retire_ctrl;
  assign {retire_tag_o, unused_retire_ctrl} = g_stage[Len].ctrl_q;
  assign retire_valid_o = vld_q[Len];
  assign busy_o         = |vld_q;

  `ASSERT_KNOWN(IssueValidKnown, issue_valid_i)
  `ASSERT_KNOWN(AccReKnown, acc_re_i)
  `ASSERT(ExtOnlyWhenIdle, ext_re_i || ext_we_i |-> !busy_o)

endmodule
