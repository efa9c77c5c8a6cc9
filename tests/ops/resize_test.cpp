// Resize / Upsample: hand-computed values for the coordinate modes, the
// nearest rounding modes, cubic weights, tf_crop_and_resize extrapolation,
// and the shape rule on symbolic shapes.
#include <gtest/gtest.h>

#include "ops/op_harness_tensor_reduction.hpp"

namespace trtutils::ops {
namespace {

using testing::attrs;
using testing::infer_op;
using testing::run_op;
using testing::tensor;
using testing::values_of;

HostTensor row(std::vector<float> v) {  // [1, 1, 1, W]
  const auto w = static_cast<std::int64_t>(v.size());
  return tensor(Shape{1, 1, 1, w}, std::move(v));
}
HostTensor scales(std::vector<float> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return tensor(Shape{n}, std::move(v));
}
HostTensor sizes(std::vector<std::int64_t> v) { return testing::ints(std::move(v)); }

std::vector<float> resize(const HostTensor& x, const HostTensor& s, bool are_sizes,
                          ir::Attributes a, const HostTensor& roi = {}) {
  std::vector<HostTensor> in{x, roi, are_sizes ? HostTensor{} : s, are_sizes ? s : HostTensor{}};
  return values_of<float>(run_op("Resize", in, std::move(a), 13).at(0));
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-5) << "element " << i;
}

TEST(Resize, LinearHalfPixelClampsAtTheEdges) {
  // x_original = (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25.
  expect_near(
      resize(row({1, 3}), scales({1, 1, 1, 2}), false, attrs({{"mode", std::string("linear")}})),
      {1, 1.5, 2.5, 3});
}

TEST(Resize, LinearAsymmetric) {
  // x_original = x / 2 = 0, 0.5, 1, 1.5 (the last reads the edge twice).
  expect_near(resize(row({1, 3}), scales({1, 1, 1, 2}), false,
                     attrs({{"mode", std::string("linear")},
                            {"coordinate_transformation_mode", std::string("asymmetric")}})),
              {1, 2, 3, 3});
}

TEST(Resize, LinearAlignCornersWithSizes) {
  // x_original = x * (2 - 1) / (4 - 1).
  expect_near(resize(row({1, 3}), sizes({1, 1, 1, 4}), true,
                     attrs({{"mode", std::string("linear")},
                            {"coordinate_transformation_mode", std::string("align_corners")}})),
              {1, 1 + 2.0F / 3, 1 + 4.0F / 3, 3});
}

TEST(Resize, AlignCornersUsesTheUnroundedResizedLength) {
  // ONNX's reference: length_resized = 0.6 * 4 = 2.4 although the output has
  // 2 elements, so x_original(1) = 3 / 1.4.
  expect_near(resize(row({1, 2, 3, 4}), scales({1, 1, 1, 0.6F}), false,
                     attrs({{"mode", std::string("linear")},
                            {"coordinate_transformation_mode", std::string("align_corners")}})),
              {1, 1 + 3 / 1.4F});
}

TEST(Resize, NearestModesRound) {
  // half_pixel, scale 2: x_original = -0.25, 0.25, 0.75, ..., 3.25.
  const HostTensor x = row({10, 20, 30, 40});
  const auto with = [&](const char* mode) {
    return resize(x, scales({1, 1, 1, 2}), false, attrs({{"nearest_mode", std::string(mode)}}));
  };
  EXPECT_EQ(with("round_prefer_floor"), (std::vector<float>{10, 10, 20, 20, 30, 30, 40, 40}));
  EXPECT_EQ(with("floor"), (std::vector<float>{10, 10, 10, 20, 20, 30, 30, 40}));
  EXPECT_EQ(with("ceil"), (std::vector<float>{10, 20, 20, 30, 30, 40, 40, 40}));
}

TEST(Resize, NearestTiesFollowThePreference) {
  // asymmetric, scale 2: x_original = 0, 0.5, 1, 1.5, ...: exact halves.
  const HostTensor x = row({10, 20, 30, 40});
  const auto with = [&](const char* mode) {
    return resize(x, scales({1, 1, 1, 2}), false,
                  attrs({{"nearest_mode", std::string(mode)},
                         {"coordinate_transformation_mode", std::string("asymmetric")}}));
  };
  EXPECT_EQ(with("round_prefer_floor"), (std::vector<float>{10, 10, 20, 20, 30, 30, 40, 40}));
  EXPECT_EQ(with("round_prefer_ceil"), (std::vector<float>{10, 20, 20, 30, 30, 40, 40, 40}));
}

TEST(Resize, CubicWeightsAndExcludeOutside) {
  // asymmetric x2: output 1 sits at x = 0.5; taps -1, 0, 1, 2 at distances
  // 1.5, 0.5, 0.5, 1.5 weigh -0.09375, 0.59375, 0.59375, -0.09375 (a = -0.75).
  const auto a = [](bool exclude) {
    return attrs({{"mode", std::string("cubic")},
                  {"coordinate_transformation_mode", std::string("asymmetric")},
                  {"exclude_outside", std::int64_t{exclude ? 1 : 0}}});
  };
  const HostTensor x = row({1, 2, 4, 8});
  // Tap -1 reads the edge (1).
  EXPECT_NEAR(resize(x, scales({1, 1, 1, 2}), false, a(false)).at(1), 1.3125, 1e-6);
  // Tap -1 dropped, the rest renormalised: 1.40625 / 1.09375.
  EXPECT_NEAR(resize(x, scales({1, 1, 1, 2}), false, a(true)).at(1), 1.40625 / 1.09375, 1e-6);
}

TEST(Resize, TfCropAndResizeExtrapolates) {
  // roi [0.5, 1.5] on the last axis: x_original = 1.5 + x * 3 / 2 = 1.5, 3, 4.5.
  const HostTensor roi = tensor(Shape{8}, std::vector<float>{0, 0, 0, 0.5F, 1, 1, 1, 1.5F});
  expect_near(resize(row({10, 20, 30, 40}), sizes({1, 1, 1, 3}), true,
                     attrs({{"mode", std::string("linear")},
                            {"coordinate_transformation_mode", std::string("tf_crop_and_resize")},
                            {"extrapolation_value", 7.0F}}),
                     roi),
              {25, 40, 7});
}

TEST(Resize, OutputSizeFloorsInputTimesScale) {
  EXPECT_EQ(resize(row({1, 2, 3, 4, 5}), scales({1, 1, 1, 0.5F}), false, {}).size(), 2U);
}

TEST(Resize, SizesAndScalesTogetherAreRefused) {
  const std::vector<HostTensor> in{row({1, 2}), {}, scales({1, 1, 1, 2}), sizes({1, 1, 1, 4})};
  EXPECT_THROW(run_op("Resize", in, {}, 13), ModelError);
}

TEST(Resize, ShapeRuleKeepsSymbolsAndRank) {
  const ir::DimList x{ir::Dim::symbolic("N"), 3, 10, 10};
  // Constant scales: known dims scale, a symbolic dim with scale 1 survives.
  auto r = infer_op(
      "Resize", {{DType::kFloat32, x}, {DType::kFloat32, ir::DimList{0}}, scales({1, 1, 2, 1.5F})},
      {}, 13);
  EXPECT_EQ(r[0].text(), "[N, 3, 20, 15]");
  // Scales only known at run time: the rank is all we know.
  r = infer_op(
      "Resize",
      {{DType::kFloat32, x}, {DType::kFloat32, ir::DimList{0}}, {DType::kFloat32, ir::DimList{4}}},
      {}, 13);
  EXPECT_EQ(r[0].text(), "[?, ?, ?, ?]");
}

TEST(Upsample, ScalesAttributeBeforeOpset9AndInputFrom9) {
  ir::Attributes a7 = attrs({{"scales", std::vector<float>{1, 1, 1, 3}}});
  EXPECT_EQ(values_of<float>(run_op("Upsample", {row({1, 2})}, a7, 7).at(0)),
            (std::vector<float>{1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(values_of<float>(run_op("Upsample", {row({1, 2}), scales({1, 1, 1, 2})},
                                    attrs({{"mode", std::string("linear")}}), 9)
                                 .at(0)),
            (std::vector<float>{1, 1.5F, 2, 2}));
}

}  // namespace
}  // namespace trtutils::ops
