#pragma once
// What Detector and Classifier share: the engine, its image input, the
// pre-processor writing straight into the engine's input buffer, and the
// events that time each stage of a chunk.
#include <chrono>
#include <cstddef>
#include <span>
#include <vector>

#include "trtutils/core/event.hpp"
#include "trtutils/core/memory.hpp"
#include "trtutils/image/image.hpp"
#include "trtutils/image/preprocess.hpp"
#include "trtutils/runtime/trt_engine.hpp"
#include "trtutils/vision/model_io.hpp"
#include "trtutils/vision/stage_timing.hpp"

namespace trtutils::vision::detail {

/// InvalidArgument naming the image and what to do unless every image is
/// usable (data, size, stride), the batch shares one pixel format and that
/// format gives the model's channel count.
void check_batch(std::span<const image::ImageView> images, const ModelInput& input);

/// Float copies of a staged output of f32 or f16 values.
std::vector<float> to_floats(const void* data, std::size_t count, DType dtype);
/// Integer copies of a staged output of integer or float values.
std::vector<std::int32_t> to_ints(const void* data, std::size_t count, DType dtype);

class ImagePipeline {
 public:
  ImagePipeline(runtime::TRTEngine engine, const image::PreprocessOptions& options);

  const ModelInput& input() const noexcept { return input_; }
  runtime::TRTEngine& engine() noexcept { return engine_; }
  const runtime::TRTEngine& engine() const noexcept { return engine_; }
  core::StreamView stream() const noexcept { return engine_.stream(); }
  int device() const noexcept { return engine_.engine().device(); }
  std::size_t preprocess_allocation_count() const noexcept {
    return preprocessor_.allocation_count();
  }
  const StageTiming& timing() const noexcept { return timing_; }

  /// Starts a call: zeroes the timing and starts the wall clock.
  void begin_call();
  /// Queues the pre-processing of `chunk` (at most input().batch images) into
  /// the engine's input, and the engine. A partial chunk leaves the rest of
  /// the input as it was. Returns the engine's output device pointers.
  const std::vector<void*>& enqueue(std::span<const image::ImageView> chunk,
                                    std::span<image::ImageTransform> transforms);
  /// After the caller queued its post-processing of the chunk: waits for it
  /// (the one host synchronisation of a chunk) and adds its stage times.
  void finish_chunk();
  /// Ends a call: the wall time.
  void end_call();

 private:
  runtime::TRTEngine engine_;
  ModelInput input_;
  image::Preprocessor preprocessor_;
  core::DeviceBuffer input_buffer_;
  std::vector<void*> outputs_;
  core::Event started_;
  core::Event preprocessed_;
  core::Event inferred_;
  core::Event finished_;
  StageTiming timing_;
  std::chrono::steady_clock::time_point call_start_;
};

}  // namespace trtutils::vision::detail
