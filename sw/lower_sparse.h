// Lowering of a conv / fc layer onto the unstructured sparse engine
// (docs/sparse.md, "Lowering"): the im2col rows the load engine gathers for
// the dense path become the activation vectors, the weights become lane
// streams (sw/sparse_format.h), and the existing STORE path requantizes.
//
// Work order: image, output rectangle (one ACT half), output tile of up to
// C * kSparseLaneOuts / 2 channels (one ACC half), then K chunks (one WGT half
// each, accumulating). ACT, WGT and ACC halves alternate, and the tokens let
// the next chunk's weights and the next rectangle's activations load while
// the engine computes, as in the dense lowering.

#ifndef SPARQ_SW_LOWER_SPARSE_H_
#define SPARQ_SW_LOWER_SPARSE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "golden/network.h"
#include "sw/hw_config.h"
#include "sw/isa.h"
#include "sw/sparse_format.h"

namespace sparq {

// The conv view of a layer (an fc layer is a 1x1 conv over 1 x batch pixels).
struct SparseConvShape {
  int images = 1;
  int h = 1, w = 1, cin = 1;
  int oh = 1, ow = 1, cout = 1;
  int kh = 1, kw = 1;
  int sh = 1, sw = 1, dh = 1, dw = 1;
  int pad_top = 0, pad_left = 0;
  int groups = 1;
};

class SparseLowering {
 public:
  // Why the layer cannot run on the sparse engine of hw ("" if it can).
  static std::string Unsupported(const Layer& layer, const SparseConvShape& s,
                                 const HwConfig& hw);

  // Requires Unsupported(...) == "".
  SparseLowering(const Layer& layer, const SparseConvShape& s,
                 const HwConfig& hw, uint32_t in_addr, uint32_t out_addr);

  uint64_t weight_bytes() const { return weight_bytes_; }
  uint64_t param_bytes() const;
  std::vector<uint8_t> PackWeights() const;
  std::vector<uint8_t> PackParams() const;
  std::vector<InstrWord> Emit(uint32_t wgt_addr, uint32_t param_addr);

  // Static estimate with every activation non-zero: the largest of the LOAD,
  // Spmv and STORE engine totals (the same bound the compiler takes of the
  // dense program, so the two compare like for like).
  uint64_t EstimatedCycles() const;

  int64_t nonzeros() const { return nonzeros_; }
  int64_t dense_weights() const;

 private:
  struct Chunk {
    int k0 = 0, k1 = 0;    // columns
    int lines = 0;         // WGT lines (longest lane)
    uint64_t offset = 0;   // bytes into the weight image
  };
  struct Tile {
    int n0 = 0, n_cols = 0, groups = 0;
    SparseStreams streams;
    std::vector<Chunk> chunks;
  };
  struct Rect {
    int image = 0, oy0 = 0, ox0 = 0, ny = 1, nx = 1;
    int pixels() const { return ny * nx; }
  };

  int8_t WeightAt(int kk, int n) const;  // im2col column kk, output n
  std::vector<InstrWord> Build(uint32_t wgt_addr, uint32_t param_addr,
                               uint64_t* spmv_cycles) const;

  const Layer& layer_;
  SparseConvShape s_;
  HwConfig hw_;
  uint32_t in_addr_, out_addr_;
  int nl_ = 0, lpp_ = 0, k_act_ = 0;
  int wgt_bufs_ = 2;  // WGT SRAM parts the K chunks rotate through
  std::vector<Tile> tiles_;
  std::vector<Rect> rects_;
  uint64_t weight_bytes_ = 0;
  int64_t nonzeros_ = 0;
};

}  // namespace sparq

#endif  // SPARQ_SW_LOWER_SPARSE_H_
