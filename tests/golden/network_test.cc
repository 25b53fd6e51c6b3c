#include "golden/network.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "golden/errors.h"
#include "golden/requant.h"

namespace sparq {
namespace {

Layer Conv(const std::string& name, const std::string& in, int cout, int cin_g,
           int k, int groups = 1) {
  Layer l;
  l.name = name;
  l.kind = LayerKind::kConv;
  l.inputs = {in};
  l.weights = Tensor<int8_t>({cout, k, k, cin_g}, 1);
  l.bias.assign(cout, 0);
  l.geom.groups = groups;
  l.geom.pad_top = l.geom.pad_bottom = l.geom.pad_left = l.geom.pad_right =
      k / 2;
  l.quant.multiplier.assign(cout, 1 << 30);
  l.quant.shift.assign(cout, 0);
  return l;
}

std::string ErrorOf(const Layer& l, const std::vector<Shape>& in) {
  try {
    InferOutputShape(l, in);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(NetworkTest, LayerKindNames) {
  EXPECT_STREQ(LayerKindName(LayerKind::kConv), "conv");
  EXPECT_STREQ(LayerKindName(LayerKind::kFc), "fc");
  EXPECT_STREQ(LayerKindName(LayerKind::kMaxPool), "maxpool");
  EXPECT_STREQ(LayerKindName(LayerKind::kAvgPool), "avgpool");
  EXPECT_STREQ(LayerKindName(LayerKind::kAdd), "add");
  EXPECT_STREQ(LayerKindName(LayerKind::kFlatten), "flatten");
}

TEST(NetworkTest, InfersShapes) {
  EXPECT_EQ(InferOutputShape(Conv("c", "input", 16, 8, 3), {{2, 10, 12, 8}}),
            (Shape{2, 10, 12, 16}));
  Layer s = Conv("s", "input", 4, 1, 3, 8);
  s.weights = Tensor<int8_t>({8, 3, 3, 1});
  s.bias.assign(8, 0);
  s.quant.multiplier.assign(8, 1 << 30);
  s.quant.shift.assign(8, 0);
  s.geom.stride_h = s.geom.stride_w = 2;
  EXPECT_EQ(InferOutputShape(s, {{1, 9, 8, 8}}), (Shape{1, 5, 4, 8}));
  Layer pool;
  pool.name = "p";
  pool.kind = LayerKind::kMaxPool;
  pool.inputs = {"c"};
  EXPECT_EQ(InferOutputShape(pool, {{1, 8, 7, 3}}), (Shape{1, 4, 3, 3}));
  Layer flat;
  flat.name = "f";
  flat.kind = LayerKind::kFlatten;
  flat.inputs = {"p"};
  EXPECT_EQ(InferOutputShape(flat, {{2, 4, 3, 3}}), (Shape{2, 36}));
  Layer fc;
  fc.name = "fc";
  fc.kind = LayerKind::kFc;
  fc.inputs = {"p"};
  fc.weights = Tensor<int8_t>({10, 36});
  fc.quant.multiplier.assign(10, 1 << 30);
  fc.quant.shift.assign(10, 0);
  EXPECT_EQ(InferOutputShape(fc, {{2, 4, 3, 3}}), (Shape{2, 10}));
}

TEST(NetworkTest, ShapeErrorsNameTheLayerAndTheDimension) {
  EXPECT_EQ(ErrorOf(Conv("conv2", "conv1", 8, 64, 3), {{1, 8, 8, 32}}),
            "layer 'conv2' (conv): input has 32 channels but weights expect "
            "64 (groups 1)");
  EXPECT_EQ(ErrorOf(Conv("dw", "x", 8, 1, 3, 8), {{1, 8, 8, 16}}),
            "layer 'dw' (conv): input has 16 channels but weights expect 8 "
            "(groups 8)");
  Layer big = Conv("big", "x", 4, 3, 7);
  big.geom = ConvGeometry{};
  EXPECT_EQ(ErrorOf(big, {{1, 2, 2, 3}}),
            "layer 'big' (conv): kernel 7x7 (dilation 1x1) does not fit the "
            "padded input 2x2");
  Layer bad_bias = Conv("b", "x", 4, 3, 1);
  bad_bias.bias.assign(3, 0);
  EXPECT_EQ(ErrorOf(bad_bias, {{1, 2, 2, 3}}),
            "layer 'b' (conv): bias has 3 entries but the layer has 4 output "
            "channels");
  Layer bad_q = Conv("q", "x", 4, 3, 1);
  bad_q.quant.shift.pop_back();
  EXPECT_EQ(ErrorOf(bad_q, {{1, 2, 2, 3}}),
            "layer 'q' (conv): quant has 4 multipliers and 3 shifts but 4 "
            "output channels");
  Layer fc;
  fc.name = "fc1";
  fc.kind = LayerKind::kFc;
  fc.inputs = {"x"};
  fc.weights = Tensor<int8_t>({10, 100});
  EXPECT_EQ(ErrorOf(fc, {{2, 4, 4, 4}}),
            "layer 'fc1' (fc): input has 64 features per batch but weights "
            "expect 100");
  Layer add;
  add.name = "sum";
  add.kind = LayerKind::kAdd;
  add.inputs = {"a", "b"};
  EXPECT_EQ(ErrorOf(add, {{1, 4, 4, 8}, {1, 4, 4, 9}}),
            "layer 'sum' (add): inputs 'a' [1, 4, 4, 8] and 'b' [1, 4, 4, 9] "
            "differ in shape");
  EXPECT_EQ(ErrorOf(add, {{1, 4, 4, 8}}),
            "layer 'sum' (add): takes 2 input(s), got 1");
  Layer pool;
  pool.name = "mp";
  pool.kind = LayerKind::kMaxPool;
  pool.inputs = {"x"};
  EXPECT_EQ(ErrorOf(pool, {{1, 16}}),
            "layer 'mp' (maxpool): input must be NHWC (rank 4), got [1, 16]");
}

// conv (1x1, identity weights) -> maxpool -> add with the conv output's
// pooled copy -> flatten -> fc, checked by hand.
TEST(NetworkTest, ChainsLayersByName) {
  Network net;
  net.name = "tiny";
  net.input = Tensor<int8_t>({1, 2, 2, 2});
  net.input.data = {1, 2, 3, 4, 5, 6, 7, 8};

  Layer conv = Conv("c1", "input", 2, 2, 1);
  // Weights [[2, 0], [0, -1]]: out0 = 2*x0, out1 = -x1; M0 = 2^30 halves.
  conv.weights.data = {2, 0, 0, -1};
  conv.bias = {0, 10};
  net.layers.push_back(conv);  // c1 = {1,4, 3,3, 5,2, 7,1}

  Layer pool;
  pool.name = "p1";
  pool.kind = LayerKind::kMaxPool;
  pool.inputs = {"c1"};
  net.layers.push_back(pool);  // p1 = {7, 4}

  Layer pool_in = pool;
  pool_in.name = "p0";
  pool_in.inputs = {"input"};
  net.layers.push_back(pool_in);  // p0 = {7, 8}

  Layer add;
  add.name = "sum";
  add.kind = LayerKind::kAdd;
  add.inputs = {"p1", "p0"};
  net.layers.push_back(add);  // unit scales: {14, 12}

  Layer flat;
  flat.name = "flat";
  flat.kind = LayerKind::kFlatten;
  flat.inputs = {"sum"};
  net.layers.push_back(flat);

  Layer fc;
  fc.name = "fc";
  fc.kind = LayerKind::kFc;
  fc.inputs = {"flat"};
  fc.weights = Tensor<int8_t>({3, 2});
  fc.weights.data = {1, 1, 1, -1, -2, 0};
  fc.bias = {0, 0, 0};
  fc.quant.in_zp = 2;
  fc.quant.out_zp = 1;
  fc.quant.multiplier.assign(3, 1 << 30);
  fc.quant.shift.assign(3, 1);  // x1
  net.layers.push_back(fc);     // (12, 10): {22+1, 2+1, -24+1}

  const auto out = RunNetworkReference(net);
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(out.at("input").data, net.input.data);
  EXPECT_EQ(out.at("c1").data, (std::vector<int8_t>{1, 4, 3, 3, 5, 2, 7, 1}));
  EXPECT_EQ(out.at("p1").data, (std::vector<int8_t>{7, 4}));
  EXPECT_EQ(out.at("p0").data, (std::vector<int8_t>{7, 8}));
  EXPECT_EQ(out.at("sum").data, (std::vector<int8_t>{14, 12}));
  EXPECT_EQ(out.at("flat").shape, (Shape{1, 2}));
  EXPECT_EQ(out.at("fc").shape, (Shape{1, 3}));
  EXPECT_EQ(out.at("fc").data, (std::vector<int8_t>{23, 3, -23}));
}

TEST(NetworkTest, UnknownAndDuplicateNamesAreInputErrors) {
  Network net;
  net.input = Tensor<int8_t>({1, 2, 2, 2});
  Layer pool;
  pool.name = "p";
  pool.kind = LayerKind::kMaxPool;
  pool.inputs = {"later"};
  net.layers = {pool};
  try {
    RunNetworkReference(net);
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "layer 'p' (maxpool): input 'later' is neither 'input' nor "
                 "an earlier layer");
  }
  pool.inputs = {"input"};
  net.layers = {pool, pool};
  EXPECT_THROW(RunNetworkReference(net), InputError);
  pool.name = "input";
  net.layers = {pool};
  EXPECT_THROW(RunNetworkReference(net), InputError);
}

TEST(NetworkTest, RunLayerReferenceChecksShapes) {
  const Tensor<int8_t> x({1, 4, 4, 3});
  const Layer conv = Conv("c", "input", 4, 8, 3);
  EXPECT_THROW(RunLayerReference(conv, {&x}), InputError);
  EXPECT_THROW(RunLayerReference(conv, {}), InputError);
}

}  // namespace
}  // namespace sparq
