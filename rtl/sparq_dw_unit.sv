// Depthwise unit: runs DWCONV instructions from the compute queue beside the
// systolic array (semantics: docs/architecture.md, "DWCONV").
//
// R channel lanes, each with DwMaxKernel^2 (K*K) multipliers. The input is a
// grid of pixels walked in raster order, one per cycle: inside the
// valid_h x valid_w rectangle at (pad_top, pad_left) an ACT line (R
// channels), elsewhere the byte `pad` in every lane (the convolution's zero
// padding, never stored in the ACT SRAM); K-1 row buffers (DwMaxWidth lines each) hold the
// previous input rows, so every line read from the ACT SRAM is used by all
// K*K taps that need it and each cycle can complete one output pixel of R
// channels (stride 1): R*K*K MACs per cycle.
//
//   The K*K WGT reads of the weight box (lane r takes byte r of a line;
//   taps outside the kh x kw kernel, which sits in the bottom-right corner
//   of the box, are forced to zero) run in the K*K cycles after the accept,
//   beside the walk; with pf the next DWCONV's box follows into the other
//   weight bank, and a pre DWCONV reads none (its box is in that bank).
//   StWgt   the walk waits until its first output's multiply finds the
//           whole box (K*K-1 - s cycles when the first output comes s steps
//           into the walk; none with pre).
//   StRun   one ACT read per cycle; stage 1 takes the line, picks each lane's
//           byte (channel multiplier), reads the row buffers at its column and
//           shifts the K x K window; stage 2 multiplies and sums; stage 3
//           writes the R int32 sums into the output's ACC row (columns R..C-1
//           written zero) through the GEMM engine's external write port.
//   The next DWCONV is taken in the last walk step: each step carries the
//   attributes its later stages need, the tokens are pushed from a tail the
//   cycle after the last ACC write.
// An output pixel is written when the window's newest pixel (iy, ix) has
// iy >= kh-1, ix >= kw-1 and the stride phase is zero in both directions.
//
// Leading padding is not walked: in walk order the first min(pad, k-1) pad
// rows and columns are skipped; the row buffers read as the pad byte for the
// rows above the walk's first row, and each row's first step loads the pad
// byte into the window's older columns. Reverse walk (rev = 1): the grid is
// walked from the bottom-right (ACT lines down from act_last, ACC rows down
// from acc_last, the box's taps read mirrored), which turns trailing padding
// into leading padding.
//
// Pair mode (pair = 1): an ACT line holds two horizontally adjacent pixels of
// R/2 channels and the grid's columns are such pairs; lane r < R/2 computes
// channel r of the left output of a pair, lane r >= R/2 channel r - R/2 of
// the right one, so R/2-channel layers use every lane. Each lane's three
// kernel columns read half-columns h+1 .. h+3 of the window (h: the lane's
// half), a fixed byte of one of the K window columns; kw = K, sx = 1.
//
// Two-pixel walk (px2 = 1, stride-2 rows: sx = 2, kw odd, pair = 0): each
// cycle reads the grid pixels x and x + 1 (x even) as ACT lines a and a + 1,
// which the two-bank ACT SRAM returns together (act_pix = 1; a pad pixel's
// line is read but not used), writes both into the row buffers (even and
// odd columns are separate banks, so both land in one cycle), shifts the
// window by two columns and completes one stride-2 output per cycle on the
// output rows: in_h * ceil(in_w / 2) walk cycles instead of in_h * in_w.
// When one leading column is skipped, the pairs start on odd columns and an
// output ends on the pair's right pixel (odd): the taps then read the window
// one column newer, right_q being the newest.
//
// Tokens are taken together when all the head needs are available, so the
// unit never holds one token while waiting for the other.
//
// Parameters: ArrayRows (R lanes, ACT line bytes), ArrayCols (C, WGT line
// bytes and ACC row width; C >= R), ActLines, WgtLines, AccRows.
// Ports: instr_* (compute queue head when it is a DWCONV), token
// avail/pop/push, act_* / wgt_* (SRAM read ports, data the cycle after re),
// acc_* (one ACC row write per cycle), busy_o and counter events.

module sparq_dw_unit #(
  parameter int ArrayRows = 16,
  parameter int ArrayCols = 16,
  parameter int ActLines  = 2048 * ArrayRows,
  parameter int WgtLines  = 512 * ArrayRows,
  parameter int AccRows   = 256 * ArrayRows,
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
  input  logic [ArrayRows*8-1:0]  act_rdata_next_i,  // line act_raddr_o + 1
  output logic                    wgt_re_o,
  output logic [WgtAw-1:0]        wgt_raddr_o,
  input  logic [ArrayCols*8-1:0]  wgt_rdata_i,
  output logic                    acc_we_o,
  output logic [AccAw-1:0]        acc_waddr_o,
  output logic [ArrayCols*32-1:0] acc_wdata_o,
  output logic                    busy_o,             // a DWCONV walks or drains
  output logic                    walk_o,             // a DWCONV waits for weights or walks
  output logic                    evt_pixel_o,        // an output pixel written
  output logic [31:0]             evt_useful_macs_o,
  output logic                    evt_stall_load_o,
  output logic                    evt_stall_store_o,
  output logic                    evt_instr_done_o
);

`include "sparq_assert.svh"

  localparam int K     = sparq_isa_pkg::DwMaxKernel;
  localparam int MaxW  = sparq_isa_pkg::DwMaxWidth;
  localparam int XW    = $clog2(MaxW);
  localparam int Taps  = K * K;
  localparam int TapW  = $clog2(Taps);
  localparam int LineW = ArrayRows * 8;

  if (ArrayCols < ArrayRows) begin : g_bad_shape
    `ELAB_ERROR("sparq_dw_unit: ArrayCols must be at least ArrayRows (lane r takes WGT byte r)")
  end
  if (K < 1 || (MaxW & (MaxW - 1)) != 0 || MaxW < 4) begin : g_bad_consts
    `ELAB_ERROR("sparq_dw_unit: DwMaxKernel >= 1 and DwMaxWidth a power of two >= 4")
  end

  // ---------------------------------------------------------------------------
  // Instruction fields (queue head)
  // ---------------------------------------------------------------------------
  logic [sparq_isa_pkg::CommonOpcodeW-1:0] f_opcode;
  logic        f_pop_prev, f_pop_next, f_push_prev, f_push_next;
  logic [15:0] f_act_base, f_act_row, f_wgt_base, f_acc_base;
  logic [11:0] f_act_pix, f_in_h;
  logic [7:0]  f_in_w, f_ch_off, f_n_valid, f_pad_left, f_valid_w, f_pad;
  logic [11:0] f_pad_top, f_valid_h;
  logic [3:0]  f_kh, f_kw, f_sy, f_sx;
  logic [1:0]  f_ch_shift;
  logic        f_pair, f_px2, f_rev, f_pf, f_pre;
  logic [15:0] f_act_last, f_acc_last, f_wgt_next;

  assign f_opcode    = instr_data_i[sparq_isa_pkg::CommonOpcodeLsb +: sparq_isa_pkg::CommonOpcodeW];
  assign f_pop_prev  = instr_data_i[sparq_isa_pkg::CommonPopPrevLsb];
  assign f_pop_next  = instr_data_i[sparq_isa_pkg::CommonPopNextLsb];
  assign f_push_prev = instr_data_i[sparq_isa_pkg::CommonPushPrevLsb];
  assign f_push_next = instr_data_i[sparq_isa_pkg::CommonPushNextLsb];
  assign f_act_base  = instr_data_i[sparq_isa_pkg::DwconvActBaseLsb +: sparq_isa_pkg::DwconvActBaseW];
  assign f_act_pix   = instr_data_i[sparq_isa_pkg::DwconvActPixLsb +: sparq_isa_pkg::DwconvActPixW];
  assign f_act_row   = instr_data_i[sparq_isa_pkg::DwconvActRowLsb +: sparq_isa_pkg::DwconvActRowW];
  assign f_in_w      = instr_data_i[sparq_isa_pkg::DwconvInWLsb +: sparq_isa_pkg::DwconvInWW];
  assign f_in_h      = instr_data_i[sparq_isa_pkg::DwconvInHLsb +: sparq_isa_pkg::DwconvInHW];
  assign f_wgt_base  = instr_data_i[sparq_isa_pkg::DwconvWgtBaseLsb +: sparq_isa_pkg::DwconvWgtBaseW];
  assign f_acc_base  = instr_data_i[sparq_isa_pkg::DwconvAccBaseLsb +: sparq_isa_pkg::DwconvAccBaseW];
  assign f_kh        = instr_data_i[sparq_isa_pkg::DwconvKhLsb +: sparq_isa_pkg::DwconvKhW];
  assign f_kw        = instr_data_i[sparq_isa_pkg::DwconvKwLsb +: sparq_isa_pkg::DwconvKwW];
  assign f_sy        = instr_data_i[sparq_isa_pkg::DwconvSyLsb +: sparq_isa_pkg::DwconvSyW];
  assign f_sx        = instr_data_i[sparq_isa_pkg::DwconvSxLsb +: sparq_isa_pkg::DwconvSxW];
  assign f_ch_shift  = instr_data_i[sparq_isa_pkg::DwconvChShiftLsb +: sparq_isa_pkg::DwconvChShiftW];
  assign f_ch_off    = instr_data_i[sparq_isa_pkg::DwconvChOffLsb +: sparq_isa_pkg::DwconvChOffW];
  assign f_n_valid   = instr_data_i[sparq_isa_pkg::DwconvNValidLsb +: sparq_isa_pkg::DwconvNValidW];
  assign f_pad_top   = instr_data_i[sparq_isa_pkg::DwconvPadTopLsb +: sparq_isa_pkg::DwconvPadTopW];
  assign f_pad_left  = instr_data_i[sparq_isa_pkg::DwconvPadLeftLsb +: sparq_isa_pkg::DwconvPadLeftW];
  assign f_valid_h   = instr_data_i[sparq_isa_pkg::DwconvValidHLsb +: sparq_isa_pkg::DwconvValidHW];
  assign f_valid_w   = instr_data_i[sparq_isa_pkg::DwconvValidWLsb +: sparq_isa_pkg::DwconvValidWW];
  assign f_pad       = instr_data_i[sparq_isa_pkg::DwconvPadLsb +: sparq_isa_pkg::DwconvPadW];
  assign f_pair      = instr_data_i[sparq_isa_pkg::DwconvPairLsb];
  assign f_px2       = instr_data_i[sparq_isa_pkg::DwconvPx2Lsb];
  assign f_rev       = instr_data_i[sparq_isa_pkg::DwconvRevLsb];
  assign f_act_last  = instr_data_i[sparq_isa_pkg::DwconvActLastLsb +: sparq_isa_pkg::DwconvActLastW];
  assign f_acc_last  = instr_data_i[sparq_isa_pkg::DwconvAccLastLsb +: sparq_isa_pkg::DwconvAccLastW];
  assign f_pf        = instr_data_i[sparq_isa_pkg::DwconvPfLsb];
  assign f_pre       = instr_data_i[sparq_isa_pkg::DwconvPreLsb];
  assign f_wgt_next  = instr_data_i[sparq_isa_pkg::DwconvWgtNextLsb +: sparq_isa_pkg::DwconvWgtNextW];

  // Bits that carry no DWCONV field.
  logic unused_instr;
  assign unused_instr = ^(instr_data_i & ~sparq_isa_pkg::DwconvFieldMask);

  // ---------------------------------------------------------------------------
  // Control
  // ---------------------------------------------------------------------------
  typedef enum logic [1:0] {StIdle, StWgt, StRun} state_e;
  state_e state_d, state_q;

  typedef struct packed {
    logic [15:0] act_row;
    logic [11:0] act_pix;
    logic [7:0]  in_w;
    logic [11:0] in_h;
    logic [15:0] wgt_base;
    logic [15:0] acc_base;
    logic [3:0]  kh, kw, sy, sx;
    logic [1:0]  ch_shift;
    logic [7:0]  ch_off;
    logic [15:0] useful_macs;  // per output pixel
    logic [12:0] y_lo, y_hi;   // ACT rows: walk rows [y_lo, y_hi)
    logic [8:0]  x_lo, x_hi;   // ACT columns: walk columns [x_lo, x_hi)
    logic [3:0]  skip_rows;    // leading pad rows not walked
    logic [3:0]  skip_cols;    // leading pad columns not walked
    logic [3:0]  xph0;         // steps of a row before its first output
    logic [7:0]  pad;
    logic        push_prev, push_next;
    logic        pair;
    logic        px2;
    logic        rev;          // walk from the bottom-right pixel
    logic        odd;          // px2, odd skip: outputs end on the right pixel
    logic        pf;           // also read the box at wgt_next (other bank)
    logic [15:0] wgt_next;
  } attr_t;
  attr_t attr_d, attr_q;

  // The next DWCONV is taken while idle or in the last walk step of the
  // current one, whose pixels then drain through the pipeline (which
  // carries their attributes) while the next walk starts.
  logic tokens_ok, accept, can_accept;
  logic issue, last_pix;
  assign tokens_ok  = (!f_pop_prev || l2c_avail_i) && (!f_pop_next || s2c_avail_i);
  assign can_accept = (state_q == StIdle) || (issue && last_pix);
  assign accept     = can_accept && instr_valid_i && tokens_ok;

  assign instr_ready_o = accept;
  assign l2c_pop_o     = accept && f_pop_prev;
  assign s2c_pop_o     = accept && f_pop_next;

  // The walk, in walk order (rev: rows and columns counted from the
  // bottom-right): the ACT rectangle's bounds, the leading pad rows and
  // columns skipped (at most kh - 1 and kw - 1: the row buffers and the
  // window start out holding the pad byte instead), the steps of a row and
  // the steps before the first output.
  logic [12:0] w_y_lo;
  logic [8:0]  w_x_lo;
  logic [3:0]  w_skip_rows, w_skip_cols, w_xfirst, w_xph0, w_rows_before;
  logic [8:0]  w_cols, w_steps;
  logic [31:0] w_first_out;
  assign w_y_lo = f_rev ? 13'(f_in_h) - 13'(f_pad_top) - 13'(f_valid_h) : 13'(f_pad_top);
  assign w_x_lo = f_rev ? 9'(f_in_w) - 9'(f_pad_left) - 9'(f_valid_w) : 9'(f_pad_left);
  assign w_skip_rows   = (w_y_lo < 13'(f_kh) - 13'd1) ? 4'(w_y_lo) : f_kh - 4'd1;
  assign w_skip_cols   = (w_x_lo < 9'(f_kw) - 9'd1) ? 4'(w_x_lo) : f_kw - 4'd1;
  assign w_xfirst      = f_kw - 4'd1 - w_skip_cols;
  assign w_xph0        = f_px2 ? w_xfirst >> 1 : w_xfirst;
  assign w_rows_before = f_kh - 4'd1 - w_skip_rows;
  assign w_cols        = 9'(f_in_w) - 9'(w_skip_cols);
  assign w_steps       = f_px2 ? (w_cols + 9'd1) >> 1 : w_cols;
  assign w_first_out   = 32'(w_rows_before) * 32'(w_steps) + 32'(w_xph0);

  always_comb begin
    attr_d             = attr_q;
    if (accept) begin
      attr_d.act_row     = f_act_row;
      attr_d.act_pix     = f_act_pix;
      attr_d.in_w        = f_in_w;
      attr_d.in_h        = f_in_h;
      attr_d.wgt_base    = f_wgt_base;
      attr_d.acc_base    = f_acc_base;
      attr_d.kh          = f_kh;
      attr_d.kw          = f_kw;
      attr_d.sy          = f_sy;
      attr_d.sx          = f_sx;
      attr_d.ch_shift    = f_ch_shift;
      attr_d.ch_off      = f_ch_off;
      attr_d.useful_macs = 16'(f_n_valid * f_kh * f_kw);
      attr_d.y_lo        = w_y_lo;
      attr_d.y_hi        = w_y_lo + 13'(f_valid_h);
      attr_d.x_lo        = w_x_lo;
      attr_d.x_hi        = w_x_lo + 9'(f_valid_w);
      attr_d.skip_rows   = w_skip_rows;
      attr_d.skip_cols   = w_skip_cols;
      attr_d.xph0        = w_xph0;
      attr_d.pad         = f_pad;
      attr_d.push_prev   = f_push_prev;
      attr_d.push_next   = f_push_next;
      attr_d.pair        = f_pair;
      attr_d.px2         = f_px2;
      attr_d.rev         = f_rev;
      attr_d.odd         = f_px2 && w_skip_cols[0];
      attr_d.pf          = f_pf;
      attr_d.wgt_next    = f_wgt_next;
    end
  end

  // Box taps inside the kh x kw kernel (its bottom-right corner).
  logic [Taps-1:0] tap_in_kernel;
  for (genvar t = 0; t < Taps; t++) begin : g_tap
    assign tap_in_kernel[t] = (t / K >= K - 32'(attr_q.kh)) && (t % K >= K - 32'(attr_q.kw));
  end

  // Weight box reader and input walk.
  logic [TapW-1:0] wcnt_d, wcnt_q;
  logic [XW-1:0]   ix_d, ix_q;
  logic [11:0]     iy_d, iy_q;
  logic [3:0]      xph_d, xph_q, yph_d, yph_q;  // pixels / rows to the next output
  logic [3:0]      rows_d, rows_q;              // rows walked (saturating at K-1)
  logic [15:0]     row_addr_d, row_addr_q, cur_addr_d, cur_addr_q;
  logic [3:0]      wait_d, wait_q;                 // StWgt cycles left
  logic            row_end, y_in, pix_in, pix1_in;
  logic            wbeside_d, wbeside_q;           // weight box reads
  logic            rd_pf_d, rd_pf_q;               // reading the box at wgt_next
  logic            bank_d, bank_q;                 // weight bank of the walk
  logic [3:0]      w_wait;
  logic [8:0]      ix1;                            // px2: the right pixel's column
  logic [15:0]     cur_addr1;                      // px2: the right pixel's line
  logic            first_col;                      // the first step of a row

  // The weight box is read in the K*K cycles after the accept (tap t's
  // line lands in wgt_q 2 cycles after its read); the walk waits just long
  // enough for the first output's multiply to find all of it.
  assign w_wait = (f_pre || w_first_out >= Taps - 1) ? 4'd0 : 4'(Taps - 1 - w_first_out);

  assign issue    = (state_q == StRun);
  assign ix1      = 9'(ix_q) + 9'd1;
  // rev: walk column x + 1 is the ACT line before walk column x.
  assign cur_addr1 = attr_q.rev ? cur_addr_q - 16'd1 : cur_addr_q + 16'd1;
  assign first_col = 9'(ix_q) == 9'(attr_q.skip_cols);
  assign y_in     = 13'(iy_q) >= attr_q.y_lo && 13'(iy_q) < attr_q.y_hi;
  assign pix_in   = y_in && 9'(ix_q) >= attr_q.x_lo && 9'(ix_q) < attr_q.x_hi;
  assign pix1_in  = attr_q.px2 && y_in && ix1 >= attr_q.x_lo && ix1 < attr_q.x_hi;
  assign row_end  = attr_q.px2 ? (ix1 + 9'd1 >= 9'(attr_q.in_w))
                               : (8'(ix_q) == attr_q.in_w - 8'd1);
  assign last_pix = row_end && (iy_q == attr_q.in_h - 12'd1);

  always_comb begin
    state_d    = state_q;
    wcnt_d     = wcnt_q;
    ix_d       = ix_q;
    iy_d       = iy_q;
    xph_d      = xph_q;
    yph_d      = yph_q;
    rows_d     = rows_q;
    row_addr_d = row_addr_q;
    cur_addr_d = cur_addr_q;
    wait_d     = wait_q;
    wbeside_d  = wbeside_q;
    rd_pf_d    = rd_pf_q;
    bank_d     = bank_q;
    if (wbeside_q) begin
      wcnt_d = wcnt_q + TapW'(1);
      if (wcnt_q == TapW'(Taps - 1)) begin
        wcnt_d = '0;
        // The own box, then (pf) the next DWCONV's into the other bank.
        if (!rd_pf_q && attr_q.pf) rd_pf_d = 1'b1;
        else wbeside_d = 1'b0;
      end
    end
    case (state_q)
      StIdle: ;
      StWgt: begin
        wait_d = wait_q - 4'd1;
        if (wait_q == 4'd1) state_d = StRun;
      end
      StRun: begin
        if (row_end) begin
          ix_d       = XW'(attr_q.skip_cols);
          iy_d       = iy_q + 12'd1;
          xph_d      = attr_q.xph0;
          yph_d      = (yph_q == 4'd0) ? attr_q.sy - 4'd1 : yph_q - 4'd1;
          if (32'(rows_q) < K - 1) rows_d = rows_q + 4'd1;
          // The next ACT row starts one act_row further (rev: before) once
          // a row of the rectangle is done.
          if (y_in) begin
            row_addr_d = attr_q.rev ? row_addr_q - attr_q.act_row
                                    : row_addr_q + attr_q.act_row;
          end
          cur_addr_d = !attr_q.px2 ? row_addr_d
                     : attr_q.rev  ? row_addr_d + 16'(attr_q.x_lo) - 16'(attr_q.skip_cols)
                                   : row_addr_d - 16'(attr_q.x_lo) + 16'(attr_q.skip_cols);
        end else if (attr_q.px2) begin
          // One output per pair once the window holds kw columns.
          ix_d       = ix_q + XW'(2);
          xph_d      = (xph_q == 4'd0) ? 4'd0 : xph_q - 4'd1;
          cur_addr_d = attr_q.rev ? cur_addr_q - 16'd2 : cur_addr_q + 16'd2;
        end else begin
          ix_d       = ix_q + XW'(1);
          xph_d      = (xph_q == 4'd0) ? attr_q.sx - 4'd1 : xph_q - 4'd1;
          if (pix_in) begin
            cur_addr_d = attr_q.rev ? cur_addr_q - 16'(attr_q.act_pix)
                                    : cur_addr_q + 16'(attr_q.act_pix);
          end
        end
        if (last_pix) state_d = StIdle;
      end
      default: state_d = StIdle;
    endcase
    if (accept) begin
      state_d    = StWgt;
      if (w_wait == 4'd0) state_d = StRun;
      wait_d     = w_wait;
      // pre: the box is in the other bank already.
      bank_d     = f_pre ? !bank_q : bank_q;
      wbeside_d  = !f_pre || f_pf;
      rd_pf_d    = f_pre;
      wcnt_d     = '0;
      ix_d       = XW'(w_skip_cols);
      iy_d       = 12'(w_skip_rows);
      xph_d      = w_xph0;
      yph_d      = w_rows_before;
      rows_d     = '0;
      row_addr_d = f_rev ? f_act_last : f_act_base;
      // px2: the line of pixel x (x_lo - x lines before the row's first
      // ACT line when x is left of the rectangle; such a line is unused).
      cur_addr_d = !f_px2 ? row_addr_d
                 : f_rev  ? f_act_last + 16'(w_x_lo) - 16'(w_skip_cols)
                          : f_act_base - 16'(w_x_lo) + 16'(w_skip_cols);
    end
  end

  // rev: box position t of wgt_q takes the kernel tap mirrored through the
  // kernel's centre, so the window (walked from the bottom-right) meets the
  // weights as the forward walk does.
  logic [TapW-1:0] wgt_tap;
  always_comb begin
    wgt_tap = wcnt_q;
    for (int t = 0; t < Taps; t++) begin
      if (attr_q.rev && tap_in_kernel[t] && wcnt_q == TapW'(t)) begin
        wgt_tap = TapW'((2 * K - 1 - 32'(attr_q.kh) - t / K) * K +
                        (2 * K - 1 - 32'(attr_q.kw) - t % K));
      end
    end
  end

  assign wgt_re_o    = wbeside_q;
  assign wgt_raddr_o = WgtAw'((rd_pf_q ? attr_q.wgt_next : attr_q.wgt_base) + 16'(wgt_tap));
  assign act_re_o    = issue && (pix_in || pix1_in);
  // rev px2: the pair (x, x + 1) is ACT lines (a, a - 1): read from a - 1.
  assign act_raddr_o = ActAw'((attr_q.rev && attr_q.px2) ? cur_addr1 : cur_addr_q);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= StIdle;
      wbeside_q <= 1'b0;
      rd_pf_q   <= 1'b0;
      bank_q    <= 1'b0;
    end else begin
      state_q   <= state_d;
      wbeside_q <= wbeside_d;
      rd_pf_q   <= rd_pf_d;
      bank_q    <= bank_d;
    end
  end

  always_ff @(posedge clk_i) begin
    attr_q     <= attr_d;
    wcnt_q     <= wcnt_d;
    ix_q       <= ix_d;
    iy_q       <= iy_d;
    xph_q      <= xph_d;
    yph_q      <= yph_d;
    rows_q     <= rows_d;
    row_addr_q <= row_addr_d;
    cur_addr_q <= cur_addr_d;
    wait_q     <= wait_d;
  end

  // ---------------------------------------------------------------------------
  // Weight registers: box tap t = ky*K + kx, masked outside the kernel
  // ---------------------------------------------------------------------------
  logic            wl_valid_q, wl_bank_q;
  logic [TapW-1:0] wl_tap_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wl_valid_q <= 1'b0;
    end else begin
      wl_valid_q <= wgt_re_o;
    end
  end

  always_ff @(posedge clk_i) begin
    wl_tap_q  <= wcnt_q;
    wl_bank_q <= rd_pf_q ? !bank_q : bank_q;
  end

  // Two banks of the box (line b*Taps + t): the walk's, and the one the
  // next DWCONV's box is read into (pf).
  logic [LineW-1:0] wgt_q [2*Taps];

  always_ff @(posedge clk_i) begin
    if (wl_valid_q) begin
      wgt_q[(wl_bank_q ? Taps : 0) + 32'(wl_tap_q)] <=
          tap_in_kernel[wl_tap_q] ? wgt_rdata_i[LineW-1:0] : '0;
    end
  end

  if (ArrayCols > ArrayRows) begin : g_wgt_unused
    logic unused_wgt_bytes;
    assign unused_wgt_bytes = ^wgt_rdata_i[ArrayCols*8-1:LineW];
  end

  // ---------------------------------------------------------------------------
  // Stage 1: ACT data, lane select, row buffers, window
  // ---------------------------------------------------------------------------
  logic          s1_valid_q, s1_out_q, s1_pad_q, s1_pad1_q, s1_first_q;
  logic [XW-1:0] s1_ix_q;
  logic [3:0]    s1_rows_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
    end else begin
      s1_valid_q <= issue;
    end
  end

  // The attributes a step needs in stages 1..3, taken with it: the next
  // DWCONV's walk may start while this one's last steps drain.
  typedef struct packed {
    logic [7:0]  pad;
    logic [1:0]  ch_shift;
    logic [7:0]  ch_off;
    logic        px2, rev, pair, odd;
    logic        bank;
    logic [15:0] useful_macs;
  } stage_attr_t;
  stage_attr_t s1a_q;
  logic        s2_pair_q, s2_odd_q, s2_bank_q;
  logic [15:0] s2_macs_q, s3_macs_q;

  always_ff @(posedge clk_i) begin
    s1a_q.pad         <= attr_q.pad;
    s1a_q.ch_shift    <= attr_q.ch_shift;
    s1a_q.ch_off      <= attr_q.ch_off;
    s1a_q.px2         <= attr_q.px2;
    s1a_q.rev         <= attr_q.rev;
    s1a_q.pair        <= attr_q.pair;
    s1a_q.odd         <= attr_q.odd;
    s1a_q.bank        <= bank_q;
    s1a_q.useful_macs <= attr_q.useful_macs;
    s2_pair_q         <= s1a_q.pair;
    s2_odd_q          <= s1a_q.odd;
    s2_bank_q         <= s1a_q.bank;
    s2_macs_q         <= s1a_q.useful_macs;
    s3_macs_q         <= s2_macs_q;
  end

  // ACC row of the next output (rev: counting down from acc_last), taken
  // along the pipeline by each step.
  logic        out_now;
  logic [15:0] oa_d, oa_q, s1_oa_q, s2_oa_q, s3_oa_q;
  assign out_now = (xph_q == 4'd0) && (yph_q == 4'd0);

  always_comb begin
    oa_d = oa_q;
    if (issue && out_now) oa_d = attr_q.rev ? oa_q - 16'd1 : oa_q + 16'd1;
    if (accept) oa_d = f_rev ? f_acc_last : f_acc_base;
  end

  always_ff @(posedge clk_i) begin
    oa_q    <= oa_d;
    s1_oa_q <= oa_q;
    s2_oa_q <= s1_oa_q;
    s3_oa_q <= s2_oa_q;
  end

  always_ff @(posedge clk_i) begin
    s1_out_q  <= out_now;
    s1_pad_q  <= !pix_in;
    s1_pad1_q <= !pix1_in;
    s1_ix_q   <= ix_q;
    s1_first_q <= first_col;
    s1_rows_q <= rows_q;
  end

  // Lane r takes byte (r >> ch_shift) + ch_off of the line, or the pad byte;
  // lanes1 the same of line a + 1 (px2: the right pixel).
  logic [LineW-1:0] lanes, lanes1, line0, line1, pad_line;
  localparam int IdxW = $clog2(ArrayRows) + 1;
  // rev px2 read line a - 1: the walk's left pixel is the SRAM's next line.
  assign line0    = (s1a_q.rev && s1a_q.px2) ? act_rdata_next_i : act_rdata_i;
  assign line1    = (s1a_q.rev && s1a_q.px2) ? act_rdata_i : act_rdata_next_i;
  assign pad_line = {ArrayRows{s1a_q.pad}};
  for (genvar r = 0; r < ArrayRows; r++) begin : g_lane_sel
    logic [7:0] idx, sel, sel1;
    assign idx = 8'(r >> s1a_q.ch_shift) + s1a_q.ch_off;
    // An index past the line (never issued: the compiler keeps it below R)
    // reads 0, as a one-hot select would.
    logic in_line;
    assign in_line = 32'(idx) < ArrayRows;
    always_comb begin
      sel  = in_line ? line0[8*IdxW'(idx) +: 8] : 8'd0;
      sel1 = in_line ? line1[8*IdxW'(idx) +: 8] : 8'd0;
      if (s1_pad_q) sel = s1a_q.pad;
      if (s1_pad1_q) sel1 = s1a_q.pad;
    end
    assign lanes[8*r +: 8]  = sel;
    assign lanes1[8*r +: 8] = sel1;
  end

  // col, line j: the pixel j rows above the current one, same column;
  // col1 the same for the right pixel (px2). Each row buffer keeps the even
  // and the odd columns in two banks of MaxW/2 lines: one pixel per cycle
  // uses the bank of its column, px2 writes and reads both at column x/2.
  // A row above the walk's first row (a skipped pad row, or none) reads as
  // the pad byte.
  logic [K*LineW-1:0] col, col1;
  logic [XW-2:0]      s1_half;
  logic               s1_odd;
  assign col[0 +: LineW]  = lanes;
  assign col1[0 +: LineW] = lanes1;
  assign s1_half          = s1_ix_q[XW-1:1];
  assign s1_odd           = s1_ix_q[0];

  for (genvar k = 1; k < K; k++) begin : g_rowbuf
    logic [LineW-1:0] even_q [MaxW/2];
    logic [LineW-1:0] odd_q [MaxW/2];
    logic [LineW-1:0] even_rd, odd_rd;
    assign even_rd = even_q[s1_half];
    assign odd_rd  = odd_q[s1_half];
    logic above;
    assign above = 32'(s1_rows_q) < k;
    assign col[k*LineW +: LineW]  = above ? pad_line : (s1_odd && !s1a_q.px2) ? odd_rd : even_rd;
    assign col1[k*LineW +: LineW] = above ? pad_line : odd_rd;
    always_ff @(posedge clk_i) begin
      if (s1_valid_q && (s1a_q.px2 || !s1_odd)) begin
        even_q[s1_half] <= col[(k-1)*LineW +: LineW];
      end
      if (s1_valid_q && (s1a_q.px2 || s1_odd)) begin
        odd_q[s1_half] <= s1a_q.px2 ? col1[(k-1)*LineW +: LineW]
                                     : col[(k-1)*LineW +: LineW];
      end
    end
  end

  // win_q, line j*K + i: the pixel j rows above and i columns left of the
  // newest one. px2: the newest is the left pixel x of the pair, right_q
  // holds pixel x + 1 (column i = -1), and the window shifts by two. The
  // first step of a row loads the pad byte into the older columns (skipped
  // leading pad columns; otherwise they are not used).
  logic [K*K*LineW-1:0] win_q;
  logic [K*LineW-1:0]   right_q;

  always_ff @(posedge clk_i) begin
    if (s1_valid_q && s1a_q.px2) right_q <= col1;
  end

  for (genvar j = 0; j < K; j++) begin : g_win_row
    for (genvar i = 0; i < K; i++) begin : g_win_col
      logic [LineW-1:0] in;
      if (i == 0) begin : g_new
        assign in = col[j*LineW +: LineW];
      end else if (i == 1) begin : g_shift1
        assign in = s1_first_q ? pad_line
                  : s1a_q.px2  ? right_q[j*LineW +: LineW] : win_q[(j*K)*LineW +: LineW];
      end else begin : g_shift
        assign in = s1_first_q ? pad_line
                  : s1a_q.px2  ? win_q[(j*K+i-2)*LineW +: LineW]
                               : win_q[(j*K+i-1)*LineW +: LineW];
      end
      always_ff @(posedge clk_i) begin
        if (s1_valid_q) win_q[(j*K+i)*LineW +: LineW] <= in;
      end
    end
  end

  // ---------------------------------------------------------------------------
  // Stage 2: K*K products per lane, summed
  // ---------------------------------------------------------------------------
  logic s2_valid_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s2_valid_q <= 1'b0;
    end else begin
      s2_valid_q <= s1_valid_q && s1_out_q;
    end
  end

  // int8 x int8 fits 16 bits; Taps of them fit SumW.
  localparam int SumW = 16 + $clog2(Taps + 1);

  // The Taps products of one lane, summed. Called only inside the clocked
  // branch that stores the sum, so the simulator multiplies only in the
  // cycles that produce an output pixel (not every cycle the unit idles).
  function automatic logic [31:0] dot_taps(input logic [8*Taps-1:0] a,
                                           input logic [8*Taps-1:0] w);
    logic signed [SumW-1:0] acc;
    acc = '0;
    for (int t = 0; t < Taps; t++) begin
      acc = acc + SumW'($signed(a[8*t +: 8]) * $signed(w[8*t +: 8]));
    end
    dot_taps = 32'(acc);
  endfunction

  localparam int Half = ArrayRows / 2;

  // Operand bytes per lane: tap t's activation (window) and weight byte.
  logic [ArrayRows*8*Taps-1:0] tap_act, tap_wgt;

  for (genvar r = 0; r < ArrayRows; r++) begin : g_mac
    for (genvar t = 0; t < Taps; t++) begin : g_tap
      // Window row J meets box row K-1-J; box column X reads window column
      // K-1-X, byte r (pair mode: half-column V of the window, oldest first;
      // odd: one column newer, column -1 being right_q).
      localparam int J  = t / K;
      localparam int X  = t % K;
      localparam int V  = (r >= Half ? 1 : 0) + 1 + X;
      localparam int IP = (V / 2 < K) ? K - 1 - V / 2 : 0;
      localparam int BP = (V % 2) * Half + (Half > 0 ? r % Half : 0);
      localparam int O  = 8 * (r * Taps + t);
      logic [7:0] odd_act;
      if (X == K - 1) begin : g_odd_right
        assign odd_act = right_q[J*LineW + 8*r +: 8];
      end else begin : g_odd_win
        assign odd_act = win_q[(J*K+K-2-X)*LineW + 8*r +: 8];
      end
      assign tap_act[O +: 8] = s2_pair_q ? win_q[(J*K+IP)*LineW + 8*BP +: 8]
                             : s2_odd_q  ? odd_act
                                           : win_q[(J*K+K-1-X)*LineW + 8*r +: 8];
      assign tap_wgt[O +: 8] = s2_bank_q ? wgt_q[Taps + (K-1-J)*K + X][8*r +: 8]
                                         : wgt_q[(K-1-J)*K + X][8*r +: 8];
    end
  end

  // ---------------------------------------------------------------------------
  // Stage 3: ACC write
  // ---------------------------------------------------------------------------
  logic                    s3_valid_q;
  logic [ArrayRows*32-1:0] s3_sum_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s3_valid_q <= 1'b0;
    end else begin
      s3_valid_q <= s2_valid_q;
    end
  end

  always_ff @(posedge clk_i) begin
    if (s2_valid_q) begin
      for (int r = 0; r < ArrayRows; r++) begin
        s3_sum_q[32*r +: 32] <= dot_taps(tap_act[8*Taps*r +: 8*Taps], tap_wgt[8*Taps*r +: 8*Taps]);
      end
    end
  end

  assign acc_we_o    = s3_valid_q;
  assign acc_waddr_o = AccAw'(s3_oa_q);
  assign acc_wdata_o = (ArrayCols * 32)'(s3_sum_q);

  // ---------------------------------------------------------------------------
  // Status, tokens and counter events
  // ---------------------------------------------------------------------------
  // A DWCONV is done (tokens pushed) the cycle after its last ACC write:
  // TailCycles after its last walk step.
  localparam int TailCycles = 4;
  logic [TailCycles-1:0] tail_done_q, tail_prev_q, tail_next_q;
  logic                  draining;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tail_done_q <= '0;
      tail_prev_q <= '0;
      tail_next_q <= '0;
    end else begin
      tail_done_q <= {tail_done_q[TailCycles-2:0], issue && last_pix};
      tail_prev_q <= {tail_prev_q[TailCycles-2:0], issue && last_pix && attr_q.push_prev};
      tail_next_q <= {tail_next_q[TailCycles-2:0], issue && last_pix && attr_q.push_next};
    end
  end

  assign draining   = |tail_done_q;
  assign c2l_push_o = tail_prev_q[TailCycles-1];
  assign c2s_push_o = tail_next_q[TailCycles-1];
  assign busy_o     = (state_q != StIdle) || draining;
  assign walk_o     = (state_q != StIdle);

  assign evt_pixel_o       = s3_valid_q;
  assign evt_useful_macs_o = s3_valid_q ? 32'(s3_macs_q) : 32'd0;
  assign evt_stall_load_o  = can_accept && instr_valid_i && f_pop_prev && !l2c_avail_i;
  assign evt_stall_store_o = can_accept && instr_valid_i && !evt_stall_load_o &&
                             f_pop_next && !s2c_avail_i;
  assign evt_instr_done_o  = tail_done_q[TailCycles-1];

  // ---------------------------------------------------------------------------
  // Assertions
  // ---------------------------------------------------------------------------
  `ASSERT_STABLE(InstrStable, instr_valid_i, instr_ready_o, instr_data_i)
  `ASSERT(InstrIsDwconv, instr_valid_i |-> f_opcode == sparq_isa_pkg::OpDwconv)
  `ASSERT(KernelInRange, instr_valid_i |-> f_kh >= 4'd1 && 32'(f_kh) <= K && f_kw >= 4'd1 && 32'(f_kw) <= K)
  `ASSERT(GridInRange, instr_valid_i |-> 12'(f_kh) <= f_in_h && 8'(f_kw) <= f_in_w && 32'(f_in_w) <= MaxW)
  `ASSERT(PairShape, instr_valid_i && f_pair |-> 32'(f_kw) == K && f_sx == 4'd1 &&
                    f_ch_shift == 2'd0 && f_ch_off == 8'd0 && ArrayRows % 2 == 0)
  `ASSERT(Px2Shape, instr_valid_i && f_px2 |-> f_sx == 4'd2 && f_kw[0] && !f_pair && f_act_pix == 12'd1)
  `ASSERT(RevShape, instr_valid_i && f_rev |-> !f_pair &&
                    13'(f_pad_top) + 13'(f_valid_h) <= 13'(f_in_h) &&
                    9'(f_pad_left) + 9'(f_valid_w) <= 9'(f_in_w))
  `ASSERT(StrideNonZero, instr_valid_i |-> f_sy != 4'd0 && f_sx != 4'd0)
  `ASSERT(ActInRange, act_re_o && pix_in |-> 32'(cur_addr_q) < ActLines)
  `ASSERT(Act1InRange, act_re_o && pix1_in |-> 32'(cur_addr1) < ActLines)
  `ASSERT(WgtInRange, wgt_re_o |-> 32'(wgt_raddr_o) < WgtLines)
  // pf: the walk outlasts the reads of both boxes (pre: of the next one).
  `ASSERT(PfReadsDone, accept && !(state_q == StIdle) |-> !wbeside_q || wcnt_q == TapW'(Taps - 1) && (rd_pf_q || !attr_q.pf))
  `ASSERT(AccInRange, acc_we_o |-> 32'(s3_oa_q) < AccRows)
  `ASSERT_KNOWN(StateKnown, state_q)
  `ASSERT_KNOWN(TokensKnown, {l2c_pop_o, s2c_pop_o, c2l_push_o, c2s_push_o})

endmodule
