#include "tests/common/chain_networks.h"

#include <algorithm>
#include <string>

#include "golden/random.h"
#include "tests/common/program_count.h"
#include "tests/common/random_layers.h"

namespace sparq {
namespace {

Layer Pointwise(SplitMix64* rng, int cin, int cout) {
  Layer l = RandomConvLayer(rng, "pw", cin, cout, 1, 1, ConvGeometry());
  return l;
}

Layer Depthwise(SplitMix64* rng, const std::string& input, int c, int m,
                int k, int stride, int pad_lo, int pad_hi, int dil = 1) {
  ConvGeometry g;
  g.groups = c;
  g.stride_h = g.stride_w = stride;
  g.dilation_h = g.dilation_w = dil;
  g.pad_top = g.pad_left = pad_lo;
  g.pad_bottom = g.pad_right = pad_hi;
  Layer l = RandomConvLayer(rng, "dw", c, c * m, k, k, g);
  l.inputs = {input};
  return l;
}

}  // namespace

Network RandomChainNetwork(uint32_t seed, int rows) {
  SplitMix64 rng(seed * 6151u + 3u);
  const int cin = RandInt(&rng, 1, 12);
  const int c = RandInt(&rng, 4, 3 * rows);
  const int mults[] = {1, 1, 2, 4};
  int m = mults[RandInt(&rng, 0, 3)];
  while (rows % m != 0) m /= 2;
  const int k = RandInt(&rng, 1, 3);
  const int stride = RandInt(&rng, 1, 2);
  const int pad_lo = RandInt(&rng, 0, k - 1);
  const int pad_hi = RandInt(&rng, 0, k - 1);
  // Dilation 2 (phases on the unit) one stride-1 time in four.
  const int dil = stride == 1 && seed % 4 == 1 ? 2 : 1;
  const int span = (k - 1) * dil + 1;
  const int h = std::max(span, RandInt(&rng, 2, 13));
  const int w = std::max(span, RandInt(&rng, 2, 13));
  const int batch = seed % 6 == 4 ? 2 : 1;
  Network net;
  net.name = "chain" + std::to_string(seed);
  net.input = RandomTensor(&rng, {batch, h, w, cin});
  net.layers.push_back(Pointwise(&rng, cin, c));
  net.layers.push_back(
      Depthwise(&rng, "pw", c, m, k, stride, pad_lo, pad_hi, dil));
  return net;
}

Network NoChainNetwork(NoChainCase which, uint32_t seed, int rows) {
  SplitMix64 rng(seed * 911u + 7u);
  const int h = RandInt(&rng, 3, 9);
  const int w = 2 * RandInt(&rng, 2, 5);
  const int cin = RandInt(&rng, 1, 6);
  // Pair mode: R/2 channels, 3x3 SAME stride 1, even width.
  const int c = which == NoChainCase::kPairMode ? rows / 2
                                                : RandInt(&rng, 4, 2 * rows);
  Network net;
  net.name = "nochain" + std::to_string(seed);
  net.input = RandomTensor(&rng, {1, h, w, cin});
  net.layers.push_back(Pointwise(&rng, cin, c));
  std::string dw_input = "pw";
  if (which == NoChainCase::kHostBetween) {
    Layer pool;
    pool.name = "pool";
    pool.kind = LayerKind::kMaxPool;
    pool.inputs = {"pw"};
    pool.pool.kh = pool.pool.kw = 1;
    pool.pool.stride_h = pool.pool.stride_w = 1;
    net.layers.push_back(pool);
    dw_input = "pool";
  }
  net.layers.push_back(Depthwise(&rng, dw_input, c, 1, 3, 1, 1, 1));
  if (which == NoChainCase::kTwoReaders) {
    Layer second = RandomConvLayer(&rng, "pw2", c, RandInt(&rng, 1, 6), 1, 1,
                                   ConvGeometry());
    second.inputs = {"pw"};
    net.layers.push_back(second);
  }
  return net;
}

int CountActWriteStores(const std::vector<InstrWord>& program) {
  return CountInstrs<StoreInstr>(
      program, [](const StoreInstr& s) { return s.act_write == 1; });
}

int CountActLoads(const std::vector<InstrWord>& program) {
  return CountInstrs<LoadInstr>(program, [](const LoadInstr& l) {
    return l.buf == static_cast<int64_t>(LoadBuf::kAct);
  });
}

int CountLoads(const std::vector<InstrWord>& program) {
  return CountInstrs<LoadInstr>(program, [](const LoadInstr&) { return true; });
}

}  // namespace sparq
