// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool.
#include "nn_harness.hpp"

namespace trtutils::ops {
namespace {
using namespace nn_testing;

TEST(MaxPool, ValuesAndRowMajorIndices) {
  auto y = run({"MaxPool",
                {iota({1, 1, 4, 4})},
                attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}),
                12,
                2});
  expect_values(y[0], {1, 1, 2, 2}, {5, 7, 13, 15});
  expect_values(y[1], {1, 1, 2, 2}, {5, 7, 13, 15});
}

TEST(MaxPool, StorageOrderOneGivesColumnMajorIndices) {
  auto y = run({"MaxPool",
                {iota({1, 2, 4, 4})},
                attrs({{"kernel_shape", Ints{2, 2}},
                       {"strides", Ints{2, 2}},
                       {"storage_order", std::int64_t{1}}}),
                12,
                2});
  // (h, w) -> h + w * 4, plus 16 per plane.
  expect_values(y[1], {1, 2, 2, 2}, {5, 13, 7, 15, 21, 29, 23, 31});
}

TEST(MaxPool, CeilModeAddsPartialWindows) {
  const HostTensor x = iota({1, 1, 4, 4});
  auto floor_mode =
      run({"MaxPool", {x}, attrs({{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}})});
  expect_values(floor_mode[0], {1, 1, 1, 1}, {10});
  auto ceil_mode = run({"MaxPool",
                        {x},
                        attrs({{"kernel_shape", Ints{3, 3}},
                               {"strides", Ints{2, 2}},
                               {"ceil_mode", std::int64_t{1}}})});
  expect_values(ceil_mode[0], {1, 1, 2, 2}, {10, 11, 14, 15});
}

TEST(MaxPool, CeilModeNeverStartsAWindowInTheEndPad) {
  // len 4, k 2, s 2, end pad 1: ceil((4 + 1 - 2) / 2) + 1 = 3, but window 3
  // would start at 4, inside the pad, so 2.
  auto y = run({"MaxPool",
                {floats({1, 1, 4}, {1, 2, 3, 4})},
                attrs({{"kernel_shape", Ints{2}},
                       {"strides", Ints{2}},
                       {"pads", Ints{0, 1}},
                       {"ceil_mode", std::int64_t{1}}})});
  expect_values(y[0], {1, 1, 2}, {2, 4});
}

TEST(MaxPool, PaddingNeverWins) {
  auto y = run({"MaxPool",
                {floats({1, 1, 3}, {-1, -2, -3})},
                attrs({{"kernel_shape", Ints{2}}, {"pads", Ints{1, 1}}})});
  expect_values(y[0], {1, 1, 4}, {-1, -1, -2, -3});
}

TEST(MaxPool, Dilations) {
  auto y = run({"MaxPool",
                {floats({1, 1, 5}, {5, 1, 4, 2, 3})},
                attrs({{"kernel_shape", Ints{2}}, {"dilations", Ints{2}}})});
  expect_values(y[0], {1, 1, 3}, {5, 2, 4});
}

TEST(MaxPool, SameUpperAndSameLower) {
  const HostTensor x = floats({1, 1, 4}, {4, 1, 2, 3});
  auto upper = run({"MaxPool",
                    {x},
                    attrs({{"kernel_shape", Ints{2}}, {"auto_pad", std::string("SAME_UPPER")}})});
  expect_values(upper[0], {1, 1, 4}, {4, 2, 3, 3});
  auto lower = run({"MaxPool",
                    {x},
                    attrs({{"kernel_shape", Ints{2}}, {"auto_pad", std::string("SAME_LOWER")}})});
  expect_values(lower[0], {1, 1, 4}, {4, 4, 2, 3});
}

TEST(MaxPool, KeepsIntegerDtypes) {
  auto y = run({"MaxPool",
                {tensor<std::uint8_t>({1, 1, 3}, {200, 7, 255})},
                attrs({{"kernel_shape", Ints{2}}})});
  EXPECT_EQ(y[0].dtype(), DType::kUInt8);
  expect_values(y[0], {1, 1, 2}, {200, 255});
  auto z = run({"MaxPool",
                {tensor<std::int8_t>({1, 1, 3}, {-128, -7, -100})},
                attrs({{"kernel_shape", Ints{2}}, {"pads", Ints{1, 0}}})});
  expect_values(z[0], {1, 1, 3}, {-128, -7, -7});
}

TEST(AveragePool, CountIncludePadChangesTheDivisor) {
  const HostTensor x = floats({1, 1, 3}, {1, 2, 3});
  auto exclude =
      run({"AveragePool", {x}, attrs({{"kernel_shape", Ints{3}}, {"pads", Ints{1, 1}}})});
  expect_values(exclude[0], {1, 1, 3}, {1.5, 2, 2.5});
  auto include = run({"AveragePool",
                      {x},
                      attrs({{"kernel_shape", Ints{3}},
                             {"pads", Ints{1, 1}},
                             {"count_include_pad", std::int64_t{1}}})});
  expect_values(include[0], {1, 1, 3}, {1, 2, 5.0 / 3});
}

TEST(AveragePool, CeilModeOverhangIsNotCounted) {
  auto y = run({"AveragePool",
                {floats({1, 1, 4}, {1, 2, 3, 4})},
                attrs({{"kernel_shape", Ints{3}},
                       {"strides", Ints{2}},
                       {"ceil_mode", std::int64_t{1}},
                       {"count_include_pad", std::int64_t{1}}})});
  expect_values(y[0], {1, 1, 2}, {2, 3.5});
}

TEST(AveragePool, CeilModeIsIgnoredBeforeOpset10) {
  auto y =
      run({"AveragePool",
           {floats({1, 1, 4}, {1, 2, 3, 4})},
           attrs({{"kernel_shape", Ints{3}}, {"strides", Ints{2}}, {"ceil_mode", std::int64_t{1}}}),
           7});
  expect_values(y[0], {1, 1, 1}, {2});
}

TEST(AveragePool, SameUpperExcludesPadding) {
  auto y = run({"AveragePool",
                {floats({1, 1, 4}, {1, 2, 3, 4})},
                attrs({{"kernel_shape", Ints{2}}, {"auto_pad", std::string("SAME_UPPER")}})});
  expect_values(y[0], {1, 1, 4}, {1.5, 2.5, 3.5, 4});
}

TEST(Pool, ShapeRuleWithSymbolicDims) {
  const ir::DimList x = {sym("N"), 3, sym("H"), 32};
  EXPECT_EQ(
      infer("MaxPool", {x}, attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}), 12, 2),
      (std::vector<std::string>{"[N, 3, ?, 16]", "[N, 3, ?, 16]"}));
  EXPECT_EQ(infer("AveragePool", {x},
                  attrs({{"kernel_shape", Ints{3, 3}},
                         {"auto_pad", std::string("SAME_LOWER")},
                         {"strides", Ints{2, 2}}}))[0],
            "[N, 3, ?, 16]");
  EXPECT_EQ(infer("GlobalAveragePool", {x})[0], "[N, 3, 1, 1]");
}

TEST(GlobalPool, MeanAndMaxOverSpatialDims) {
  const HostTensor x = floats({1, 2, 2, 2}, {1, 2, 3, 4, -1, -5, -2, -3});
  expect_values(run({"GlobalAveragePool", {x}})[0], {1, 2, 1, 1}, {2.5, -2.75});
  expect_values(run({"GlobalMaxPool", {x}})[0], {1, 2, 1, 1}, {4, -1});
}

}  // namespace
}  // namespace trtutils::ops
