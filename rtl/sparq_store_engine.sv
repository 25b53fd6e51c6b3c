// STORE engine: ACC rows -> bias, requantization -> DRAM bytes (semantics:
// docs/architecture.md, "STORE").
//
// After taking its c2s token (pop_prev) the engine reads the n_bytes PARAM
// records it needs into per-lane registers (one per cycle), then streams one
// pixel per cycle: ACC read -> bias add (wrapping) -> ArrayCols sparq_requant
// lanes -> output FIFO -> write aligner. The ACC read cannot be stalled, so
// reads are issued against credits for free output FIFO entries. The aligner
// places the pixel's n_bytes bytes at any byte address: one beat with byte
// strobes, or two when the bytes cross a beat boundary. With out_int4 the
// pixel's channels are packed two per byte (channel 2i in the low nibble) and
// ceil(n_bytes/2) bytes are written; a missing last high nibble is 0. With
// out_binary they are packed eight per byte (channel 8i+j in bit j, 1 when
// the requantized value is > 0) and ceil(n_bytes/8) bytes are written, the
// bits beyond n_bytes 0. With out_int16 (A16W8) a pixel takes two ACC reads,
// lane 0 (row 2p) then lane 1 (row 2p+1); their channels combine as
// lane 1 * 256 + lane 0 plus the 64-bit bias, are requantized to int16
// (sparq_requant64, or sparq_requant on the low 32 bits with bias32) and
// leave as two output entries of n_bytes bytes each, the low bytes at the
// pixel's address and the high bytes hi_off further (the two byte planes of
// an int16 tensor), so an entry still fits one beat. s2c_push_o and
// evt_instr_done_o fire the cycle after the last beat was accepted.
//
// Chaining (act_write, int8 output only): each pixel also enters an ACT
// FIFO as one ACT line (act_dst + its raster index, bytes n_bytes.. zero),
// issued against credits like the output FIFO. The ACT write port is shared
// with the LOAD engine, which wins: a head entry waits while act_wr_ready_i
// is low (counted as a DRAM-port stall). The STORE finishes when its last
// beat and its last ACT line were both accepted.
//
// Pixels of one STORE at a time: a STORE starts (its fields latched in
// run_q, popped from the queue) when the previous one has finished. The
// queue head, the next STORE, meanwhile takes its c2s token and reads its
// records (head FSM): the per-lane parameter registers come in two banks,
// the running STORE's (rbank_q) and the head's (hbank_q), so the reads of
// back-to-back STOREs overlap the previous STORE's pixels and drain.
//
// PARAM reuse: each bank keeps the records of the last STORE that read
// into it. A STORE with a bank's param_base and at most as many lanes uses
// that bank and skips its PARAM reads (the running STORE's bank first);
// else it reads into the other bank. A PARAM SRAM write (param_we_i)
// anywhere in the SRAM invalidates both banks' records. The head reads its
// records while it awaits its c2s token (tok_q low) and the engine. Its
// records are final (fin_q) when it found or began reading them with its
// token available (or needing none): a PARAM write it must see has landed
// by then in a program without races. Else it starts when no PARAM write
// came since those reads began, or reads them again (once its bank is not
// the running STORE's).
//
// Parameters: ArrayRows (bytes per ACT line), ArrayCols (lanes, bytes per
// ACC row), AccRows, ActLines, ParamEntries, DramBits, OutFifoDepth
// (requantized pixels buffered before the DRAM port, and before the ACT port).
// Ports: instr_* (STORE queue head), c2s / s2c tokens, param_* (PARAM SRAM
// read port; param_we_i: a write to the PARAM SRAM this cycle), acc_* (ACC read port of the GEMM engine, data the cycle after
// re), dram_wr_* (beats with strobes), act_wr_* (chained ACT lines; ready
// low while the LOAD engine writes ACT), busy_o and counter events.

module sparq_store_engine #(
  parameter int ArrayRows    = 16,
  parameter int ArrayCols    = 16,
  parameter int AccRows      = 4096,
  parameter int ActLines     = 32768,
  parameter int ParamEntries = 2048,
  parameter int DramBits     = 128,
  parameter int OutFifoDepth = 8,
  localparam int AccAw     = $clog2(AccRows),
  localparam int ParamAw   = $clog2(ParamEntries),
  localparam int ActAw     = $clog2(ActLines),
  localparam int InstrBits = sparq_isa_pkg::InstrBits,
  localparam int ParamBits = sparq_isa_pkg::ParamBits
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    instr_valid_i,
  output logic                    instr_ready_o,
  input  logic [InstrBits-1:0]    instr_data_i,
  input  logic                    c2s_avail_i,
  output logic                    c2s_pop_o,
  output logic                    s2c_push_o,
  output logic                    param_re_o,
  output logic [ParamAw-1:0]      param_raddr_o,
  input  logic [ParamBits-1:0]    param_rdata_i,
  input  logic                    param_we_i,
  output logic                    acc_re_o,
  output logic [AccAw-1:0]        acc_raddr_o,
  input  logic [ArrayCols*32-1:0] acc_rdata_i,
  output logic                    dram_wr_valid_o,
  input  logic                    dram_wr_ready_i,
  output logic [31:0]             dram_wr_addr_o,
  output logic [DramBits-1:0]     dram_wr_data_o,
  output logic [DramBits/8-1:0]   dram_wr_strb_o,
  output logic                    act_wr_valid_o,
  input  logic                    act_wr_ready_i,
  output logic [ActAw-1:0]        act_wr_addr_o,
  output logic [ArrayRows*8-1:0]  act_wr_data_o,
  output logic                    busy_o,
  output logic                    evt_stall_dram_o,
  output logic                    evt_stall_tokens_o,
  output logic                    evt_instr_done_o
);

`include "sparq_assert.svh"

  localparam int Beat     = DramBits / 8;
  localparam int BeatAw   = $clog2(Beat);
  localparam int LaneW    = $clog2(ArrayCols + 1);
  localparam int CreditW  = $clog2(OutFifoDepth + 1);
  localparam int PixBits  = 8 * ArrayCols;
  localparam int OutW     = 32 + 1 + PixBits;  // address, last, bytes

  if (ArrayCols > Beat) begin : g_bad_cols
    `ELAB_ERROR("sparq_store_engine: a pixel (ArrayCols bytes) must fit one DRAM beat")
  end

  // ---------------------------------------------------------------------------
  // Instruction fields
  // ---------------------------------------------------------------------------
  logic [11:0] f_ny, f_nx;
  logic [sparq_isa_pkg::StoreAccShiftW-1:0] f_acc_shift;
  logic [23:0] f_row_stride;
  logic [19:0] f_pix_stride;
  logic [7:0]  f_n_bytes, f_out_zp, f_act_min, f_act_max;
  logic        f_push_prev, f_out_int4, f_out_binary;
  logic        f_out_int16, f_bias32;
  logic [15:0] f_act_min16, f_act_max16;
  logic [19:0] f_hi_off;
  logic        f_act_write;
  logic [15:0] f_act_dst;

  // The running STORE's word (run_q, latched when it starts) gives the
  // fields above; the queue head meanwhile takes its token and reads its
  // records (h_*).
  logic [InstrBits-1:0] run_q;

  assign f_ny         = run_q[sparq_isa_pkg::StoreNyLsb +: sparq_isa_pkg::StoreNyW];
  assign f_nx         = run_q[sparq_isa_pkg::StoreNxLsb +: sparq_isa_pkg::StoreNxW];
  assign f_acc_shift  = run_q[sparq_isa_pkg::StoreAccShiftLsb +: sparq_isa_pkg::StoreAccShiftW];
  assign f_row_stride = run_q[sparq_isa_pkg::StoreRowStrideLsb +: sparq_isa_pkg::StoreRowStrideW];
  assign f_pix_stride = run_q[sparq_isa_pkg::StorePixStrideLsb +: sparq_isa_pkg::StorePixStrideW];
  assign f_n_bytes    = run_q[sparq_isa_pkg::StoreNBytesLsb +: sparq_isa_pkg::StoreNBytesW];
  assign f_out_zp     = run_q[sparq_isa_pkg::StoreOutZpLsb +: sparq_isa_pkg::StoreOutZpW];
  assign f_act_min    = run_q[sparq_isa_pkg::StoreActMinLsb +: sparq_isa_pkg::StoreActMinW];
  assign f_act_max    = run_q[sparq_isa_pkg::StoreActMaxLsb +: sparq_isa_pkg::StoreActMaxW];
  assign f_out_int4   = run_q[sparq_isa_pkg::StoreOutInt4Lsb];
  assign f_out_binary = run_q[sparq_isa_pkg::StoreOutBinaryLsb];
  assign f_out_int16  = run_q[sparq_isa_pkg::StoreOutInt16Lsb];
  assign f_bias32     = run_q[sparq_isa_pkg::StoreBias32Lsb];
  assign f_act_min16  = run_q[sparq_isa_pkg::StoreActMin16Lsb +: sparq_isa_pkg::StoreActMin16W];
  assign f_act_max16  = run_q[sparq_isa_pkg::StoreActMax16Lsb +: sparq_isa_pkg::StoreActMax16W];
  assign f_hi_off     = run_q[sparq_isa_pkg::StoreHiOffLsb +: sparq_isa_pkg::StoreHiOffW];
  assign f_act_write  = run_q[sparq_isa_pkg::StoreActWriteLsb];
  assign f_act_dst    = run_q[sparq_isa_pkg::StoreActDstLsb +: sparq_isa_pkg::StoreActDstW];
  assign f_push_prev  = run_q[sparq_isa_pkg::CommonPushPrevLsb];

  // Lanes actually written; n_bytes > ArrayCols is invalid (asserted below).
  logic [LaneW-1:0] n_lanes;
  assign n_lanes = (32'(f_n_bytes) > ArrayCols) ? LaneW'(ArrayCols) : LaneW'(f_n_bytes);

  // The queue head's fields (its token and PARAM records).
  logic [15:0]      h_param_base, h_acc_base;
  logic [31:0]      h_dram_base;
  logic [7:0]       h_n_bytes;
  logic [11:0]      h_ny, h_nx;
  logic             h_pop_prev, h_push_prev, h_no_work;
  logic [LaneW-1:0] h_lanes;

  assign h_param_base = instr_data_i[sparq_isa_pkg::StoreParamBaseLsb +: sparq_isa_pkg::StoreParamBaseW];
  assign h_acc_base   = instr_data_i[sparq_isa_pkg::StoreAccBaseLsb +: sparq_isa_pkg::StoreAccBaseW];
  assign h_dram_base  = instr_data_i[sparq_isa_pkg::StoreDramBaseLsb +: sparq_isa_pkg::StoreDramBaseW];
  assign h_n_bytes    = instr_data_i[sparq_isa_pkg::StoreNBytesLsb +: sparq_isa_pkg::StoreNBytesW];
  assign h_ny         = instr_data_i[sparq_isa_pkg::StoreNyLsb +: sparq_isa_pkg::StoreNyW];
  assign h_nx         = instr_data_i[sparq_isa_pkg::StoreNxLsb +: sparq_isa_pkg::StoreNxW];
  assign h_pop_prev   = instr_data_i[sparq_isa_pkg::CommonPopPrevLsb];
  assign h_push_prev  = instr_data_i[sparq_isa_pkg::CommonPushPrevLsb];
  assign h_lanes      = (32'(h_n_bytes) > ArrayCols) ? LaneW'(ArrayCols) : LaneW'(h_n_bytes);
  assign h_no_work    = (h_ny == '0) || (h_nx == '0) || (h_lanes == '0);

  // PARAM records in two banks of lane registers (see the header): bank b
  // holds records pbase<b>_q .. pbase<b>_q + plan<b>_q - 1 while
  // pvalid_q[b]. The running STORE reads bank rbank_q; the head uses bank
  // hbank_q.
  logic [1:0]       pvalid_q;
  logic [15:0]      pbase0_q, pbase1_q;
  logic [LaneW-1:0] plan0_q, plan1_q;
  logic             rbank_q, hbank_d, hbank_q;
  logic             hit0, hit1, hit_r, hit_o, hvalid, pread_start;
  logic             tok_d, tok_q;  // the head's c2s token taken
  logic             fin_d, fin_q;  // the head's records final: decided with its token
  logic             h_tok, h_rd_done, run_free, start, retire0;

  // A PARAM write this cycle invalidates too (its records may be final).
  assign hit0   = pvalid_q[0] && !param_we_i && (pbase0_q == h_param_base) &&
                  (h_lanes <= plan0_q);
  assign hit1   = pvalid_q[1] && !param_we_i && (pbase1_q == h_param_base) &&
                  (h_lanes <= plan1_q);
  assign hit_r  = rbank_q ? hit1 : hit0;
  assign hit_o  = rbank_q ? hit0 : hit1;
  assign hvalid = pvalid_q[hbank_q];

  // ---------------------------------------------------------------------------
  // Control: the head FSM (token, PARAM reads) and the run FSM (pixels)
  // ---------------------------------------------------------------------------
  typedef enum logic [1:0] {
    HIdle,
    HParam,
    HReady
  } head_e;

  typedef enum logic [1:0] {
    StIdle,
    StRun,
    StDrain
  } state_e;

  head_e  hstate_d, hstate_q;
  state_e state_d, state_q;
  logic [LaneW-1:0] pcnt_d, pcnt_q;
  logic [11:0]      y_d, y_q, x_d, x_q;
  logic [15:0]      row_d, row_q;
  logic [31:0]      ya_d, ya_q, xo_d, xo_q;
  logic [CreditW-1:0] credits_d, credits_q;
  logic [CreditW-1:0] act_credits_d, act_credits_q;
  logic             act_pop, act_done, dram_done_d, dram_done_q;
  logic             issue, finish, last_pixel, x_wrap;
  logic             out_pop, wr_fire;
  logic             wr_last_q;
  logic             ph_d, ph_q;     // out_int16: 0 lane-0 read, 1 lane-1 read
  logic             pix_end;        // this issue is a pixel's last ACC read

  assign pix_end    = !f_out_int16 || ph_q;

  assign x_wrap     = (x_q == f_nx - 12'd1);
  assign last_pixel = x_wrap && (y_q == f_ny - 12'd1);
  assign issue      = (state_q == StRun) && (credits_q != '0) &&
                      (!f_act_write || (act_credits_q != '0));
  assign wr_fire    = dram_wr_valid_o && dram_wr_ready_i;
  assign finish     = (state_q == StDrain) && (dram_done_q || (wr_fire && wr_last_q)) &&
                      act_done;

  // The head starts when the engine is free, its token is taken (or
  // needs none) and its records are in its bank: after its last read (no
  // PARAM write in that cycle), or later while no write came since the
  // reads began. A head without work retires when the engine is free.
  assign c2s_pop_o = (hstate_q != HIdle) && h_pop_prev && !tok_q && c2s_avail_i;
  assign h_tok     = !h_pop_prev || tok_q || c2s_avail_i;
  assign h_rd_done = (hstate_q == HReady) ||
                     ((hstate_q == HParam) && (pcnt_q == h_lanes - LaneW'(1)) && !param_we_i);
  assign run_free  = (state_q == StIdle) || finish;
  assign start     = h_rd_done && h_tok && run_free && !h_no_work && (hvalid || fin_q);
  assign retire0   = (hstate_q == HReady) && h_tok && (state_q == StIdle) && h_no_work;

  assign instr_ready_o = start || retire0;
  assign dram_done_d   = (state_q == StDrain) && !finish &&
                         (dram_done_q || (wr_fire && wr_last_q));
  assign param_re_o    = (hstate_q == HParam);
  assign param_raddr_o = ParamAw'(h_param_base + 16'(pcnt_q));
  assign acc_re_o      = issue;
  assign acc_raddr_o   = AccAw'(row_q);

  always_comb begin
    hstate_d    = hstate_q;
    hbank_d     = hbank_q;
    pcnt_d      = pcnt_q;
    tok_d       = tok_q || c2s_pop_o;
    fin_d       = fin_q;
    pread_start = 1'b0;
    case (hstate_q)
      HIdle: begin
        if (instr_valid_i) begin
          pcnt_d = '0;
          fin_d  = !h_pop_prev || c2s_avail_i;
          if (h_no_work || hit_r) begin
            hstate_d = HReady;
            hbank_d  = rbank_q;
          end else if (hit_o) begin
            hstate_d = HReady;
            hbank_d  = !rbank_q;
          end else begin
            hstate_d    = HParam;  // into the bank the running STORE leaves
            hbank_d     = !rbank_q;
            pread_start = 1'b1;
          end
        end
      end
      HParam: begin
        pcnt_d = pcnt_q + LaneW'(1);
        if (pcnt_q == h_lanes - LaneW'(1)) hstate_d = HReady;
      end
      HReady: begin
        // A PARAM write since the reads began, which began before the
        // token: read again, once the bank is not the running STORE's.
        if (!h_no_work && !hvalid && !fin_q && (run_free || (hbank_q != rbank_q))) begin
          hstate_d    = HParam;
          pcnt_d      = '0;
          fin_d       = h_tok;
          pread_start = 1'b1;
        end
      end
      default: hstate_d = HIdle;
    endcase
    if (start || retire0) begin
      hstate_d = HIdle;
      tok_d    = 1'b0;
    end
  end

  always_comb begin
    state_d   = state_q;
    y_d       = y_q;
    x_d       = x_q;
    row_d     = row_q;
    ya_d      = ya_q;
    xo_d      = xo_q;
    credits_d = credits_q;
    act_credits_d = act_credits_q;
    ph_d      = ph_q;
    if (issue) credits_d = credits_d - CreditW'(1);
    if (out_pop) credits_d = credits_d + CreditW'(1);
    if (issue && f_act_write) act_credits_d = act_credits_d - CreditW'(1);
    if (act_pop) act_credits_d = act_credits_d + CreditW'(1);

    case (state_q)
      StRun: begin
        if (issue && !pix_end) begin
          // out_int16 lane 0 read: lane 1 is the next row (acc_shift 1).
          row_d = row_q + 16'd1;
          ph_d  = 1'b1;
        end else if (issue) begin
          row_d = f_out_int16 ? row_q + 16'd1 : row_q + (16'd1 << f_acc_shift);
          ph_d  = 1'b0;
          if (x_wrap) begin
            x_d  = '0;
            xo_d = '0;
            y_d  = y_q + 12'd1;
            ya_d = ya_q + {8'd0, f_row_stride};
          end else begin
            x_d  = x_q + 12'd1;
            xo_d = xo_q + {12'd0, f_pix_stride};
          end
          if (last_pixel) state_d = StDrain;
        end
      end
      StDrain: begin
        if (finish) state_d = StIdle;
      end
      default: state_d = StIdle;
    endcase
    // The next STORE starts when the engine is idle or in the cycle the
    // running one finishes.
    if (start) begin
      state_d = StRun;
      y_d     = '0;
      x_d     = '0;
      row_d   = h_acc_base;
      ya_d    = h_dram_base;
      xo_d    = '0;
      ph_d    = 1'b0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= StIdle;
      hstate_q  <= HIdle;
      credits_q <= CreditW'(OutFifoDepth);
      act_credits_q <= CreditW'(OutFifoDepth);
      dram_done_q <= 1'b0;
      ph_q      <= 1'b0;
      tok_q     <= 1'b0;
      fin_q     <= 1'b0;
      rbank_q   <= 1'b0;
      hbank_q   <= 1'b0;
    end else begin
      state_q   <= state_d;
      hstate_q  <= hstate_d;
      credits_q <= credits_d;
      act_credits_q <= act_credits_d;
      dram_done_q <= dram_done_d;
      ph_q      <= ph_d;
      tok_q     <= tok_d;
      fin_q     <= fin_d;
      hbank_q   <= hbank_d;
      if (start) rbank_q <= hbank_q;
    end
  end

  always_ff @(posedge clk_i) begin
    if (start) run_q <= instr_data_i;
  end

  // Fields only the head uses (opcode, tokens, param_base) stay unread here.
  logic unused_run;
  assign unused_run = ^run_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pvalid_q <= 2'b00;
    end else if (param_we_i) begin
      pvalid_q <= 2'b00;
    end else if (pread_start) begin
      pvalid_q[hbank_d] <= 1'b1;
    end
  end

  always_ff @(posedge clk_i) begin
    if (pread_start && !hbank_d) begin
      pbase0_q <= h_param_base;
      plan0_q  <= h_lanes;
    end
  end

  always_ff @(posedge clk_i) begin
    if (pread_start && hbank_d) begin
      pbase1_q <= h_param_base;
      plan1_q  <= h_lanes;
    end
  end

  always_ff @(posedge clk_i) begin
    pcnt_q <= pcnt_d;
    y_q    <= y_d;
    x_q    <= x_d;
    row_q  <= row_d;
    ya_q   <= ya_d;
    xo_q   <= xo_d;
  end

  // ---------------------------------------------------------------------------
  // Per-lane parameters: PARAM record c -> lane c of the head's bank,
  // captured the cycle after its read; field positions in the record from
  // the ISA package. The pixels use the running STORE's bank.
  // ---------------------------------------------------------------------------
  logic             pcap_q, pcbank_q;
  logic [LaneW-1:0] plane_q;
  logic [32*ArrayCols-1:0] bias_q, mult_q;  // lane c in bits [32*c +: 32]
  logic [8*ArrayCols-1:0]  shift_q;         // lane c in bits [8*c +: 8]
  logic [32*ArrayCols-1:0] bias_hi_q;       // A16W8: bias bits 63..32
  logic [15*ArrayCols-1:0] rm_q;            // A16W8: Q15 multiplier
  logic [31:0]             rd_bias, rd_mult, rd_bias_hi;
  logic [7:0]              rd_shift;
  logic [15:0]             rd_mult15;

  assign rd_bias  = param_rdata_i[sparq_isa_pkg::ParamBiasLsb +: sparq_isa_pkg::ParamBiasW];
  assign rd_mult  = param_rdata_i[sparq_isa_pkg::ParamMultLsb +: sparq_isa_pkg::ParamMultW];
  assign rd_shift = param_rdata_i[sparq_isa_pkg::ParamShiftLsb +: sparq_isa_pkg::ParamShiftW];
  assign rd_bias_hi = param_rdata_i[sparq_isa_pkg::ParamBiasHiLsb +: sparq_isa_pkg::ParamBiasHiW];
  assign rd_mult15  = param_rdata_i[sparq_isa_pkg::ParamMult15Lsb +: sparq_isa_pkg::ParamMult15W];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pcap_q <= 1'b0;
    end else begin
      pcap_q <= param_re_o;
    end
  end

  always_ff @(posedge clk_i) begin
    plane_q  <= pcnt_q;
    pcbank_q <= hbank_q;
  end

  for (genvar c = 0; c < ArrayCols; c++) begin : g_params
    logic [31:0] bias0_q, bias1_q, mult0_q, mult1_q, bhi0_q, bhi1_q;
    logic [7:0]  shift0_q, shift1_q;
    logic [14:0] rm0_q, rm1_q;

    always_ff @(posedge clk_i) begin
      if (pcap_q && (plane_q == LaneW'(c)) && !pcbank_q) begin
        bias0_q  <= rd_bias;
        mult0_q  <= rd_mult;
        shift0_q <= rd_shift;
        bhi0_q   <= rd_bias_hi;
        rm0_q    <= rd_mult15[14:0];
      end
    end

    always_ff @(posedge clk_i) begin
      if (pcap_q && (plane_q == LaneW'(c)) && pcbank_q) begin
        bias1_q  <= rd_bias;
        mult1_q  <= rd_mult;
        shift1_q <= rd_shift;
        bhi1_q   <= rd_bias_hi;
        rm1_q    <= rd_mult15[14:0];
      end
    end

    assign bias_q[32*c +: 32]    = rbank_q ? bias1_q : bias0_q;
    assign mult_q[32*c +: 32]    = rbank_q ? mult1_q : mult0_q;
    assign shift_q[8*c +: 8]     = rbank_q ? shift1_q : shift0_q;
    assign bias_hi_q[32*c +: 32] = rbank_q ? bhi1_q : bhi0_q;
    assign rm_q[15*c +: 15]      = rbank_q ? rm1_q : rm0_q;
  end

  // ---------------------------------------------------------------------------
  // Pixel pipeline: s1 ACC data, s2 biased sums, s3/s4 requant stages.
  // ---------------------------------------------------------------------------
  logic        v1_q, v2_q, v3_q, v4_q;
  logic [31:0] a1_q, a2_q, a3_q, a4_q;
  logic        l1_q, l2_q, l3_q, l4_q;
  logic        p1_q, p2_q, p3_q, p4_q;  // out_int16: lane-1 read (pixel complete)

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q <= 1'b0;
      v2_q <= 1'b0;
      v3_q <= 1'b0;
      v4_q <= 1'b0;
    end else begin
      v1_q <= issue;
      v2_q <= v1_q;
      v3_q <= v2_q;
      v4_q <= v3_q;
    end
  end

  always_ff @(posedge clk_i) begin
    a1_q <= ya_q + xo_q;
    l1_q <= last_pixel;
    a2_q <= a1_q;
    l2_q <= l1_q;
    a3_q <= a2_q;
    l3_q <= l2_q;
    a4_q <= a3_q;
    l4_q <= l3_q;
    p1_q <= pix_end;
    p2_q <= p1_q;
    p3_q <= p2_q;
    p4_q <= p3_q;
  end

  logic [PixBits-1:0]   pix_bytes, pix_out;
  logic [2*PixBits-1:0] pix16;       // out_int16: channel c in [16*c +: 16]
  logic [15:0]          zp_w, min_w, max_w;

  // One sparq_requant per lane serves int8 (the 8-bit fields sign-extended)
  // and A16W8's int32-bias variant (zero point 0, the int16 clamp).
  assign zp_w  = f_out_int16 ? 16'd0 : 16'($signed(f_out_zp));
  assign min_w = f_out_int16 ? f_act_min16 : 16'($signed(f_act_min));
  assign max_w = f_out_int16 ? f_act_max16 : 16'($signed(f_act_max));

  for (genvar c = 0; c < ArrayCols; c++) begin : g_lanes
    logic [31:0] lo_q, sum_q, acc_c;
    logic [63:0] v64_q;
    logic [15:0] q_req, q_64;
    logic        unused_q_req;

    assign acc_c = acc_rdata_i[32*c +: 32];

    // out_int16: lane 0 waits in lo_q for lane 1 (the next read).
    always_ff @(posedge clk_i) begin
      if (v1_q && !p1_q) lo_q <= acc_c;
    end

    always_ff @(posedge clk_i) begin
      if (!f_out_int16) begin
        sum_q <= acc_c + bias_q[32*c +: 32];
      end else if (v1_q && p1_q) begin
        sum_q <= {acc_c[23:0], 8'd0} + lo_q + bias_q[32*c +: 32];
      end
    end

    // The int64 sum, computed only for A16W8's int64-bias pixels.
    always_ff @(posedge clk_i) begin
      if (f_out_int16 && !f_bias32 && v1_q && p1_q) begin
        v64_q <= {{24{acc_c[31]}}, acc_c, 8'd0} + {{32{lo_q[31]}}, lo_q} +
                 {bias_hi_q[32*c +: 32], bias_q[32*c +: 32]};
      end
    end

    sparq_requant #(
      .QW(16)
    ) u_requant (
      .clk_i  (clk_i),
      .x_i    (sum_q),
      .mult_i (mult_q[32*c +: 32]),
      .shift_i(shift_q[8*c +: 8]),
      .zp_i   (zp_w),
      .min_i  (min_w),
      .max_i  (max_w),
      .q_o    (q_req)
    );

    sparq_requant64 u_requant64 (
      .clk_i  (clk_i),
      .acc_i  (v64_q),
      .rm_i   (rm_q[15*c +: 15]),
      .shift_i(shift_q[8*c +: 8]),
      .min_i  (f_act_min16),
      .max_i  (f_act_max16),
      .q_o    (q_64)
    );

    assign pix_bytes[8*c +: 8] = q_req[7:0];
    assign pix16[16*c +: 16]   = f_bias32 ? q_req : q_64;
    // Outside out_int16 the clamp keeps q_req inside int8.
    assign unused_q_req = ^q_req[15:8];
  end

  // int4 output: byte i = {channel 2i+1, channel 2i} low nibbles; channels at
  // or beyond n_bytes (their lanes hold stale parameters) give nibble 0.
  // Binary output: bit c = channel c's value > 0 (sign clear, not zero).
  always_comb begin
    pix_out = pix_bytes;
    if (f_out_binary) begin
      pix_out = '0;
      for (int c = 0; c < ArrayCols; c++) begin
        if (LaneW'(c) < n_lanes) begin
          pix_out[c] = !pix_bytes[8*c+7] && (pix_bytes[8*c +: 8] != 8'd0);
        end
      end
    end else if (f_out_int4) begin
      pix_out = '0;
      for (int c = 0; c < ArrayCols; c++) begin
        if (LaneW'(c) < n_lanes) pix_out[4*c +: 4] = pix_bytes[8*c +: 4];
      end
    end
  end

  // out_int16: a complete pixel (p4_q) leaves as two entries of n_bytes
  // bytes, the channels' low bytes now and their high bytes (held in hi_q)
  // hi_off bytes further the next cycle, which belongs to the next pixel's
  // lane-0 read and so has no entry of its own.
  logic             in_valid, in_last;
  logic             hi_pend_q, hi_last_q;
  logic [31:0]      hi_addr_q, in_addr;
  logic [PixBits-1:0] lo_plane, hi_plane, hi_q, in_bytes;

  always_comb begin
    for (int c = 0; c < ArrayCols; c++) begin
      lo_plane[8*c +: 8] = pix16[16*c +: 8];
      hi_plane[8*c +: 8] = pix16[16*c+8 +: 8];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      hi_pend_q <= 1'b0;
    end else begin
      hi_pend_q <= v4_q && f_out_int16 && p4_q;
    end
  end

  always_ff @(posedge clk_i) begin
    if (v4_q && f_out_int16 && p4_q) begin
      hi_q      <= hi_plane;
      hi_addr_q <= a4_q + 32'(f_hi_off);
      hi_last_q <= l4_q;
    end
  end

  always_comb begin
    in_valid = v4_q && !f_out_int16;
    in_addr  = a4_q;
    in_last  = l4_q;
    in_bytes = pix_out;
    if (f_out_int16) begin
      if (hi_pend_q) begin
        in_valid = 1'b1;
        in_addr  = hi_addr_q;
        in_last  = hi_last_q;
        in_bytes = hi_q;
      end else begin
        in_valid = v4_q && p4_q;
        in_last  = 1'b0;
        in_bytes = lo_plane;
      end
    end
  end

  // ---------------------------------------------------------------------------
  // Chaining: the pixel as one ACT line, through its own FIFO to the shared
  // ACT write port (the LOAD engine has priority there).
  // ---------------------------------------------------------------------------
  localparam int ActW = 8 * ArrayRows;
  logic               act_push, act_in_ready, act_valid;
  logic [15:0]        act_idx_q;
  logic [ActW-1:0]    act_line;
  logic [CreditW-1:0] act_count;
  logic [ActAw+ActW-1:0] act_head;

  assign act_push = v4_q && f_act_write;

  for (genvar r = 0; r < ArrayRows; r++) begin : g_act_line
    if (r < ArrayCols) begin : g_lane
      assign act_line[8*r +: 8] = (LaneW'(r) < n_lanes) ? pix_bytes[8*r +: 8] : 8'd0;
    end else begin : g_zero
      assign act_line[8*r +: 8] = 8'd0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (start) begin
      act_idx_q <= '0;
    end else if (act_push) begin
      act_idx_q <= act_idx_q + 16'd1;
    end
  end

  sparq_fifo #(
    .Width(ActAw + ActW),
    .Depth(OutFifoDepth)
  ) u_act_fifo (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (act_push),
    .in_ready_o (act_in_ready),
    .in_data_i  ({ActAw'(f_act_dst + act_idx_q), act_line}),
    .out_valid_o(act_valid),
    .out_ready_i(act_wr_ready_i),
    .out_data_o (act_head),
    .count_o    (act_count)
  );

  assign act_pop        = act_valid && act_wr_ready_i;
  assign act_done       = !act_push && ((act_count == '0) || ((act_count == CreditW'(1)) && act_pop));
  assign act_wr_valid_o = act_valid;
  assign {act_wr_addr_o, act_wr_data_o} = act_head;

  // Bytes written per output entry.
  logic [LaneW-1:0] n_out;
  always_comb begin
    if (f_out_int16) begin
      n_out = n_lanes;
    end else if (f_out_binary) begin
      n_out = LaneW'((32'(n_lanes) + 32'd7) >> 3);
    end else if (f_out_int4) begin
      n_out = LaneW'((n_lanes + LaneW'(1)) >> 1);
    end else begin
      n_out = n_lanes;
    end
  end

  // ---------------------------------------------------------------------------
  // Output FIFO and write aligner
  // ---------------------------------------------------------------------------
  logic               out_valid;
  logic [OutW-1:0]    out_data;
  logic [31:0]        out_addr;
  logic               out_last;
  logic [PixBits-1:0] out_bytes;
  logic [CreditW-1:0] unused_out_count;
  logic               out_in_ready;

  sparq_fifo #(
    .Width(OutW),
    .Depth(OutFifoDepth)
  ) u_out_fifo (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (in_valid),
    .in_ready_o (out_in_ready),
    .in_data_i  ({in_addr, in_last, in_bytes}),
    .out_valid_o(out_valid),
    .out_ready_i(out_pop),
    .out_data_o (out_data),
    .count_o    (unused_out_count)
  );

  assign {out_addr, out_last, out_bytes} = out_data;

  logic [BeatAw-1:0]     off;
  logic [BeatAw:0]       end_off;
  logic                  span;
  logic [2*DramBits-1:0] wide_data;
  logic [2*Beat-1:0]     lane_mask, wide_strb;

  assign off     = out_addr[BeatAw-1:0];
  assign end_off = {1'b0, off} + (BeatAw + 1)'(n_out);
  assign span    = end_off > (BeatAw + 1)'(Beat);

  always_comb begin
    lane_mask = '0;
    for (int c = 0; c < ArrayCols; c++) begin
      lane_mask[c] = (LaneW'(c) < n_out);
    end
  end

  assign wide_data = {{(2 * DramBits - PixBits){1'b0}}, out_bytes} << {off, 3'b000};
  assign wide_strb = lane_mask << off;

  logic                  half_d, half_q;
  logic                  wr_valid_d, wr_valid_q, wr_last_d;
  logic                  wr_load;
  logic [31:0]           wr_addr_d, wr_addr_q;
  logic [DramBits-1:0]   wr_data_d, wr_data_q;
  logic [Beat-1:0]       wr_strb_d, wr_strb_q;

  assign wr_load = out_valid && (!wr_valid_q || dram_wr_ready_i);
  assign out_pop = wr_load && (half_q || !span);

  always_comb begin
    half_d     = half_q;
    wr_valid_d = wr_valid_q && !dram_wr_ready_i;
    wr_last_d  = wr_last_q;
    wr_addr_d  = wr_addr_q;
    wr_data_d  = wr_data_q;
    wr_strb_d  = wr_strb_q;
    if (wr_load) begin
      wr_valid_d = 1'b1;
      wr_last_d  = out_pop && out_last;
      half_d     = !out_pop;
      wr_addr_d  = {out_addr[31:BeatAw], {BeatAw{1'b0}}} + (half_q ? 32'(Beat) : 32'd0);
      wr_data_d  = half_q ? wide_data[2*DramBits-1:DramBits] : wide_data[DramBits-1:0];
      wr_strb_d  = half_q ? wide_strb[2*Beat-1:Beat] : wide_strb[Beat-1:0];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      half_q     <= 1'b0;
      wr_valid_q <= 1'b0;
      wr_last_q  <= 1'b0;
    end else begin
      half_q     <= half_d;
      wr_valid_q <= wr_valid_d;
      wr_last_q  <= wr_last_d;
    end
  end

  always_ff @(posedge clk_i) begin
    wr_addr_q <= wr_addr_d;
    wr_data_q <= wr_data_d;
    wr_strb_q <= wr_strb_d;
  end

  assign dram_wr_valid_o = wr_valid_q;
  assign dram_wr_addr_o  = wr_addr_q;
  assign dram_wr_data_o  = wr_data_q;
  assign dram_wr_strb_o  = wr_strb_q;

  // ---------------------------------------------------------------------------
  // Completion and status
  // ---------------------------------------------------------------------------
  logic done_q, push_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      done_q <= 1'b0;
      push_q <= 1'b0;
    end else begin
      done_q <= finish || retire0;
      push_q <= (finish && f_push_prev) || (retire0 && h_push_prev);
    end
  end

  assign s2c_push_o         = push_q;
  assign evt_instr_done_o   = done_q;
  assign busy_o             = (state_q != StIdle) || (hstate_q != HIdle) || done_q;
  assign evt_stall_dram_o   = (wr_valid_q && !dram_wr_ready_i) || (act_valid && !act_wr_ready_i);
  assign evt_stall_tokens_o = (hstate_q != HIdle) && run_free && !tok_q && h_pop_prev &&
                              !c2s_avail_i;

  logic unused_param;
  // Mult15 is at most 32767: its bit 15 is always 0.
  assign unused_param = ^(param_rdata_i & ~sparq_isa_pkg::ParamFieldMask) ^ rd_mult15[15];

  `ASSERT(StoreFlagsZero, instr_valid_i |-> !instr_data_i[sparq_isa_pkg::CommonPopNextLsb] &&
                                            !instr_data_i[sparq_isa_pkg::CommonPushNextLsb])
  `ASSERT(NBytesFits, instr_valid_i |-> 32'(h_n_bytes) <= ArrayCols)
  `ASSERT(InstrHeld, hstate_q != HIdle |-> instr_valid_i && $stable(instr_data_i))
  `ASSERT(AccRowInRange, issue |-> 32'(row_q) < AccRows)
  `ASSERT(ParamInRange, param_re_o |-> 32'(h_param_base) + 32'(pcnt_q) < ParamEntries)
  `ASSERT(ShiftInRange, pcap_q |-> $signed(rd_shift) >= -8'sd31 && $signed(rd_shift) <= 8'sd30)
  `ASSERT(NoOutOverflow, in_valid |-> out_in_ready)
  `ASSERT(NoActOverflow, act_push |-> act_in_ready)
  `ASSERT(ActWriteInt8, state_q == StRun && f_act_write |-> !f_out_int4 && !f_out_binary &&
                                                        !f_out_int16 && 32'(f_n_bytes) <= ArrayRows)
  `ASSERT(Int16Lanes, state_q == StRun && f_out_int16 |-> f_acc_shift == 2'd1 &&
                                                       !f_out_int4 && !f_out_binary)
  `ASSERT(Int16Alone, hi_pend_q |-> !(v4_q && p4_q))
  `ASSERT_STABLE(WrStable, dram_wr_valid_o, dram_wr_ready_i,
                 {dram_wr_addr_o, dram_wr_data_o, dram_wr_strb_o})

endmodule
