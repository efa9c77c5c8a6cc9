// Pad (all modes, negative pads, opset 2 attributes, opset 18 axes) and
// DepthToSpace (DCR/CRD) / SpaceToDepth with hand-computed layouts.
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

std::vector<float> pad(const HostTensor& x, std::vector<std::int64_t> pads, const char* mode,
                       const HostTensor& value = {}) {
  return values_of<float>(
      run_op("Pad", {x, ints(std::move(pads)), value}, attrs({{"mode", std::string(mode)}}), 13)
          .at(0));
}

const HostTensor kRow = tensor(Shape{3}, std::vector<float>{1, 2, 3});

TEST(Pad, ReflectMirrorsWithoutRepeatingTheEdge) {
  EXPECT_EQ(pad(kRow, {2, 3}, "reflect"), (std::vector<float>{3, 2, 1, 2, 3, 2, 1, 2}));
}

TEST(Pad, EdgeRepeatsTheBorderElement) {
  EXPECT_EQ(pad(kRow, {2, 3}, "edge"), (std::vector<float>{1, 1, 1, 2, 3, 3, 3, 3}));
}

TEST(Pad, WrapRepeatsPeriodically) {
  EXPECT_EQ(pad(kRow, {2, 3}, "wrap"), (std::vector<float>{2, 3, 1, 2, 3, 1, 2, 3}));
}

TEST(Pad, ConstantUsesTheValueInput) {
  EXPECT_EQ(pad(kRow, {2, 3}, "constant", tensor(Shape{}, std::vector<float>{9})),
            (std::vector<float>{9, 9, 1, 2, 3, 9, 9, 9}));
}

TEST(Pad, NegativePadsCrop) {
  const HostTensor x = tensor(Shape{4}, std::vector<float>{1, 2, 3, 4});
  EXPECT_EQ(pad(x, {-1, 1}, "constant"), (std::vector<float>{2, 3, 4, 0}));
}

TEST(Pad, Opset2TakesPadsAndValueAsAttributes) {
  const auto out =
      run_op("Pad", {kRow}, attrs({{"pads", std::vector<std::int64_t>{1, 0}}, {"value", 5.0F}}), 2);
  EXPECT_EQ(values_of<float>(out.at(0)), (std::vector<float>{5, 1, 2, 3}));
}

TEST(Pad, Opset18AxesSelectThePaddedAxes) {
  const HostTensor x = tensor(Shape{2, 2}, std::vector<float>{1, 2, 3, 4});
  const auto out = run_op("Pad", {x, ints({1, 1}), {}, ints({-1})}, {}, 18);
  EXPECT_EQ(out.at(0).shape(), (Shape{2, 4}));
  EXPECT_EQ(values_of<float>(out.at(0)), (std::vector<float>{0, 1, 2, 0, 0, 3, 4, 0}));
}

TEST(Pad, KeepsIntegerDataExact) {
  const HostTensor x = tensor(Shape{2}, std::vector<std::int64_t>{(1LL << 60) + 1, 7});
  const auto out =
      run_op("Pad", {x, ints({1, 0}), tensor(Shape{}, std::vector<std::int64_t>{-3})}, {}, 13);
  EXPECT_EQ(values_of<std::int64_t>(out.at(0)),
            (std::vector<std::int64_t>{-3, (1LL << 60) + 1, 7}));
}

TEST(Pad, ShapeRuleKeepsUnpaddedSymbols) {
  auto r = infer_op("Pad",
                    {{DType::kFloat32, ir::DimList{ir::Dim::symbolic("N"), 3}}, ints({0, 1, 0, 1})},
                    {}, 13);
  EXPECT_EQ(r[0].text(), "[N, 5]");
  r = infer_op(
      "Pad",
      {{DType::kFloat32, ir::DimList{ir::Dim::symbolic("N"), 3}}, {DType::kInt64, ir::DimList{4}}},
      {}, 13);
  EXPECT_EQ(r[0].text(), "[?, ?]");
}

// Channels 0..7 of a [1, 8, 1, 1] tensor, block 2 -> [1, 2, 2, 2].
const HostTensor kChannels = tensor(Shape{1, 8, 1, 1}, std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7});

TEST(DepthToSpace, DcrTakesBlockOffsetsFromTheOuterChannelBits) {
  // out(c, h, w) = in[(h * 2 + w) * 2 + c].
  const auto out = run_op("DepthToSpace", {kChannels}, attrs({{"blocksize", std::int64_t{2}}}), 13);
  EXPECT_EQ(out.at(0).shape(), (Shape{1, 2, 2, 2}));
  EXPECT_EQ(values_of<float>(out.at(0)), (std::vector<float>{0, 2, 4, 6, 1, 3, 5, 7}));
}

TEST(DepthToSpace, CrdTakesBlockOffsetsFromTheInnerChannelBits) {
  // out(c, h, w) = in[c * 4 + h * 2 + w].
  const auto out =
      run_op("DepthToSpace", {kChannels},
             attrs({{"blocksize", std::int64_t{2}}, {"mode", std::string("CRD")}}), 13);
  EXPECT_EQ(values_of<float>(out.at(0)), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(SpaceToDepth, InvertsDepthToSpaceDcr) {
  const auto space =
      run_op("DepthToSpace", {kChannels}, attrs({{"blocksize", std::int64_t{2}}}), 13);
  const auto depth =
      run_op("SpaceToDepth", {space.at(0)}, attrs({{"blocksize", std::int64_t{2}}}), 13);
  EXPECT_EQ(depth.at(0).shape(), (Shape{1, 8, 1, 1}));
  EXPECT_EQ(values_of<float>(depth.at(0)), values_of<float>(kChannels));
}

TEST(SpaceToDepth, ShapeRuleRefusesIndivisibleSpatialDims) {
  EXPECT_THROW(infer_op("SpaceToDepth", {{DType::kFloat32, ir::DimList{1, 1, 3, 4}}},
                        attrs({{"blocksize", std::int64_t{2}}}), 13),
               ModelError);
  const auto r =
      infer_op("SpaceToDepth", {{DType::kFloat32, ir::DimList{ir::Dim::symbolic("N"), 3, 4, 6}}},
               attrs({{"blocksize", std::int64_t{2}}}), 13);
  EXPECT_EQ(r[0].text(), "[N, 12, 2, 3]");
}

}  // namespace
}  // namespace trtutils::ops
