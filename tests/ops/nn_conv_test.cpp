// Conv and ConvTranspose: hand-computed expectations.
#include "nn_harness.hpp"

namespace trtutils::ops {
namespace {
using namespace nn_testing;

TEST(Conv, PaddedThreeByThreeOverFiveByFive) {
  // ONNX's basic_conv_with_padding: 0..24, ones kernel, pads 1.
  auto y = run({"Conv",
                {iota({1, 1, 5, 5}), floats({1, 1, 3, 3}, std::vector<float>(9, 1.f))},
                attrs({{"pads", Ints{1, 1, 1, 1}}})});
  expect_values(y[0], {1, 1, 5, 5}, {12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                                     117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84});
}

TEST(Conv, StridesWithAsymmetricPads) {
  // pads [top=1, left=0, bottom=1, right=0] on 7x5, stride 2 -> 4x2.
  auto y = run({"Conv",
                {iota({1, 1, 7, 5}), floats({1, 1, 3, 3}, std::vector<float>(9, 1.f))},
                attrs({{"pads", Ints{1, 0, 1, 0}}, {"strides", Ints{2, 2}}})});
  expect_values(y[0], {1, 1, 4, 2}, {21, 33, 99, 117, 189, 207, 171, 183});
}

TEST(Conv, SameUpperPadsTheEndSameLowerTheStart) {
  const HostTensor x = floats({1, 1, 4}, {1, 2, 3, 4});
  const HostTensor w = floats({1, 1, 2}, {1, 10});
  auto upper = run({"Conv", {x, w}, attrs({{"auto_pad", std::string("SAME_UPPER")}})});
  expect_values(upper[0], {1, 1, 4}, {21, 32, 43, 4});
  auto lower = run({"Conv", {x, w}, attrs({{"auto_pad", std::string("SAME_LOWER")}})});
  expect_values(lower[0], {1, 1, 4}, {10, 21, 32, 43});
}

TEST(Conv, ValidIgnoresPads) {
  auto y = run({"Conv",
                {floats({1, 1, 4}, {1, 2, 3, 4}), floats({1, 1, 2}, {1, 10})},
                attrs({{"auto_pad", std::string("VALID")}})});
  expect_values(y[0], {1, 1, 3}, {21, 32, 43});
}

TEST(Conv, DilationSkipsInputs) {
  auto y = run({"Conv",
                {floats({1, 1, 5}, {1, 2, 3, 4, 5}), floats({1, 1, 2}, {1, 1})},
                attrs({{"dilations", Ints{2}}})});
  expect_values(y[0], {1, 1, 3}, {4, 6, 8});
}

TEST(Conv, GroupsKeepChannelsApartAndBiasIsAdded) {
  auto y =
      run({"Conv",
           {floats({1, 2, 2}, {1, 2, 3, 4}), floats({2, 1, 1}, {10, 100}), floats({2}, {1, 2})},
           attrs({{"group", std::int64_t{2}}})});
  expect_values(y[0], {1, 2, 2}, {11, 21, 302, 402});
}

TEST(Conv, ThreeDimensional) {
  auto y = run({"Conv",
                {floats({1, 1, 2, 2, 2}, std::vector<float>(8, 1.f)),
                 floats({1, 1, 2, 2, 2}, std::vector<float>(8, 0.5f))}});
  expect_values(y[0], {1, 1, 1, 1, 1}, {4});
}

TEST(Conv, HalfInputsGiveHalfOutputs) {
  HostTensor x = floats({1, 1, 3}, {1, 2, 3}).cast(DType::kFloat16);
  HostTensor w = floats({1, 1, 2}, {1, 1}).cast(DType::kFloat16);
  auto y = run({"Conv", {x, w}});
  EXPECT_EQ(y[0].dtype(), DType::kFloat16);
  expect_values(y[0], {1, 1, 2}, {3, 5});
}

TEST(Conv, ShapeRuleKeepsSymbolicBatch) {
  const ir::DimList x = {sym("N"), 3, 32, 32};
  const ir::DimList w = {8, 3, 3, 3};
  EXPECT_EQ(infer("Conv", {x, w}, attrs({{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}}))[0],
            "[N, 8, 16, 16]");
  const ir::DimList x_unknown_h = {sym("N"), 3, sym("H"), 32};
  EXPECT_EQ(infer("Conv", {x_unknown_h, w})[0], "[N, 8, ?, 30]");
  EXPECT_EQ(infer("Conv", {std::nullopt, w})[0], "[?, 8, ?, ?]");
  EXPECT_EQ(infer("Conv", {std::nullopt, std::nullopt})[0], "<unknown rank>");
}

TEST(Conv, MismatchedChannelsAreAModelError) {
  const ir::DimList x = {1, 4, 8, 8};
  const ir::DimList w = {8, 3, 3, 3};
  EXPECT_THROW(infer("Conv", {x, w}), ModelError);
}

TEST(ConvTranspose, OneDimensionalStrideOne) {
  auto y = run({"ConvTranspose", {floats({1, 1, 3}, {1, 2, 3}), floats({1, 1, 3}, {1, 1, 1})}});
  expect_values(y[0], {1, 1, 5}, {1, 3, 6, 5, 3});
}

TEST(ConvTranspose, StrideOutputPaddingAndPads) {
  const HostTensor x = floats({1, 1, 2}, {1, 2});
  const HostTensor w = floats({1, 1, 2}, {1, 10});
  expect_values(run({"ConvTranspose", {x, w}, attrs({{"strides", Ints{2}}})})[0], {1, 1, 4},
                {1, 10, 2, 20});
  expect_values(
      run({"ConvTranspose", {x, w}, attrs({{"strides", Ints{2}}, {"output_padding", Ints{1}}})})[0],
      {1, 1, 5}, {1, 10, 2, 20, 0});
  expect_values(
      run({"ConvTranspose", {x, w}, attrs({{"strides", Ints{2}}, {"pads", Ints{1, 0}}})})[0],
      {1, 1, 3}, {10, 2, 20});
}

TEST(ConvTranspose, AutoPadSplitsTheOddUnitByMode) {
  // Full result [0, 0, 1, 1, 3, 2, 2]; output is input * stride = 6.
  const HostTensor x = floats({1, 1, 3}, {0, 1, 2});
  const HostTensor w = floats({1, 1, 3}, {1, 1, 1});
  expect_values(run({"ConvTranspose",
                     {x, w},
                     attrs({{"strides", Ints{2}}, {"auto_pad", std::string("SAME_UPPER")}})})[0],
                {1, 1, 6}, {0, 0, 1, 1, 3, 2});
  expect_values(run({"ConvTranspose",
                     {x, w},
                     attrs({{"strides", Ints{2}}, {"auto_pad", std::string("SAME_LOWER")}})})[0],
                {1, 1, 6}, {0, 1, 1, 3, 2, 2});
}

TEST(ConvTranspose, OutputShapeLargerThanCoveredGetsZeros) {
  auto y = run({"ConvTranspose",
                {floats({1, 1, 2}, {1, 2}), floats({1, 1, 2}, {1, 10})},
                attrs({{"strides", Ints{2}}, {"output_shape", Ints{6}}})});
  expect_values(y[0], {1, 1, 6}, {1, 10, 2, 20, 0, 0});
}

TEST(ConvTranspose, GroupsAndDilations) {
  auto y = run({"ConvTranspose",
                {floats({1, 2, 1}, {1, 2}), floats({2, 1, 2}, {1, 2, 3, 4})},
                attrs({{"group", std::int64_t{2}}, {"dilations", Ints{2}}})});
  expect_values(y[0], {1, 2, 3}, {1, 0, 2, 6, 0, 8});
}

TEST(ConvTranspose, ShapeRule) {
  const ir::DimList x = {sym("N"), 4, 8, 8};
  const ir::DimList w = {4, 2, 3, 3};
  EXPECT_EQ(infer("ConvTranspose", {x, w},
                  attrs({{"group", std::int64_t{2}}, {"strides", Ints{2, 2}}}))[0],
            "[N, 4, 17, 17]");
  EXPECT_EQ(infer("ConvTranspose", {x, w}, attrs({{"output_shape", Ints{20, 21}}}))[0],
            "[N, 2, 20, 21]");
}

}  // namespace
}  // namespace trtutils::ops
