// Reduction-family ops (src/ops/reduction/): Reduce* over axes from
// attributes or inputs, keepdims, noop_with_empty_axes, compute precision;
// ArgMax/ArgMin with select_last_index. Expected values computed by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "op_harness_tensor_reduction.hpp"

namespace trtutils::ops {
namespace {

using namespace testing;  // NOLINT
using F = std::vector<float>;
using I = std::vector<std::int64_t>;

// x = [[1, 2, 3], [4, 5, 6]]
HostTensor x23() { return tensor<float>({2, 3}, {1, 2, 3, 4, 5, 6}); }
ir::Attributes keep(std::int64_t k) { return attrs({{"keepdims", k}}); }

TEST(ReduceSum, AxesInputWithKeepdims) {
  const auto out = run_op("ReduceSum", {x23(), ints({1})});
  EXPECT_EQ(out[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(values_of<float>(out[0]), (F{6, 15}));
  const auto flat = run_op("ReduceSum", {x23(), ints({-2})}, keep(0));
  EXPECT_EQ(flat[0].shape(), (Shape{3}));
  EXPECT_EQ(values_of<float>(flat[0]), (F{5, 7, 9}));
}

TEST(ReduceSum, EmptyAxesReduceAllUnlessNoop) {
  const HostTensor empty_axes(Shape{0}, DType::kInt64);
  const auto all = run_op("ReduceSum", {x23(), empty_axes});
  EXPECT_EQ(all[0].shape(), (Shape{1, 1}));
  EXPECT_EQ(values_of<float>(all[0]), (F{21}));
  const auto absent_axes = run_op("ReduceSum", {x23()}, keep(0));
  EXPECT_EQ(absent_axes[0].shape(), (Shape{}));
  const auto noop = run_op("ReduceSum", {x23(), empty_axes}, attrs({{"noop_with_empty_axes", std::int64_t{1}}}));
  EXPECT_EQ(noop[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(values_of<float>(noop[0]), (F{1, 2, 3, 4, 5, 6}));
}

TEST(ReduceSum, AxesAttributeBeforeOpset13) {
  const auto out = run_op("ReduceSum", {x23()}, attrs({{"axes", I{0}}, {"keepdims", std::int64_t{0}}}), 11);
  EXPECT_EQ(values_of<float>(out[0]), (F{5, 7, 9}));
}

TEST(ReduceMean, AxesAttributeBefore18AndInputFrom18) {
  const auto attr = run_op("ReduceMean", {x23()}, attrs({{"axes", I{1}}}), 13);
  EXPECT_EQ(values_of<float>(attr[0]), (F{2, 5}));
  const auto input = run_op("ReduceMean", {x23(), ints({0})}, keep(0), 18);
  EXPECT_EQ(values_of<float>(input[0]), (F{2.5f, 3.5f, 4.5f}));
}

TEST(ReduceMean, IntegersTruncate) {
  const auto out = run_op("ReduceMean", {tensor<std::int32_t>({2}, {1, 2})}, {}, 13);
  EXPECT_EQ(values_of<std::int32_t>(out[0]), (std::vector<std::int32_t>{1}));
}

TEST(Reduce, EachKindOnAHandComputedRow) {
  const HostTensor v = tensor<float>({3}, {-1, 2, 2});
  const auto one = [&](const char* op) { return values_of<float>(run_op(op, {v}, {}, 13)[0])[0]; };
  EXPECT_FLOAT_EQ(one("ReduceMax"), 2);
  EXPECT_FLOAT_EQ(one("ReduceMin"), -1);
  EXPECT_FLOAT_EQ(one("ReduceProd"), -4);
  EXPECT_FLOAT_EQ(one("ReduceL1"), 5);
  EXPECT_FLOAT_EQ(one("ReduceL2"), 3);  // sqrt(1 + 4 + 4)
  EXPECT_FLOAT_EQ(one("ReduceSumSquare"), 9);
  EXPECT_FLOAT_EQ(one("ReduceLogSum"), std::log(3.0f));
  EXPECT_FLOAT_EQ(one("ReduceLogSumExp"), std::log(std::exp(-1.0f) + 2 * std::exp(2.0f)));
}

TEST(Reduce, EmptyReductionGivesIdentityElement) {
  const HostTensor empty(Shape{0, 2}, DType::kFloat32);
  const auto max = run_op("ReduceMax", {empty}, attrs({{"axes", I{0}}}), 13);
  EXPECT_EQ(max[0].shape(), (Shape{1, 2}));
  EXPECT_EQ(values_of<float>(max[0])[0], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(values_of<float>(run_op("ReduceSum", {empty, ints({0})})[0])[1], 0.0f);
  EXPECT_EQ(values_of<float>(run_op("ReduceProd", {empty}, attrs({{"axes", I{0}}}), 13)[0])[1], 1.0f);
}

TEST(Reduce, HalfAccumulatesInFloat) {
  // 3000 ones: an f16 accumulator would stop at 2048 (2049 is not representable).
  const HostTensor ones = tensor<Half>({3000}, std::vector<Half>(3000, Half(1.0f)));
  const auto out = run_op("ReduceSum", {ones});
  EXPECT_EQ(out[0].dtype(), DType::kFloat16);
  EXPECT_EQ(static_cast<float>(out[0].values<Half>()[0]), 3000.0f);
}

TEST(Reduce, IntegersNatively) {
  const HostTensor big = tensor<std::int64_t>({2}, {(std::int64_t{1} << 53) + 1, 1});
  EXPECT_EQ(values_of<std::int64_t>(run_op("ReduceSum", {big})[0])[0], (std::int64_t{1} << 53) + 2);
  EXPECT_EQ(values_of<std::uint8_t>(run_op("ReduceMax", {tensor<std::uint8_t>({3}, {7, 200, 9})}, {}, 13)[0])[0], 200);
}

TEST(Reduce, ShapeRule) {
  const ir::Dim n = ir::Dim::symbolic("N");
  auto r = infer_op("ReduceMean", {InferInput(DType::kFloat32, ir::DimList{n, 3, 4})},
                    attrs({{"axes", I{-1}}, {"keepdims", std::int64_t{0}}}), 13);
  EXPECT_EQ(r[0].text(), "[N, 3]");
  r = infer_op("ReduceSum", {InferInput(DType::kFloat32, ir::DimList{n, 3}), InferInput(DType::kInt64, ir::DimList{1})});
  EXPECT_EQ(r[0].text(), "[?, ?]");  // unknown axes, keepdims: only the rank is known
  r = infer_op("ReduceSum", {InferInput(DType::kFloat32, ir::DimList{n, 3}), HostTensor(Shape{0}, DType::kInt64)},
               attrs({{"noop_with_empty_axes", std::int64_t{1}}}));
  EXPECT_EQ(r[0].text(), "[N, 3]");
}

TEST(ArgMax, SelectLastIndexPicksLastOfTies) {
  const HostTensor v = tensor<float>({2, 3}, {2, 2, 1, 1, 3, 3});
  const auto first = run_op("ArgMax", {v}, attrs({{"axis", std::int64_t{1}}}));
  EXPECT_EQ(first[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(values_of<std::int64_t>(first[0]), (I{0, 1}));
  const auto last = run_op("ArgMax", {v}, attrs({{"axis", std::int64_t{1}}, {"select_last_index", std::int64_t{1}},
                                                 {"keepdims", std::int64_t{0}}}));
  EXPECT_EQ(last[0].shape(), (Shape{2}));
  EXPECT_EQ(values_of<std::int64_t>(last[0]), (I{1, 2}));
}

TEST(ArgMin, DefaultAxisZeroKeepdims) {
  const auto out = run_op("ArgMin", {tensor<std::int32_t>({2, 2}, {3, 1, 2, 5})});
  EXPECT_EQ(out[0].shape(), (Shape{1, 2}));
  EXPECT_EQ(values_of<std::int64_t>(out[0]), (I{1, 0}));
  const auto r = infer_op("ArgMin", {InferInput(DType::kFloat16, ir::DimList{ir::Dim::symbolic("N"), 4})},
                          attrs({{"axis", std::int64_t{-1}}, {"keepdims", std::int64_t{0}}}));
  EXPECT_EQ(r[0].text(), "[N]");
  EXPECT_EQ(r[0].dtype, DType::kInt64);
}

}  // namespace
}  // namespace trtutils::ops
