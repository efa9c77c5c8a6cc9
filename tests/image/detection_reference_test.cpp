// CPU references of detection post-processing against hand-computed values,
// and the YOLO kernels compiled with NVRTC for sm_90 (no GPU needed).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "trtutils/core/nvrtc_compiler.hpp"
#include "trtutils/image/detection.hpp"

namespace {

using namespace trtutils::image;

Detection box(float x1, float y1, float x2, float y2, float score = 1.0f, int cls = 0,
              int index = 0) {
  return {x1, y1, x2, y2, score, cls, index};
}

std::vector<int> indices(const std::vector<Detection>& ds) {
  std::vector<int> out;
  for (const auto& d : ds) out.push_back(d.index);
  return out;
}

TEST(Iou, IdenticalBoxesAreOne) { EXPECT_EQ(iou(box(1, 2, 5, 7), box(1, 2, 5, 7)), 1.0f); }

TEST(Iou, HalfShiftedSquaresAreOneThird) {
  // inter 1x2 = 2, union 4 + 4 - 2 = 6
  EXPECT_FLOAT_EQ(iou(box(0, 0, 2, 2), box(1, 0, 3, 2)), 1.0f / 3.0f);
}

TEST(Iou, ContainedBoxIsTheAreaRatio) {
  EXPECT_FLOAT_EQ(iou(box(0, 0, 4, 4), box(1, 1, 3, 3)), 0.25f);
}

TEST(Iou, TouchingOrDisjointBoxesAreZero) {
  EXPECT_EQ(iou(box(0, 0, 2, 2), box(2, 0, 4, 2)), 0.0f);  // shared edge
  EXPECT_EQ(iou(box(0, 0, 2, 2), box(0, 2, 2, 4)), 0.0f);
  EXPECT_EQ(iou(box(0, 0, 1, 1), box(5, 5, 6, 6)), 0.0f);
}

TEST(Iou, DegenerateBoxesOverlapNothing) {
  EXPECT_EQ(iou(box(1, 1, 1, 1), box(1, 1, 1, 1)), 0.0f);
  EXPECT_EQ(iou(box(0, 0, 0, 5), box(0, 0, 2, 5)), 0.0f);
}

TEST(CandidateKey, RanksByScoreThenLowerIndex) {
  EXPECT_GT(candidate_key(0.9f, 7), candidate_key(0.8f, 0));
  EXPECT_GT(candidate_key(0.5f, 3), candidate_key(0.5f, 4));
  EXPECT_GT(candidate_key(0.0f, 9), candidate_key(-0.5f, 0));
  EXPECT_GT(candidate_key(-0.5f, 9), candidate_key(-1.5f, 0));
  EXPECT_GT(candidate_key(-1e-30f, 0), 0u);  // real keys rank above the GPU's padding key 0
}

// A and B overlap with IoU 81 / 119 = 0.68; C has B's box but class 1; D is apart.
std::vector<Detection> four_boxes() {
  return {box(1, 1, 11, 11, 0.8f, 0, 1), box(0, 0, 10, 10, 0.9f, 0, 0),
          box(20, 20, 30, 30, 0.6f, 0, 3), box(1, 1, 11, 11, 0.7f, 1, 2)};
}

TEST(NmsReference, ClassAwareKeepsOverlappingBoxesOfOtherClasses) {
  NmsOptions o;
  o.iou_threshold = 0.45f;
  EXPECT_EQ(indices(nms_reference(four_boxes(), o)), (std::vector<int>{0, 2, 3}));
}

TEST(NmsReference, AgnosticSuppressesAcrossClasses) {
  NmsOptions o;
  o.iou_threshold = 0.45f;
  o.class_agnostic = true;
  EXPECT_EQ(indices(nms_reference(four_boxes(), o)), (std::vector<int>{0, 3}));
}

TEST(NmsReference, IouThresholdIsStrict) {
  // IoU exactly 0.5: inter 2, union 4 + 2 - 2 = 4.
  const std::vector<Detection> ds = {box(0, 0, 2, 2, 0.9f, 0, 0), box(0, 0, 2, 1, 0.8f, 0, 1)};
  NmsOptions o;
  o.iou_threshold = 0.5f;
  EXPECT_EQ(indices(nms_reference(ds, o)), (std::vector<int>{0, 1}));
  o.iou_threshold = 0.49f;
  EXPECT_EQ(indices(nms_reference(ds, o)), (std::vector<int>{0}));
}

TEST(NmsReference, EqualScoresKeepTheLowerIndexFirst) {
  const std::vector<Detection> ds = {box(0, 0, 10, 10, 0.5f, 0, 5), box(0, 0, 10, 10, 0.5f, 0, 2)};
  EXPECT_EQ(indices(nms_reference(ds, NmsOptions{})), (std::vector<int>{2}));
}

TEST(NmsReference, StopsAtMaxDetectionsAndPreselectsMaxCandidates) {
  const std::vector<Detection> ds = {box(0, 0, 1, 1, 0.3f, 0, 0), box(2, 2, 3, 3, 0.9f, 0, 1),
                                     box(4, 4, 5, 5, 0.6f, 0, 2)};
  NmsOptions o;
  o.max_detections = 2;
  EXPECT_EQ(indices(nms_reference(ds, o)), (std::vector<int>{1, 2}));
  o.max_detections = 300;
  o.max_candidates = 1;
  EXPECT_EQ(indices(nms_reference(ds, o)), (std::vector<int>{1}));
}

TEST(YoloDecode, TakesTheBestClassAndConvertsCentreBoxes) {
  // [4 + 2, 3]: rows cx, cy, w, h, class 0, class 1; anchors 0..2.
  const std::vector<float> head = {10,   50,   0,     //
                                   20,   60,   0,     //
                                   4,    10,   2,     //
                                   6,    20,   2,     //
                                   0.1f, 0.7f, 0.2f,  //
                                   0.3f, 0.7f, 0.1f};
  const auto ds = decode_yolo_candidates(head, 6, 3, 0.25f);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0], (Detection{8, 17, 12, 23, 0.3f, 1, 0}));
  EXPECT_EQ(ds[1], (Detection{45, 50, 55, 70, 0.7f, 0, 1}));  // tie -> first class
}

TEST(YoloReference, RunsEachImageOfTheBatch) {
  std::vector<float> head(2 * 5 * 2, 0.0f);  // [2, 4 + 1, 2]
  // image 1, anchor 1: box at (5, 5) size 2, score 0.9
  float* img1 = head.data() + 10;
  img1[1] = 5;
  img1[3] = 5;
  img1[5] = 2;
  img1[7] = 2;
  img1[9] = 0.9f;
  const auto out = yolo_reference(head, 2, 5, 2, NmsOptions{});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].empty());
  ASSERT_EQ(out[1].size(), 1u);
  EXPECT_EQ(out[1][0], (Detection{4, 4, 6, 6, 0.9f, 0, 1}));
}

TEST(EndToEnd, KeepsRowsAboveTheThresholdInOrder) {
  const std::vector<float> out = {0, 0, 1, 1, 0.9f, 3,  //
                                  0, 0, 2, 2, 0.1f, 1,  //
                                  1, 1, 3, 3, 0.5f, 2};
  const auto ds = decode_end_to_end(out, 1, 3, 0.25f);
  ASSERT_EQ(ds[0].size(), 2u);
  EXPECT_EQ(ds[0][0], (Detection{0, 0, 1, 1, 0.9f, 3, 0}));
  EXPECT_EQ(ds[0][1], (Detection{1, 1, 3, 3, 0.5f, 2, 2}));
}

TEST(EfficientNms, TakesTheFirstNumDetectionsRows) {
  const std::vector<std::int32_t> num = {1, 5};  // 5 is clamped to K = 2
  const std::vector<float> boxes = {0, 0, 1, 1, 9, 9, 9, 9, 2, 2, 3, 3, 4, 4, 5, 5};
  const std::vector<float> scores = {0.8f, 0.7f, 0.6f, 0.1f};
  const std::vector<std::int32_t> classes = {1, 2, 3, 4};
  const auto ds = decode_efficient_nms(num, boxes, scores, classes, 2, 2, 0.25f);
  ASSERT_EQ(ds[0].size(), 1u);
  EXPECT_EQ(ds[0][0], (Detection{0, 0, 1, 1, 0.8f, 1, 0}));
  ASSERT_EQ(ds[1].size(), 1u);  // second row's score 0.1 is below the threshold
  EXPECT_EQ(ds[1][0], (Detection{2, 2, 3, 3, 0.6f, 3, 0}));
}

TEST(Detr, SigmoidRanksAllQueryClassPairs) {
  // 2 queries x 2 classes; logits 0 -> 0.5, 2 -> 0.8808, -3 -> 0.0474.
  const std::vector<float> boxes = {0.5f, 0.5f, 0.5f, 0.25f, 0.25f, 0.25f, 0.1f, 0.1f};
  const std::vector<float> logits = {0.0f, 2.0f, -3.0f, 0.0f};
  const auto ds = decode_detr(boxes, logits, 1, 2, 2, DetrScoring::kSigmoid, 2, 0.25f, 100, 200);
  ASSERT_EQ(ds[0].size(), 2u);
  EXPECT_EQ(ds[0][0].index, 0);
  EXPECT_EQ(ds[0][0].class_id, 1);
  EXPECT_FLOAT_EQ(ds[0][0].score, 1.0f / (1.0f + std::exp(-2.0f)));
  EXPECT_FLOAT_EQ(ds[0][0].x1, 25.0f);
  EXPECT_FLOAT_EQ(ds[0][0].y1, 75.0f);
  EXPECT_FLOAT_EQ(ds[0][0].x2, 75.0f);
  EXPECT_FLOAT_EQ(ds[0][0].y2, 125.0f);
  // 0.5 twice: query 0 class 0 (flat 0) before query 1 class 1 (flat 3).
  EXPECT_EQ(ds[0][1].index, 0);
  EXPECT_EQ(ds[0][1].class_id, 0);
}

TEST(Detr, SoftmaxDropsTheNoObjectClass) {
  // 2 queries x (2 classes + no-object). Query 0: logits (0, 0, 0) -> 1/3
  // each; query 1: (ln 8, 0, ln 1) -> 8/10 for class 0.
  const std::vector<float> boxes = {0.5f, 0.5f, 1.0f, 1.0f, 0.5f, 0.5f, 0.2f, 0.2f};
  const std::vector<float> logits = {0.0f, 0.0f, 0.0f, std::log(8.0f), 0.0f, 0.0f};
  const auto ds = decode_detr(boxes, logits, 1, 2, 3, DetrScoring::kSoftmax, 10, 0.25f, 10, 10);
  ASSERT_EQ(ds[0].size(), 2u);
  EXPECT_EQ(ds[0][0].index, 1);
  EXPECT_NEAR(ds[0][0].score, 0.8f, 1e-6f);
  EXPECT_EQ(ds[0][1].index, 0);
  EXPECT_NEAR(ds[0][1].score, 1.0f / 3.0f, 1e-6f);
}

TEST(ToImage, UndoesTheFullHdLetterboxAndClips) {
  PreprocessOptions o;
  const ImageTransform t = compute_transform(1920, 1080, o);
  const Detection d = to_image(box(0, 140, 640, 500), t);
  EXPECT_FLOAT_EQ(d.x1, 0.0f);
  EXPECT_FLOAT_EQ(d.y1, 0.0f);
  EXPECT_FLOAT_EQ(d.x2, 1920.0f);
  EXPECT_FLOAT_EQ(d.y2, 1080.0f);
  const Detection inside = to_image(box(100, 150, 200, 160), t);
  EXPECT_FLOAT_EQ(inside.x1, 300.0f);
  EXPECT_FLOAT_EQ(inside.y1, 30.0f);
  EXPECT_FLOAT_EQ(inside.y2, 60.0f);
  const Detection outside = to_image(box(-5, 100, 700, 600), t);  // in the padding
  EXPECT_EQ(outside.x1, 0.0f);
  EXPECT_EQ(outside.y1, 0.0f);
  EXPECT_EQ(outside.x2, 1920.0f);
  EXPECT_EQ(outside.y2, 1080.0f);
}

TEST(YoloKernelSource, EveryKernelCompilesForSm90) {
  for (const auto dtype : {trtutils::DType::kFloat32, trtutils::DType::kFloat16}) {
    const std::string source = generate_yolo_source(dtype);
    for (const char* name : {"yolo_decode", "yolo_select_sort", "nms_mask", "nms_scan"}) {
      const auto compiled =
          trtutils::core::compile_to_ptx(source, name, detection_nvrtc_options(), "sm_90");
      EXPECT_EQ(compiled.lowered_name, name);
    }
  }
}

TEST(NmsOptionsCheck, RefusesCandidatesBeyondTheSharedMemorySort) {
  NmsOptions o;
  o.max_candidates = 4097;
  EXPECT_THROW(check_nms_options(o), trtutils::InvalidArgument);
  o.max_candidates = 100;
  o.max_detections = 0;
  EXPECT_THROW(check_nms_options(o), trtutils::InvalidArgument);
}

}  // namespace
