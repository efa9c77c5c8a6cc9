#pragma once
// Detector: an object-detection engine with its pre- and post-processing.
//
//   trtutils::vision::Detector detector("yolov8n.engine");
//   for (const auto& d : detector.detect(image_view))   // boxes in image pixels
//     std::printf("%d %.2f [%g %g %g %g]\n", d.class_id, d.score, d.x1, d.y1, d.x2, d.y2);
//
// One call: the images go through image::Preprocessor into the engine's input
// buffer, the engine runs (TRTEngine::direct_exec), the head is decoded
// (YOLO raw heads on the GPU, other heads on the CPU after one copy) and the
// boxes are mapped back to each image. Everything runs on the engine's
// stream; the host waits once per chunk of max_batch() images (once per call
// when the batch fits). Device buffers are allocated at construction and by
// the grow-only Preprocessor, so calls after the first of a batch size
// allocate no device memory.
//
// Not thread-safe: one Detector per thread. Pinned and device images must be
// complete before the call (the engine's stream does not wait for other
// streams); they can be released when it returns.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "trtutils/image/detection.hpp"
#include "trtutils/image/image.hpp"
#include "trtutils/image/preprocess.hpp"
#include "trtutils/runtime/trt_engine.hpp"
#include "trtutils/vision/model_io.hpp"
#include "trtutils/vision/stage_timing.hpp"

namespace trtutils::vision {

struct DetectorOptions {
  /// output_width / output_height, layout and output_dtype are taken from the
  /// engine's input; the rest (letterbox, RGB, scale 1/255, pad 114 by
  /// default) is used as given.
  image::PreprocessOptions preprocess{};
  /// Score / IoU thresholds, class-agnostic NMS, max_detections,
  /// max_candidates. Only kYoloRaw runs NMS; every head keeps scores above
  /// score_threshold and at most max_detections per image (kDetr after
  /// taking its detr_top_k).
  image::NmsOptions nms{};
  DetectionHead head = DetectionHead::kAuto;
  image::DetrScoring detr_scoring = image::DetrScoring::kSigmoid;
  int detr_top_k = 300;
  /// Device, CUDA graph, warm-up, build_options for .onnx paths.
  runtime::TRTEngineOptions engine{};
};

/// InvalidArgument naming the option and what is accepted.
void check_options(const DetectorOptions& options);

class Detector {
 public:
  /// A .engine file, or a .onnx file built through the registered builder
  /// (link trtutils_builder and call builder::register_with_trt_engine()).
  explicit Detector(const std::filesystem::path& model, DetectorOptions options = {});
  /// An engine already loaded (options.engine is not used).
  explicit Detector(runtime::TRTEngine engine, DetectorOptions options = {});
  ~Detector();
  Detector(Detector&&) noexcept;
  Detector& operator=(Detector&&) noexcept;
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  /// Detections of one image, best first, boxes in the image's own pixels.
  std::vector<image::Detection> detect(const image::ImageView& image);
  /// One list per image. Any number of images (chunks of max_batch()); they
  /// may differ in size but must share a pixel format. Empty in, empty out.
  std::vector<std::vector<image::Detection>> detect(std::span<const image::ImageView> images);

  /// Of the last detect() call.
  const StageTiming& last_timing() const noexcept;
  DetectionHead head() const noexcept;
  const HeadLayout& head_layout() const noexcept;
  const DetectorOptions& options() const noexcept;
  int input_width() const noexcept;
  int input_height() const noexcept;
  /// The engine's batch dimension.
  int max_batch() const noexcept;
  /// -1 when the head does not say.
  int num_classes() const noexcept;
  /// Device + pinned allocations of the pre-processor so far (grow-only).
  std::size_t preprocess_allocation_count() const noexcept;
  runtime::TRTEngine& engine() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trtutils::vision
