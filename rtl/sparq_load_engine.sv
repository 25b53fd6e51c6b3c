// LOAD engine: DRAM -> ACT / WGT / PARAM SRAM lines with the im2col gather
// (semantics: docs/architecture.md, "LOAD").
//
// Two decoupled halves joined by a FIFO of line descriptors in request order:
//
//  * The generator walks the loops y, x, ky, kx, l one SRAM line per cycle.
//    Addresses and input coordinates are updated incrementally; the products
//    they step by (w*pix_stride, sy*row, ...) are computed once per
//    instruction on one shared 32x16 multiplier (7 setup cycles, skipped
//    for a plain copy of one pixel; 2, for the base address only, when the
//    instruction's pix_stride, w, sy, dy, sx and dx equal those of the last
//    LOAD that computed the steps). For each
//    in-bounds line it requests the B-aligned beats that hold its valid bytes
//    and pushes a descriptor. Beats live in LoadBeatSlots slots, replaced in
//    turn (the generator keeps their tags, the realigner their data; the
//    slot replaced next never hits, as its data changes under the line that
//    fetches into it). An ordinary line reuses only the beat requested last;
//    a dense piece any slot, so the kh input rows under a sliding window are
//    read once per beat. A line that needs two fresh beats takes two cycles
//    (a consume-only descriptor, then the line); a dense line that needs none
//    prefetches the next beat of one of its rows (see pf_* below). Out-of-bounds and empty lines request nothing but still pass
//    through the descriptor FIFO, so SRAM writes stay in program order.
//  * The realigner pops one descriptor per cycle, takes at most one response
//    beat into its slot, and shifts each piece's two-beat window by the
//    piece's byte offset. Bytes at or beyond valid_bytes are zero; out-of-bounds
//    lines are filled with pad. The write leaves through one registered port.
//
// Dense LOADs (field `dense`) pack a pixel's tap segments back to back. The
// generator then walks *pieces* instead of lines: a run of taps that are
// contiguous in DRAM (dx = 1, seg_bytes = pix_stride, all in bounds) or all
// out of bounds, cut where an SRAM line fills up. A piece carries its byte
// offset inside the line (doff); the realigner merges it into an assembly
// register and writes the line when it is full or the pixel ends. A kernel
// row whose kw contiguous taps run past the left or right input edge (not
// wholly) is one piece too, an edge window: its first lpad / last hpad bytes
// are the pad byte, the others DRAM bytes, and it reads only the beats that
// hold those. One piece per cycle, except that a whole kernel row (or an
// edge window) at kx = 0 takes up to LoadGroupRows - 1 following rows
// (padding, or the same columns) into the line in the same cycle while they
// fit and need at most one fresh beat: a 3x3 one-channel window on a
// 16-byte line is one cycle, at the borders too.
//
// The descriptor FIFO bounds the reads in flight (LineFifoDepth beats), so a
// DRAM latency below that depth does not serialize: aligned lines stream at
// one per cycle. The next LOAD is set up while the realigner drains the
// previous one. l2c_push_o and evt_instr_done_o fire with the last SRAM
// write of an instruction (the write and the token land on the same edge).
//
// Parameters: ArrayRows (ACT line bytes), ArrayCols (WGT line bytes),
// DramBits (beat width), LineFifoDepth (descriptors / reads in flight).
// Ports: instr_* (LOAD queue head; popped when its last line is generated),
// c2l / l2c tokens, dram_rd_* (beat reads), wr_* (SRAM line writes: buf
// 0 ACT, 1 WGT, 2 PARAM; line in the low bytes of wr_data_o), busy_o and
// counter events (evt_stall_dram_o: busy, not waiting for a token, and no
// beat requested or received this cycle).

module sparq_load_engine #(
  parameter int ArrayRows     = 16,
  parameter int ArrayCols     = 16,
  parameter int DramBits      = 128,
  parameter int LineFifoDepth = 128,
  localparam int ParamBytes = sparq_isa_pkg::ParamBytes,
  localparam int LineBytes = (ArrayRows > ArrayCols)
                             ? ((ArrayRows > ParamBytes) ? ArrayRows : ParamBytes)
                             : ((ArrayCols > ParamBytes) ? ArrayCols : ParamBytes),
  localparam int LineBits = 8 * LineBytes,
  localparam int InstrBits = sparq_isa_pkg::InstrBits,
  localparam int BufW = sparq_isa_pkg::LoadBufW
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 instr_valid_i,
  output logic                 instr_ready_o,
  input  logic [InstrBits-1:0] instr_data_i,
  input  logic                 c2l_avail_i,
  output logic                 c2l_pop_o,
  output logic                 l2c_push_o,
  output logic                 dram_rd_req_valid_o,
  input  logic                 dram_rd_req_ready_i,
  output logic [31:0]          dram_rd_req_addr_o,
  input  logic                 dram_rd_rsp_valid_i,
  output logic                 dram_rd_rsp_ready_o,
  input  logic [DramBits-1:0]  dram_rd_rsp_data_i,
  output logic                 wr_valid_o,
  output logic [BufW-1:0]      wr_buf_o,
  output logic [15:0]          wr_addr_o,
  output logic [LineBits-1:0]  wr_data_o,
  output logic                 busy_o,
  output logic                 evt_stall_dram_o,
  output logic                 evt_stall_tokens_o,
  output logic                 evt_instr_done_o
);

`include "sparq_assert.svh"

  localparam int Beat      = DramBits / 8;
  localparam int BeatAw    = $clog2(Beat);
  localparam int BeatIdxW  = 32 - BeatAw;
  localparam int VbW       = $clog2(LineBytes + 1);
  localparam int VbW1      = VbW + 1;
  localparam int OffW      = BeatAw + 1;  // offset + valid bytes < 2 * Beat
  localparam int Slots     = sparq_isa_pkg::LoadBeatSlots;
  localparam int SlotW     = $clog2(Slots);
  localparam int Rows      = sparq_isa_pkg::LoadGroupRows;
  localparam int RowsW     = $clog2(Rows + 1);
  localparam int PieceW    = BeatAw + 2 * SlotW + 1;  // bits of piece_t
  // bits of line_desc_t
  localparam int DescW     = 29 + SlotW + RowsW + BufW + 4 * VbW + Rows * PieceW;  // + pieces

  if (Slots < 2 || (1 << SlotW) != Slots || Rows < 1) begin : g_bad_slots
    `ELAB_ERROR("sparq_load_engine: LoadBeatSlots must be a power of two >= 2, LoadGroupRows >= 1")
  end

  if (LineBytes > Beat) begin : g_bad_line
    `ELAB_ERROR("sparq_load_engine: SRAM lines (R, C and ParamBytes-byte PARAM records) must fit one DRAM beat")
  end

  // ---------------------------------------------------------------------------
  // Instruction fields (the queue head stays put until the engine pops it)
  // ---------------------------------------------------------------------------
  logic [BufW-1:0] f_buf;
  logic [31:0] f_dram_base;
  logic [15:0] f_sram_base;
  logic [11:0] f_ny, f_nx, f_nl, f_h, f_w;
  logic [3:0]  f_kh, f_kw, f_sy, f_sx, f_dy, f_dx;
  logic [13:0] f_iy0, f_ix0;
  logic [19:0] f_pix;
  logic [15:0] f_seg;
  logic [7:0]  f_pad;
  logic        f_dense;
  logic        f_pop_next, f_push_next;

  assign f_buf       = instr_data_i[sparq_isa_pkg::LoadBufLsb +: sparq_isa_pkg::LoadBufW];
  assign f_dram_base = instr_data_i[sparq_isa_pkg::LoadDramBaseLsb +: sparq_isa_pkg::LoadDramBaseW];
  assign f_sram_base = instr_data_i[sparq_isa_pkg::LoadSramBaseLsb +: sparq_isa_pkg::LoadSramBaseW];
  assign f_ny        = instr_data_i[sparq_isa_pkg::LoadNyLsb +: sparq_isa_pkg::LoadNyW];
  assign f_nx        = instr_data_i[sparq_isa_pkg::LoadNxLsb +: sparq_isa_pkg::LoadNxW];
  assign f_kh        = instr_data_i[sparq_isa_pkg::LoadKhLsb +: sparq_isa_pkg::LoadKhW];
  assign f_kw        = instr_data_i[sparq_isa_pkg::LoadKwLsb +: sparq_isa_pkg::LoadKwW];
  assign f_nl        = instr_data_i[sparq_isa_pkg::LoadNlLsb +: sparq_isa_pkg::LoadNlW];
  assign f_iy0       = instr_data_i[sparq_isa_pkg::LoadIy0Lsb +: sparq_isa_pkg::LoadIy0W];
  assign f_ix0       = instr_data_i[sparq_isa_pkg::LoadIx0Lsb +: sparq_isa_pkg::LoadIx0W];
  assign f_sy        = instr_data_i[sparq_isa_pkg::LoadSyLsb +: sparq_isa_pkg::LoadSyW];
  assign f_sx        = instr_data_i[sparq_isa_pkg::LoadSxLsb +: sparq_isa_pkg::LoadSxW];
  assign f_dy        = instr_data_i[sparq_isa_pkg::LoadDyLsb +: sparq_isa_pkg::LoadDyW];
  assign f_dx        = instr_data_i[sparq_isa_pkg::LoadDxLsb +: sparq_isa_pkg::LoadDxW];
  assign f_h         = instr_data_i[sparq_isa_pkg::LoadHLsb +: sparq_isa_pkg::LoadHW];
  assign f_w         = instr_data_i[sparq_isa_pkg::LoadWLsb +: sparq_isa_pkg::LoadWW];
  assign f_pix       = instr_data_i[sparq_isa_pkg::LoadPixStrideLsb +: sparq_isa_pkg::LoadPixStrideW];
  assign f_seg       = instr_data_i[sparq_isa_pkg::LoadSegBytesLsb +: sparq_isa_pkg::LoadSegBytesW];
  assign f_pad       = instr_data_i[sparq_isa_pkg::LoadPadLsb +: sparq_isa_pkg::LoadPadW];
  assign f_dense     = instr_data_i[sparq_isa_pkg::LoadDenseLsb];
  assign f_pop_next  = instr_data_i[sparq_isa_pkg::CommonPopNextLsb];
  assign f_push_next = instr_data_i[sparq_isa_pkg::CommonPushNextLsb];

  // Line bytes of the target buffer; buf 3 writes nothing.
  logic [VbW-1:0] lb;
  logic           buf_ok;
  always_comb begin
    buf_ok = 1'b1;
    case (f_buf)
      sparq_isa_pkg::BufAct:   lb = VbW'(ArrayRows);
      sparq_isa_pkg::BufWgt:   lb = VbW'(ArrayCols);
      sparq_isa_pkg::BufParam: lb = VbW'(ParamBytes);
      default: begin
        lb     = VbW'(ParamBytes);
        buf_ok = 1'b0;
      end
    endcase
  end

  // ---------------------------------------------------------------------------
  // Generator FSM
  // ---------------------------------------------------------------------------
  typedef enum logic [1:0] {
    StIdle,
    StSetup,
    StWait,
    StRun
  } gen_state_e;

  gen_state_e state_d, state_q;
  logic [2:0] setup_d, setup_q;

  // Per-instruction steps, from the shared multiplier.
  logic [31:0] rb_d, rb_q;          // w * pix_stride: bytes per input row
  logic [31:0] step_y_d, step_y_q;  // sy * row
  logic [31:0] step_ky_d, step_ky_q;
  logic [31:0] step_x_d, step_x_q;  // sx * pix_stride
  logic [31:0] step_kx_d, step_kx_q;
  logic [31:0] base_d, base_q;      // address of input pixel (iy0, ix0)

  // Steps kept: the fields the five steps are products of, as the last
  // full setup saw them; a LOAD with the same ones computes only its base.
  localparam int StepKeyW = 20 + 12 + 4 * 4;
  logic [StepKeyW-1:0] step_key, step_key_q;
  logic                step_ok_q;
  assign step_key = {f_pix, f_w, f_sy, f_dy, f_sx, f_dx};

  logic [31:0] mul_a, mul_prod;
  logic [15:0] pf_cols;  // dense prefetch: columns of the LOAD right of ix0
  logic [15:0] mul_b;
  logic [31:0] mul_low;

  always_comb begin
    mul_a = {12'd0, f_pix};
    mul_b = {4'd0, f_w};
    case (setup_q)
      3'd1: begin mul_a = rb_q; mul_b = {12'd0, f_sy}; end
      3'd2: begin mul_a = rb_q; mul_b = {12'd0, f_dy}; end
      3'd3: mul_b = {12'd0, f_sx};
      3'd4: mul_b = {12'd0, f_dx};
      3'd5: begin mul_a = rb_q; mul_b = {{2{f_iy0[13]}}, f_iy0}; end
      3'd6: mul_b = {{2{f_ix0[13]}}, f_ix0};
      default: ;
    endcase
    if (state_q == StWait) mul_b = pf_cols;
  end

  // Low 32 bits of a * signed(b): the unsigned product, minus a*2^16 when b
  // is negative.
  assign mul_low  = mul_a * {16'd0, mul_b};
  assign mul_prod = mul_low - (mul_b[15] ? {mul_a[15:0], 16'd0} : 32'd0);

  // Loop state.
  logic [11:0] y_d, y_q, x_d, x_q, l_d, l_q;
  logic [3:0]  ky_d, ky_q, kx_d, kx_q;
  logic [15:0] n_d, n_q;
  logic [19:0] ihy_d, ihy_q, ih_d, ih_q, iwx_d, iwx_q, iw_d, iw_q;
  logic [31:0] ay_d, ay_q, aky_d, aky_q, ax_d, ax_q, akx_d, akx_q, al_d, al_q;
  logic [17:0] rem_d, rem_q;  // seg_bytes - l*LB, signed
  logic [VbW-1:0] pos_d, pos_q;  // dense: bytes of the current line filled

  // Beat slots: the beats requested in this instruction, replaced in turn.
  // Slot rr_q is the next one replaced and never hits, so a line never reads
  // the slot its own fresh beat overwrites. Ordinary LOADs reuse only the
  // beat requested last (slot rr_q - 1); dense LOADs reuse any slot.
  logic [Slots*BeatIdxW-1:0]      tag_d, tag_q;
  logic [Slots-1:0]               tag_ok_d, tag_ok_q;
  logic [SlotW-1:0]               rr_d, rr_q;

  logic plain_copy;
  assign plain_copy = (f_ny == 12'd1) && (f_nx == 12'd1) && (f_kh == 4'd1) && (f_kw == 4'd1) &&
                      (f_iy0 == '0) && (f_ix0 == '0);

  logic [19:0] iy0_ext, ix0_ext;
  assign iy0_ext = {{6{f_iy0[13]}}, f_iy0};
  assign ix0_ext = {{6{f_ix0[13]}}, f_ix0};

  // Current line.
  logic [VbW-1:0]      vb;
  logic                zero_steps;
  logic                l_wrap, x_wrap, y_wrap, final_step;
  logic                inner_last, kx_last, flush, pix_end, ky_end;
  logic [VbW-1:0]      line_vb;

  // Dense pieces: the run of taps starting at (ky, kx) and its cut.
  logic                row_in, col_in, contig_q, contig_d;
  logic [3:0]          kx_left, run_taps, tap_step;
  logic [19:0]         col_room, run_bytes, avail, space;
  logic [VbW-1:0]      piece;
  logic                run_end;
  logic [31:0]         tap_akx;
  logic [19:0]         tap_iw;
  // Edge window (dense, contiguous taps): the kw taps of a row at kx = 0
  // run past the left or right edge of the input but not wholly, and fit
  // the line: one piece of kw taps whose first lpad / last hpad bytes are
  // the pad byte and whose other bytes come from DRAM (the kernel row of a
  // border pixel in one cycle, and its rows grouped like whole rows).
  logic                part_in, edge_win;
  logic [19:0]         kw_bytes, over_r;
  logic [VbW-1:0]      lpad, hpad;


  always_comb begin
    if ($signed(rem_q) >= $signed({{(18 - VbW){1'b0}}, lb})) begin
      line_vb = lb;
    end else if ($signed(rem_q) > 18'sd0) begin
      line_vb = rem_q[VbW-1:0];
    end else begin
      line_vb = '0;
    end
  end

  assign row_in  = !ih_q[19] && (ih_q < {8'd0, f_h});
  assign col_in  = !iw_q[19] && (iw_q < {8'd0, f_w});
  assign kx_left = f_kw - kx_q;
  // In-bounds taps left in the row (col_in), or out-of-bounds taps left of
  // column 0 (iw < 0).
  assign col_room = iw_q[19] ? (20'd0 - iw_q) : ({8'd0, f_w} - iw_q);

  assign part_in  = contig_q && (col_room < {16'd0, f_kw}) && (iw_q[19] || col_in);
  assign kw_bytes = 20'(f_kw) * {4'd0, f_seg};
  assign edge_win     = f_dense && part_in && (kx_q == 4'd0) && (al_q == '0) &&
                    (kw_bytes <= 20'(lb) - 20'(pos_q));
  assign lpad     = (edge_win && iw_q[19]) ? VbW'(col_room * {4'd0, f_seg}) : '0;
  assign over_r   = iw_q + 20'(f_kw) - {8'd0, f_w};  // taps right of the input
  assign hpad     = (edge_win && !over_r[19]) ? VbW'(over_r * {4'd0, f_seg}) : '0;

  always_comb begin
    if (!row_in || (!iw_q[19] && !col_in)) begin
      run_taps = kx_left;  // the rest of the row is padding
    end else if (edge_win) begin
      run_taps = f_kw;
    end else if ((col_in && contig_q) || (iw_q[19] && (f_dx == 4'd1))) begin
      run_taps = (col_room < {16'd0, kx_left}) ? col_room[3:0] : kx_left;
    end else begin
      run_taps = 4'd1;
    end
  end

  assign run_bytes = 20'(run_taps) * {4'd0, f_seg};
  assign avail     = run_bytes - al_q[19:0];
  assign space     = 20'(lb) - 20'(pos_q);
  assign piece     = (avail < space) ? avail[VbW-1:0] : space[VbW-1:0];
  assign run_end   = (avail <= space);
  assign tap_step  = f_dense ? run_taps : 4'd1;
  assign tap_akx   = step_kx_q * {28'd0, tap_step};
  assign tap_iw    = {16'd0, tap_step} * {16'd0, f_dx};

  assign vb         = f_dense ? piece : line_vb;
  assign inner_last = f_dense ? run_end : l_wrap;
  assign kx_last    = (tap_step == kx_left);
  assign flush      = !f_dense || (tot == space) || pix_end;


  // Row groups (dense): when the piece at (ky, kx = 0) is its whole kernel
  // row, the next rows' whole-row pieces (padding, or one run at the same
  // columns) join it in the same line while they fit, their beats are held
  // in slots, and the group needs at most one fresh beat. Row j of the
  // group: input row ih + j*dy at aky + j*step_ky.
  logic [(Rows+1)*32-1:0] aky_r;
  logic [(Rows+1)*20-1:0] ih_r;
  logic [Rows-1:0]        rin_r, rd_r, ok_r, span_r, lo_need, lo_hit, hi_hit;
  logic [19:0]            ih_j;
  logic [Rows*BeatAw-1:0]        off_r;
  logic [Rows*BeatIdxW-1:0]      b0_r;
  logic [Rows*SlotW-1:0]         lo_slot, hi_slot, lo_sel, hi_sel;
  logic [Rows*20-1:0]            tot_r;
  logic                   col_whole, multi, fresh_v, need_lo, need_hi, pseudo;
  // Prefetch (dense, contiguous taps, windows that touch or overlap): a line
  // needing no fresh beat fetches the beat after a group row's piece, if it
  // holds bytes of columns the LOAD still reads (below ix0 + pf_cols).
  logic                   pf_ok, pf_v, pf_hit, pf_keep;
  logic [BeatIdxW-1:0]    pf_b, pf_nb;
  logic [19:0]            cols_win, cols_img;
  logic [11:0]            nx_m1;
  logic [31:0]            lim_d, lim_q;
  logic [BeatIdxW-1:0]    fresh_b, nb_j;
  logic [RowsW-1:0]       g;
  logic [4:0]             ky_g;
  logic [31:0]            addr_j;
  logic [19:0]            tot;

  // The columns of the window are one run, an edge window, or all padding,
  // in every in-bounds row.
  assign col_whole = (!iw_q[19] && !col_in) || edge_win ||
                     (((col_in && contig_q) || (iw_q[19] && (f_dx == 4'd1))) &&
                      (col_room >= {16'd0, f_kw}));
  assign multi     = f_dense && (kx_q == 4'd0) && (al_q == '0) && (run_taps == f_kw) && run_end;

  // Simulation speed: the group, its beats and the prefetch below are only
  // read while the generator runs (StRun); outside it they hold constants,
  // so a cycle-based simulator skips their work while the generator idles,
  // sets up or waits for a token.
  logic gen_run;
  assign gen_run = (state_q == StRun);

  always_comb begin
    aky_r   = '0;
    ih_r    = '0;
    fresh_v = 1'b0;
    fresh_b = '0;
    pseudo  = 1'b0;
    need_lo = 1'b0;
    need_hi = 1'b0;
    nb_j    = '0;
    g       = RowsW'(1);
    addr_j  = '0;
    ih_j    = '0;
    off_r   = '0;
    b0_r    = '0;
    rin_r   = '0;
    rd_r    = '0;
    lo_need = '0;
    span_r  = '0;
    tot_r   = '0;
    lo_hit  = '0;
    hi_hit  = '0;
    lo_slot = '0;
    hi_slot = '0;
    lo_sel  = '0;
    hi_sel  = '0;
    ok_r    = '0;
    if (gen_run) begin
      for (int j = 0; j <= Rows; j++) begin
        aky_r[(j)*32 +: 32] = aky_q + step_ky_q * 32'(j);
        ih_r[(j)*20 +: 20]  = ih_q + 20'(f_dy) * 20'(j);
      end
      for (int j = 0; j < Rows; j++) begin
        addr_j    = aky_r[(j)*32 +: 32] + akx_q + al_q;
        off_r[(j)*BeatAw +: BeatAw]  = addr_j[BeatAw-1:0];
        b0_r[(j)*BeatIdxW +: BeatIdxW]   = addr_j[31:BeatAw];
        ih_j      = ih_r[(j)*20 +: 20];
        rin_r[j]  = !ih_j[19] && (ih_j < {8'd0, f_h});
        rd_r[j]   = rin_r[j] && (col_in || edge_win) && (vb != '0) && buf_ok;
        // Beats that hold DRAM bytes of the piece (an edge window's pad bytes
        // need none): lo unless the left pad covers it, hi when they span.
        lo_need[j] = ((OffW + 1)'(off_r[(j)*BeatAw +: BeatAw]) + (OffW + 1)'(lpad)) < (OffW + 1)'(Beat);
        span_r[j] = ((OffW + 1)'(off_r[(j)*BeatAw +: BeatAw]) + (OffW + 1)'(vb) - (OffW + 1)'(hpad)) >
                    (OffW + 1)'(Beat);
        tot_r[(j)*20 +: 20]  = 20'(vb) * 20'(j + 1);
        lo_hit[j]  = 1'b0;
        hi_hit[j]  = 1'b0;
        lo_slot[(j)*SlotW +: SlotW] = rr_q;
        hi_slot[(j)*SlotW +: SlotW] = rr_q;
        for (int s = 0; s < Slots; s++) begin
          if (tag_ok_q[s] && (f_dense ? (SlotW'(s) != rr_q) : (SlotW'(s) == rr_q - SlotW'(1)))) begin
            if (tag_q[(s)*BeatIdxW +: BeatIdxW] == b0_r[(j)*BeatIdxW +: BeatIdxW]) begin
              lo_hit[j]  = 1'b1;
              lo_slot[(j)*SlotW +: SlotW] = SlotW'(s);
            end
            if (f_dense && (tag_q[(s)*BeatIdxW +: BeatIdxW] == b0_r[(j)*BeatIdxW +: BeatIdxW] + BeatIdxW'(1))) begin
              hi_hit[j]  = 1'b1;
              hi_slot[(j)*SlotW +: SlotW] = SlotW'(s);
            end
          end
        end
        lo_sel[(j)*SlotW +: SlotW] = lo_hit[j] ? lo_slot[(j)*SlotW +: SlotW] : rr_q;
        hi_sel[(j)*SlotW +: SlotW] = !span_r[j] ? lo_sel[(j)*SlotW +: SlotW] : (hi_hit[j] ? hi_slot[(j)*SlotW +: SlotW] : rr_q);
        need_lo = rd_r[j] && lo_need[j] && !lo_hit[j];
        need_hi = rd_r[j] && span_r[j] && !hi_hit[j];
        nb_j    = need_lo ? b0_r[(j)*BeatIdxW +: BeatIdxW] : b0_r[(j)*BeatIdxW +: BeatIdxW] + BeatIdxW'(1);
        if (j == 0) begin
          ok_r[j] = 1'b1;
          pseudo  = need_lo && need_hi;
        end else begin
          ok_r[j] = ok_r[j-1] && multi && (5'(ky_q) + 5'(j) < 5'(f_kh)) &&
                    (!rin_r[j] || col_whole) &&
                    (tot_r[(j)*20 +: 20] <= space) && !(need_lo && need_hi) &&
                    (!(need_lo || need_hi) || !fresh_v || (fresh_b == nb_j));
          if (ok_r[j]) g = RowsW'(j + 1);
        end
        if (ok_r[j] && (need_lo || need_hi)) begin
          fresh_v = 1'b1;
          fresh_b = nb_j;
        end
      end
    end
  end

  assign nx_m1    = f_nx - 12'd1;
  assign cols_win = 20'(nx_m1) * 20'(f_sx) + 20'(f_kw);
  assign cols_img = {8'd0, f_w} - ix0_ext;
  assign pf_cols  = (cols_win < cols_img) ? cols_win[15:0] : cols_img[15:0];
  assign pf_ok    = f_dense && contig_q && (f_sx <= f_kw);

  // The slot after rr_q stops hitting once a prefetch fills rr_q: no
  // prefetch while the line reads from it.
  always_comb begin
    pf_keep = 1'b0;
    for (int j = 0; j < Rows; j++) begin
      if (gen_run && (RowsW'(j) < g) && rd_r[j] &&
          ((lo_sel[(j)*SlotW +: SlotW] == rr_q + SlotW'(1)) || (hi_sel[(j)*SlotW +: SlotW] == rr_q + SlotW'(1)))) begin
        pf_keep = 1'b1;
      end
    end
  end

  always_comb begin
    pf_v   = 1'b0;
    pf_b   = '0;
    pf_nb  = '0;
    pf_hit = 1'b0;
    if (gen_run && pf_ok && !pf_keep) begin
      for (int j = 0; j < Rows; j++) begin
        pf_nb  = b0_r[(j)*BeatIdxW +: BeatIdxW] + (span_r[j] ? BeatIdxW'(2) : BeatIdxW'(1));
        pf_hit = 1'b0;
        for (int s = 0; s < Slots; s++) begin
          if (tag_ok_q[s] && (SlotW'(s) != rr_q) && (tag_q[(s)*BeatIdxW +: BeatIdxW] == pf_nb)) pf_hit = 1'b1;
        end
        if (!pf_v && (RowsW'(j) < g) && rd_r[j] && !pf_hit &&
            ({pf_nb, {BeatAw{1'b0}}} < aky_r[(j)*32 +: 32] + lim_q)) begin
          pf_v = 1'b1;
          pf_b = pf_nb;
        end
      end
    end
  end

  always_comb begin
    tot = tot_r[(0)*20 +: 20];
    for (int j = 1; j < Rows; j++) begin
      if (g == RowsW'(j + 1)) tot = tot_r[(j)*20 +: 20];
    end
  end
  assign ky_g = 5'(ky_q) + 5'(g);

  assign zero_steps = (f_ny == '0) || (f_nx == '0) || (f_kh == '0) || (f_kw == '0) ||
                      (f_nl == '0) || (f_dense && (f_seg == '0));
  assign l_wrap     = (l_q == f_nl - 12'd1);
  assign ky_end     = (ky_g == 5'(f_kh));
  assign x_wrap     = (x_q == f_nx - 12'd1);
  assign y_wrap     = (y_q == f_ny - 12'd1);
  assign pix_end    = inner_last && kx_last && ky_end;
  assign final_step = pix_end && x_wrap && y_wrap;

  // Descriptor FIFO and beat request FIFO. A descriptor carries np pieces
  // of vb bytes each, placed back to back from byte doff; piece j is
  // {off, lo, hi, fill} at bits j*PieceW of the word after the descriptor:
  // its first byte in the {hi, lo} beat window, the slots of the beat
  // holding that byte and of the next one (= lo unless it spans), and
  // "no DRAM data: pad bytes".
  typedef struct packed {
    logic                we;     // write an SRAM line (0: consume-only / marker)
    logic                nb;     // take one response beat into slot wslot
    logic [SlotW-1:0]    wslot;
    logic [RowsW-1:0]    np;     // pieces (0: consume-only / marker)
    logic [VbW-1:0]      vb;
    logic [15:0]         addr;
    logic [BufW-1:0]     bufsel;
    logic [7:0]          pad;
    logic                last;   // last line of its instruction
    logic                push;   // push l2c with it
    logic                part;   // dense: merge into the assembly, no write
    logic [VbW-1:0]      doff;   // dense: byte offset inside the line
    logic [VbW-1:0]      lpad;   // dense edge window: leading pad bytes per piece
    logic [VbW-1:0]      hpad;   // dense edge window: trailing pad bytes per piece
  } line_desc_t;

  line_desc_t                desc_in, desc_out;
  logic [Rows*PieceW-1:0]    pcs_in, pcs_out;
  logic       desc_push, desc_in_ready, desc_out_valid, desc_pop;
  logic [$clog2(LineFifoDepth + 1)-1:0] desc_count;

  logic                req_push, req_in_ready;
  logic [BeatIdxW-1:0] req_beat, req_out_beat;
  logic [1:0]          unused_req_count;

  logic gen_pseudo, gen_line, gen_marker, gen_fire, advance;

  always_comb begin
    gen_pseudo = 1'b0;
    gen_line   = 1'b0;
    gen_marker = 1'b0;
    req_push   = 1'b0;
    req_beat   = fresh_b;
    desc_in    = '0;
    desc_in.wslot  = rr_q;
    desc_in.vb     = vb;
    desc_in.addr   = f_sram_base + n_q;
    desc_in.bufsel = f_buf;
    desc_in.pad    = f_pad;
    for (int j = 0; j < Rows; j++) begin
      pcs_in[j*PieceW +: PieceW] = {off_r[(j)*BeatAw +: BeatAw], lo_sel[(j)*SlotW +: SlotW], hi_sel[(j)*SlotW +: SlotW], !rd_r[j]};
    end
    if (state_q == StRun) begin
      if (zero_steps) begin
        gen_marker     = 1'b1;
        desc_in.last   = 1'b1;
        desc_in.push   = f_push_next;
      end else if (pseudo) begin
        // Two fresh beats: fetch the first one alone, then the line reuses it.
        gen_pseudo = 1'b1;
        req_push   = 1'b1;
        req_beat   = b0_r[(0)*BeatIdxW +: BeatIdxW];
        desc_in.nb = 1'b1;
      end else begin
        gen_line     = 1'b1;
        req_push     = fresh_v || pf_v;
        req_beat     = fresh_v ? fresh_b : pf_b;
        desc_in.np   = g;
        desc_in.we   = buf_ok && flush;
        desc_in.part = !flush;
        desc_in.doff = f_dense ? pos_q : '0;
        desc_in.lpad = lpad;
        desc_in.hpad = hpad;
        desc_in.nb   = req_push;
        desc_in.last = final_step;
        desc_in.push = final_step && f_push_next;
      end
    end
  end

  assign desc_push = (gen_pseudo || gen_line || gen_marker) && desc_in_ready &&
                     (!req_push || req_in_ready);
  assign gen_fire  = desc_push;
  assign advance   = gen_fire && gen_line;

  assign instr_ready_o = gen_fire && (gen_marker || (gen_line && final_step));
  assign c2l_pop_o     = (state_q == StWait) && f_pop_next && c2l_avail_i;

  always_comb begin
    state_d     = state_q;
    setup_d     = setup_q;
    rb_d        = rb_q;
    step_y_d    = step_y_q;
    step_ky_d   = step_ky_q;
    step_x_d    = step_x_q;
    step_kx_d   = step_kx_q;
    base_d      = base_q;
    y_d = y_q;  x_d = x_q;  ky_d = ky_q;  kx_d = kx_q;  l_d = l_q;  n_d = n_q;
    ihy_d = ihy_q;  ih_d = ih_q;  iwx_d = iwx_q;  iw_d = iw_q;
    ay_d = ay_q;  aky_d = aky_q;  ax_d = ax_q;  akx_d = akx_q;  al_d = al_q;
    rem_d       = rem_q;
    pos_d       = pos_q;
    contig_d    = contig_q;
    lim_d       = lim_q;
    tag_d       = tag_q;
    tag_ok_d    = tag_ok_q;
    rr_d        = rr_q;

    if (gen_fire && req_push) begin
      tag_d[(rr_q)*BeatIdxW +: BeatIdxW]    = req_beat;
      tag_ok_d[rr_q] = 1'b1;
      rr_d           = rr_q + SlotW'(1);
    end

    case (state_q)
      StIdle: begin
        if (instr_valid_i) begin
          // A plain copy (one pixel at (0, 0)) never steps by the products:
          // skip their computation, as weight and parameter loads are short.
          if (plain_copy) begin
            state_d = StWait;
          end else begin
            state_d = StSetup;
          end
          setup_d  = (step_ok_q && (step_key_q == step_key)) ? 3'd5 : 3'd0;
          base_d   = f_dram_base;
          tag_ok_d = '0;
        end
      end
      StSetup: begin
        setup_d = setup_q + 3'd1;
        case (setup_q)
          3'd0: rb_d = mul_prod;
          3'd1: step_y_d = mul_prod;
          3'd2: step_ky_d = mul_prod;
          3'd3: step_x_d = mul_prod;
          3'd4: step_kx_d = mul_prod;
          default: base_d = base_q + mul_prod;
        endcase
        if (setup_q == 3'd6) state_d = StWait;
      end
      StWait: begin
        y_d = '0;  x_d = '0;  ky_d = '0;  kx_d = '0;  l_d = '0;  n_d = '0;
        ihy_d = iy0_ext;  ih_d = iy0_ext;  iwx_d = ix0_ext;  iw_d = ix0_ext;
        ay_d = base_q;  aky_d = base_q;  ax_d = '0;  akx_d = '0;  al_d = '0;
        rem_d = {2'b00, f_seg};
        pos_d = '0;
        // Consecutive taps of a row are one DRAM run when a tap step is
        // exactly one segment.
        contig_d = (f_dx == 4'd1) && (step_kx_q == {16'd0, f_seg});
        lim_d    = mul_prod;  // pf_cols * pix_stride
        if (!f_pop_next || c2l_avail_i) state_d = StRun;
      end
      StRun: begin
        if (instr_ready_o) state_d = StIdle;
      end
      default: state_d = StIdle;
    endcase

    // Loop nest, innermost (l) first; each wrapping counter restarts from
    // the value its parent reaches in the same step.
    if (advance) begin
      n_d   = flush ? n_q + 16'd1 : n_q;
      pos_d = flush ? '0 : pos_q + VbW'(tot);
      if (!inner_last) begin
        l_d   = l_q + 12'd1;
        al_d  = al_q + (f_dense ? 32'(piece) : 32'(lb));
        rem_d = rem_q - 18'(lb);
      end else begin
        l_d   = '0;
        al_d  = '0;
        rem_d = {2'b00, f_seg};
        if (!pix_end || !x_wrap) begin
          if (pix_end) begin
            // next x
            x_d   = x_q + 12'd1;
            ax_d  = ax_q + step_x_q;
            iwx_d = iwx_q + {16'd0, f_sx};
            ky_d  = '0;
            kx_d  = '0;
            aky_d = ay_q;
            ih_d  = ihy_q;
            akx_d = ax_d;
            iw_d  = iwx_d;
          end else if (kx_last) begin
            // next ky (past the whole group of rows)
            ky_d  = ky_g[3:0];
            aky_d = aky_r[(g)*32 +: 32];
            ih_d  = ih_r[(g)*20 +: 20];
            kx_d  = '0;
            akx_d = ax_q;
            iw_d  = iwx_q;
          end else begin
            // next kx (dense: past the whole run)
            kx_d  = kx_q + tap_step;
            akx_d = akx_q + tap_akx;
            iw_d  = iw_q + tap_iw;
          end
        end else begin
          // next y (final_step never advances past the last y)
          y_d   = y_q + 12'd1;
          ay_d  = ay_q + step_y_q;
          ihy_d = ihy_q + {16'd0, f_sy};
          x_d   = '0;
          ky_d  = '0;
          kx_d  = '0;
          ax_d  = '0;
          akx_d = '0;
          aky_d = ay_d;
          ih_d  = ihy_d;
          iwx_d = ix0_ext;
          iw_d  = ix0_ext;
        end
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q  <= StIdle;
      setup_q  <= '0;
      tag_ok_q <= '0;
      rr_q     <= '0;
    end else begin
      state_q  <= state_d;
      setup_q  <= setup_d;
      tag_ok_q <= tag_ok_d;
      rr_q     <= rr_d;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      step_ok_q <= 1'b0;
    end else if ((state_q == StSetup) && (setup_q == 3'd4)) begin
      step_ok_q <= 1'b1;
    end
  end

  always_ff @(posedge clk_i) begin
    if ((state_q == StSetup) && (setup_q == 3'd4)) step_key_q <= step_key;
  end

  always_ff @(posedge clk_i) begin
    rb_q        <= rb_d;
    step_y_q    <= step_y_d;
    step_ky_q   <= step_ky_d;
    step_x_q    <= step_x_d;
    step_kx_q   <= step_kx_d;
    base_q      <= base_d;
    y_q         <= y_d;
    x_q         <= x_d;
    ky_q        <= ky_d;
    kx_q        <= kx_d;
    l_q         <= l_d;
    n_q         <= n_d;
    ihy_q       <= ihy_d;
    ih_q        <= ih_d;
    iwx_q       <= iwx_d;
    iw_q        <= iw_d;
    ay_q        <= ay_d;
    aky_q       <= aky_d;
    ax_q        <= ax_d;
    akx_q       <= akx_d;
    al_q        <= al_d;
    rem_q       <= rem_d;
    pos_q       <= pos_d;
    contig_q    <= contig_d;
    lim_q       <= lim_d;
    tag_q       <= tag_d;
  end

  sparq_fifo #(
    .Width(DescW),
    .Depth(LineFifoDepth)
  ) u_desc_fifo (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (desc_push),
    .in_ready_o (desc_in_ready),
    .in_data_i  ({pcs_in, desc_in}),
    .out_valid_o(desc_out_valid),
    .out_ready_i(desc_pop),
    .out_data_o ({pcs_out, desc_out}),
    .count_o    (desc_count)
  );

  // The request FIFO registers the DRAM request port.
  sparq_fifo #(
    .Width(BeatIdxW),
    .Depth(2)
  ) u_req_fifo (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (req_push && desc_push),
    .in_ready_o (req_in_ready),
    .in_data_i  (req_beat),
    .out_valid_o(dram_rd_req_valid_o),
    .out_ready_i(dram_rd_req_ready_i),
    .out_data_o (req_out_beat),
    .count_o    (unused_req_count)
  );

  assign dram_rd_req_addr_o = {req_out_beat, {BeatAw{1'b0}}};

  // ---------------------------------------------------------------------------
  // Realigner
  // ---------------------------------------------------------------------------
  logic [Slots*DramBits-1:0]      slot_q;
  logic [LineBits-1:0]            asm_q, wr_data_q;

  assign dram_rd_rsp_ready_o = desc_out_valid && desc_out.nb;
  assign desc_pop            = desc_out_valid && (!desc_out.nb || dram_rd_rsp_valid_i);

  // The line a popped descriptor writes. Simulation speed: it is computed
  // inside the clocked block, under desc_pop, not as combinational logic: it
  // reads the response beat, a top-level input, and a cycle-based simulator
  // re-evaluates logic fed by its inputs on every evaluation, twice a cycle.
  // The block's variables are its own temporaries (wires after synthesis);
  // the registers it loads are those the combinational line used to feed.
  //
  // Piece j reads the {hi, lo} window of its slots (the beat arriving now
  // for the slot it fills) and lands at doff + j*vb. Bytes below doff come
  // from the assembly (earlier pieces of the line); bytes past the last
  // piece are zero.
  /* verilator lint_off BLKSEQ */
  always_ff @(posedge clk_i) begin : p_realign
    logic [BeatAw-1:0]     pc_off;
    logic [SlotW-1:0]      pc_lo, pc_hi;
    logic                  pc_fill;
    logic [DramBits-1:0]   lo_data, hi_data;
    logic [2*DramBits-1:0] window;
    logic [VbW1+1:0]       doff_j;
    logic [LineBits-1:0]   placed_j, line;
    if (desc_pop) begin
      line = '0;
      for (int i = 0; i < LineBytes; i++) begin
        if (VbW'(i) < desc_out.doff) line[8*i +: 8] = asm_q[8*i +: 8];
      end
      for (int j = 0; j < Rows; j++) begin
        if (RowsW'(j) < desc_out.np) begin
          {pc_off, pc_lo, pc_hi, pc_fill} = pcs_out[j*PieceW +: PieceW];
          lo_data = (desc_out.nb && (pc_lo == desc_out.wslot)) ? dram_rd_rsp_data_i
                                                              : slot_q[pc_lo*DramBits +: DramBits];
          hi_data = (desc_out.nb && (pc_hi == desc_out.wslot)) ? dram_rd_rsp_data_i
                                                              : slot_q[pc_hi*DramBits +: DramBits];
          window   = {hi_data, lo_data};
          doff_j   = (VbW1 + 2)'(desc_out.doff) + (VbW1 + 2)'(j) * (VbW1 + 2)'(desc_out.vb);
          placed_j = LineBits'(window >> {pc_off, 3'b000}) << {doff_j, 3'b000};
          for (int i = 0; i < LineBytes; i++) begin
            if ((VbW'(i) >= desc_out.doff) && ((VbW1 + 2)'(i) >= doff_j) &&
                ((VbW1 + 2)'(i) < doff_j + (VbW1 + 2)'(desc_out.vb))) begin
              line[8*i +: 8] = (pc_fill || ((VbW1 + 2)'(i) < doff_j + (VbW1 + 2)'(desc_out.lpad)) ||
                                ((VbW1 + 2)'(i) >= doff_j + (VbW1 + 2)'(desc_out.vb) -
                                                   (VbW1 + 2)'(desc_out.hpad)))
                               ? desc_out.pad : placed_j[8*i +: 8];
            end
          end
        end
      end
      if (desc_out.nb) slot_q[desc_out.wslot*DramBits +: DramBits] <= dram_rd_rsp_data_i;
      if (desc_out.part) asm_q <= line;
      wr_data_q <= line;
    end
  end
  /* verilator lint_on BLKSEQ */

  logic                wr_valid_q, done_q, push_q;
  logic [BufW-1:0]     wr_buf_q;
  logic [15:0]         wr_addr_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_valid_q <= 1'b0;
      done_q     <= 1'b0;
      push_q     <= 1'b0;
    end else begin
      wr_valid_q <= desc_pop && desc_out.we;
      done_q     <= desc_pop && desc_out.last;
      push_q     <= desc_pop && desc_out.push;
    end
  end

  always_ff @(posedge clk_i) begin
    wr_buf_q  <= desc_out.bufsel;
    wr_addr_q <= desc_out.addr;
  end

  assign wr_valid_o       = wr_valid_q;
  assign wr_buf_o         = wr_buf_q;
  assign wr_addr_o        = wr_addr_q;
  assign wr_data_o        = wr_data_q;
  assign l2c_push_o       = push_q;
  assign evt_instr_done_o = done_q;

  // ---------------------------------------------------------------------------
  // Status
  // ---------------------------------------------------------------------------
  assign busy_o = (state_q != StIdle) || (desc_count != '0) || wr_valid_q || done_q;
  assign evt_stall_tokens_o = (state_q == StWait) && f_pop_next && !c2l_avail_i;
  assign evt_stall_dram_o   = busy_o && !evt_stall_tokens_o &&
                              !(dram_rd_req_valid_o && dram_rd_req_ready_i) &&
                              !(dram_rd_rsp_valid_i && dram_rd_rsp_ready_o);

  `ASSERT(LoadFlagsZero, instr_valid_i |-> !instr_data_i[sparq_isa_pkg::CommonPopPrevLsb] &&
                                           !instr_data_i[sparq_isa_pkg::CommonPushPrevLsb])
  `ASSERT(KnownBuf, instr_valid_i |-> buf_ok)
  `ASSERT(InstrHeld, state_q != StIdle |-> instr_valid_i && $stable(instr_data_i))
  // The last line may lie wholly beyond the segment (a zero line: the
  // second line of an N24W8 row pair).
  `ASSERT(SegFitsLines, instr_valid_i && !zero_steps && !f_dense |->
                        32'(f_seg) + 32'(lb) > (32'(f_nl) - 32'd1) * 32'(lb))
  `ASSERT(DenseFitsLines, instr_valid_i && !zero_steps && f_dense |->
                          32'(f_kh) * 32'(f_kw) * 32'(f_seg) > (32'(f_nl) - 32'd1) * 32'(lb) &&
                          32'(f_kh) * 32'(f_kw) * 32'(f_seg) <= 32'(f_nl) * 32'(lb))
  `ASSERT_STABLE(ReqStable, dram_rd_req_valid_o, dram_rd_req_ready_i, dram_rd_req_addr_o)
  `ASSERT_KNOWN(RspValidKnown, dram_rd_rsp_valid_i)

endmodule
