// YOLO post-processing on the GPU against the CPU reference: the same
// detections (boxes, scores, classes, anchors) in the same order, on
// thousands of random, heavily overlapping boxes with many tied scores.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "gpu_test_support.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/core/stream.hpp"
#include "trtutils/image/detection.hpp"
#include "trtutils/tensor/half.hpp"

namespace {

using namespace trtutils::image;
namespace core = trtutils::core;

// [batch, 4 + classes, anchors]: boxes crowded into a 120-pixel square, scores
// quantised to 1/64 so that many tie.
std::vector<float> crowded_head(int batch, int classes, int anchors, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> centre(100.0f, 220.0f);
  std::uniform_real_distribution<float> size(8.0f, 80.0f);
  std::uniform_int_distribution<int> level(0, 64);
  const int channels = 4 + classes;
  std::vector<float> head(static_cast<std::size_t>(batch) * channels * anchors);
  for (int b = 0; b < batch; ++b) {
    float* h = head.data() + static_cast<std::size_t>(b) * channels * anchors;
    for (int n = 0; n < anchors; ++n) {
      h[n] = centre(rng);
      h[anchors + n] = centre(rng);
      h[2 * anchors + n] = size(rng);
      h[3 * anchors + n] = size(rng);
      for (int c = 0; c < classes; ++c) h[(4 + c) * anchors + n] = level(rng) / 64.0f;
    }
  }
  return head;
}

void expect_same(const std::vector<std::vector<Detection>>& gpu,
                 const std::vector<std::vector<Detection>>& cpu) {
  ASSERT_EQ(gpu.size(), cpu.size());
  for (std::size_t b = 0; b < cpu.size(); ++b) {
    ASSERT_EQ(gpu[b].size(), cpu[b].size()) << "image " << b;
    for (std::size_t i = 0; i < cpu[b].size(); ++i) {
      ASSERT_EQ(gpu[b][i].index, cpu[b][i].index) << "image " << b << ", detection " << i;
      EXPECT_EQ(gpu[b][i], cpu[b][i]) << "image " << b << ", detection " << i;
    }
  }
}

std::vector<std::vector<Detection>> run_gpu(const std::vector<float>& head, int batch, int classes,
                                            int anchors, const NmsOptions& options) {
  core::DeviceBuffer device(head.size() * sizeof(float));
  core::memcpy_host_to_device(device.data(), head.data(), device.size());
  YoloPostprocessor post(batch, 4 + classes, anchors, options);
  core::Stream stream;
  return post.run(device.data(), batch, stream);
}

TEST(YoloGpu, ClassAwareNmsOnThousandsOfCrowdedBoxesMatchesTheCpu) {
  TRTUTILS_REQUIRE_GPU();
  const int batch = 3, classes = 5, anchors = 8400;  // ~6000 candidates: top-k selection runs
  const auto head = crowded_head(batch, classes, anchors, 11);
  NmsOptions o;
  o.max_detections = 1000;
  const auto cpu = yolo_reference(head, batch, 4 + classes, anchors, o);
  ASSERT_GT(cpu[0].size(), 20u);
  expect_same(run_gpu(head, batch, classes, anchors, o), cpu);
}

TEST(YoloGpu, AgnosticNmsMatchesTheCpu) {
  TRTUTILS_REQUIRE_GPU();
  const int batch = 2, classes = 80, anchors = 8400;
  const auto head = crowded_head(batch, classes, anchors, 12);
  NmsOptions o;
  o.class_agnostic = true;
  o.iou_threshold = 0.3f;
  expect_same(run_gpu(head, batch, classes, anchors, o),
              yolo_reference(head, batch, 4 + classes, anchors, o));
}

TEST(YoloGpu, FewCandidatesOddCapacityAndSmallMaxDetections) {
  TRTUTILS_REQUIRE_GPU();
  const int batch = 4, classes = 3, anchors = 777;
  const auto head = crowded_head(batch, classes, anchors, 13);
  NmsOptions o;
  o.max_candidates = 300;  // not a power of two; fewer than the candidates
  o.max_detections = 7;
  o.score_threshold = 0.5f;
  expect_same(run_gpu(head, batch, classes, anchors, o),
              yolo_reference(head, batch, 4 + classes, anchors, o));
  o.max_candidates = 4096;  // more room than candidates
  o.max_detections = 300;
  expect_same(run_gpu(head, batch, classes, anchors, o),
              yolo_reference(head, batch, 4 + classes, anchors, o));
}

TEST(YoloGpu, NoCandidatesGivesNoDetections) {
  TRTUTILS_REQUIRE_GPU();
  const auto head = crowded_head(2, 2, 100, 14);
  NmsOptions o;
  o.score_threshold = 2.0f;
  const auto gpu = run_gpu(head, 2, 2, 100, o);
  ASSERT_EQ(gpu.size(), 2u);
  EXPECT_TRUE(gpu[0].empty());
  EXPECT_TRUE(gpu[1].empty());
}

TEST(YoloGpu, F16HeadMatchesTheCpuOnTheSameValues) {
  TRTUTILS_REQUIRE_GPU();
  const int batch = 2, classes = 4, anchors = 5000;
  auto head = crowded_head(batch, classes, anchors, 15);
  std::vector<trtutils::Half> half(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) {
    half[i] = trtutils::Half(head[i]);
    head[i] = static_cast<float>(half[i]);  // the CPU sees exactly what the GPU reads
  }
  core::DeviceBuffer device(half.size() * sizeof(trtutils::Half));
  core::memcpy_host_to_device(device.data(), half.data(), device.size());
  NmsOptions o;
  YoloPostprocessor post(batch, 4 + classes, anchors, o, trtutils::DType::kFloat16);
  core::Stream stream;
  expect_same(post.run(device.data(), batch, stream),
              yolo_reference(head, batch, 4 + classes, anchors, o));
}

TEST(YoloGpu, ReusedAcrossBatchesOfDifferentSizes) {
  TRTUTILS_REQUIRE_GPU();
  const int classes = 6, anchors = 2100;
  NmsOptions o;
  YoloPostprocessor post(4, 4 + classes, anchors, o);
  core::Stream stream;
  for (int batch : {4, 1, 3}) {
    const auto head =
        crowded_head(batch, classes, anchors, 100 + static_cast<std::uint32_t>(batch));
    core::DeviceBuffer device(head.size() * sizeof(float));
    core::memcpy_host_to_device(device.data(), head.data(), device.size());
    expect_same(post.run(device.data(), batch, stream),
                yolo_reference(head, batch, 4 + classes, anchors, o));
  }
}

}  // namespace
