// GridSample: hand-computed samples for align_corners, each padding mode,
// nearest's round-half-to-even and bicubic taps outside the image.
#include <gtest/gtest.h>

#include "ops/op_harness_tensor_reduction.hpp"

namespace trtutils::ops {
namespace {

using testing::attrs;
using testing::infer_op;
using testing::run_op;
using testing::tensor;
using testing::values_of;

/// Samples x [1, 1, H, W] at the normalised points (gx, gy), one output row.
std::vector<float> sample(const HostTensor& x, std::vector<float> points, ir::Attributes a) {
  const auto count = static_cast<std::int64_t>(points.size() / 2);
  const HostTensor grid = tensor(Shape{1, 1, count, 2}, std::move(points));
  return values_of<float>(run_op("GridSample", {x, grid}, std::move(a), 16).at(0));
}

const HostTensor kSquare = tensor(Shape{1, 1, 2, 2}, std::vector<float>{1, 2, 3, 4});

ir::Attributes with(const char* padding, std::int64_t align_corners,
                    const char* mode = "bilinear") {
  return attrs({{"padding_mode", std::string(padding)},
                {"align_corners", align_corners},
                {"mode", std::string(mode)}});
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-5) << "element " << i;
}

TEST(GridSample, AlignCornersMapsMinusOneAndOneToCornerCentres) {
  expect_near(sample(kSquare, {-1, -1, 0, 0, 1, 1}, with("zeros", 1)), {1, 2.5F, 4});
}

TEST(GridSample, WithoutAlignCornersMinusOneIsTheImageEdge) {
  // (-1, -1) -> pixel (-0.5, -0.5): a quarter of pixel (0, 0) under zeros
  // padding; border and reflection move it onto pixel (0, 0).
  expect_near(sample(kSquare, {-1, -1}, with("zeros", 0)), {0.25F});
  expect_near(sample(kSquare, {-1, -1}, with("border", 0)), {1});
  expect_near(sample(kSquare, {-1, -1}, with("reflection", 0)), {1});
}

TEST(GridSample, PaddingModesOutsideTheImage) {
  // align_corners: gx = 2 -> x = 1.5, gy = 0 -> y = 0.5.
  expect_near(sample(kSquare, {2, 0}, with("zeros", 1)), {1.5F});       // half the taps read 0
  expect_near(sample(kSquare, {2, 0}, with("border", 1)), {3});         // x clamps to 1
  expect_near(sample(kSquare, {2, 0}, with("reflection", 1)), {2.5F});  // x reflects to 0.5
}

TEST(GridSample, NearestRoundsHalfToEven) {
  // align_corners on width 4: x = (g + 1) * 1.5 = 0.5 -> 0, 1 -> 1, 1.5 -> 2.
  const HostTensor x = tensor(Shape{1, 1, 1, 4}, std::vector<float>{10, 20, 30, 40});
  expect_near(sample(x, {-2.0F / 3, 0, -1.0F / 3, 0, 0, 0}, with("zeros", 1, "nearest")),
              {10, 20, 30});
}

TEST(GridSample, BicubicTapsFollowThePaddingMode) {
  // x = 0.5: taps -1..2 weigh -0.09375, 0.59375, 0.59375, -0.09375; tap -1 reads
  // 0 under zeros padding and the edge value 1 under border padding.
  const HostTensor x = tensor(Shape{1, 1, 1, 4}, std::vector<float>{1, 2, 4, 8});
  expect_near(sample(x, {-2.0F / 3, 0}, with("zeros", 1, "bicubic")), {1.40625F});
  expect_near(sample(x, {-2.0F / 3, 0}, with("border", 1, "bicubic")), {1.3125F});
}

TEST(GridSample, ShapeRuleTakesBatchAndChannelsFromXAndSizeFromGrid) {
  const auto r = infer_op("GridSample",
                          {{DType::kFloat32, ir::DimList{ir::Dim::symbolic("N"), 3, 8, 8}},
                           {DType::kFloat32, ir::DimList{ir::Dim::symbolic("N"), 5, 7, 2}}},
                          {}, 16);
  EXPECT_EQ(r[0].text(), "[N, 3, 5, 7]");
}

}  // namespace
}  // namespace trtutils::ops
