// The one token rule of every lowering (dense GEMM, depthwise, sparse): a
// program is built as ops that record which earlier op each must wait for,
// and ResolveTokens turns those needs into the pop/push flags of
// docs/architecture.md ("Engines and ordering").

#ifndef SPARQ_SW_TOKEN_SCHEDULE_H_
#define SPARQ_SW_TOKEN_SCHEDULE_H_

#include <cassert>
#include <cstdint>
#include <vector>

#include "sw/isa.h"

namespace sparq {

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

#endif  // SPARQ_SW_TOKEN_SCHEDULE_H_
