// Performance counters and read-only configuration registers, 64 bits each,
// read combinationally through sel_i (map: sparq_isa_pkg Ctr* / Cfg*, from
// sw/isa/isa.def; table in docs/isa.md). Counters start at zero on reset and
// wrap; unmapped selects read zero.
//
// Parameters: the sparq_top configuration, reported at the Cfg* selects so
// the harness can check it simulates the configuration it compiled for.
// Ports: one-cycle event inputs (evt_*), sel_i / value_o (read port).

module sparq_perf_counters #(
  parameter int SparseLanes  = 8,
  parameter int ArrayRows    = 16,
  parameter int ArrayCols    = 16,
  parameter int ActLines     = 2048 * ArrayRows,
  parameter int WgtLines     = 512 * ArrayRows,
  parameter int AccRows      = 256 * ArrayRows,
  parameter int ParamEntries = 2048,
  parameter int DramBits     = 128,
  parameter bit NmSparse     = 1'b1,
  localparam int SelBits     = sparq_isa_pkg::CtrSelBits
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               evt_row_issued_i,
  input  logic [31:0]        evt_useful_macs_i,
  input  logic [1:0]         evt_lanes_lg_i,
  input  logic               evt_stall_gemm_load_i,
  input  logic               evt_stall_gemm_store_i,
  input  logic               evt_stall_gemm_weights_i,
  input  logic               evt_stall_load_dram_i,
  input  logic               evt_stall_load_tokens_i,
  input  logic               evt_stall_store_dram_i,
  input  logic               evt_stall_store_tokens_i,
  input  logic [1:0]         evt_instrs_retired_i,   // instructions finished this cycle
  input  logic               evt_gemm_idle_i,
  input  logic [31:0]        evt_sparse_zero_weights_i,
  input  logic               evt_sparse_zero_act_i,
  input  logic [7:0]         evt_sparse_meta_words_i,
  input  logic [7:0]         evt_sparse_lane_idle_i,
  input  logic               evt_dw_busy_i,          // depthwise unit executing
  input  logic               evt_dw_pixel_i,         // depthwise unit wrote an output pixel
  input  logic [31:0]        evt_dw_useful_macs_i,   // depthwise unit, this cycle
  input  logic [SelBits-1:0] sel_i,
  output logic [63:0]        value_o
);

  localparam int NumCounters = sparq_isa_pkg::NumCounters;
  localparam logic [63:0] MacsPerRow = 64'(ArrayRows * ArrayCols);
  localparam logic [63:0] MacsPerDwPixel =
      64'(ArrayRows * sparq_isa_pkg::DwMaxKernel * sparq_isa_pkg::DwMaxKernel);

  // Counter i in bits [64*i +: 64] (flat vectors, which every tool accepts).
  logic [64*NumCounters-1:0] incr, ctr_d, ctr_q;

  always_comb begin
    incr = '0;  // reserved counters stay zero
    incr[64*sparq_isa_pkg::CtrCycles +: 64]           = 64'd1;
    incr[64*sparq_isa_pkg::CtrArrayBusy +: 64]        = {63'd0, evt_row_issued_i};
    incr[64*sparq_isa_pkg::CtrMacsIssued +: 64]       = (evt_row_issued_i ? MacsPerRow << evt_lanes_lg_i
                                                                          : 64'd0) +
                                                        (evt_dw_pixel_i ? MacsPerDwPixel : 64'd0);
    incr[64*sparq_isa_pkg::CtrUsefulMacs +: 64]       = (evt_row_issued_i ? {32'd0, evt_useful_macs_i}
                                                                          : 64'd0) +
                                                        {32'd0, evt_dw_useful_macs_i};
    incr[64*sparq_isa_pkg::CtrStallGemmLoad +: 64]    = {63'd0, evt_stall_gemm_load_i};
    incr[64*sparq_isa_pkg::CtrStallGemmStore +: 64]   = {63'd0, evt_stall_gemm_store_i};
    incr[64*sparq_isa_pkg::CtrStallGemmWeights +: 64] = {63'd0, evt_stall_gemm_weights_i};
    incr[64*sparq_isa_pkg::CtrStallLoadDram +: 64]    = {63'd0, evt_stall_load_dram_i};
    incr[64*sparq_isa_pkg::CtrStallLoadTokens +: 64]  = {63'd0, evt_stall_load_tokens_i};
    incr[64*sparq_isa_pkg::CtrStallStoreDram +: 64]   = {63'd0, evt_stall_store_dram_i};
    incr[64*sparq_isa_pkg::CtrStallStoreTokens +: 64] = {63'd0, evt_stall_store_tokens_i};
    incr[64*sparq_isa_pkg::CtrInstrs +: 64]           = {62'd0, evt_instrs_retired_i};
    incr[64*sparq_isa_pkg::CtrGemmIdle +: 64]         = {63'd0, evt_gemm_idle_i};
    incr[64*sparq_isa_pkg::CtrSparseZeroWeights +: 64] = {32'd0, evt_sparse_zero_weights_i};
    incr[64*sparq_isa_pkg::CtrSparseZeroActs +: 64]   = {63'd0, evt_sparse_zero_act_i};
    incr[64*sparq_isa_pkg::CtrSparseMetaWords +: 64]  = {56'd0, evt_sparse_meta_words_i};
    incr[64*sparq_isa_pkg::CtrSparseLaneIdle +: 64]   = {56'd0, evt_sparse_lane_idle_i};
    incr[64*sparq_isa_pkg::CtrDwBusy +: 64]           = {63'd0, evt_dw_busy_i};
    incr[64*sparq_isa_pkg::CtrDwUsefulMacs +: 64]     = {32'd0, evt_dw_useful_macs_i};
    for (int i = 0; i < NumCounters; i++) begin
      ctr_d[64*i +: 64] = ctr_q[64*i +: 64] + incr[64*i +: 64];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ctr_q <= '0;
    end else begin
      ctr_q <= ctr_d;
    end
  end

  always_comb begin
    value_o = '0;
    for (int i = 0; i < NumCounters; i++) begin
      if (sel_i == SelBits'(i)) value_o = ctr_q[64*i +: 64];
    end
    case (sel_i)
      SelBits'(sparq_isa_pkg::CfgSparseLanes):  value_o = 64'(SparseLanes);
      SelBits'(sparq_isa_pkg::CfgNmSparse):     value_o = 64'(NmSparse);
      SelBits'(sparq_isa_pkg::CfgArrayRows):    value_o = 64'(ArrayRows);
      SelBits'(sparq_isa_pkg::CfgArrayCols):    value_o = 64'(ArrayCols);
      SelBits'(sparq_isa_pkg::CfgActLines):     value_o = 64'(ActLines);
      SelBits'(sparq_isa_pkg::CfgWgtLines):     value_o = 64'(WgtLines);
      SelBits'(sparq_isa_pkg::CfgAccRows):      value_o = 64'(AccRows);
      SelBits'(sparq_isa_pkg::CfgParamEntries): value_o = 64'(ParamEntries);
      SelBits'(sparq_isa_pkg::CfgDramBits):     value_o = 64'(DramBits);
      SelBits'(sparq_isa_pkg::CfgMagic):        value_o = 64'(sparq_isa_pkg::MagicWord);
      default: ;
    endcase
  end

endmodule
