#include "sw/chain.h"

#include <algorithm>
#include <set>
#include <string>

#include "sw/lower_depthwise.h"
#include "sw/lowering_common.h"

namespace sparq {
namespace {

// Where each of P's STOREs puts its pixels in the chained ACT region, or an
// empty vector when one of them cannot: every STORE must write int8 pixels
// of one line group (n_bytes <= R channels from a multiple of R) whose
// raster order is the region's (ny == 1, or rows of exactly nx pixels).
struct StorePatch {
  size_t index;
  int64_t act_dst;
};

std::vector<StorePatch> PlanStores(const std::vector<InstrWord>& program,
                                   const TensorPlacement& t, const HwConfig& hw,
                                   int64_t act_line, int64_t group_stride) {
  const int64_t cout = t.shape[3];
  std::vector<StorePatch> patches;
  for (size_t k = 0; k < program.size(); ++k) {
    if (OpcodeOf(program[k]) != Opcode::kStore) continue;
    const StoreInstr s = DecodeStore(program[k]);
    const int64_t off = s.dram_base - static_cast<int64_t>(t.addr);
    if (s.out_int4 || s.out_binary || s.out_int16 || s.acc_shift != 0 ||
        s.n_bytes > hw.rows || off < 0 || off % cout % hw.rows != 0 ||
        s.pix_stride != cout ||
        (s.ny > 1 && s.row_stride != s.nx * cout)) {
      return {};
    }
    const int64_t group = off % cout / hw.rows;
    const int64_t pixel = off / cout;
    patches.push_back({k, act_line + group * group_stride + pixel});
  }
  return patches;
}

}  // namespace

SramFootprint FootprintOf(const std::vector<InstrWord>& program) {
  SramFootprint f;
  for (const InstrWord& w : program) {
    if (OpcodeOf(w) != Opcode::kLoad) continue;
    const LoadInstr l = DecodeLoad(w);
    int64_t& top = f.written[static_cast<size_t>(l.buf)];
    top = std::max(top, l.sram_base + LoadLines(l));
  }
  return f;
}

void ChainLayers(const Network& net, const std::vector<DwLayerInfo>& info,
                 CompiledNetwork* c) {
  const HwConfig& hw = c->hw;
  std::set<size_t> chained_input;  // layers whose input a chain placed in ACT
  for (size_t i = 0; i + 1 < net.layers.size(); ++i) {
    const Layer& pl = net.layers[i];
    const Layer& dl = net.layers[i + 1];
    CompiledLayer& p = c->layers[i];
    CompiledLayer& d = c->layers[i + 1];
    const DwLayerInfo& di = info[i + 1];
    if (p.host || d.host || !di.dw || chained_input.count(i) != 0 ||
        dl.inputs.size() != 1 || dl.inputs[0] != pl.name) {
      continue;
    }
    bool other_reader = false;
    for (size_t j = 0; j < net.layers.size(); ++j) {
      if (j == i + 1) continue;
      for (const std::string& name : net.layers[j].inputs) {
        other_reader = other_reader || name == pl.name;
      }
    }
    const TensorPlacement& t = c->tensors.at(pl.name);
    if (other_reader || t.int4 || t.binary || t.int16 || t.shape.size() != 4) {
      continue;
    }
    DepthwiseLowering plain(dl, di.in, di.out, hw, di.in_addr, di.out_addr);
    if (plain.pair()) continue;

    // D's input at the top of ACT, its constants at the top of WGT / PARAM,
    // each above everything P's program loads.
    const SramFootprint f = FootprintOf(p.program);
    const int64_t groups = CeilDiv(t.shape[3], hw.rows);
    const int64_t pixels =
        static_cast<int64_t>(t.shape[0]) * t.shape[1] * t.shape[2];
    DwChain chain;
    chain.act_line = hw.act_lines - groups * pixels;
    chain.row_stride = t.shape[2];
    chain.group_stride = pixels;
    // One spare line: a two-pixel walk may read (and not use) the line past
    // a row.
    if (chain.act_line < f.written[static_cast<int>(LoadBuf::kAct)] + 1) {
      continue;
    }
    const std::vector<StorePatch> patches = PlanStores(
        p.program, t, hw, chain.act_line, chain.group_stride);
    if (patches.empty()) continue;

    const int64_t wgt_lines = static_cast<int64_t>(plain.weight_bytes()) / hw.cols;
    const int64_t records = plain.records();
    chain.wgt_line = hw.wgt_lines - wgt_lines;
    chain.param_rec = hw.param_entries - records;
    chain.consts_loaded =
        chain.wgt_line >= f.written[static_cast<int>(LoadBuf::kWgt)] &&
        chain.param_rec >= f.written[static_cast<int>(LoadBuf::kParam)];
    if (!chain.consts_loaded) chain.wgt_line = chain.param_rec = 0;

    // P: STOREs also write ACT; D's constants loaded behind P's last LOAD,
    // token-free (no instruction of P touches those lines).
    std::vector<InstrWord> program = p.program;
    for (const StorePatch& s : patches) {
      StoreInstr st = DecodeStore(program[s.index]);
      st.act_write = 1;
      st.act_dst = s.act_dst;
      program[s.index] = Encode(st);
    }
    if (chain.consts_loaded) {
      size_t last_load = 0;
      for (size_t k = 0; k < program.size(); ++k) {
        if (OpcodeOf(program[k]) == Opcode::kLoad) last_load = k + 1;
      }
      std::vector<InstrWord> pre;
      for (const LoadInstr& l :
           PlainCopyLoads(LoadBuf::kWgt, di.wgt_addr, chain.wgt_line,
                          wgt_lines, hw.cols)) {
        pre.push_back(Encode(l));
      }
      for (const LoadInstr& l :
           PlainCopyLoads(LoadBuf::kParam, di.param_addr, chain.param_rec,
                          records, kParamBytes)) {
        pre.push_back(Encode(l));
      }
      program.insert(program.begin() + static_cast<std::ptrdiff_t>(last_load),
                     pre.begin(), pre.end());
    }
    DepthwiseLowering chained(dl, di.in, di.out, hw, di.in_addr, di.out_addr,
                              chain);
    p.program = std::move(program);
    d.program = chained.Emit(di.wgt_addr, di.param_addr);
    chained_input.insert(i + 1);
  }
}

}  // namespace sparq
