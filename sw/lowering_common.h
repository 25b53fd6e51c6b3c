// What every lowering (dense GEMM, depthwise, sparse) shares: the plain
// copy LOADs, and the one token rule -- a program is built as ops that
// record which earlier op each must wait for, and ResolveTokens turns those
// needs into the pop/push flags of docs/architecture.md ("Engines and
// ordering").

#ifndef SPARQ_SW_LOWERING_COMMON_H_
#define SPARQ_SW_LOWERING_COMMON_H_

#include <cassert>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/layers.h"
#include "golden/requant.h"
#include "sw/isa.h"

namespace sparq {

// ceil(a / b) for a >= 0, b > 0.
inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Writes output channel `o`'s PARAM record (layout: isa.def) at `dst`: the
// bias with the input zero point folded in (bias - in_zp * weight_sum,
// wrapping), M0 and the shift, the same for every engine that stores
// through the requantizer. Throws InputError unless (M0, shift) is a TFLite
// quantized multiplier.
inline void WriteParamRecord(uint8_t* dst, int o, int32_t weight_sum,
                             int32_t bias, const QuantParams& q) {
  static_assert(kParamBiasBytes == sizeof(int32_t) &&
                    kParamMultBytes == sizeof(int32_t) &&
                    kParamShiftBytes == 1,
                "isa.def PARAM field sizes differ from the packing below");
  const int32_t folded = WrapAdd(bias, WrapMul(-q.in_zp, weight_sum));
  const int32_t mult = q.multiplier[static_cast<size_t>(o)];
  const int shift = q.shift[static_cast<size_t>(o)];
  if (shift < -31 || shift > 30 || mult < 0 ||
      (mult != 0 && mult < (int32_t{1} << 30))) {
    throw InputError("output channel " + std::to_string(o) + ": multiplier " +
                     std::to_string(mult) + ", shift " + std::to_string(shift) +
                     " is not a TFLite quantized multiplier (expected 0 or "
                     "[2^30, 2^31) and a shift in [-31, 30])");
  }
  std::memcpy(dst + kParamBiasByte, &folded, kParamBiasBytes);
  std::memcpy(dst + kParamMultByte, &mult, kParamMultBytes);
  dst[kParamShiftByte] = static_cast<uint8_t>(static_cast<int8_t>(shift));
}

// A plain copy of `lines` SRAM lines of `line_bytes` from DRAM `dram` to SRAM
// line `sram` onwards: each LOAD walks nx "pixels" of nl lines, as many as
// the fields allow, and a last LOAD takes the tail.
inline std::vector<LoadInstr> PlainCopyLoads(LoadBuf buf, uint32_t dram,
                                             int64_t sram, int64_t lines,
                                             int line_bytes) {
  const int64_t per = std::min<int64_t>(IsaFieldMax("Load", "nl"),
                                        IsaFieldMax("Load", "seg_bytes") /
                                            line_bytes);
  std::vector<LoadInstr> loads;
  while (lines > 0) {
    const int64_t nl = std::min(lines, per);
    const int64_t nx = std::min<int64_t>(lines / nl, IsaFieldMax("Load", "nx"));
    LoadInstr i;
    i.buf = static_cast<int64_t>(buf);
    i.dram_base = dram;
    i.sram_base = sram;
    i.ny = i.h = 1;
    i.nx = i.w = nx;
    i.kh = i.kw = 1;
    i.sy = i.sx = i.dy = i.dx = 1;
    i.nl = nl;
    i.seg_bytes = nl * line_bytes;
    i.pix_stride = nl * line_bytes;
    loads.push_back(i);
    lines -= nx * nl;
    sram += nx * nl;
    dram += static_cast<uint32_t>(nx * nl * line_bytes);
  }
  return loads;
}

// Op has `kind`, `load`, `store`, `need_load`, `need_store` (for the compute
// op) and, through the member pointers, the compute instruction of kind
// `compute_kind` and the need of a LOAD (c2l) or STORE (c2s) on the compute
// engine. Each engine runs in order, so waiting for instruction X also covers
// every earlier instruction of X's engine. A consumer pops only when it needs
// a producer later than any that an earlier consumer on the same queue
// already waited for; the matching producer pushes. Pops and pushes then pair
// up in order, each producer pushes at most once, and every token is pushed
// by an instruction earlier in program order.
template <typename Op, typename ComputeInstr>
void ResolveTokens(std::vector<Op>* ops, Opcode compute_kind,
                   ComputeInstr Op::*compute, int Op::*need_compute) {
  int l2c = -1, c2l = -1, c2s = -1, s2c = -1;
  for (size_t n = 0; n < ops->size(); ++n) {
    Op& op = (*ops)[n];
    auto take = [&](int need, int* satisfied, int64_t* pop) -> int {
      if (need <= *satisfied) return -1;
      assert(need < static_cast<int>(n));
      *satisfied = need;
      *pop = 1;
      return need;
    };
    if (op.kind == Opcode::kLoad) {
      const int p = take(op.*need_compute, &c2l, &op.load.pop_next);
      if (p >= 0) ((*ops)[p].*compute).push_prev = 1;
    } else if (op.kind == Opcode::kStore) {
      const int p = take(op.*need_compute, &c2s, &op.store.pop_prev);
      if (p >= 0) ((*ops)[p].*compute).push_next = 1;
    } else {
      assert(op.kind == compute_kind);
      (void)compute_kind;
      ComputeInstr& c = op.*compute;
      int p = take(op.need_load, &l2c, &c.pop_prev);
      if (p >= 0) (*ops)[p].load.push_next = 1;
      p = take(op.need_store, &s2c, &c.pop_next);
      if (p >= 0) (*ops)[p].store.push_prev = 1;
    }
  }
}

}  // namespace sparq

#endif  // SPARQ_SW_LOWERING_COMMON_H_
