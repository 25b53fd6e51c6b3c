// Unstructured sparse engine (EIE-like): one Spmv instruction multiplies a
// sparse weight matrix, held in the WGT SRAM as one compressed stream per
// lane, by m_rows activation vectors from the ACT SRAM, and writes int32 sums
// into the ACC SRAM, where the STORE engine requantizes them as after a GEMM
// (semantics and stream format: docs/sparse.md).
//
// Lanes: Lanes = C/2 lanes; lane p owns the tile's outputs n = j*Lanes + p
// (j < LaneOuts, one int32 accumulator each) and reads its stream from WGT
// bank p (bytes [2p, 2p+1] of every WGT line; sparq_top gives each bank its
// own read address). A stream holds, for every column k < k_cols in order, a
// header word (its word count) followed by that many entry words {rel, value}:
// rel zeros of the lane's outputs precede the entry. Padding words (value 0)
// carry runs longer than rel can express. Flagged streams (Spmv flagged) have
// no headers: bit 8 + RelBits of a word ends its column, an empty column is
// one such word of value 0; every word then takes a lane cycle (a zero
// activation's words add zero). lane_hold (one vector) skips the drain and
// keeps the sums in the lanes; the next Spmv's lane_keep continues from them.
//
// Per vector:
//   init     clear the lane accumulators, issue every lane's first read;
//   run      the broadcaster copies the vector's ACT lines into a shared ring
//            of ActFifoLines lines, ahead of the slowest lane; each lane
//            reads one word per cycle: a header of a column whose activation
//            is zero (or with no words) jumps over the column, otherwise the
//            column's entries accumulate value * activation. A lane whose
//            activation line has not arrived waits; a lane that finished
//            waits for the others (lane idle cycles: load imbalance);
//   drain    ACC row acc_base + g*acc_gstride + m receives outputs
//            [g*C, g*C + C) (column c from lane c mod Lanes, accumulator
//            2g + c / Lanes), added to the old row when accumulate is set.
// Tokens are taken before the first SRAM access and pushed after the last ACC
// write has landed, as in the GEMM engine; the engine starts only while the
// GEMM engine is idle (start_ok_i), and sparq_top holds GEMM instructions
// back while this engine is busy, since both use the ACT, WGT and ACC ports.
//
// Parameters: ArrayRows (R, ACT line bytes), ArrayCols (C, even), SRAM
// depths, LaneOuts (accumulators per lane), ActFifoLines (ring depth, power
// of two), RelBits (relative index width).
// Ports: instr_* (GEMM queue head when its opcode is Spmv), tokens, act_*
// (read), wgt_* (per-lane read enables and addresses, the whole line back),
// acc_* (row read for accumulate, row write), busy_o, counter events.

module sparq_sparse_engine #(
  parameter int ArrayRows    = 16,
  parameter int ArrayCols    = 16,
  parameter int ActLines     = 2048 * ArrayRows,
  parameter int WgtLines     = 512 * ArrayRows,
  parameter int AccRows      = 256 * ArrayRows,
  parameter int LaneOuts     = sparq_isa_pkg::SparseLaneOuts,
  parameter int ActFifoLines = sparq_isa_pkg::SparseActFifoLines,
  parameter int RelBits      = sparq_isa_pkg::SparseRelBits,
  localparam int Lanes     = ArrayCols / 2,
  localparam int ActAw     = $clog2(ActLines),
  localparam int WgtAw     = $clog2(WgtLines),
  localparam int AccAw     = $clog2(AccRows),
  localparam int InstrBits = sparq_isa_pkg::InstrBits
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    instr_valid_i,
  output logic                    instr_ready_o,
  input  logic [InstrBits-1:0]    instr_data_i,
  input  logic                    start_ok_i,
  input  logic                    l2c_avail_i,
  output logic                    l2c_pop_o,
  input  logic                    s2c_avail_i,
  output logic                    s2c_pop_o,
  output logic                    c2l_push_o,
  output logic                    c2s_push_o,
  output logic                    act_re_o,
  output logic [ActAw-1:0]        act_raddr_o,
  input  logic [ArrayRows*8-1:0]  act_rdata_i,
  output logic [Lanes-1:0]        wgt_re_o,
  output logic [Lanes*WgtAw-1:0]  wgt_raddr_o,
  input  logic [ArrayCols*8-1:0]  wgt_rdata_i,
  output logic                    acc_re_o,
  output logic [AccAw-1:0]        acc_raddr_o,
  input  logic [ArrayCols*32-1:0] acc_rdata_i,
  output logic                    acc_we_o,
  output logic [AccAw-1:0]        acc_waddr_o,
  output logic [ArrayCols*32-1:0] acc_wdata_o,
  output logic                    busy_o,
  output logic                    evt_stall_load_o,
  output logic                    evt_stall_store_o,
  output logic [31:0]             evt_zero_weights_o,
  output logic                    evt_zero_act_o,
  output logic [7:0]              evt_meta_words_o,
  output logic [7:0]              evt_lane_idle_o,
  output logic                    evt_instr_done_o
);

`include "sparq_assert.svh"

  localparam int JIdx   = $clog2(LaneOuts);
  localparam int FifoAw = (ActFifoLines > 1) ? $clog2(ActFifoLines) : 1;
  localparam int RowW   = (ArrayRows > 1) ? $clog2(ArrayRows) : 1;

  if (ArrayCols < 2 || (ArrayCols % 2) != 0 || Lanes > 255) begin : g_bad_cols
    `ELAB_ERROR("sparq_sparse_engine: ArrayCols must be even (one 16-bit lane word per WGT bank)")
  end
  if (LaneOuts < 4 || (LaneOuts & (LaneOuts - 1)) != 0) begin : g_bad_outs
    `ELAB_ERROR("sparq_sparse_engine: LaneOuts must be a power of two >= 4")
  end
  if (ActFifoLines < 2 || (ActFifoLines & (ActFifoLines - 1)) != 0) begin : g_bad_fifo
    `ELAB_ERROR("sparq_sparse_engine: ActFifoLines must be a power of two >= 2")
  end
  if (RelBits < 1 || RelBits > 7) begin : g_bad_rel
    `ELAB_ERROR("sparq_sparse_engine: RelBits must lie in [1, 7] (bit 8 + RelBits flags a column's last word)")
  end

  // ---------------------------------------------------------------------------
  // Instruction fields (queue head) and the latched instruction
  // ---------------------------------------------------------------------------
  logic [sparq_isa_pkg::CommonOpcodeW-1:0] f_opcode;
  logic f_pop_prev, f_pop_next;

  assign f_opcode   = instr_data_i[sparq_isa_pkg::CommonOpcodeLsb +: sparq_isa_pkg::CommonOpcodeW];
  assign f_pop_prev = instr_data_i[sparq_isa_pkg::CommonPopPrevLsb];
  assign f_pop_next = instr_data_i[sparq_isa_pkg::CommonPopNextLsb];

  logic unused_instr;
  assign unused_instr = ^(instr_data_i & ~sparq_isa_pkg::SpmvFieldMask);

  typedef struct packed {
    logic [15:0] act_base;
    logic [15:0] act_stride;
    logic [15:0] m_rows;
    logic [15:0] wgt_base;
    logic [15:0] acc_base;
    logic        accumulate;
    logic [15:0] k_cols;
    logic [7:0]  n_groups;
    logic [15:0] acc_gstride;
    logic [15:0] n_valid;
    logic        flagged;
    logic        lane_keep;
    logic        lane_hold;
    logic [7:0]  act_zp;
    logic [15:0] seg_lines;
    logic [15:0] seg_line0;
    logic [15:0] seg_real;
    logic        push_prev;
    logic        push_next;
  } spmv_t;

  spmv_t f_instr, ins_q;

  always_comb begin
    f_instr.act_base    = instr_data_i[sparq_isa_pkg::SpmvActBaseLsb +: sparq_isa_pkg::SpmvActBaseW];
    f_instr.act_stride  = instr_data_i[sparq_isa_pkg::SpmvActStrideLsb +: sparq_isa_pkg::SpmvActStrideW];
    f_instr.m_rows      = instr_data_i[sparq_isa_pkg::SpmvMRowsLsb +: sparq_isa_pkg::SpmvMRowsW];
    f_instr.wgt_base    = instr_data_i[sparq_isa_pkg::SpmvWgtBaseLsb +: sparq_isa_pkg::SpmvWgtBaseW];
    f_instr.acc_base    = instr_data_i[sparq_isa_pkg::SpmvAccBaseLsb +: sparq_isa_pkg::SpmvAccBaseW];
    f_instr.accumulate  = instr_data_i[sparq_isa_pkg::SpmvAccumulateLsb];
    f_instr.k_cols      = instr_data_i[sparq_isa_pkg::SpmvKColsLsb +: sparq_isa_pkg::SpmvKColsW];
    f_instr.n_groups    = instr_data_i[sparq_isa_pkg::SpmvNGroupsLsb +: sparq_isa_pkg::SpmvNGroupsW];
    f_instr.acc_gstride = instr_data_i[sparq_isa_pkg::SpmvAccGstrideLsb +: sparq_isa_pkg::SpmvAccGstrideW];
    f_instr.n_valid     = instr_data_i[sparq_isa_pkg::SpmvNValidLsb +: sparq_isa_pkg::SpmvNValidW];
    f_instr.flagged     = instr_data_i[sparq_isa_pkg::SpmvFlaggedLsb];
    f_instr.lane_keep   = instr_data_i[sparq_isa_pkg::SpmvLaneKeepLsb];
    f_instr.lane_hold   = instr_data_i[sparq_isa_pkg::SpmvLaneHoldLsb];
    f_instr.act_zp      = instr_data_i[sparq_isa_pkg::SpmvActZpLsb +: sparq_isa_pkg::SpmvActZpW];
    f_instr.seg_lines   = instr_data_i[sparq_isa_pkg::SpmvSegLinesLsb +: sparq_isa_pkg::SpmvSegLinesW];
    f_instr.seg_line0   = instr_data_i[sparq_isa_pkg::SpmvSegLine0Lsb +: sparq_isa_pkg::SpmvSegLine0W];
    f_instr.seg_real    = instr_data_i[sparq_isa_pkg::SpmvSegRealLsb +: sparq_isa_pkg::SpmvSegRealW];
    f_instr.push_prev   = instr_data_i[sparq_isa_pkg::CommonPushPrevLsb];
    f_instr.push_next   = instr_data_i[sparq_isa_pkg::CommonPushNextLsb];
  end

  // ---------------------------------------------------------------------------
  // Control FSM
  // ---------------------------------------------------------------------------
  typedef enum logic [2:0] {
    StIdle,
    StInit,
    StRun,
    StDrain,
    StDone
  } state_e;

  state_e      state_d, state_q;
  logic        l2c_taken_d, l2c_taken_q, s2c_taken_d, s2c_taken_q;
  logic        need_l2c, need_s2c, start;
  logic [15:0] m_d, m_q;            // vector
  logic [15:0] vec_act_d, vec_act_q; // ACT line of the vector's column 0
  logic [15:0] nlines;               // ACT lines per vector
  logic [8:0]  g_d, g_q;             // drain: next group to read
  logic        drain_wr_d, drain_wr_q;
  logic [7:0]  wr_g_d, wr_g_q;       // drain: group whose old row arrives
  logic        all_done;

  assign need_l2c  = instr_valid_i && start_ok_i && state_q == StIdle && f_pop_prev && !l2c_taken_q;
  assign need_s2c  = instr_valid_i && start_ok_i && state_q == StIdle && f_pop_next && !s2c_taken_q;
  assign l2c_pop_o = need_l2c && l2c_avail_i;
  assign s2c_pop_o = need_s2c && s2c_avail_i;
  assign start     = instr_valid_i && start_ok_i && state_q == StIdle && !need_l2c && !need_s2c;
  assign instr_ready_o = start;

  assign nlines = 16'((32'(ins_q.k_cols) + ArrayRows - 1) / ArrayRows);

  always_comb begin
    l2c_taken_d = l2c_taken_q || l2c_pop_o;
    s2c_taken_d = s2c_taken_q || s2c_pop_o;
    if (start) begin
      l2c_taken_d = 1'b0;
      s2c_taken_d = 1'b0;
    end
  end

  // Drain: read old row g (when accumulating) while writing row g - 1.
  logic       drain_rd;
  assign drain_rd = (state_q == StDrain) && (g_q < 9'(ins_q.n_groups));

  always_comb begin
    state_d    = state_q;
    m_d        = m_q;
    vec_act_d  = vec_act_q;
    g_d        = g_q;
    drain_wr_d = 1'b0;
    wr_g_d     = wr_g_q;
    case (state_q)
      StIdle: begin
        if (start) begin
          state_d   = StInit;
          m_d       = '0;
          vec_act_d = f_instr.act_base;
        end
      end
      StInit: state_d = StRun;
      StRun: begin
        if (all_done) begin
          // lane_hold (m_rows = 1): the sums stay in the lanes, no drain.
          if (ins_q.lane_hold) begin
            state_d = StDone;
          end else begin
            state_d = StDrain;
          end
          g_d = '0;
        end
      end
      StDrain: begin
        if (drain_rd) begin
          g_d        = g_q + 9'd1;
          drain_wr_d = 1'b1;
          wr_g_d     = g_q[7:0];
        end else if (!drain_wr_q) begin
          if (m_q + 16'd1 < ins_q.m_rows) begin
            state_d   = StInit;
            m_d       = m_q + 16'd1;
            vec_act_d = vec_act_q + ins_q.act_stride;
          end else begin
            state_d = StDone;
          end
        end
      end
      StDone:  state_d = StIdle;
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q     <= StIdle;
      l2c_taken_q <= 1'b0;
      s2c_taken_q <= 1'b0;
      drain_wr_q  <= 1'b0;
    end else begin
      state_q     <= state_d;
      l2c_taken_q <= l2c_taken_d;
      s2c_taken_q <= s2c_taken_d;
      drain_wr_q  <= drain_wr_d;
    end
  end

  always_ff @(posedge clk_i) begin
    m_q       <= m_d;
    vec_act_q <= vec_act_d;
    g_q       <= g_d;
    wr_g_q    <= wr_g_d;
    if (start) ins_q <= f_instr;
  end

  // ---------------------------------------------------------------------------
  // Broadcaster: the vector's ACT lines into a ring shared by all lanes
  // ---------------------------------------------------------------------------
  logic [ArrayRows*8-1:0] ring_q [ActFifoLines];
  logic [15:0]            bc_line_d, bc_line_q;   // lines requested
  logic [15:0]            wr_cnt_d, wr_cnt_q;     // lines in the ring (written)
  logic                   bc_pend_q;              // a read returns this cycle
  logic [Lanes-1:0]       lane_room;
  logic                   bc_issue;
  logic [16*Lanes-1:0]    lane_rd_cnt;            // lines each lane has finished

  for (genvar p = 0; p < Lanes; p++) begin : g_room
    assign lane_room[p] = (wr_cnt_q + 16'(bc_pend_q) - lane_rd_cnt[16*p +: 16]) < 16'(ActFifoLines);
  end

  assign bc_issue    = (state_q == StRun) && (bc_line_q < nlines) && (&lane_room);
  assign act_re_o    = bc_issue;
  assign act_raddr_o = ActAw'(vec_act_q + bc_line_q);

  always_comb begin
    bc_line_d = bc_line_q + 16'(bc_issue);
    wr_cnt_d  = wr_cnt_q + 16'(bc_pend_q);
    if (state_q == StInit) begin
      bc_line_d = '0;
      wr_cnt_d  = '0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bc_pend_q <= 1'b0;
    end else begin
      bc_pend_q <= bc_issue;
    end
  end

  always_ff @(posedge clk_i) begin
    bc_line_q <= bc_line_d;
    wr_cnt_q  <= wr_cnt_d;
    if (bc_pend_q) ring_q[wr_cnt_q[FifoAw-1:0]] <= act_rdata_i;
  end

  // ---------------------------------------------------------------------------
  // Lanes
  // ---------------------------------------------------------------------------
  logic [Lanes-1:0] lane_done;
  logic [32*Lanes-1:0] lane_zw;
  logic [Lanes-1:0]    lane_meta, lane_idle, lane_zact;
  logic [64*Lanes-1:0] lane_out;  // drain: accumulators 2g (low), 2g+1 (high)

  for (genvar p = 0; p < Lanes; p++) begin : g_lane
    logic             rv_q;              // a word arrives this cycle
    logic             hdr_d, hdr_q;      // it is a column header
    logic             done_d, done_q;
    logic [15:0]      addr_d, addr_q;    // its WGT line
    logic [15:0]      left_d, left_q;    // entries of the column still to come
    logic [15:0]      col_d, col_q;      // its column
    logic [RowW-1:0]  ci_d, ci_q;        // column within the ACT line
    logic [15:0]      rd_cnt_d, rd_cnt_q;
    logic [15:0]      seg_d, seg_q;      // segment line of the column
    logic [15:0]      j_d, j_q;          // next output position in the column
    logic [7:0]       a_d, a_q;          // the column's activation
    // A register file (1 write, 3 asynchronous reads): synthesis keeps it as
    // a memory cell like the SRAMs (sparq_macro), not as LaneOuts x 32 flops.
    (* sparq_macro *) logic [31:0] acc_q [LaneOuts];
    logic [LaneOuts-1:0] set_q;          // accumulator written in this vector
    logic [15:0]      word, live;
    logic [7:0]       act, act_raw;
    logic             past_cin;          // a byte past Cin: reads as act_zp
    logic [RelBits-1:0] rel;
    logic             act_avail, take, skip, col_end, issue, entry, last;
    logic [7:0]       mac_a;
    logic             act_zero;          // the activation equals act_zp
    logic signed [8:0] a_diff;           // activation minus act_zp
    logic [15:0]      col_words;         // flagged: words of the column so far
    logic [15:0]      pos, next_addr;
    logic [ArrayRows*8-1:0] line;

    assign word = wgt_rdata_i[16*p +: 16];
    assign rel  = word[8 +: RelBits];
    assign line = ring_q[rd_cnt_q[FifoAw-1:0]];
    assign act_raw  = line[{ci_q, 3'b000} +: 8];
    assign past_cin = (ins_q.seg_lines != 16'd0) && (32'(seg_q) * ArrayRows + 32'(ci_q) >= 32'(ins_q.seg_real));
    assign act      = past_cin ? ins_q.act_zp : act_raw;
    assign act_avail = wr_cnt_q > rd_cnt_q;
    // Outputs of this lane that are real (counter of skipped zero weights).
    assign live = (ins_q.n_valid > 16'(p)) ? 16'((32'(ins_q.n_valid) - p + Lanes - 1) / Lanes)
                                           : 16'd0;

    // A word is consumed this cycle: a header, and every flagged word, needs
    // its activation. Header streams: hdr_q marks a header word. Flagged
    // streams (no headers): hdr_q marks a column's first word, bit
    // 8 + RelBits its last one.
    assign entry   = ins_q.flagged || !hdr_q;
    assign last    = word[8+RelBits];
    assign take    = (state_q == StRun) && rv_q && !done_q && ((!entry || ins_q.flagged) ? act_avail : 1'b1);
    assign act_zero = act == ins_q.act_zp;
    assign skip    = !ins_q.flagged && hdr_q && (act_zero || (word == 16'd0));
    assign col_end = ins_q.flagged ? last : (hdr_q ? skip : (left_q == 16'd1));
    assign pos     = j_q + 16'(rel);
    assign mac_a   = ins_q.flagged ? act : a_q;
    assign a_diff  = $signed({mac_a[7], mac_a}) - $signed({ins_q.act_zp[7], ins_q.act_zp});
    assign col_words = hdr_q ? 16'd1 : left_q + 16'd1;

    always_comb begin
      hdr_d     = hdr_q;
      done_d    = done_q;
      addr_d    = addr_q;
      left_d    = left_q;
      col_d     = col_q;
      ci_d      = ci_q;
      rd_cnt_d  = rd_cnt_q;
      seg_d     = seg_q;
      j_d       = j_q;
      a_d       = a_q;
      next_addr = addr_q + 16'd1;
      issue     = 1'b0;
      if (state_q == StInit) begin
        hdr_d    = 1'b1;
        done_d   = 1'b0;
        addr_d   = ins_q.wgt_base;
        col_d    = '0;
        ci_d     = '0;
        rd_cnt_d = '0;
        seg_d    = ins_q.seg_line0;
        j_d      = '0;
        issue    = 1'b1;
        next_addr = ins_q.wgt_base;
      end else if (take) begin
        if (ins_q.flagged) begin
          // left_q counts the column's words (sparse_zero_weights).
          j_d    = col_end ? 16'd0 : pos + 16'd1;
          left_d = col_words;
          hdr_d  = col_end;
        end else if (hdr_q) begin
          if (skip) begin
            next_addr = addr_q + 16'd1 + word;
          end else begin
            hdr_d  = 1'b0;
            left_d = word;
            j_d    = '0;
            a_d    = act;
          end
        end else begin
          j_d    = pos + 16'd1;
          left_d = left_q - 16'd1;
          if (col_end) hdr_d = 1'b1;
        end
        if (col_end) begin
          col_d = col_q + 16'd1;
          ci_d  = ci_q + RowW'(1);
          if (32'(ci_q) == ArrayRows - 1 || col_q + 16'd1 == ins_q.k_cols) begin
            ci_d     = '0;
            rd_cnt_d = rd_cnt_q + 16'd1;
            seg_d    = (seg_q + 16'd1 == ins_q.seg_lines) ? 16'd0 : seg_q + 16'd1;
          end
          if (col_q + 16'd1 == ins_q.k_cols) done_d = 1'b1;
        end
        addr_d = next_addr;
        issue  = !done_d;
      end
    end

    assign wgt_re_o[p]                    = issue;
    assign wgt_raddr_o[WgtAw*p +: WgtAw] = WgtAw'(next_addr);

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        rv_q   <= 1'b0;
        done_q <= 1'b1;
      end else begin
        if (issue) begin
          rv_q <= 1'b1;
        end else if (take || state_q != StRun) begin
          rv_q <= 1'b0;
        end
        done_q <= done_d;
      end
    end

    always_ff @(posedge clk_i) begin
      hdr_q    <= hdr_d;
      addr_q   <= addr_d;
      left_q   <= left_d;
      col_q    <= col_d;
      ci_q     <= ci_d;
      rd_cnt_q <= rd_cnt_d;
      seg_q    <= seg_d;
      j_q      <= j_d;
      a_q      <= a_d;
    end

    // Accumulators: an entry adds value * activation at its position
    // (padding words add zero). set_q clears all of them per vector in one
    // cycle: an accumulator not yet written in this vector reads as zero.
    logic [31:0] old_acc;
    assign old_acc = set_q[pos[JIdx-1:0]] ? acc_q[pos[JIdx-1:0]] : 32'd0;

    always_ff @(posedge clk_i) begin
      if (take && entry) begin
        acc_q[pos[JIdx-1:0]] <= old_acc + 32'($signed(word[7:0]) * a_diff);
      end
    end

    // lane_keep: the sums a lane_hold Spmv left stay set.
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        set_q <= '0;
      end else if (state_q == StInit && !ins_q.lane_keep) begin
        set_q <= '0;
      end else if (take && entry) begin
        set_q[pos[JIdx-1:0]] <= 1'b1;
      end
    end

    assign lane_rd_cnt[16*p +: 16] = rd_cnt_q;
    assign lane_done[p]            = done_q;
    assign lane_meta[p]            = take && ((hdr_q && !ins_q.flagged) || word[7:0] == 8'd0);
    assign lane_zact[p]            = take && hdr_q && act_zero;
    // Header streams: at the header (its count); flagged: at the last word.
    assign lane_zw[32*p +: 32]     = ins_q.flagged
        ? ((take && col_end && !act_zero && live > col_words) ? 32'(live) - 32'(col_words) : 32'd0)
        : ((take && hdr_q && !act_zero && live > word) ? 32'(live) - 32'(word) : 32'd0);
    assign lane_idle[p]            = (state_q == StRun) && !take;
    assign lane_out[64*p +: 32]    = set_q[{wr_g_d[JIdx-2:0], 1'b0}]
                                     ? acc_q[{wr_g_d[JIdx-2:0], 1'b0}] : 32'd0;
    assign lane_out[64*p+32 +: 32] = set_q[{wr_g_d[JIdx-2:0], 1'b1}]
                                     ? acc_q[{wr_g_d[JIdx-2:0], 1'b1}] : 32'd0;

    `ASSERT(PosInRange, take && entry |-> pos < 16'(LaneOuts))
    `ASSERT(FlaggedBit15Zero, take && ins_q.flagged |-> !word[15])
  end

  assign all_done = &lane_done;

  // ---------------------------------------------------------------------------
  // Drain into the ACC SRAM
  // ---------------------------------------------------------------------------
  logic [15:0] rd_row, wr_row;
  logic [ArrayCols*32-1:0] out_q;

  assign rd_row      = ins_q.acc_base + 16'(g_q) * ins_q.acc_gstride + m_q;
  assign wr_row      = ins_q.acc_base + 16'(wr_g_q) * ins_q.acc_gstride + m_q;
  assign acc_re_o    = drain_rd && ins_q.accumulate;
  assign acc_raddr_o = AccAw'(rd_row);
  assign acc_we_o    = drain_wr_q;
  assign acc_waddr_o = AccAw'(wr_row);

  // The lane accumulators of group g are captured with its old-row read.
  for (genvar c = 0; c < ArrayCols; c++) begin : g_col
    always_ff @(posedge clk_i) begin
      if (drain_rd) out_q[32*c +: 32] <= lane_out[64*(c % Lanes) + 32*(c / Lanes) +: 32];
    end
    assign acc_wdata_o[32*c +: 32] = out_q[32*c +: 32] +
                                     (ins_q.accumulate ? acc_rdata_i[32*c +: 32] : 32'd0);
  end

  // ---------------------------------------------------------------------------
  // Status, tokens and counter events
  // ---------------------------------------------------------------------------
  assign busy_o           = (state_q != StIdle) || l2c_taken_q || s2c_taken_q;
  assign c2l_push_o       = (state_q == StDone) && ins_q.push_prev;
  assign c2s_push_o       = (state_q == StDone) && ins_q.push_next;
  assign evt_instr_done_o = (state_q == StDone);
  assign evt_stall_load_o  = need_l2c;
  assign evt_stall_store_o = !need_l2c && need_s2c;

  always_comb begin
    evt_zero_weights_o = '0;
    evt_meta_words_o   = '0;
    evt_lane_idle_o    = '0;
    for (int p = 0; p < Lanes; p++) begin
      evt_zero_weights_o = evt_zero_weights_o + lane_zw[32*p +: 32];
      evt_meta_words_o   = evt_meta_words_o + 8'(lane_meta[p]);
      evt_lane_idle_o    = evt_lane_idle_o + 8'(lane_idle[p]);
    end
  end
  // Every lane visits every column; lane 0 counts the zero activations.
  assign evt_zero_act_o = lane_zact[0];
  logic unused_bits;
  assign unused_bits = ^{lane_zact >> 1, ins_q.act_base, rd_row, wr_row};

  // ---------------------------------------------------------------------------
  // Assertions
  // ---------------------------------------------------------------------------
  `ASSERT_STABLE(InstrStable, instr_valid_i, instr_ready_o, instr_data_i)
  `ASSERT(InstrIsSpmv, instr_valid_i |-> f_opcode == sparq_isa_pkg::OpSpmv)
  `ASSERT(CountsNonZero, start |-> f_instr.m_rows != 16'd0 && f_instr.k_cols != 16'd0 &&
                                   f_instr.n_groups != 8'd0)
  `ASSERT(GroupsFit, start |-> 32'(f_instr.n_groups) * 2 <= LaneOuts)
  `ASSERT(ChainOneVector, start && (f_instr.lane_keep || f_instr.lane_hold) |-> f_instr.m_rows == 16'd1)
  `ASSERT(SegLine0InRange, start && f_instr.seg_lines != 16'd0 |-> f_instr.seg_line0 < f_instr.seg_lines)
  `ASSERT(ActInRange, act_re_o |-> 32'(vec_act_q) + 32'(bc_line_q) < ActLines)
  `ASSERT(AccWriteInRange, acc_we_o |-> 32'(wr_row) < AccRows)
  `ASSERT_KNOWN(TokensKnown, {l2c_pop_o, s2c_pop_o, c2l_push_o, c2s_push_o})

endmodule
