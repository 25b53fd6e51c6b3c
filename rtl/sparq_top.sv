// sparq accelerator top: command dispatcher, dependency tokens, LOAD / GEMM /
// STORE engines, the ACT / WGT / PARAM SRAMs and the performance counters
// (docs/architecture.md).
//
//   cmd -> sparq_dispatch -> LOAD  queue -> sparq_load_engine  -> ACT/WGT/PARAM SRAM
//                         -> GEMM  queue -> sparq_gemm_engine  (reads ACT, WGT; owns ACC)
//                                        `-> sparq_sparse_engine (Spmv: reads ACT, WGT banks;
//                                            ACC rows through the GEMM engine's port)
//                                        `-> sparq_dw_unit       (DWCONV: reads ACT, WGT banks;
//                                            writes ACC rows through the same port)
//                         -> STORE queue -> sparq_store_engine (reads PARAM, ACC) -> DRAM
//   tokens l2c, c2l, c2s, s2c (sparq_tokens) order the three engines.
//
// Parameters: array shape, SRAM depths (lines / rows / records, powers of
// two), the DRAM port width and NmSparse (the array's 2:4 mode); illegal
// combinations stop elaboration.
// Ports: host command stream, idle, counter read port (ctr_sel_i ->
// ctr_value_o, combinational), DRAM read (requests and in-order responses)
// and write (one beat with byte strobes per handshake).

module sparq_top #(
  parameter int ArrayRows    = 16,
  parameter int ArrayCols    = 16,
  parameter int ActLines     = 2048 * ArrayRows,
  parameter int WgtLines     = 512 * ArrayRows,
  parameter int AccRows      = 256 * ArrayRows,
  parameter int ParamEntries = 2048,
  parameter int DramBits     = 128,
  parameter bit NmSparse     = 1'b1,  // the array's 2:4 mode (GEMM mode N24W8)
  localparam int InstrBits   = sparq_isa_pkg::InstrBits,
  localparam int CtrSelBits  = sparq_isa_pkg::CtrSelBits
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // host command queue (one InstrBits-bit instruction per handshake)
  input  logic                  cmd_valid_i,
  output logic                  cmd_ready_o,
  input  logic [InstrBits-1:0]  cmd_data_i,
  output logic                  idle_o,        // nothing queued or executing anywhere
  // performance counters / config registers (combinational read)
  input  logic [CtrSelBits-1:0] ctr_sel_i,
  output logic [63:0]           ctr_value_o,
  // DRAM read: requests (B-aligned byte address), responses in request order
  output logic                  dram_rd_req_valid_o,
  input  logic                  dram_rd_req_ready_i,
  output logic [31:0]           dram_rd_req_addr_o,
  input  logic                  dram_rd_rsp_valid_i,
  output logic                  dram_rd_rsp_ready_o,
  input  logic [DramBits-1:0]   dram_rd_rsp_data_i,
  // DRAM write: one beat per handshake, byte strobes
  output logic                  dram_wr_valid_o,
  input  logic                  dram_wr_ready_i,
  output logic [31:0]           dram_wr_addr_o,
  output logic [DramBits-1:0]   dram_wr_data_o,
  output logic [DramBits/8-1:0] dram_wr_strb_o
);

`include "sparq_assert.svh"

  localparam int ActAw   = $clog2(ActLines);
  localparam int WgtAw   = $clog2(WgtLines);
  localparam int AccAw   = $clog2(AccRows);
  localparam int ParamAw = $clog2(ParamEntries);
  localparam int ParamBytes = sparq_isa_pkg::ParamBytes;
  localparam int ParamBits  = sparq_isa_pkg::ParamBits;
  localparam int SparseLanes = ArrayCols / 2;
  localparam int LineBytes = (ArrayRows > ArrayCols)
                             ? ((ArrayRows > ParamBytes) ? ArrayRows : ParamBytes)
                             : ((ArrayCols > ParamBytes) ? ArrayCols : ParamBytes);

  // ---------------------------------------------------------------------------
  // Parameter checks
  // ---------------------------------------------------------------------------
  if (ArrayRows < 1 || ArrayCols < 2 || (ArrayCols % 2) != 0) begin : g_bad_array
    `ELAB_ERROR("sparq_top: ArrayRows must be at least 1, ArrayCols even (16-bit WGT banks)")
  end
  if (DramBits < ParamBits || (DramBits & (DramBits - 1)) != 0) begin : g_bad_dram
    `ELAB_ERROR("sparq_top: DramBits must be a power of two >= ParamBits (a PARAM record is one line)")
  end
  if (ArrayRows * 8 > DramBits || ArrayCols * 8 > DramBits) begin : g_bad_line
    `ELAB_ERROR("sparq_top: an ACT line (ArrayRows bytes) and a WGT line (ArrayCols bytes) must fit one DRAM beat")
  end
  if ((ActLines & (ActLines - 1)) != 0 || (WgtLines & (WgtLines - 1)) != 0 ||
      (AccRows & (AccRows - 1)) != 0 || (ParamEntries & (ParamEntries - 1)) != 0) begin : g_bad_depth
    `ELAB_ERROR("sparq_top: ActLines, WgtLines, AccRows and ParamEntries must be powers of two")
  end
  if (ActLines < 2 || WgtLines < 2 || AccRows < 2 || ParamEntries < 2 ||
      ActLines > 65536 || WgtLines > 65536 || AccRows > 65536 ||
      ParamEntries > 65536) begin : g_bad_range
    `ELAB_ERROR("sparq_top: SRAM depths must lie in [2, 65536] (16-bit line fields in the ISA)")
  end

  // ---------------------------------------------------------------------------
  // Dispatcher and tokens
  // ---------------------------------------------------------------------------
  logic         load_instr_valid, load_instr_ready;
  logic [InstrBits-1:0] load_instr_data;
  logic         gemm_instr_valid, gemm_instr_ready;
  logic [InstrBits-1:0] gemm_instr_data;
  logic         store_instr_valid, store_instr_ready;
  logic [InstrBits-1:0] store_instr_data;
  logic         queues_empty, gemm_queue_empty;

  sparq_dispatch #(
    .QueueDepth(sparq_isa_pkg::EngineQueueDepth)
  ) u_dispatch (
    .clk_i               (clk_i),
    .rst_ni              (rst_ni),
    .cmd_valid_i         (cmd_valid_i),
    .cmd_ready_o         (cmd_ready_o),
    .cmd_data_i          (cmd_data_i),
    .load_instr_valid_o  (load_instr_valid),
    .load_instr_ready_i  (load_instr_ready),
    .load_instr_data_o   (load_instr_data),
    .gemm_instr_valid_o  (gemm_instr_valid),
    .gemm_instr_ready_i  (gemm_instr_ready),
    .gemm_instr_data_o   (gemm_instr_data),
    .store_instr_valid_o (store_instr_valid),
    .store_instr_ready_i (store_instr_ready),
    .store_instr_data_o  (store_instr_data),
    .queues_empty_o      (queues_empty),
    .gemm_queue_empty_o  (gemm_queue_empty)
  );

  logic l2c_push, l2c_pop, l2c_avail;
  logic c2l_push, c2l_pop, c2l_avail;
  logic c2s_push, c2s_pop, c2s_avail;
  logic s2c_push, s2c_pop, s2c_avail;

  sparq_tokens #(.Width(16)) u_tok_l2c (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .push_i (l2c_push),
    .pop_i  (l2c_pop),
    .avail_o(l2c_avail)
  );

  sparq_tokens #(.Width(16)) u_tok_c2l (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .push_i (c2l_push),
    .pop_i  (c2l_pop),
    .avail_o(c2l_avail)
  );

  sparq_tokens #(.Width(16)) u_tok_c2s (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .push_i (c2s_push),
    .pop_i  (c2s_pop),
    .avail_o(c2s_avail)
  );

  sparq_tokens #(.Width(16)) u_tok_s2c (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .push_i (s2c_push),
    .pop_i  (s2c_pop),
    .avail_o(s2c_avail)
  );

  // ---------------------------------------------------------------------------
  // LOAD engine and the SRAMs it fills
  // ---------------------------------------------------------------------------
  logic                   ld_wr_valid;
  logic [sparq_isa_pkg::LoadBufW-1:0] ld_wr_buf;
  logic [15:0]            ld_wr_addr;
  logic [8*LineBytes-1:0] ld_wr_data;
  logic                   load_busy, load_done, evt_stall_load_dram, evt_stall_load_tokens;

  sparq_load_engine #(
    .ArrayRows    (ArrayRows),
    .ArrayCols    (ArrayCols),
    .DramBits     (DramBits),
    .LineFifoDepth(128)
  ) u_load (
    .clk_i              (clk_i),
    .rst_ni             (rst_ni),
    .instr_valid_i      (load_instr_valid),
    .instr_ready_o      (load_instr_ready),
    .instr_data_i       (load_instr_data),
    .c2l_avail_i        (c2l_avail),
    .c2l_pop_o          (c2l_pop),
    .l2c_push_o         (l2c_push),
    .dram_rd_req_valid_o(dram_rd_req_valid_o),
    .dram_rd_req_ready_i(dram_rd_req_ready_i),
    .dram_rd_req_addr_o (dram_rd_req_addr_o),
    .dram_rd_rsp_valid_i(dram_rd_rsp_valid_i),
    .dram_rd_rsp_ready_o(dram_rd_rsp_ready_o),
    .dram_rd_rsp_data_i (dram_rd_rsp_data_i),
    .wr_valid_o         (ld_wr_valid),
    .wr_buf_o           (ld_wr_buf),
    .wr_addr_o          (ld_wr_addr),
    .wr_data_o          (ld_wr_data),
    .busy_o             (load_busy),
    .evt_stall_dram_o   (evt_stall_load_dram),
    .evt_stall_tokens_o (evt_stall_load_tokens),
    .evt_instr_done_o   (load_done)
  );

  logic                   act_re, param_re;
  logic [ActAw-1:0]       act_raddr;
  logic [ParamAw-1:0]     param_raddr;
  logic [ArrayRows*8-1:0] act_rdata;
  logic [ArrayCols*8-1:0] wgt_rdata;
  logic [ParamBits-1:0]   param_rdata;
  logic [ArrayRows*8-1:0] act_wdata;

  // Test-only fault for the regression's own test (tests/regress): with
  // SPARQ_FAULT_ACT_LINE6 defined, bit 6 of byte 1 of every write to ACT line
  // 6 flips. Never defined in a real build.
  // The ACT write port: the LOAD engine first; a chained STORE line
  // (act_write) takes the cycles the LOAD engine leaves free.
  logic                   ld_act_we, st_act_valid;
  logic [ActAw-1:0]       st_act_addr;
  logic [ArrayRows*8-1:0] st_act_data, act_wdata_mux;
  logic [ActAw-1:0]       act_waddr;
  assign ld_act_we     = ld_wr_valid && (ld_wr_buf == sparq_isa_pkg::BufAct);
  assign act_wdata_mux = ld_act_we ? ld_wr_data[ArrayRows*8-1:0] : st_act_data;
  assign act_waddr     = ld_act_we ? ActAw'(ld_wr_addr) : st_act_addr;
`ifdef SPARQ_FAULT_ACT_LINE6
  assign act_wdata = act_wdata_mux ^
                     ((act_waddr == ActAw'(6)) ? (ArrayRows*8)'(16'h4000) : '0);
`else
  assign act_wdata = act_wdata_mux;
`endif

  // Two banks: a read also returns the next line (GEMM mode N24W8, the
  // depthwise unit's two-pixel walk).
  logic [ArrayRows*8-1:0] act_rdata_next;

  sparq_act_sram #(
    .Width(ArrayRows * 8),
    .Depth(ActLines)
  ) u_act_sram (
    .clk_i       (clk_i),
    .we_i        (ld_act_we || st_act_valid),
    .waddr_i     (act_waddr),
    .wdata_i     (act_wdata),
    .re_i        (act_re),
    .raddr_i     (act_raddr),
    .rdata_o     (act_rdata),
    .rdata_next_o(act_rdata_next)
  );

  // WGT SRAM: SparseLanes banks of 16 bits (sparse engine lane p reads bank
  // p at its own address; GEMM reads all banks at one address).
  logic [SparseLanes-1:0]       wgt_bank_re;
  logic [SparseLanes*WgtAw-1:0] wgt_bank_raddr;

  for (genvar b = 0; b < SparseLanes; b++) begin : g_wgt_bank
    sparq_sram #(
      .Width(16),
      .Depth(WgtLines)
    ) u_wgt_sram (
      .clk_i  (clk_i),
      .we_i   (ld_wr_valid && (ld_wr_buf == sparq_isa_pkg::BufWgt)),
      .waddr_i(WgtAw'(ld_wr_addr)),
      .wdata_i(ld_wr_data[16*b +: 16]),
      .re_i   (wgt_bank_re[b]),
      .raddr_i(wgt_bank_raddr[WgtAw*b +: WgtAw]),
      .rdata_o(wgt_rdata[16*b +: 16])
    );
  end

  sparq_sram #(
    .Width(ParamBits),
    .Depth(ParamEntries)
  ) u_param_sram (
    .clk_i  (clk_i),
    .we_i   (ld_wr_valid && (ld_wr_buf == sparq_isa_pkg::BufParam)),
    .waddr_i(ParamAw'(ld_wr_addr)),
    .wdata_i(ld_wr_data[ParamBits-1:0]),
    .re_i   (param_re),
    .raddr_i(param_raddr),
    .rdata_o(param_rdata)
  );

  // ---------------------------------------------------------------------------
  // GEMM engine (owns the array and the ACC SRAM)
  // ---------------------------------------------------------------------------
  logic                   acc_re;
  logic [AccAw-1:0]       acc_raddr;
  logic [ArrayCols*32-1:0] acc_rdata;
  logic                   gemm_busy, gemm_done, evt_row_issued;
  logic [1:0]             evt_lanes_lg;
  logic [31:0]            evt_useful_macs;
  logic                   evt_stall_gemm_load, evt_stall_gemm_store, evt_stall_gemm_weights;

  // ---------------------------------------------------------------------------
  // Compute queue split: GEMM -> array, Spmv -> sparse engine, DWCONV ->
  // depthwise unit (sparq_dw_unit). They share the ACT read port, the WGT
  // banks, the tokens and the ACC SRAM, so each starts only while the others
  // are idle; program order holds since all drain one queue.
  // ---------------------------------------------------------------------------
  logic                    head_is_spmv, gemm_head_valid, gemm_head_ready;
  logic                    sp_instr_valid, sp_instr_ready, sp_busy, sp_done;
  logic                    gemm_act_re, sp_act_re, gemm_wgt_re;
  logic [ActAw-1:0]        gemm_act_raddr, sp_act_raddr;
  logic [WgtAw-1:0]        gemm_wgt_raddr;
  logic [SparseLanes-1:0]  sp_wgt_re;
  logic [SparseLanes*WgtAw-1:0] sp_wgt_raddr;
  logic                    sp_acc_re, sp_acc_we;
  logic [AccAw-1:0]        sp_acc_raddr, sp_acc_waddr;
  logic [ArrayCols*32-1:0] sp_acc_rdata, sp_acc_wdata;
  logic                    gemm_l2c_pop, gemm_s2c_pop, gemm_c2l_push, gemm_c2s_push;
  logic                    sp_l2c_pop, sp_s2c_pop, sp_c2l_push, sp_c2s_push;
  logic                    evt_sp_stall_load, evt_sp_stall_store, evt_sp_zero_act;
  logic [31:0]             evt_sp_zero_weights;
  logic [7:0]              evt_sp_meta_words, evt_sp_lane_idle;
  logic                    head_is_dw;
  logic                    dw_instr_valid, dw_instr_ready, dw_busy, dw_walk, dw_done;
  logic                    dw_act_re, dw_wgt_re;
  logic [ActAw-1:0]        dw_act_raddr;
  logic [WgtAw-1:0]        dw_wgt_raddr;
  logic                    dw_l2c_pop, dw_s2c_pop, dw_c2l_push, dw_c2s_push;
  logic                    dw_stall_load, dw_stall_store;
  logic                    dw_acc_we, ext_acc_we;
  logic [AccAw-1:0]        dw_acc_waddr, ext_acc_waddr;
  logic [ArrayCols*32-1:0] dw_acc_wdata, ext_acc_wdata;
  logic                    dw_pixel;
  logic [31:0]             dw_useful_macs;

  assign head_is_spmv = gemm_instr_data[sparq_isa_pkg::CommonOpcodeLsb +: sparq_isa_pkg::CommonOpcodeW]
                        == sparq_isa_pkg::OpSpmv;
  assign head_is_dw = gemm_instr_data[sparq_isa_pkg::CommonOpcodeLsb +: sparq_isa_pkg::CommonOpcodeW]
                      == sparq_isa_pkg::OpDwconv;
  assign gemm_head_valid  = gemm_instr_valid && !head_is_spmv && !head_is_dw && !sp_busy && !dw_busy;
  assign sp_instr_valid   = gemm_instr_valid && head_is_spmv;
  assign dw_instr_valid   = gemm_instr_valid && head_is_dw && !gemm_busy && !sp_busy;
  assign gemm_instr_ready = head_is_spmv ? sp_instr_ready :
                            head_is_dw   ? dw_instr_ready : gemm_head_ready;

  assign act_re    = gemm_act_re || sp_act_re || dw_act_re;
  assign act_raddr = sp_act_re ? sp_act_raddr : dw_act_re ? dw_act_raddr : gemm_act_raddr;
  for (genvar b = 0; b < SparseLanes; b++) begin : g_wgt_mux
    assign wgt_bank_re[b] = gemm_wgt_re || sp_wgt_re[b] || dw_wgt_re;
    assign wgt_bank_raddr[WgtAw*b +: WgtAw] = sp_wgt_re[b] ? sp_wgt_raddr[WgtAw*b +: WgtAw] :
                                              dw_wgt_re    ? dw_wgt_raddr : gemm_wgt_raddr;
  end

  assign l2c_pop  = gemm_l2c_pop || sp_l2c_pop || dw_l2c_pop;
  assign s2c_pop  = gemm_s2c_pop || sp_s2c_pop || dw_s2c_pop;
  assign c2l_push = gemm_c2l_push || sp_c2l_push || dw_c2l_push;
  assign c2s_push = gemm_c2s_push || sp_c2s_push || dw_c2s_push;

  // The ACC SRAM's whole-row port (sparq_acc_buf ext_*): the sparse engine
  // reads and writes, the depthwise unit writes; never both at once.
  assign ext_acc_we    = sp_acc_we || dw_acc_we;
  assign ext_acc_waddr = dw_acc_we ? dw_acc_waddr : sp_acc_waddr;
  assign ext_acc_wdata = dw_acc_we ? dw_acc_wdata : sp_acc_wdata;

  sparq_sparse_engine #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .ActLines (ActLines),
    .WgtLines (WgtLines),
    .AccRows  (AccRows)
  ) u_sparse (
    .clk_i             (clk_i),
    .rst_ni            (rst_ni),
    .instr_valid_i     (sp_instr_valid),
    .instr_ready_o     (sp_instr_ready),
    .instr_data_i      (gemm_instr_data),
    .start_ok_i        (!gemm_busy && !dw_busy),
    .l2c_avail_i       (l2c_avail),
    .l2c_pop_o         (sp_l2c_pop),
    .s2c_avail_i       (s2c_avail),
    .s2c_pop_o         (sp_s2c_pop),
    .c2l_push_o        (sp_c2l_push),
    .c2s_push_o        (sp_c2s_push),
    .act_re_o          (sp_act_re),
    .act_raddr_o       (sp_act_raddr),
    .act_rdata_i       (act_rdata),
    .wgt_re_o          (sp_wgt_re),
    .wgt_raddr_o       (sp_wgt_raddr),
    .wgt_rdata_i       (wgt_rdata),
    .acc_re_o          (sp_acc_re),
    .acc_raddr_o       (sp_acc_raddr),
    .acc_rdata_i       (sp_acc_rdata),
    .acc_we_o          (sp_acc_we),
    .acc_waddr_o       (sp_acc_waddr),
    .acc_wdata_o       (sp_acc_wdata),
    .busy_o            (sp_busy),
    .evt_stall_load_o  (evt_sp_stall_load),
    .evt_stall_store_o (evt_sp_stall_store),
    .evt_zero_weights_o(evt_sp_zero_weights),
    .evt_zero_act_o    (evt_sp_zero_act),
    .evt_meta_words_o  (evt_sp_meta_words),
    .evt_lane_idle_o   (evt_sp_lane_idle),
    .evt_instr_done_o  (sp_done)
  );

  if (ArrayCols >= ArrayRows) begin : g_dw
    sparq_dw_unit #(
      .ArrayRows(ArrayRows),
      .ArrayCols(ArrayCols),
      .ActLines (ActLines),
      .WgtLines (WgtLines),
      .AccRows  (AccRows)
    ) u_dw (
      .clk_i            (clk_i),
      .rst_ni           (rst_ni),
      .instr_valid_i    (dw_instr_valid),
      .instr_ready_o    (dw_instr_ready),
      .instr_data_i     (gemm_instr_data),
      .l2c_avail_i      (l2c_avail),
      .l2c_pop_o        (dw_l2c_pop),
      .s2c_avail_i      (s2c_avail),
      .s2c_pop_o        (dw_s2c_pop),
      .c2l_push_o       (dw_c2l_push),
      .c2s_push_o       (dw_c2s_push),
      .act_re_o         (dw_act_re),
      .act_raddr_o      (dw_act_raddr),
      .act_rdata_i      (act_rdata),
      .act_rdata_next_i (act_rdata_next),
      .wgt_re_o         (dw_wgt_re),
      .wgt_raddr_o      (dw_wgt_raddr),
      .wgt_rdata_i      (wgt_rdata),
      .acc_we_o         (dw_acc_we),
      .acc_waddr_o      (dw_acc_waddr),
      .acc_wdata_o      (dw_acc_wdata),
      .busy_o           (dw_busy),
      .walk_o           (dw_walk),
      .evt_pixel_o      (dw_pixel),
      .evt_useful_macs_o(dw_useful_macs),
      .evt_stall_load_o (dw_stall_load),
      .evt_stall_store_o(dw_stall_store),
      .evt_instr_done_o (dw_done)
    );
  end else begin : g_no_dw
    // Lane r needs WGT byte r: without the unit the compiler lowers depthwise
    // layers to GEMMs (sw/lower_depthwise.cc), and a DWCONV is never issued.
    assign dw_instr_ready = 1'b0;
    assign {dw_busy, dw_walk, dw_done, dw_act_re, dw_wgt_re, dw_acc_we, dw_pixel} = '0;
    assign {dw_l2c_pop, dw_s2c_pop, dw_c2l_push, dw_c2s_push} = '0;
    assign {dw_stall_load, dw_stall_store} = '0;
    assign dw_act_raddr   = '0;
    assign dw_wgt_raddr   = '0;
    assign dw_acc_waddr   = '0;
    assign dw_acc_wdata   = '0;
    assign dw_useful_macs = '0;
    `ASSERT(NoDwconv, !dw_instr_valid)
  end

  sparq_gemm_engine #(
    .ArrayRows(ArrayRows),
    .ArrayCols(ArrayCols),
    .ActLines (ActLines),
    .WgtLines (WgtLines),
    .AccRows  (AccRows),
    .NmSparse (NmSparse)
  ) u_gemm (
    .clk_i              (clk_i),
    .rst_ni             (rst_ni),
    .instr_valid_i      (gemm_head_valid),
    .instr_ready_o      (gemm_head_ready),
    .instr_data_i       (gemm_instr_data),
    .l2c_avail_i        (l2c_avail),
    .l2c_pop_o          (gemm_l2c_pop),
    .s2c_avail_i        (s2c_avail),
    .s2c_pop_o          (gemm_s2c_pop),
    .c2l_push_o         (gemm_c2l_push),
    .c2s_push_o         (gemm_c2s_push),
    .act_re_o           (gemm_act_re),
    .act_raddr_o        (gemm_act_raddr),
    .act_rdata_i        (act_rdata),
    .act_rdata_next_i   (act_rdata_next),
    .wgt_re_o           (gemm_wgt_re),
    .wgt_raddr_o        (gemm_wgt_raddr),
    .wgt_rdata_i        (wgt_rdata),
    .acc_re_i           (acc_re),
    .acc_raddr_i        (acc_raddr),
    .acc_rdata_o        (acc_rdata),
    .acc_ext_re_i       (sp_acc_re),
    .acc_ext_raddr_i    (sp_acc_raddr),
    .acc_ext_rdata_o    (sp_acc_rdata),
    .acc_ext_we_i       (ext_acc_we),
    .acc_ext_waddr_i    (ext_acc_waddr),
    .acc_ext_wdata_i    (ext_acc_wdata),
    .busy_o             (gemm_busy),
    .evt_row_issued_o   (evt_row_issued),
    .evt_lanes_lg_o     (evt_lanes_lg),
    .evt_useful_macs_o  (evt_useful_macs),
    .evt_stall_load_o   (evt_stall_gemm_load),
    .evt_stall_store_o  (evt_stall_gemm_store),
    .evt_stall_weights_o(evt_stall_gemm_weights),
    .evt_instr_done_o   (gemm_done)
  );

  // ---------------------------------------------------------------------------
  // STORE engine
  // ---------------------------------------------------------------------------
  logic store_busy, store_done, evt_stall_store_dram, evt_stall_store_tokens;

  sparq_store_engine #(
    .ArrayRows   (ArrayRows),
    .ArrayCols   (ArrayCols),
    .AccRows     (AccRows),
    .ActLines    (ActLines),
    .ParamEntries(ParamEntries),
    .DramBits    (DramBits),
    .OutFifoDepth(8)
  ) u_store (
    .clk_i             (clk_i),
    .rst_ni            (rst_ni),
    .instr_valid_i     (store_instr_valid),
    .instr_ready_o     (store_instr_ready),
    .instr_data_i      (store_instr_data),
    .c2s_avail_i       (c2s_avail),
    .c2s_pop_o         (c2s_pop),
    .s2c_push_o        (s2c_push),
    .param_re_o        (param_re),
    .param_raddr_o     (param_raddr),
    .param_rdata_i     (param_rdata),
    .param_we_i        (ld_wr_valid && (ld_wr_buf == sparq_isa_pkg::BufParam)),
    .acc_re_o          (acc_re),
    .acc_raddr_o       (acc_raddr),
    .acc_rdata_i       (acc_rdata),
    .dram_wr_valid_o   (dram_wr_valid_o),
    .dram_wr_ready_i   (dram_wr_ready_i),
    .dram_wr_addr_o    (dram_wr_addr_o),
    .dram_wr_data_o    (dram_wr_data_o),
    .dram_wr_strb_o    (dram_wr_strb_o),
    .act_wr_valid_o    (st_act_valid),
    .act_wr_ready_i    (!ld_act_we),
    .act_wr_addr_o     (st_act_addr),
    .act_wr_data_o     (st_act_data),
    .busy_o            (store_busy),
    .evt_stall_dram_o  (evt_stall_store_dram),
    .evt_stall_tokens_o(evt_stall_store_tokens),
    .evt_instr_done_o  (store_done)
  );

  // ---------------------------------------------------------------------------
  // Idle and performance counters
  // ---------------------------------------------------------------------------
  assign idle_o = queues_empty && !load_busy && !gemm_busy && !sp_busy && !dw_busy && !store_busy;

  sparq_perf_counters #(
    .SparseLanes (SparseLanes),
    .ArrayRows   (ArrayRows),
    .ArrayCols   (ArrayCols),
    .ActLines    (ActLines),
    .WgtLines    (WgtLines),
    .AccRows     (AccRows),
    .ParamEntries(ParamEntries),
    .DramBits    (DramBits),
    .NmSparse    (NmSparse)
  ) u_perf (
    .clk_i                   (clk_i),
    .rst_ni                  (rst_ni),
    .evt_row_issued_i        (evt_row_issued),
    .evt_lanes_lg_i          (evt_lanes_lg),
    .evt_useful_macs_i       (evt_useful_macs),
    .evt_stall_gemm_load_i   (evt_stall_gemm_load || evt_sp_stall_load || dw_stall_load),
    .evt_stall_gemm_store_i  (evt_stall_gemm_store || evt_sp_stall_store || dw_stall_store),
    .evt_stall_gemm_weights_i(evt_stall_gemm_weights),
    .evt_stall_load_dram_i   (evt_stall_load_dram),
    .evt_stall_load_tokens_i (evt_stall_load_tokens),
    .evt_stall_store_dram_i  (evt_stall_store_dram),
    .evt_stall_store_tokens_i(evt_stall_store_tokens),
    .evt_instrs_retired_i    (2'(load_done) + 2'(gemm_done || sp_done || dw_done) + 2'(store_done)),
    .evt_gemm_idle_i         (!gemm_busy && !sp_busy && !dw_busy && gemm_queue_empty && !idle_o),
    .evt_sparse_zero_weights_i(evt_sp_zero_weights),
    .evt_sparse_zero_act_i   (evt_sp_zero_act),
    .evt_sparse_meta_words_i (evt_sp_meta_words),
    .evt_sparse_lane_idle_i  (evt_sp_lane_idle),
    .evt_dw_busy_i           (dw_walk),
    .evt_dw_pixel_i          (dw_pixel),
    .evt_dw_useful_macs_i    (dw_useful_macs),
    .sel_i                   (ctr_sel_i),
    .value_o                 (ctr_value_o)
  );

  // ---------------------------------------------------------------------------
  // Assertions: SRAM addresses of valid programs stay inside the SRAMs.
  // ---------------------------------------------------------------------------
  `ASSERT(ActWriteInRange, ld_wr_valid && ld_wr_buf == sparq_isa_pkg::BufAct |-> 32'(ld_wr_addr) < ActLines)
  `ASSERT(ActStoreWriteInRange, st_act_valid |-> 32'(st_act_addr) < ActLines)
  `ASSERT(WgtWriteInRange, ld_wr_valid && ld_wr_buf == sparq_isa_pkg::BufWgt |-> 32'(ld_wr_addr) < WgtLines)
  `ASSERT(ParamWriteInRange, ld_wr_valid && ld_wr_buf == sparq_isa_pkg::BufParam |-> 32'(ld_wr_addr) < ParamEntries)
  `ASSERT_KNOWN(ReqHandshakeKnown, {dram_rd_req_valid_o, dram_wr_valid_o, cmd_ready_o})

endmodule
