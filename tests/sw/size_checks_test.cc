#include "sw/size_checks.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "golden/checked.h"
#include "golden/errors.h"
#include "golden/network.h"
#include "sw/compiler.h"

namespace sparq {
namespace {

// Expects Compile to throw InputError whose message contains `fragment`.
void ExpectRefused(const Network& net, const std::string& fragment) {
  try {
    Compile(net, HwConfig::ForArray(4, 4));
    ADD_FAILURE() << "compiled; expected an error containing '" << fragment
                  << "'";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << e.what();
  }
}

// A one-element input padded by 2^20 on both sides of each of its four
// dimensions: an output of (2^21 + 1)^4 elements, which overflows 64 bits.
// The DRAM allocator used to place it at byte 64 with its size wrapped
// (0xffffffff bytes, 63 bytes "used") and compile the network.
TEST(SizeChecksTest, OutputWhoseElementCountOverflowsIsRefused) {
  Network net;
  net.input = Tensor<int8_t>({1, 1, 1, 1});
  Layer pad;
  pad.name = "big";
  pad.kind = LayerKind::kPad;
  pad.inputs = {"input"};
  pad.pad.before_after.assign(4, {1 << 20, 1 << 20});
  net.layers.push_back(pad);
  ExpectRefused(net, "tensor 'big' of shape [2097153, 2097153, 2097153, "
                     "2097153]: expected at most 268435456 elements");
}

// The same cap on a tensor that fits 64 bits but not the cap (1025^3, about
// 2^30 elements), checked before its DRAM placement.
TEST(SizeChecksTest, OutputOverTheTensorCapIsRefused) {
  Network net;
  net.input = Tensor<int8_t>({1, 1, 1, 1});
  Layer pad;
  pad.name = "wide";
  pad.kind = LayerKind::kPad;
  pad.inputs = {"input"};
  pad.pad.before_after = {{0, 0}, {512, 512}, {512, 512}, {512, 512}};
  net.layers.push_back(pad);
  ExpectRefused(net, "tensor 'wide' of shape [1, 1025, 1025, 1025]: "
                     "expected at most 268435456 elements");
}

// A conv whose tensors are within the caps but whose multiply-accumulates
// are not: 2048 x 2048 outputs of 16 channels, 15 x 15 taps each
// (about 2^33.8). Refused before the lowering starts.
TEST(SizeChecksTest, LayerOverTheMacCapIsRefused) {
  Network net;
  net.input = Tensor<int8_t>({1, 2048, 2048, 1});
  Layer conv;
  conv.name = "conv";
  conv.kind = LayerKind::kConv;
  conv.inputs = {"input"};
  conv.weights = Tensor<int8_t>({16, 15, 15, 1}, 1);
  conv.geom.pad_top = conv.geom.pad_bottom = 7;
  conv.geom.pad_left = conv.geom.pad_right = 7;
  conv.bias.assign(16, 0);
  conv.quant.multiplier.assign(16, 1 << 30);
  conv.quant.shift.assign(16, -8);
  net.layers.push_back(conv);
  ExpectRefused(net, "layer 'conv' (conv): expected a layer of at most "
                     "4294967296 multiply-accumulates");
}

// An array whose R * 8 overflows int used to pass the port-width check
// (the product wrapped to 0).
TEST(SizeChecksTest, ArrayWiderThanAnyPortIsRefused) {
  Network net;
  net.input = Tensor<int8_t>({1, 1, 1, 1});
  Layer fc;
  fc.name = "fc";
  fc.kind = LayerKind::kFc;
  fc.inputs = {"input"};
  fc.weights = Tensor<int8_t>({1, 1}, 1);
  fc.quant.multiplier.assign(1, 1 << 30);
  fc.quant.shift.assign(1, 0);
  net.layers.push_back(fc);
  HwConfig hw = HwConfig::ForArray(4, 4);
  hw.rows = 1 << 29;
  try {
    Compile(net, hw);
    ADD_FAILURE() << "compiled for an array of 2^29 rows";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected R*8 and C*8 <= dram_bits"),
              std::string::npos)
        << e.what();
  }
}

TEST(SizeChecksTest, HelpersCheckEveryProductAndSum) {
  EXPECT_EQ(CheckedTensorElements({2, 3, 7}, "t"), 42u);
  EXPECT_EQ(CheckedTensorElements({1 << 14, 1 << 14}, "t"), kMaxTensorElements);
  EXPECT_THROW(CheckedTensorElements({1 << 14, (1 << 14) + 1}, "t"),
               InputError);
  EXPECT_THROW(CheckedTensorElements({2, -3}, "t"), InputError);
  EXPECT_EQ(CheckedLayerMacs({1 << 16, 1 << 16}), kMaxLayerMacs);
  EXPECT_THROW(CheckedLayerMacs({1 << 16, (1 << 16) + 1}), InputError);
  EXPECT_THROW(CheckedLayerMacs({1 << 30, 1 << 30, 1 << 30}), InputError);
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  EXPECT_TRUE(FitsBelow(64, 100, 164));
  EXPECT_FALSE(FitsBelow(64, 101, 164));
  EXPECT_FALSE(FitsBelow(64, max, uint64_t{1} << 32));
}

}  // namespace
}  // namespace sparq
