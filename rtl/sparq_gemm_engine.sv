// GEMM (compute) engine: weight preload, activation streaming, the systolic
// array and the accumulator SRAM (semantics: docs/architecture.md, "GEMM").
//
// Three overlapping parts keep the array fed:
//   front     the queue head is the instruction register. It takes the head's
//             tokens (l2c for pop_prev, s2c for pop_next) as soon as they are
//             available, and once they are taken, the weight reader is free,
//             the pending slot is free and the PE bank the tile will use is no
//             longer read by anyone, it starts the tile: it pops the head,
//             reads the first weight line and moves the tile to the pending
//             slot. Tokens are therefore always taken in an earlier cycle than
//             the tile's first SRAM read.
//   weights   reads the tile's R weight lines, one per cycle; line r is written
//             into array row r the next cycle, into the bank the tile owns.
//             Mode N24W8 (2:4): 5R/4 lines, an index line before each 4 value
//             lines; the index line is kept in a register, and each value
//             line enters its array row with its rows' 2-bit indices.
//             Mode N24W4 (2:4, int4 weights): 3R/4 lines, an index line
//             before each 2 value lines; each value line is read twice, and
//             its low nibble (rows 4i, 4i+2), then its high nibble (rows
//             4i+1, 4i+3), sign-extended, enters the array as an N24W8 row
//             (same timing as N24W8: the array sees N24W8).
//   streamer  issues one activation row per cycle (ACT read of
//             act_base + m * act_stride), from the current tile, else from the
//             pending one, so consecutive tiles stream back to back.
// Tiles alternate between the two PE banks. A tile may start preloading bank
// b once the previous user of b has issued its last row and that row has
// passed the last column (C - 1 cycles later), and may stream from the cycle
// after its first weight read (row r's weights land before its first
// activation reaches row r). Steady state: one tile every max(m_rows, R, C - 1)
// cycles, i.e. no bubble once m_rows >= max(R, C - 1). An N24W8 tile's
// weights take R/4 cycles longer, so its first row issues R/4 cycles later
// (NmHold) and the steady state is one tile every max(m_rows, 5R/4, C - 1).
//
// Modes (docs/architecture.md, "Processing element and modes"): the tile's
// mode travels into the array with every activation row, like its bank; a
// mode of L lanes writes ACC rows acc_base + L*m + l (l < L), so its ACC
// address advances by L per row. A16W8 has no logic in the array: each of its
// activation rows is issued as two A8W8 rows, the low-byte line (its bit 7
// inverted here at the array edge, ArrayRows XORs: u - 128) into ACC row
// acc_base + 2m and the high-byte line (act_hi lines further) into
// acc_base + 2m + 1, both against the same resident weight tile.
//
// Results go to sparq_acc_buf, whose delay line carries each row's ACC
// address; the tile's tokens (c2l for push_prev, c2s for push_next) and
// evt_instr_done_o fire the cycle after the last column of its last row was
// written.
//
// Counter events: a cycle without a row issue is attributed to at most one
// stall cause, in this order: the head waits for l2c, for s2c, or has its
// tokens but its weights cannot be preloaded yet (bank, weight reader) or
// have just started to.
//
// Parameters: ArrayRows (R), ArrayCols (C), ActLines, WgtLines, AccRows (SRAM
// depths, powers of two), NmSparse (the array has the N24W8 mode).
// Ports: instr_* (GEMM queue head), token avail/pop/push pulses, act_* and
// wgt_* (SRAM read ports, data the cycle after re), acc_* (store engine's
// read port of the ACC SRAM), acc_ext_* (whole-row port of the ACC SRAM for
// the sparse engine and the depthwise unit, while this engine is idle), busy_o
// and counter events.

module sparq_gemm_engine #(
  parameter int ArrayRows = 16,
  parameter int ArrayCols = 16,
  parameter int ActLines  = 2048 * ArrayRows,
  parameter int WgtLines  = 512 * ArrayRows,
  parameter int AccRows   = 256 * ArrayRows,
  parameter bit NmSparse  = 1'b1,
  localparam int ActAw = $clog2(ActLines),
  localparam int WgtAw = $clog2(WgtLines),
  localparam int AccAw = $clog2(AccRows),
  localparam int InstrBits = sparq_isa_pkg::InstrBits
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    instr_valid_i,
  output logic                    instr_ready_o,
  input  logic [InstrBits-1:0]    instr_data_i,
  input  logic                    l2c_avail_i,
  output logic                    l2c_pop_o,
  input  logic                    s2c_avail_i,
  output logic                    s2c_pop_o,
  output logic                    c2l_push_o,
  output logic                    c2s_push_o,
  output logic                    act_re_o,
  output logic [ActAw-1:0]        act_raddr_o,
  input  logic [ArrayRows*8-1:0]  act_rdata_i,
  input  logic [ArrayRows*8-1:0]  act_rdata_next_i,
  output logic                    wgt_re_o,
  output logic [WgtAw-1:0]        wgt_raddr_o,
  input  logic [ArrayCols*8-1:0]  wgt_rdata_i,
  input  logic                    acc_re_i,
  input  logic [AccAw-1:0]        acc_raddr_i,
  output logic [ArrayCols*32-1:0] acc_rdata_o,
  // sparse engine's row port into the ACC SRAM (sparq_acc_buf ext_*)
  input  logic                    acc_ext_re_i,
  input  logic [AccAw-1:0]        acc_ext_raddr_i,
  output logic [ArrayCols*32-1:0] acc_ext_rdata_o,
  input  logic                    acc_ext_we_i,
  input  logic [AccAw-1:0]        acc_ext_waddr_i,
  input  logic [ArrayCols*32-1:0] acc_ext_wdata_i,
  output logic                    busy_o,
  output logic                    evt_row_issued_o,
  output logic [1:0]              evt_lanes_lg_o,
  output logic [31:0]             evt_useful_macs_o,
  output logic                    evt_stall_load_o,
  output logic                    evt_stall_store_o,
  output logic                    evt_stall_weights_o,
  output logic                    evt_instr_done_o
);

`include "sparq_assert.svh"

  localparam int SumW   = 16 + $clog2(ArrayRows);
  localparam int DrainW = $clog2(ArrayCols);
  localparam int TagW   = 3;  // {last row, push_prev, push_next}
  localparam int NmHold = ArrayRows / 4;  // N24W8: the tile's index lines
  localparam logic [2:0] ModeN24 = 3'(sparq_isa_pkg::GemmModeN24W8);
  localparam logic [2:0] ModeN24W4 = 3'(sparq_isa_pkg::GemmModeN24W4);

  if (ArrayRows < 2 || ArrayCols < 2 || (NmSparse && ArrayRows % 4 != 0)) begin : g_bad_shape
    `ELAB_ERROR("sparq_gemm_engine: ArrayRows and ArrayCols must both be at least 2, ArrayRows a multiple of 4 with NmSparse (N24W8 index lines)")
  end

  // ---------------------------------------------------------------------------
  // Instruction fields (queue head)
  // ---------------------------------------------------------------------------
  logic [sparq_isa_pkg::CommonOpcodeW-1:0] f_opcode;
  logic        f_pop_prev, f_pop_next, f_push_prev, f_push_next, f_accumulate;
  logic [15:0] f_act_base, f_act_stride, f_m_rows, f_wgt_base, f_acc_base, f_act_hi;
  logic        f_a16, f_w4;
  logic [7:0]  f_k_valid, f_n_valid;
  logic [sparq_isa_pkg::GemmModeW-1:0] f_mode;
  logic [1:0]  f_lanes_lg;

  assign f_opcode     = instr_data_i[sparq_isa_pkg::CommonOpcodeLsb +: sparq_isa_pkg::CommonOpcodeW];
  assign f_pop_prev   = instr_data_i[sparq_isa_pkg::CommonPopPrevLsb];
  assign f_pop_next   = instr_data_i[sparq_isa_pkg::CommonPopNextLsb];
  assign f_push_prev  = instr_data_i[sparq_isa_pkg::CommonPushPrevLsb];
  assign f_push_next  = instr_data_i[sparq_isa_pkg::CommonPushNextLsb];
  assign f_act_base   = instr_data_i[sparq_isa_pkg::GemmActBaseLsb +: sparq_isa_pkg::GemmActBaseW];
  assign f_act_stride = instr_data_i[sparq_isa_pkg::GemmActStrideLsb +: sparq_isa_pkg::GemmActStrideW];
  assign f_m_rows     = instr_data_i[sparq_isa_pkg::GemmMRowsLsb +: sparq_isa_pkg::GemmMRowsW];
  assign f_wgt_base   = instr_data_i[sparq_isa_pkg::GemmWgtBaseLsb +: sparq_isa_pkg::GemmWgtBaseW];
  assign f_acc_base   = instr_data_i[sparq_isa_pkg::GemmAccBaseLsb +: sparq_isa_pkg::GemmAccBaseW];
  assign f_accumulate = instr_data_i[sparq_isa_pkg::GemmAccumulateLsb];
  assign f_k_valid    = instr_data_i[sparq_isa_pkg::GemmKValidLsb +: sparq_isa_pkg::GemmKValidW];
  assign f_n_valid    = instr_data_i[sparq_isa_pkg::GemmNValidLsb +: sparq_isa_pkg::GemmNValidW];
  assign f_mode       = instr_data_i[sparq_isa_pkg::GemmModeLsb +: sparq_isa_pkg::GemmModeW];
  assign f_act_hi     = instr_data_i[sparq_isa_pkg::GemmActHiLsb +: sparq_isa_pkg::GemmActHiW];
  assign f_a16        = (f_mode == sparq_isa_pkg::GemmModeW'(sparq_isa_pkg::GemmModeA16W8));
  assign f_w4         = (f_mode == sparq_isa_pkg::GemmModeW'(ModeN24W4));

  // log2 of the mode's lanes: A8W8 1, A8W4 2, A8W2 4, A16W8 2 (the ACC
  // rows of an activation row; A16W8 issues them as two one-lane rows).
  always_comb begin
    case (f_mode)
      sparq_isa_pkg::GemmModeW'(sparq_isa_pkg::GemmModeA8W4): f_lanes_lg = 2'd1;
      sparq_isa_pkg::GemmModeW'(sparq_isa_pkg::GemmModeA16W8): f_lanes_lg = 2'd1;
      sparq_isa_pkg::GemmModeW'(sparq_isa_pkg::GemmModeA8W2): f_lanes_lg = 2'd2;
      default:                                                f_lanes_lg = 2'd0;
    endcase
  end

  // Bits that carry no GEMM field.
  logic unused_instr;
  assign unused_instr = ^(instr_data_i & ~sparq_isa_pkg::GemmFieldMask);

  // Per-tile attributes that stay fixed while its rows stream.
  typedef struct packed {
    logic [15:0] act_stride;
    logic [15:0] act_hi;
    logic        a16;
    logic        accumulate;
    logic        bank;
    logic [2:0]  mode;
    logic [1:0]  lanes_lg;
    logic [15:0] useful_macs;
    logic        push_prev;
    logic        push_next;
  } tile_attr_t;

  // ---------------------------------------------------------------------------
  // Front: tokens and tile start
  // ---------------------------------------------------------------------------
  logic l2c_taken_d, l2c_taken_q, s2c_taken_d, s2c_taken_q;
  logic need_l2c, need_s2c, tokens_ok, bank_free, pend_free, start;

  logic                   nxt_bank_d, nxt_bank_q;
  logic [1:0]             bank_busy_d, bank_busy_q;
  logic [DrainW-1:0]      drain0_d, drain0_q, drain1_d, drain1_q;

  logic wr_active_d, wr_active_q;
  logic pend_valid_d, pend_valid_q;
  logic use_pend, issue, last;

  assign need_l2c  = instr_valid_i && f_pop_prev && !l2c_taken_q;
  assign need_s2c  = instr_valid_i && f_pop_next && !s2c_taken_q;
  assign l2c_pop_o = need_l2c && l2c_avail_i;
  assign s2c_pop_o = need_s2c && s2c_avail_i;
  assign tokens_ok = !need_l2c && !need_s2c;
  assign bank_free = !bank_busy_q[nxt_bank_q] && ((nxt_bank_q ? drain1_q : drain0_q) == '0);
  assign pend_free = !pend_valid_q || use_pend;
  assign start     = instr_valid_i && tokens_ok && bank_free && !wr_active_q && pend_free;

  assign instr_ready_o = start;

  always_comb begin
    l2c_taken_d = l2c_taken_q || l2c_pop_o;
    s2c_taken_d = s2c_taken_q || s2c_pop_o;
    if (start) begin
      l2c_taken_d = 1'b0;
      s2c_taken_d = 1'b0;
    end
  end

  // ---------------------------------------------------------------------------
  // Weight reader: R lines from wgt_base, line r -> array row r one cycle later
  // ---------------------------------------------------------------------------
  logic [ArrayRows-1:0] wr_row_d, wr_row_q, rd_row;
  logic [15:0]          wr_addr_d, wr_addr_q, rd_addr;
  logic                 wr_bank_d, wr_bank_q, rd_bank;
  logic [ArrayRows-1:0] wl_en_d, wl_en_q;
  logic                 wl_bank_q;
  logic [2:0]           wr_mode_q, rd_mode, wl_mode_q, f_array_mode;

  assign rd_row  = start ? ArrayRows'(1) : wr_row_q;
  assign rd_addr = start ? f_wgt_base : wr_addr_q;
  assign rd_bank = start ? nxt_bank_q : wr_bank_q;
  // The array sees A16W8 tiles as A8W8 and N24W4 tiles as N24W8 (their
  // nibbles widened here).
  assign f_array_mode = f_a16 ? 3'(sparq_isa_pkg::GemmModeA8W8) : f_w4 ? ModeN24 : 3'(f_mode);
  assign rd_mode = start ? f_array_mode : wr_mode_q;

  assign wgt_re_o    = start || wr_active_q;
  assign wgt_raddr_o = WgtAw'(rd_addr);

  // N24W8: phase 0 of every 5 lines is an index line (no array row).
  logic [2:0] wr_phase_d, wr_phase_q, rd_phase;
  logic       rd_idx, idx_cap_q;
  logic [1:0] wl_sub_q;
  logic [ArrayCols*8-1:0] idx_line_q;
  logic [ArrayCols*2-1:0] wl_idx;

  logic       wr_w4_q, rd_w4, wl_w4_q, rd_reread;

  assign rd_phase   = start ? 3'd0 : wr_phase_q;
  assign rd_w4      = start ? f_w4 : wr_w4_q;
  assign rd_idx     = (rd_mode == ModeN24) && (rd_phase == 3'd0);
  assign wr_phase_d = (rd_phase == 3'd4) ? 3'd0 : rd_phase + 3'd1;
  // N24W4: phases 1 and 3 read a value line that phases 2 and 4 read again.
  assign rd_reread  = rd_w4 && rd_phase[0];

  assign wr_active_d = wgt_re_o && !(rd_row[ArrayRows-1] && !rd_idx);
  assign wr_row_d    = rd_idx ? rd_row : rd_row << 1;
  assign wr_addr_d   = rd_reread ? rd_addr : rd_addr + 16'd1;
  assign wr_bank_d   = rd_bank;
  assign wl_en_d     = (wgt_re_o && !rd_idx) ? rd_row : '0;

  always_ff @(posedge clk_i) begin
    wr_phase_q <= wr_phase_d;
    idx_cap_q  <= wgt_re_o && rd_idx;
    wl_sub_q   <= 2'(rd_phase - 3'd1);
    wr_w4_q    <= rd_w4;
    wl_w4_q    <= rd_w4;
  end

  always_ff @(posedge clk_i) begin
    if (idx_cap_q) idx_line_q <= wgt_rdata_i;
  end

  // Column c of value line q of the 4: bits [2q+1:2q] of the index byte.
  for (genvar c = 0; c < ArrayCols; c++) begin : g_idx
    assign wl_idx[2*c +: 2] = idx_line_q[8*c + 2*wl_sub_q +: 2];
  end

  // N24W4: value line byte c -> the sign-extended nibble of row 4i + sub
  // (low nibble for sub 0 and 2, high for 1 and 3).
  logic [ArrayCols*8-1:0] wl_data;

  always_comb begin
    wl_data = wgt_rdata_i;
    if (wl_w4_q) begin
      for (int c = 0; c < ArrayCols; c++) begin
        wl_data[8*c +: 8] = wl_sub_q[0] ? {{4{wgt_rdata_i[8*c+7]}}, wgt_rdata_i[8*c+4 +: 4]}
                                        : {{4{wgt_rdata_i[8*c+3]}}, wgt_rdata_i[8*c +: 4]};
      end
    end
  end

  // ---------------------------------------------------------------------------
  // Pending tile (weights started) and current tile (streaming)
  // ---------------------------------------------------------------------------
  tile_attr_t  pend_attr_d, pend_attr_q;
  logic [15:0] pend_act_q, pend_acc_q;
  logic [16:0] pend_rows_q;

  logic        cur_valid_d, cur_valid_q;
  tile_attr_t  cur_attr_q, src_attr;
  logic [31:0] cur_act_d, cur_act_q, src_act;
  logic [16:0] cur_left_d, cur_left_q, src_left;
  logic [16:0] cur_acc_d, cur_acc_q, src_acc;
  logic        bank_s_q;
  logic [2:0]  mode_s_q;
  logic        lo_s_q;   // A16W8 low-byte row: bit 7 inverted at the edge
  logic        src_lo;

  always_comb begin
    pend_attr_d             = '0;
    pend_attr_d.act_stride  = f_act_stride;
    pend_attr_d.act_hi      = f_act_hi;
    pend_attr_d.a16         = f_a16;
    pend_attr_d.accumulate  = f_accumulate;
    pend_attr_d.bank        = nxt_bank_q;
    pend_attr_d.mode        = f_array_mode;
    pend_attr_d.lanes_lg    = f_a16 ? 2'd0 : f_lanes_lg;
    pend_attr_d.useful_macs = f_k_valid * f_n_valid;
    pend_attr_d.push_prev   = f_push_prev;
    pend_attr_d.push_next   = f_push_next;
  end

  // An N24W8 tile's row r weights land R/4 cycles later than a dense tile's.
  logic [$clog2(NmHold+1)-1:0] pend_hold_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pend_hold_q <= '0;
    end else if (start) begin
      pend_hold_q <= (f_array_mode == ModeN24) ? $clog2(NmHold+1)'(NmHold) : '0;
    end else if (pend_hold_q != '0) begin
      pend_hold_q <= pend_hold_q - 1'b1;
    end
  end

  assign use_pend     = !cur_valid_q && pend_valid_q && (pend_hold_q == '0);
  assign issue        = cur_valid_q || (pend_valid_q && (pend_hold_q == '0));
  assign pend_valid_d = start || (pend_valid_q && !use_pend);

  always_comb begin
    src_attr = cur_attr_q;
    src_act  = cur_act_q;
    src_left = cur_left_q;
    src_acc  = cur_acc_q;
    if (!cur_valid_q) begin
      src_attr = pend_attr_q;
      src_act  = 32'(pend_act_q);
      src_left = pend_rows_q;
      src_acc  = 17'(pend_acc_q);
    end
  end

  // A16W8 counts 2 * m_rows issued rows down: an even count left is a
  // low-byte row (the next is its high-byte line), an odd one a high-byte
  // row (the next is the following row's low-byte line).
  assign last        = (src_left == 17'd1);
  assign src_lo      = src_attr.a16 && !src_left[0];
  assign cur_valid_d = issue && !last;
  assign cur_act_d   = !src_attr.a16 ? src_act + 32'(src_attr.act_stride)
                     : src_lo ? src_act + 32'(src_attr.act_hi)
                     : src_act + 32'(src_attr.act_stride) - 32'(src_attr.act_hi);
  assign cur_left_d  = src_left - 17'd1;
  assign cur_acc_d   = src_acc + (17'd1 << src_attr.lanes_lg);

  assign act_re_o    = issue;
  assign act_raddr_o = ActAw'(src_act);

  // ---------------------------------------------------------------------------
  // PE bank bookkeeping
  // ---------------------------------------------------------------------------
  always_comb begin
    nxt_bank_d  = nxt_bank_q;
    bank_busy_d = bank_busy_q;
    drain0_d    = (drain0_q != '0) ? drain0_q - DrainW'(1) : '0;
    drain1_d    = (drain1_q != '0) ? drain1_q - DrainW'(1) : '0;
    if (issue && last) begin
      // The last row reaches column C-1 of every array row C-1 cycles after
      // column 0; a weight written then is already behind it.
      bank_busy_d[src_attr.bank] = 1'b0;
      if (src_attr.bank) begin
        drain1_d = DrainW'(ArrayCols - 2);
      end else begin
        drain0_d = DrainW'(ArrayCols - 2);
      end
    end
    if (start) begin
      bank_busy_d[nxt_bank_q] = 1'b1;
      nxt_bank_d              = !nxt_bank_q;
    end
  end

  // ---------------------------------------------------------------------------
  // Registers
  // ---------------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      l2c_taken_q  <= 1'b0;
      s2c_taken_q  <= 1'b0;
      nxt_bank_q   <= 1'b0;
      bank_busy_q  <= '0;
      drain0_q     <= '0;
      drain1_q     <= '0;
      wr_active_q  <= 1'b0;
      wl_en_q      <= '0;
      pend_valid_q <= 1'b0;
      cur_valid_q  <= 1'b0;
    end else begin
      l2c_taken_q  <= l2c_taken_d;
      s2c_taken_q  <= s2c_taken_d;
      nxt_bank_q   <= nxt_bank_d;
      bank_busy_q  <= bank_busy_d;
      drain0_q     <= drain0_d;
      drain1_q     <= drain1_d;
      wr_active_q  <= wr_active_d;
      wl_en_q      <= wl_en_d;
      pend_valid_q <= pend_valid_d;
      cur_valid_q  <= cur_valid_d;
    end
  end

  always_ff @(posedge clk_i) begin
    wr_row_q  <= wr_row_d;
    wr_addr_q <= wr_addr_d;
    wr_bank_q <= wr_bank_d;
    wl_bank_q <= rd_bank;
    wr_mode_q <= rd_mode;
    wl_mode_q <= rd_mode;
    bank_s_q  <= src_attr.bank;
    mode_s_q  <= src_attr.mode;
    lo_s_q    <= src_lo;
  end

  always_ff @(posedge clk_i) begin
    if (start) begin
      pend_attr_q <= pend_attr_d;
      pend_act_q  <= f_act_base;
      pend_rows_q <= f_a16 ? {f_m_rows, 1'b0} : {1'b0, f_m_rows};
      pend_acc_q  <= f_acc_base;
    end
  end

  always_ff @(posedge clk_i) begin
    if (issue) begin
      cur_attr_q <= src_attr;
      cur_act_q  <= cur_act_d;
      cur_left_q <= cur_left_d;
      cur_acc_q  <= cur_acc_d;
    end
  end

  // ---------------------------------------------------------------------------
  // Datapath
  // ---------------------------------------------------------------------------
  logic [sparq_isa_pkg::GemmMaxLanes*ArrayCols*32-1:0] sum;
  logic                    retire_valid, acc_busy;
  logic [TagW-1:0]         retire_tag;
  logic [ArrayRows*8-1:0]  act_edge;

  // A16W8 low-byte rows enter as u - 128: bit 7 of every byte inverted.
  always_comb begin
    act_edge = act_rdata_i;
    for (int r = 0; r < ArrayRows; r++) act_edge[8*r+7] = act_rdata_i[8*r+7] ^ lo_s_q;
  end

  sparq_array #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .SumW     (SumW),
    .NmSparse (NmSparse)
  ) u_array (
    .clk_i    (clk_i),
    .act_i    (act_edge),
    .act_next_i(act_rdata_next_i),
    .bank_i   (bank_s_q),
    .mode_i   (mode_s_q),
    .wl_en_i  (wl_en_q),
    .wl_bank_i(wl_bank_q),
    .wl_mode_i(wl_mode_q),
    .wl_data_i(wl_data),
    .wl_idx_i (wl_idx),
    .sum_o    (sum)
  );

  // The ACT read takes one cycle, then the array ArrayRows to column 0's sum.
  sparq_acc_buf #(
    .ArrayCols (ArrayCols),
    .AccRows   (AccRows),
    .SumLatency(ArrayRows + 1),
    .TagW      (TagW)
  ) u_acc_buf (
    .clk_i             (clk_i),
    .rst_ni            (rst_ni),
    .issue_valid_i     (issue),
    .issue_addr_i      (AccAw'(src_acc)),
    .issue_accumulate_i(src_attr.accumulate),
    .issue_lanes_lg_i  (src_attr.lanes_lg),
    .issue_tag_i       ({last, src_attr.push_prev, src_attr.push_next}),
    .sum_i             (sum),
    .retire_valid_o    (retire_valid),
    .retire_tag_o      (retire_tag),
    .busy_o            (acc_busy),
    .acc_re_i          (acc_re_i),
    .acc_raddr_i       (acc_raddr_i),
    .acc_rdata_o       (acc_rdata_o),
    .ext_re_i          (acc_ext_re_i),
    .ext_raddr_i       (acc_ext_raddr_i),
    .ext_rdata_o       (acc_ext_rdata_o),
    .ext_we_i          (acc_ext_we_i),
    .ext_waddr_i       (acc_ext_waddr_i),
    .ext_wdata_i       (acc_ext_wdata_i)
  );

  logic tile_done;
  assign tile_done  = retire_valid && retire_tag[2];
  assign c2l_push_o = tile_done && retire_tag[1];
  assign c2s_push_o = tile_done && retire_tag[0];

  // ---------------------------------------------------------------------------
  // Status and counter events
  // ---------------------------------------------------------------------------
  assign busy_o = l2c_taken_q || s2c_taken_q || wr_active_q || pend_valid_q || cur_valid_q ||
                  acc_busy;

  assign evt_row_issued_o    = issue;
  // MACs per PE of the issued row: the lanes, or two K elements in A4W4,
  // eight in A1W1 (the perf counters multiply R*C by 2^evt_lanes_lg_o; an
  // A16W8 row issues as two A8W8 rows, each one int8 x int8 half of an
  // int16 MAC). Useful int16 MACs count once, at the low-byte row.
  assign evt_lanes_lg_o      = (src_attr.mode == 3'(sparq_isa_pkg::GemmModeA4W4)) ? 2'd1
                             : (src_attr.mode == 3'(sparq_isa_pkg::GemmModeA1W1)) ? 2'd3
                                                                                  : src_attr.lanes_lg;
  assign evt_useful_macs_o   = (issue && !(src_attr.a16 && src_left[0])) ?
                               32'(src_attr.useful_macs) : 32'd0;
  assign evt_stall_load_o    = !issue && need_l2c;
  assign evt_stall_store_o   = !issue && !need_l2c && need_s2c;
  assign evt_stall_weights_o = !issue && instr_valid_i && tokens_ok;
  assign evt_instr_done_o    = tile_done;

  // ---------------------------------------------------------------------------
  // Assertions
  // ---------------------------------------------------------------------------
  `ASSERT_STABLE(InstrStable, instr_valid_i, instr_ready_o, instr_data_i)
  `ASSERT(InstrIsGemm, instr_valid_i |-> f_opcode == sparq_isa_pkg::OpGemm)
  `ASSERT(MRowsNonZero, instr_valid_i |-> f_m_rows != 16'd0)
  `ASSERT(ModeKnown, instr_valid_i |-> f_mode <= sparq_isa_pkg::GemmModeW'(
                     NmSparse ? sparq_isa_pkg::GemmModeN24W4 : sparq_isa_pkg::GemmModeA16W8))
  `ASSERT(AccAligned, instr_valid_i |-> (f_acc_base & ((16'd1 << f_lanes_lg) - 16'd1)) == 16'd0)
  `ASSERT(WgtInRange, start |-> 32'(f_wgt_base) + (f_w4 ? 3 * NmHold : ArrayRows + ((f_array_mode == ModeN24) ? NmHold : 0)) <= WgtLines)
  `ASSERT(ActInRange, issue |-> src_act + ((src_attr.mode == ModeN24) ? 1 : 0) < ActLines)
  `ASSERT(AccInRange, issue |-> 32'(src_acc) < AccRows)
  `ASSERT_KNOWN(InstrValidKnown, instr_valid_i)
  `ASSERT_KNOWN(IssueKnown, issue)
  `ASSERT_KNOWN(TokensKnown, {l2c_pop_o, s2c_pop_o, c2l_push_o, c2s_push_o})

endmodule
