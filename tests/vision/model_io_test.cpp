// What Detector / Classifier decide from an engine's IO specs, without a GPU:
// the image input, the detection head, the class output, batch chunks, option
// checks and the batch checks.
#include "trtutils/vision/model_io.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "trtutils/core/error.hpp"
#include "trtutils/tensor/half.hpp"
#include "trtutils/vision/classifier.hpp"
#include "trtutils/vision/detector.hpp"
#include "vision/image_pipeline.hpp"

namespace trtutils::vision {
namespace {

plan::TensorSpec spec(std::string name, std::vector<std::int64_t> dims,
                      DType dtype = DType::kFloat32, bool is_input = false) {
  plan::TensorSpec s;
  s.name = std::move(name);
  s.dims = std::move(dims);
  s.dtype = dtype;
  s.is_input = is_input;
  return s;
}

plan::TensorSpec input(std::vector<std::int64_t> dims, DType dtype = DType::kFloat32) {
  return spec("images", std::move(dims), dtype, true);
}

/// The message of the ModelError `f` throws (fails the test if none).
template <typename F>
std::string model_error(F&& f) {
  try {
    f();
  } catch (const ModelError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ModelError";
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// --- the image input ---------------------------------------------------------

TEST(DescribeInput, NchwFloat) {
  const ModelInput in = describe_input({input({4, 3, 480, 640})});
  EXPECT_EQ(in.batch, 4);
  EXPECT_EQ(in.channels, 3);
  EXPECT_EQ(in.height, 480);
  EXPECT_EQ(in.width, 640);
  EXPECT_EQ(in.layout, image::TensorLayout::kNCHW);
  EXPECT_EQ(in.dtype, DType::kFloat32);
}

TEST(DescribeInput, NhwcHalf) {
  const ModelInput in = describe_input({input({1, 320, 256, 3}, DType::kFloat16)});
  EXPECT_EQ(in.batch, 1);
  EXPECT_EQ(in.height, 320);
  EXPECT_EQ(in.width, 256);
  EXPECT_EQ(in.layout, image::TensorLayout::kNHWC);
  EXPECT_EQ(in.dtype, DType::kFloat16);
}

TEST(DescribeInput, GreyModel) {
  const ModelInput in = describe_input({input({2, 1, 28, 28})});
  EXPECT_EQ(in.channels, 1);
  EXPECT_EQ(in.layout, image::TensorLayout::kNCHW);
}

TEST(DescribeInput, RefusesWhatIsNotOneStaticImageTensor) {
  // Two inputs (e.g. RT-DETR's orig_target_sizes) are named in the message.
  std::string what = model_error([] {
    (void)describe_input(
        {input({1, 3, 640, 640}), spec("orig_target_sizes", {1, 2}, DType::kInt64, true)});
  });
  EXPECT_TRUE(contains(what, "2 inputs")) << what;
  EXPECT_TRUE(contains(what, "orig_target_sizes [1, 2] i64")) << what;
  what = model_error([] { (void)describe_input({input({1, 3, 640, 640}, DType::kUInt8)}); });
  EXPECT_TRUE(contains(what, "f32 or f16")) << what;
  what = model_error([] { (void)describe_input({input({-1, 3, 640, 640})}); });
  EXPECT_TRUE(contains(what, "fixed batch")) << what;
  what = model_error([] { (void)describe_input({input({1, 4, 64, 64})}); });
  EXPECT_TRUE(contains(what, "channel axis")) << what;
  EXPECT_THROW((void)describe_input({input({3, 640, 640})}), ModelError);
  EXPECT_THROW((void)describe_input({}), ModelError);
}

TEST(PreprocessOptionsFor, TakesSizeLayoutAndDtypeFromTheEngineAndKeepsTheRest) {
  image::PreprocessOptions mine;
  mine.output_width = 1;
  mine.output_height = 2;
  mine.resize = image::ResizeMode::kStretch;
  mine.channel_order = image::ChannelOrder::kBGR;
  mine.pad_value = 0.0f;
  mine.scale = 0.5f;
  mine.mean = {1.0f, 2.0f, 3.0f};
  const ModelInput in = describe_input({input({1, 256, 320, 3}, DType::kFloat16)});
  const image::PreprocessOptions o = preprocess_options_for(in, mine);
  EXPECT_EQ(o.output_width, 320);
  EXPECT_EQ(o.output_height, 256);
  EXPECT_EQ(o.layout, image::TensorLayout::kNHWC);
  EXPECT_EQ(o.output_dtype, DType::kFloat16);
  EXPECT_EQ(o.resize, image::ResizeMode::kStretch);
  EXPECT_EQ(o.channel_order, image::ChannelOrder::kBGR);
  EXPECT_EQ(o.pad_value, 0.0f);
  EXPECT_EQ(o.scale, 0.5f);
  EXPECT_EQ(o.mean[2], 3.0f);
}

// --- detection heads -------------------------------------------------------------

TEST(DetectHead, YoloRawHead) {
  const std::vector<plan::TensorSpec> outputs{spec("output0", {1, 84, 8400})};
  EXPECT_EQ(detect_head(outputs), DetectionHead::kYoloRaw);
  const HeadLayout l = resolve_head(outputs, DetectionHead::kAuto, 1);
  EXPECT_EQ(l.head, DetectionHead::kYoloRaw);
  EXPECT_EQ(l.channels, 84);
  EXPECT_EQ(l.rows, 8400);
  EXPECT_EQ(l.num_classes, 80);
  EXPECT_EQ(l.outputs, std::vector<std::size_t>{0});
  // f16 heads are decoded on the GPU as well.
  EXPECT_EQ(detect_head({spec("output0", {8, 5, 2100}, DType::kFloat16)}), DetectionHead::kYoloRaw);
}

TEST(DetectHead, EndToEndHead) {
  const std::vector<plan::TensorSpec> outputs{spec("output0", {2, 300, 6})};
  EXPECT_EQ(detect_head(outputs), DetectionHead::kEndToEnd);
  const HeadLayout l = resolve_head(outputs, DetectionHead::kAuto, 2);
  EXPECT_EQ(l.rows, 300);
  EXPECT_EQ(l.num_classes, -1);
  // [B, 6, 6]: 4 + C = 6 is not fewer than 6 anchors, so only end-to-end fits.
  EXPECT_EQ(detect_head({spec("o", {1, 6, 6})}), DetectionHead::kEndToEnd);
}

TEST(DetectHead, EfficientNmsOutputsInAnyOrder) {
  const std::vector<plan::TensorSpec> outputs{
      spec("det_classes", {1, 100}, DType::kInt32), spec("det_boxes", {1, 100, 4}),
      spec("num_dets", {1, 1}, DType::kInt32), spec("det_scores", {1, 100})};
  EXPECT_EQ(detect_head(outputs), DetectionHead::kEfficientNms);
  const HeadLayout l = resolve_head(outputs, DetectionHead::kAuto, 1);
  EXPECT_EQ(l.rows, 100);
  // Roles: num_dets, boxes, scores, classes.
  EXPECT_EQ(l.outputs, (std::vector<std::size_t>{2, 1, 3, 0}));
}

TEST(DetectHead, EfficientNmsWithFloatClassesUsesTheNames) {
  const std::vector<plan::TensorSpec> outputs{spec("num", {2}, DType::kInt64),
                                              spec("boxes", {2, 50, 4}), spec("classes", {2, 50}),
                                              spec("scores", {2, 50})};
  const HeadLayout l = resolve_head(outputs, DetectionHead::kAuto, 2);
  EXPECT_EQ(l.head, DetectionHead::kEfficientNms);
  EXPECT_EQ(l.outputs, (std::vector<std::size_t>{0, 1, 3, 2}));
  // Two float [B, K] outputs with no telling names fit no head.
  const std::vector<plan::TensorSpec> unnamed{spec("a", {2}, DType::kInt32), spec("b", {2, 50, 4}),
                                              spec("c", {2, 50}), spec("d", {2, 50})};
  EXPECT_THROW((void)detect_head(unnamed), ModelError);
}

TEST(DetectHead, DetrBoxesAndLogits) {
  const std::vector<plan::TensorSpec> outputs{spec("logits", {1, 100, 92}),
                                              spec("pred_boxes", {1, 100, 4})};
  EXPECT_EQ(detect_head(outputs), DetectionHead::kDetr);
  const HeadLayout sigmoid = resolve_head(outputs, DetectionHead::kAuto, 1);
  EXPECT_EQ(sigmoid.outputs, (std::vector<std::size_t>{1, 0}));
  EXPECT_EQ(sigmoid.rows, 100);
  EXPECT_EQ(sigmoid.channels, 92);
  EXPECT_EQ(sigmoid.num_classes, 92);
  // Softmax scoring: the last class is "no object".
  const HeadLayout softmax =
      resolve_head(outputs, DetectionHead::kAuto, 1, image::DetrScoring::kSoftmax);
  EXPECT_EQ(softmax.num_classes, 91);
  // Four classes: the boxes are the output named so.
  const HeadLayout four = resolve_head({spec("boxes", {1, 10, 4}), spec("scores", {1, 10, 4})},
                                       DetectionHead::kAuto, 1);
  EXPECT_EQ(four.outputs, (std::vector<std::size_t>{0, 1}));
}

TEST(DetectHead, AmbiguousShapesListTheOutputsAndSayHowToChoose) {
  // [1, 5, 6]: a YOLO head of one class over 6 anchors, or 5 end-to-end rows.
  const std::vector<plan::TensorSpec> outputs{spec("out", {1, 5, 6})};
  const std::string what = model_error([&] { (void)detect_head(outputs); });
  EXPECT_TRUE(contains(what, "more than one detection head (yolo or end2end)")) << what;
  EXPECT_TRUE(contains(what, "out [1, 5, 6] f32")) << what;
  EXPECT_TRUE(contains(what, "DetectorOptions::head")) << what;
  // Naming the head settles it.
  EXPECT_EQ(resolve_head(outputs, DetectionHead::kYoloRaw, 1).num_classes, 1);
  EXPECT_EQ(resolve_head(outputs, DetectionHead::kEndToEnd, 1).rows, 5);
}

TEST(DetectHead, UnknownOutputsListTheShapes) {
  const std::vector<plan::TensorSpec> outputs{
      spec("features", {1, 512}), spec("mask", {1, 32, 160, 160}), spec("other", {1, 3})};
  const std::string what = model_error([&] { (void)detect_head(outputs); });
  EXPECT_TRUE(contains(what, "cannot tell the detection head")) << what;
  EXPECT_TRUE(contains(what, "features [1, 512] f32")) << what;
  EXPECT_TRUE(contains(what, "mask [1, 32, 160, 160] f32")) << what;
  // A transposed YOLO head [B, N, 4 + C] is not guessed at.
  EXPECT_THROW((void)detect_head({spec("output0", {1, 8400, 84})}), ModelError);
  // Integer heads are not decoded.
  EXPECT_THROW((void)detect_head({spec("output0", {1, 84, 8400}, DType::kInt32)}), ModelError);
}

TEST(ResolveHead, ARequestedHeadTheOutputsDoNotFormIsRefused) {
  const std::vector<plan::TensorSpec> outputs{spec("output0", {1, 84, 8400})};
  const std::string what =
      model_error([&] { (void)resolve_head(outputs, DetectionHead::kDetr, 1); });
  EXPECT_TRUE(contains(what, "do not form a 'detr' head")) << what;
  EXPECT_TRUE(contains(what, "output0 [1, 84, 8400] f32")) << what;
}

TEST(ResolveHead, OutputBatchMustBeTheInputBatch) {
  const std::string what = model_error([] {
    (void)resolve_head({spec("output0", {1, 84, 8400})}, DetectionHead::kAuto, 4);
  });
  EXPECT_TRUE(contains(what, "batch 1 but the input has batch 4")) << what;
}

TEST(ResolveHead, DynamicOutputsAreRefused) {
  EXPECT_THROW((void)resolve_head({spec("output0", {1, 84, -1})}, DetectionHead::kAuto, 1),
               ModelError);
}

TEST(DetectionHeadName, RoundTripsAndRefusesUnknownNames) {
  for (const DetectionHead h :
       {DetectionHead::kAuto, DetectionHead::kYoloRaw, DetectionHead::kEndToEnd,
        DetectionHead::kEfficientNms, DetectionHead::kDetr}) {
    EXPECT_EQ(detection_head_from_name(detection_head_name(h)), h);
  }
  EXPECT_EQ(detection_head_name(DetectionHead::kYoloRaw), "yolo");
  EXPECT_THROW((void)detection_head_from_name("yolov8"), InvalidArgument);
}

// --- classifier output -----------------------------------------------------------

TEST(ClassifierClasses, OneScoreTensor) {
  EXPECT_EQ(classifier_classes({spec("logits", {2, 1000})}, 2), 1000);
  EXPECT_EQ(classifier_classes({spec("logits", {1, 10, 1, 1}, DType::kFloat16)}, 1), 10);
  const std::string what = model_error([] {
    (void)classifier_classes({spec("logits", {1, 1000})}, 8);
  });
  EXPECT_TRUE(contains(what, "logits [1, 1000] f32")) << what;
  EXPECT_THROW((void)classifier_classes({spec("a", {1, 10}), spec("b", {1, 10})}, 1), ModelError);
  EXPECT_THROW((void)classifier_classes({spec("a", {1, 10, 7, 7})}, 1), ModelError);
  EXPECT_THROW((void)classifier_classes({spec("a", {1, 10}, DType::kInt64)}, 1), ModelError);
}

// --- chunks ------------------------------------------------------------------

TEST(SplitIntoChunks, FullChunksThenAPartialOne) {
  EXPECT_TRUE(split_into_chunks(0, 4).empty());
  EXPECT_EQ(split_into_chunks(3, 4), (std::vector<BatchChunk>{{0, 3}}));
  EXPECT_EQ(split_into_chunks(4, 4), (std::vector<BatchChunk>{{0, 4}}));
  EXPECT_EQ(split_into_chunks(9, 4), (std::vector<BatchChunk>{{0, 4}, {4, 4}, {8, 1}}));
  EXPECT_EQ(split_into_chunks(3, 1), (std::vector<BatchChunk>{{0, 1}, {1, 1}, {2, 1}}));
  EXPECT_THROW((void)split_into_chunks(3, 0), InvalidArgument);
}

// --- options -------------------------------------------------------------------------

TEST(DetectorOptions, DefaultsAreValidAndBadValuesAreRefused) {
  EXPECT_NO_THROW(check_options(DetectorOptions{}));
  DetectorOptions o;
  o.detr_top_k = 0;
  EXPECT_THROW(check_options(o), InvalidArgument);
  o = {};
  o.nms.max_candidates = 5000;
  EXPECT_THROW(check_options(o), InvalidArgument);
  o = {};
  o.nms.max_detections = 0;
  EXPECT_THROW(check_options(o), InvalidArgument);
  o = {};
  o.preprocess.std = {1.0f, 0.0f, 1.0f};
  EXPECT_THROW(check_options(o), InvalidArgument);
  o = {};
  o.engine.warmup_iterations = -1;
  EXPECT_THROW(check_options(o), InvalidArgument);
}

TEST(ClassifierOptions, ImagenetDefaultsAndRefusals) {
  const ClassifierOptions o;
  EXPECT_EQ(o.preprocess.resize, image::ResizeMode::kStretch);
  EXPECT_EQ(o.preprocess.channel_order, image::ChannelOrder::kRGB);
  EXPECT_FLOAT_EQ(o.preprocess.scale, 1.0f / 255.0f);
  EXPECT_FLOAT_EQ(o.preprocess.mean[0], 0.485f);
  EXPECT_FLOAT_EQ(o.preprocess.std[2], 0.225f);
  EXPECT_EQ(o.top_k, 5);
  EXPECT_TRUE(o.apply_softmax);
  EXPECT_NO_THROW(check_options(o));
  ClassifierOptions bad;
  bad.top_k = 0;
  EXPECT_THROW(check_options(bad), InvalidArgument);
}

TEST(Detector, AMissingEngineFileIsAFileErrorBeforeAnyGpuWork) {
  EXPECT_THROW(Detector("no_such_model.engine"), FileError);
  DetectorOptions o;
  o.detr_top_k = -3;
  EXPECT_THROW(Detector("no_such_model.engine", o), InvalidArgument);
}

// --- batches ----------------------------------------------------------------------

std::string invalid_argument(std::vector<image::ImageView> images, const ModelInput& input) {
  try {
    detail::check_batch(images, input);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected InvalidArgument";
  return {};
}

TEST(CheckBatch, NamesTheImageAndSaysWhatToDo) {
  const ModelInput rgb_model = describe_input({input({2, 3, 32, 32})});
  const std::vector<std::uint8_t> pixels(64 * 64 * 4, 7);
  image::ImageView good{pixels.data(),           10, 10, 0, image::PixelFormat::kBGR8,
                        image::MemoryKind::kHost};
  EXPECT_NO_THROW(detail::check_batch(std::vector<image::ImageView>{good, good}, rgb_model));
  EXPECT_NO_THROW(detail::check_batch({}, rgb_model));

  image::ImageView null_data = good;
  null_data.data = nullptr;
  std::string what = invalid_argument({good, null_data}, rgb_model);
  EXPECT_TRUE(contains(what, "image 1 has no data")) << what;

  image::ImageView rgb = good;
  rgb.format = image::PixelFormat::kRGB8;
  what = invalid_argument({good, good, rgb}, rgb_model);
  EXPECT_TRUE(contains(what, "image 2 is RGB8 but image 0 is BGR8")) << what;
  EXPECT_TRUE(contains(what, "share a pixel format")) << what;

  image::ImageView grey = good;
  grey.format = image::PixelFormat::kGray8;
  what = invalid_argument({grey}, rgb_model);
  EXPECT_TRUE(contains(what, "takes 3-channel images")) << what;
  EXPECT_TRUE(contains(what, "convert them to BGR8")) << what;

  image::ImageView narrow_stride = good;
  narrow_stride.stride_bytes = 5;
  EXPECT_THROW(detail::check_batch(std::vector<image::ImageView>{narrow_stride}, rgb_model),
               InvalidArgument);
  image::ImageView empty = good;
  empty.width = 0;
  EXPECT_THROW(detail::check_batch(std::vector<image::ImageView>{empty}, rgb_model),
               InvalidArgument);
}

TEST(StagedOutputs, HalvesAndIntegersConvert) {
  const std::uint16_t halves[] = {float_to_half_bits(1.5f), float_to_half_bits(-0.25f)};
  EXPECT_EQ(detail::to_floats(halves, 2, DType::kFloat16), (std::vector<float>{1.5f, -0.25f}));
  const std::int64_t longs[] = {3, 70000};
  EXPECT_EQ(detail::to_ints(longs, 2, DType::kInt64), (std::vector<std::int32_t>{3, 70000}));
  const float floats[] = {2.0f, 5.0f};
  EXPECT_EQ(detail::to_ints(floats, 2, DType::kFloat32), (std::vector<std::int32_t>{2, 5}));
  EXPECT_THROW((void)detail::to_floats(longs, 2, DType::kInt64), InvalidArgument);
}

}  // namespace
}  // namespace trtutils::vision
