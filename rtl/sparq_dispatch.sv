// Command dispatcher: routes host instructions, in program order, into the
// LOAD, GEMM and STORE engine queues (docs/architecture.md, "Engines and
// ordering").
//
// cmd_ready_o is the ready of the queue the head instruction's opcode selects,
// so an instruction whose queue is full holds back every later one: the
// engines see their instructions in program order, which the token protocol
// relies on. An unknown opcode is consumed and dropped (and fails an
// assertion: the compiler never emits one).
//
// Parameters: QueueDepth (entries per engine queue, power of two; the
// contract value EngineQueueDepth is what the cost model assumes).
// Ports: cmd_* (host stream), load_/gemm_/store_instr_* (engine streams;
// an engine may keep its instruction at the head until it is done),
// queues_empty_o (all three queues empty), gemm_queue_empty_o (counters).

module sparq_dispatch #(
  parameter int QueueDepth = sparq_isa_pkg::EngineQueueDepth,
  localparam int InstrBits = sparq_isa_pkg::InstrBits
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 cmd_valid_i,
  output logic                 cmd_ready_o,
  input  logic [InstrBits-1:0] cmd_data_i,
  output logic                 load_instr_valid_o,
  input  logic                 load_instr_ready_i,
  output logic [InstrBits-1:0] load_instr_data_o,
  output logic                 gemm_instr_valid_o,
  input  logic                 gemm_instr_ready_i,
  output logic [InstrBits-1:0] gemm_instr_data_o,
  output logic                 store_instr_valid_o,
  input  logic                 store_instr_ready_i,
  output logic [InstrBits-1:0] store_instr_data_o,
  output logic                 queues_empty_o,
  output logic                 gemm_queue_empty_o
);

`include "sparq_assert.svh"

  localparam int CntW = $clog2(QueueDepth + 1);

  logic [sparq_isa_pkg::CommonOpcodeW-1:0] opcode;
  logic       is_load, is_gemm, is_store;
  logic       load_in_ready, gemm_in_ready, store_in_ready;
  logic [CntW-1:0] load_cnt, gemm_cnt, store_cnt;

  assign opcode   = cmd_data_i[sparq_isa_pkg::CommonOpcodeLsb +: sparq_isa_pkg::CommonOpcodeW];
  assign is_load  = (opcode == sparq_isa_pkg::OpLoad);
  // Spmv and DWCONV share the compute queue (sparq_top splits its head by opcode).
  assign is_gemm  = (opcode == sparq_isa_pkg::OpGemm) || (opcode == sparq_isa_pkg::OpSpmv) ||
                    (opcode == sparq_isa_pkg::OpDwconv);
  assign is_store = (opcode == sparq_isa_pkg::OpStore);

  always_comb begin
    cmd_ready_o = 1'b1;
    if (is_load) cmd_ready_o = load_in_ready;
    if (is_gemm) cmd_ready_o = gemm_in_ready;
    if (is_store) cmd_ready_o = store_in_ready;
  end

  sparq_fifo #(
    .Width(InstrBits),
    .Depth(QueueDepth)
  ) u_load_queue (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (cmd_valid_i && is_load),
    .in_ready_o (load_in_ready),
    .in_data_i  (cmd_data_i),
    .out_valid_o(load_instr_valid_o),
    .out_ready_i(load_instr_ready_i),
    .out_data_o (load_instr_data_o),
    .count_o    (load_cnt)
  );

  sparq_fifo #(
    .Width(InstrBits),
    .Depth(QueueDepth)
  ) u_gemm_queue (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (cmd_valid_i && is_gemm),
    .in_ready_o (gemm_in_ready),
    .in_data_i  (cmd_data_i),
    .out_valid_o(gemm_instr_valid_o),
    .out_ready_i(gemm_instr_ready_i),
    .out_data_o (gemm_instr_data_o),
    .count_o    (gemm_cnt)
  );

  sparq_fifo #(
    .Width(InstrBits),
    .Depth(QueueDepth)
  ) u_store_queue (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (cmd_valid_i && is_store),
    .in_ready_o (store_in_ready),
    .in_data_i  (cmd_data_i),
    .out_valid_o(store_instr_valid_o),
    .out_ready_i(store_instr_ready_i),
    .out_data_o (store_instr_data_o),
    .count_o    (store_cnt)
  );

  assign queues_empty_o     = (load_cnt == '0) && (gemm_cnt == '0) && (store_cnt == '0);
  assign gemm_queue_empty_o = (gemm_cnt == '0);

  `ASSERT(KnownOpcode, cmd_valid_i |-> is_load || is_gemm || is_store)
  `ASSERT_KNOWN(CmdValidKnown, cmd_valid_i)
  `ASSERT_STABLE(CmdStable, cmd_valid_i, cmd_ready_o, cmd_data_i)

endmodule
