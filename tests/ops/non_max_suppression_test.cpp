// NonMaxSuppression: hand-worked selections for both box formats, per-class
// limits, score thresholds, ties and flipped corners.
#include <gtest/gtest.h>

#include "ops/op_harness_tensor_reduction.hpp"

namespace trtutils::ops {
namespace {

using testing::attrs;
using testing::infer_op;
using testing::run_op;
using testing::tensor;
using testing::values_of;

// b0 and b1 overlap with IoU 0.9 / 1.1 = 0.818; b2 is far away.
const HostTensor kCorners = tensor(Shape{1, 3, 4}, std::vector<float>{0, 0, 1, 1,        //
                                                                      0, 0.1F, 1, 1.1F,  //
                                                                      0, 10, 1, 11});
// Class 0 prefers b0 then b1 then b2; class 1 prefers b1, b2, b0.
const HostTensor kScores = tensor(Shape{1, 2, 3}, std::vector<float>{0.9F, 0.8F, 0.7F,  //
                                                                     0.1F, 0.95F, 0.2F});

HostTensor scalar_i64(std::int64_t v) { return tensor(Shape{1}, std::vector<std::int64_t>{v}); }
HostTensor scalar_f32(float v) { return tensor(Shape{1}, std::vector<float>{v}); }

std::vector<std::int64_t> nms(const HostTensor& boxes, const HostTensor& scores,
                              std::int64_t max_out, float iou,
                              const HostTensor& score_threshold = {},
                              std::int64_t center_point_box = 0) {
  const auto out = run_op("NonMaxSuppression",
                          {boxes, scores, scalar_i64(max_out), scalar_f32(iou), score_threshold},
                          attrs({{"center_point_box", center_point_box}}), 11);
  EXPECT_EQ(out.at(0).rank(), 2);
  EXPECT_EQ(out.at(0).shape()[1], 3);
  return values_of<std::int64_t>(out.at(0));
}

TEST(NonMaxSuppression, SuppressesOverlapsPerClassInScoreOrder) {
  EXPECT_EQ(nms(kCorners, kScores, 3, 0.5F),
            (std::vector<std::int64_t>{0, 0, 0, 0, 0, 2, 0, 1, 1, 0, 1, 2}));
}

TEST(NonMaxSuppression, MaxOutputBoxesIsPerClass) {
  EXPECT_EQ(nms(kCorners, kScores, 1, 0.5F), (std::vector<std::int64_t>{0, 0, 0, 0, 1, 1}));
}

TEST(NonMaxSuppression, ScoreThresholdIsStrict) {
  // 0.8 is not above 0.8: class 0 keeps b0 only; class 1 keeps b1 only.
  EXPECT_EQ(nms(kCorners, kScores, 3, 0.5F, scalar_f32(0.8F)),
            (std::vector<std::int64_t>{0, 0, 0, 0, 1, 1}));
}

TEST(NonMaxSuppression, HighIouThresholdKeepsOverlaps) {
  EXPECT_EQ(nms(kCorners, kScores, 3, 0.9F),
            (std::vector<std::int64_t>{0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 1, 0, 1, 2, 0, 1, 0}));
}

TEST(NonMaxSuppression, CenterPointBoxesGiveTheSameSelection) {
  const HostTensor centers = tensor(Shape{1, 3, 4}, std::vector<float>{0.5F, 0.5F, 1, 1,  //
                                                                       0.6F, 0.5F, 1, 1,  //
                                                                       10.5F, 0.5F, 1, 1});
  EXPECT_EQ(nms(centers, kScores, 3, 0.5F, {}, 1),
            (std::vector<std::int64_t>{0, 0, 0, 0, 0, 2, 0, 1, 1, 0, 1, 2}));
}

TEST(NonMaxSuppression, FlippedCornersAreTheSameBox) {
  const HostTensor flipped = tensor(Shape{1, 2, 4}, std::vector<float>{1, 1, 0, 0, 0, 0, 1, 1});
  const HostTensor scores = tensor(Shape{1, 1, 2}, std::vector<float>{0.5F, 0.9F});
  EXPECT_EQ(nms(flipped, scores, 2, 0.5F), (std::vector<std::int64_t>{0, 0, 1}));
}

TEST(NonMaxSuppression, EqualScoresKeepTheLowerIndexFirst) {
  const HostTensor boxes =
      tensor(Shape{1, 3, 4}, std::vector<float>{0, 0, 1, 1, 0, 2, 1, 3, 0, 4, 1, 5});
  const HostTensor scores = tensor(Shape{1, 1, 3}, std::vector<float>{0.5F, 0.5F, 0.5F});
  EXPECT_EQ(nms(boxes, scores, 2, 0.5F), (std::vector<std::int64_t>{0, 0, 0, 0, 0, 1}));
}

TEST(NonMaxSuppression, MissingMaxOutputSelectsNothing) {
  const auto out = run_op("NonMaxSuppression", {kCorners, kScores}, {}, 11);
  EXPECT_EQ(out.at(0).shape(), (Shape{0, 3}));
}

TEST(NonMaxSuppression, ShapeRuleLeavesTheCountUnknown) {
  const auto r = infer_op(
      "NonMaxSuppression",
      {{DType::kFloat32, ir::DimList{1, 3, 4}}, {DType::kFloat32, ir::DimList{1, 2, 3}}}, {}, 11);
  EXPECT_EQ(r[0].dtype, DType::kInt64);
  EXPECT_EQ(r[0].text(), "[?, 3]");
}

}  // namespace
}  // namespace trtutils::ops
