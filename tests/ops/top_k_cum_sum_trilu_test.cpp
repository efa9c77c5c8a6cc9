// TopK (ties, smallest, k as attribute or input), NonZero, CumSum
// (exclusive/reverse) and Trilu (k of either sign) with hand-computed values.
#include <gtest/gtest.h>

#include "ops/op_harness_tensor_reduction.hpp"

namespace trtutils::ops {
namespace {

using testing::attrs;
using testing::infer_op;
using testing::ints;
using testing::run_op;
using testing::tensor;
using testing::values_of;

const HostTensor kTies = tensor(Shape{4}, std::vector<float>{3, 1, 3, 2});

TEST(TopK, LargestWithTiesTakesTheLowerIndexFirst) {
  const auto out = run_op("TopK", {kTies, ints({2})}, {}, 11, 2);
  EXPECT_EQ(values_of<float>(out.at(0)), (std::vector<float>{3, 3}));
  EXPECT_EQ(values_of<std::int64_t>(out.at(1)), (std::vector<std::int64_t>{0, 2}));
}

TEST(TopK, Smallest) {
  const auto out = run_op("TopK", {kTies, ints({3})}, attrs({{"largest", std::int64_t{0}}}), 11, 2);
  EXPECT_EQ(values_of<float>(out.at(0)), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(values_of<std::int64_t>(out.at(1)), (std::vector<std::int64_t>{1, 3, 0}));
}

TEST(TopK, KAttributeBeforeOpset10AlongAnInnerAxis) {
  const HostTensor x = tensor(Shape{2, 2}, std::vector<std::int32_t>{1, 5, 4, 2});
  const auto out =
      run_op("TopK", {x}, attrs({{"k", std::int64_t{1}}, {"axis", std::int64_t{0}}}), 1, 2);
  EXPECT_EQ(values_of<std::int32_t>(out.at(0)), (std::vector<std::int32_t>{4, 5}));
  EXPECT_EQ(values_of<std::int64_t>(out.at(1)), (std::vector<std::int64_t>{1, 0}));
}

TEST(TopK, KLargerThanTheAxisIsRefused) {
  EXPECT_THROW(run_op("TopK", {kTies, ints({5})}, {}, 11, 2), ModelError);
}

TEST(TopK, ShapeRuleUsesAConstantK) {
  auto r = infer_op("TopK", {{DType::kFloat32, ir::DimList{ir::Dim::symbolic("N"), 10}}, ints({3})},
                    {}, 11, 2);
  EXPECT_EQ(r[0].text(), "[N, 3]");
  EXPECT_EQ(r[1].dtype, DType::kInt64);
  r = infer_op("TopK", {{DType::kFloat32, ir::DimList{4, 10}}, {DType::kInt64, ir::DimList{1}}}, {},
               11, 2);
  EXPECT_EQ(r[0].text(), "[4, ?]");
}

TEST(NonZero, ListsCoordinatesInRowMajorOrder) {
  const HostTensor x = tensor(Shape{2, 2}, std::vector<float>{1, 0, 0, 3});
  const auto out = run_op("NonZero", {x}, {}, 13);
  EXPECT_EQ(out.at(0).shape(), (Shape{2, 2}));
  EXPECT_EQ(values_of<std::int64_t>(out.at(0)), (std::vector<std::int64_t>{0, 1, 0, 1}));
  EXPECT_EQ(infer_op("NonZero", {{DType::kFloat32, ir::DimList{2, 2}}}, {}, 13)[0].text(),
            "[2, ?]");
}

std::vector<float> cum_sum(std::int64_t exclusive, std::int64_t reverse) {
  const HostTensor x = tensor(Shape{4}, std::vector<float>{1, 2, 3, 4});
  const HostTensor axis = tensor(Shape{}, std::vector<std::int32_t>{0});
  return values_of<float>(
      run_op("CumSum", {x, axis}, attrs({{"exclusive", exclusive}, {"reverse", reverse}}), 14)
          .at(0));
}

TEST(CumSum, ExclusiveAndReverse) {
  EXPECT_EQ(cum_sum(0, 0), (std::vector<float>{1, 3, 6, 10}));
  EXPECT_EQ(cum_sum(1, 0), (std::vector<float>{0, 1, 3, 6}));
  EXPECT_EQ(cum_sum(0, 1), (std::vector<float>{10, 9, 7, 4}));
  EXPECT_EQ(cum_sum(1, 1), (std::vector<float>{9, 7, 4, 0}));
}

TEST(CumSum, NegativeAxisOnIntegers) {
  const HostTensor x = tensor(Shape{2, 3}, std::vector<std::int64_t>{1, 2, 3, 4, 5, 6});
  const auto out = run_op("CumSum", {x, tensor(Shape{}, std::vector<std::int64_t>{-1})}, {}, 14);
  EXPECT_EQ(values_of<std::int64_t>(out.at(0)), (std::vector<std::int64_t>{1, 3, 6, 4, 9, 15}));
}

std::vector<std::int64_t> trilu(std::int64_t upper, std::int64_t k) {
  const HostTensor x = tensor(Shape{3, 3}, std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  return values_of<std::int64_t>(run_op("Trilu", {x, tensor(Shape{}, std::vector<std::int64_t>{k})},
                                        attrs({{"upper", upper}}), 14)
                                     .at(0));
}

TEST(Trilu, UpperKeepsColumnMinusRowAtLeastK) {
  EXPECT_EQ(trilu(1, 0), (std::vector<std::int64_t>{1, 2, 3, 0, 5, 6, 0, 0, 9}));
  EXPECT_EQ(trilu(1, -1), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 0, 8, 9}));
}

TEST(Trilu, LowerKeepsColumnMinusRowAtMostK) {
  EXPECT_EQ(trilu(0, -1), (std::vector<std::int64_t>{0, 0, 0, 4, 0, 0, 7, 8, 0}));
  EXPECT_EQ(trilu(0, 1), (std::vector<std::int64_t>{1, 2, 0, 4, 5, 6, 7, 8, 9}));
}

TEST(Trilu, AppliesToEveryMatrixOfABatch) {
  const HostTensor x = tensor(Shape{2, 2, 2}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
  const auto out = run_op("Trilu", {x}, {}, 14);
  EXPECT_EQ(values_of<float>(out.at(0)), (std::vector<float>{1, 2, 0, 4, 5, 6, 0, 8}));
}

}  // namespace
}  // namespace trtutils::ops
