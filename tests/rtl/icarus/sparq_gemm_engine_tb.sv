// Icarus (4-state) testbench for a 4x4 sparq_gemm_engine: four GEMMs (one
// accumulating onto rows the first one wrote, one with the int8 extremes, one
// accumulating onto the row issued in the cycle before it, which exercises
// the accumulator's forwarding), every ACC element read back through the
// store port and compared.
//
// 4-state checks that a 2-state simulator cannot make:
// - after reset, every control output (handshakes, tokens, SRAM read enables,
//   busy, counter events) is 0 or 1 in every cycle, and so are the read
//   addresses while their enable is high;
// - the ACT / WGT read data is X in every cycle not preceded by a read, and
//   the instruction word is X while instr_valid_i is low, so a result or a
//   control output that used them would be X;
// - ACC rows that no GEMM writes still read as all X afterwards (the ACC SRAM
//   is not reset), so the engine wrote nothing else.
//
// Expected values: the GEMM semantics of docs/architecture.md evaluated here
// in program order on plain integers, plus two rows worked out by hand.
// Inputs change on the falling edge; outputs are sampled just before the
// rising edge, ACC read data on the falling edge after it. Prints
// "PASS" at the end; any failure prints "FAIL" and stops with $fatal.

module sparq_gemm_engine_tb;

  localparam int R        = 4;
  localparam int C        = 4;
  localparam int ActLines = 16;
  localparam int WgtLines = 16;
  localparam int AccRows  = 16;
  localparam int NumInstr = 4;
  localparam int MaxCycles = 400;

  logic clk, rst_n;

  logic                 instr_valid, instr_ready;
  logic [255:0]         instr_data;
  logic                 l2c_avail, l2c_pop, s2c_avail, s2c_pop, c2l_push, c2s_push;
  logic                 act_re, wgt_re, acc_re;
  logic [3:0]           act_raddr, wgt_raddr, acc_raddr;
  logic [8*R-1:0]       act_rdata;
  logic [8*C-1:0]       wgt_rdata;
  logic [32*C-1:0]      acc_rdata;
  logic                 busy, evt_row_issued, evt_stall_load, evt_stall_store;
  logic [1:0]           evt_lanes_lg;
  logic                 evt_stall_weights, evt_instr_done;
  logic [31:0]          evt_useful_macs;

  sparq_gemm_engine #(
    .ArrayRows(R),
    .ArrayCols(C),
    .ActLines (ActLines),
    .WgtLines (WgtLines),
    .AccRows  (AccRows)
  ) u_dut (
    .clk_i              (clk),
    .rst_ni             (rst_n),
    .instr_valid_i      (instr_valid),
    .instr_ready_o      (instr_ready),
    .instr_data_i       (instr_data),
    .l2c_avail_i        (l2c_avail),
    .l2c_pop_o          (l2c_pop),
    .s2c_avail_i        (s2c_avail),
    .s2c_pop_o          (s2c_pop),
    .c2l_push_o         (c2l_push),
    .c2s_push_o         (c2s_push),
    .act_re_o           (act_re),
    .act_raddr_o        (act_raddr),
    .act_rdata_i        (act_rdata),
    .act_rdata_next_i   (act_rdata),  // no N24W8 GEMM here: any line
    .wgt_re_o           (wgt_re),
    .wgt_raddr_o        (wgt_raddr),
    .wgt_rdata_i        (wgt_rdata),
    .acc_re_i           (acc_re),
    .acc_raddr_i        (acc_raddr),
    .acc_rdata_o        (acc_rdata),
    // the ACC row port of the sparse engine and the depthwise unit, unused here
    .acc_ext_re_i       (1'b0),
    .acc_ext_raddr_i    ({$clog2(AccRows){1'b0}}),
    .acc_ext_rdata_o    (),
    .acc_ext_we_i       (1'b0),
    .acc_ext_waddr_i    ({$clog2(AccRows){1'b0}}),
    .acc_ext_wdata_i    ({C*32{1'b0}}),
    .busy_o             (busy),
    .evt_row_issued_o   (evt_row_issued),
    .evt_lanes_lg_o     (evt_lanes_lg),
    .evt_useful_macs_o  (evt_useful_macs),
    .evt_stall_load_o   (evt_stall_load),
    .evt_stall_store_o  (evt_stall_store),
    .evt_stall_weights_o(evt_stall_weights),
    .evt_instr_done_o   (evt_instr_done)
  );

  initial clk = 1'b0;
  always #5 clk = !clk;

  // ---------------------------------------------------------------------------
  // Program and data
  // ---------------------------------------------------------------------------
  typedef struct packed {
    logic [15:0] act_base;
    logic [15:0] act_stride;
    logic [15:0] m_rows;
    logic [15:0] wgt_base;
    logic [15:0] acc_base;
    logic        accumulate;
    logic [7:0]  k_valid;
    logic [7:0]  n_valid;
    logic        pop_prev;
    logic        push_prev;
    logic        push_next;
  } gemm_t;

  gemm_t        prog[NumInstr];
  logic [255:0] words[NumInstr];
  logic [8*R-1:0] act_mem[ActLines];
  logic [8*C-1:0] wgt_mem[WgtLines];

  function automatic logic [255:0] encode(gemm_t g);
    logic [255:0] w;
    w = '0;
    w[sparq_isa_pkg::CommonOpcodeLsb +: sparq_isa_pkg::CommonOpcodeW] = sparq_isa_pkg::OpGemm;
    w[sparq_isa_pkg::CommonPopPrevLsb]  = g.pop_prev;
    w[sparq_isa_pkg::CommonPushPrevLsb] = g.push_prev;
    w[sparq_isa_pkg::CommonPushNextLsb] = g.push_next;
    w[sparq_isa_pkg::GemmActBaseLsb +: sparq_isa_pkg::GemmActBaseW]     = g.act_base;
    w[sparq_isa_pkg::GemmActStrideLsb +: sparq_isa_pkg::GemmActStrideW] = g.act_stride;
    w[sparq_isa_pkg::GemmMRowsLsb +: sparq_isa_pkg::GemmMRowsW]         = g.m_rows;
    w[sparq_isa_pkg::GemmWgtBaseLsb +: sparq_isa_pkg::GemmWgtBaseW]     = g.wgt_base;
    w[sparq_isa_pkg::GemmAccBaseLsb +: sparq_isa_pkg::GemmAccBaseW]     = g.acc_base;
    w[sparq_isa_pkg::GemmAccumulateLsb] = g.accumulate;
    w[sparq_isa_pkg::GemmKValidLsb +: sparq_isa_pkg::GemmKValidW] = g.k_valid;
    w[sparq_isa_pkg::GemmNValidLsb +: sparq_isa_pkg::GemmNValidW] = g.n_valid;
    return w;
  endfunction

  logic [31:0] lcg = 32'd2024;  // fixed seed

  function automatic logic [7:0] next_byte();
    lcg = lcg * 32'd1103515245 + 32'd12345;
    return lcg[23:16];
  endfunction

  initial begin
    //           act  stride rows wgt acc  accu k  n  pop  pushp pushn
    prog[0] = {16'd0, 16'd1, 16'd3, 16'd0, 16'd0, 1'b0, 8'd4, 8'd4, 1'b1, 1'b0, 1'b1};
    // Accumulates onto ACC rows 1 and 2, which GEMM 0 has just written.
    prog[1] = {16'd4, 16'd2, 16'd2, 16'd4, 16'd1, 1'b1, 8'd4, 8'd3, 1'b0, 1'b1, 1'b0};
    // ACT lines 10 (-128), 11 (127), 12, 13 times WGT lines 8..11 (-128).
    prog[2] = {16'd10, 16'd1, 16'd4, 16'd8, 16'd5, 1'b0, 8'd4, 8'd4, 1'b0, 1'b0, 1'b0};
    // Streams right behind GEMM 2's last row, onto that row's ACC row 8.
    prog[3] = {16'd12, 16'd1, 16'd1, 16'd12, 16'd8, 1'b1, 8'd4, 8'd4, 1'b0, 1'b0, 1'b0};
    for (int i = 0; i < NumInstr; i++) words[i] = encode(prog[i]);
    for (int l = 0; l < ActLines; l++) begin
      for (int r = 0; r < R; r++) act_mem[l][8*r +: 8] = next_byte();
    end
    for (int l = 0; l < WgtLines; l++) begin
      for (int c = 0; c < C; c++) wgt_mem[l][8*c +: 8] = next_byte();
    end
    act_mem[10] = {R{8'h80}};
    act_mem[11] = {R{8'h7f}};
    for (int l = 8; l < 12; l++) wgt_mem[l] = {C{8'h80}};
  end

  // ---------------------------------------------------------------------------
  // Environment: instruction queue, tokens, ACT / WGT SRAMs
  // ---------------------------------------------------------------------------
  int next_instr = 0;
  int l2c_tokens = 1;

  assign instr_valid = rst_n && next_instr < NumInstr;
  assign instr_data  = instr_valid ? words[next_instr] : 'x;
  assign l2c_avail   = l2c_tokens > 0;
  assign s2c_avail   = 1'b0;  // no GEMM pops s2c

  always @(posedge clk) begin
    if (instr_valid && instr_ready) next_instr <= next_instr + 1;
    if (l2c_pop) l2c_tokens <= l2c_tokens - 1;
    act_rdata <= act_re ? act_mem[act_raddr] : 'x;
    wgt_rdata <= wgt_re ? wgt_mem[wgt_raddr] : 'x;
  end

  // ---------------------------------------------------------------------------
  // Monitors (sampled before each rising edge, after reset)
  // ---------------------------------------------------------------------------
  int errors = 0;
  int cycles = 0;
  int done_count = 0, rows_issued = 0, useful_macs = 0;
  int l2c_pops = 0, s2c_pops = 0, c2l_pushes = 0, c2s_pushes = 0;
  bit monitor_on = 0;

  task automatic fail(input string what);
    $display("FAIL at %0t: %s", $time, what);
    errors++;
  endtask

  // X or Z anywhere makes the XOR reduction X. (Icarus 11's $isunknown of a
  // concatenation returns 1 even when every bit is known.)
  always @(posedge clk) begin
    if (monitor_on) begin
      cycles++;
      if ((^{instr_ready, l2c_pop, s2c_pop, c2l_push, c2s_push, act_re, wgt_re, busy,
             evt_row_issued, evt_useful_macs, evt_stall_load, evt_stall_store,
             evt_stall_weights, evt_instr_done}) === 1'bx) begin
        fail($sformatf({"control output unknown: ready=%b l2c_pop=%b s2c_pop=%b c2l=%b c2s=%b ",
                        "act_re=%b wgt_re=%b busy=%b events=%b%b%b%b%b useful=%h"},
                       instr_ready, l2c_pop, s2c_pop, c2l_push, c2s_push, act_re, wgt_re, busy,
                       evt_row_issued, evt_stall_load, evt_stall_store, evt_stall_weights,
                       evt_instr_done, evt_useful_macs));
      end
      if (act_re === 1'b1 && (^act_raddr) === 1'bx) fail("act_raddr_o unknown while act_re_o");
      if (wgt_re === 1'b1 && (^wgt_raddr) === 1'bx) fail("wgt_raddr_o unknown while wgt_re_o");
      if (evt_instr_done === 1'b1) done_count++;
      if (evt_row_issued === 1'b1) begin
        rows_issued++;
        useful_macs += evt_useful_macs;
      end
      if (l2c_pop === 1'b1) l2c_pops++;
      if (s2c_pop === 1'b1) s2c_pops++;
      if (c2l_push === 1'b1) c2l_pushes++;
      if (c2s_push === 1'b1) c2s_pushes++;
    end
  end

  // ---------------------------------------------------------------------------
  // Reference: GEMM semantics in program order, int32 wrapping
  // ---------------------------------------------------------------------------
  logic [31:0] ref_acc[AccRows * C];
  bit          ref_written[AccRows];

  task automatic run_reference;
    gemm_t g;
    logic [8*R-1:0] a;
    logic [8*C-1:0] w;
    logic [31:0] s;
    for (int row = 0; row < AccRows; row++) ref_written[row] = 0;
    for (int i = 0; i < NumInstr; i++) begin
      g = prog[i];
      for (int m = 0; m < g.m_rows; m++) begin
        a = act_mem[g.act_base + m * g.act_stride];
        for (int c = 0; c < C; c++) begin
          s = 32'd0;
          for (int r = 0; r < R; r++) begin
            w = wgt_mem[g.wgt_base + r];
            s = s + 32'($signed(a[8*r +: 8]) * $signed(w[8*c +: 8]));
          end
          ref_acc[(g.acc_base + m) * C + c] =
              (g.accumulate ? ref_acc[(g.acc_base + m) * C + c] : 32'd0) + s;
        end
        ref_written[g.acc_base + m] = 1;
      end
    end
  endtask

  // ---------------------------------------------------------------------------
  // Sequence
  // ---------------------------------------------------------------------------
  task automatic read_acc_row(input int row, output logic [32*C-1:0] data);
    @(negedge clk);
    acc_re    = 1'b1;
    acc_raddr = 4'(row);
    @(negedge clk);
    acc_re    = 1'b0;
    acc_raddr = 'x;
    data      = acc_rdata;
  endtask

  logic [32*C-1:0] got;
  logic [31:0]     want;

  initial begin
    rst_n     = 1'b0;
    acc_re    = 1'b0;
    acc_raddr = 'x;
    repeat (3) @(negedge clk);
    rst_n      = 1'b1;
    monitor_on = 1;

    wait (next_instr == NumInstr && done_count == NumInstr && busy === 1'b0 || cycles >= MaxCycles);
    if (cycles >= MaxCycles) begin
      $fatal(1, "FAIL sparq_gemm_engine_tb: timeout, %0d of %0d GEMMs accepted, %0d done",
             next_instr, NumInstr, done_count);
    end
    @(negedge clk);

    if (rows_issued != 10) fail($sformatf("%0d rows issued, expected 3 + 2 + 4 + 1", rows_issued));
    // m_rows * k_valid * n_valid: 3*4*4 + 2*4*3 + 4*4*4 + 1*4*4.
    if (useful_macs != 152) fail($sformatf("%0d useful MACs reported, expected 152", useful_macs));
    if (l2c_pops != 1 || s2c_pops != 0 || c2l_pushes != 1 || c2s_pushes != 1) begin
      fail($sformatf("tokens: l2c pops %0d s2c pops %0d c2l pushes %0d c2s pushes %0d, expected 1 0 1 1",
                     l2c_pops, s2c_pops, c2l_pushes, c2s_pushes));
    end

    run_reference();
    // The hand-worked rows: 4 * (-128 * -128) and 4 * (127 * -128).
    if (ref_acc[5*C] != 32'sd65536 || ref_acc[6*C] != -32'sd65024) begin
      fail("reference model disagrees with the hand-worked rows 5 and 6");
    end
    for (int row = 0; row < AccRows; row++) begin
      read_acc_row(row, got);
      for (int c = 0; c < C; c++) begin
        want = ref_written[row] ? ref_acc[row * C + c] : 'x;
        if (got[32*c +: 32] !== want) begin
          fail($sformatf("ACC row %0d column %0d: got %h, expected %h", row, c, got[32*c +: 32],
                         want));
        end
      end
    end

    if (errors != 0) $fatal(1, "FAIL sparq_gemm_engine_tb: %0d checks failed", errors);
    $display("PASS sparq_gemm_engine_tb: %0d GEMMs, %0d ACC rows compared, %0d cycles",
             NumInstr, AccRows, cycles);
    $finish;
  end

endmodule
