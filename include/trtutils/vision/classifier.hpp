#pragma once
// Classifier: an image-classification engine ([B, C] logits or
// probabilities) with its pre-processing and softmax + top-k.
//
//   trtutils::vision::Classifier classifier("resnet50.engine");
//   auto top5 = classifier.classify(image_view);   // {class_id, probability}, best first
//
// Same pipeline and rules as Detector (one stream, one wait per chunk of
// max_batch() images, no device allocation after the first call of a batch
// size); the logits are copied to the host and ranked by image::classify.
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "trtutils/image/classification.hpp"
#include "trtutils/image/image.hpp"
#include "trtutils/image/preprocess.hpp"
#include "trtutils/runtime/trt_engine.hpp"
#include "trtutils/vision/model_io.hpp"
#include "trtutils/vision/stage_timing.hpp"

namespace trtutils::vision {

/// ImageNet-style input: stretch to the engine's size, RGB, x / 255, then
/// mean {0.485, 0.456, 0.406} and std {0.229, 0.224, 0.225}.
inline image::PreprocessOptions imagenet_preprocess_options() {
  image::PreprocessOptions options;
  options.resize = image::ResizeMode::kStretch;
  options.channel_order = image::ChannelOrder::kRGB;
  options.scale = 1.0f / 255.0f;
  options.mean = {0.485f, 0.456f, 0.406f};
  options.std = {0.229f, 0.224f, 0.225f};
  return options;
}

struct ClassifierOptions {
  /// Size, layout and dtype are taken from the engine's input.
  image::PreprocessOptions preprocess = imagenet_preprocess_options();
  int top_k = 5;
  /// false: the model's outputs are probabilities already.
  bool apply_softmax = true;
  runtime::TRTEngineOptions engine{};
};

/// InvalidArgument naming the option and what is accepted.
void check_options(const ClassifierOptions& options);

/// The engine's class output: exactly one output [B, C] (or [B, C, 1, 1]),
/// f32 or f16, with B the input's batch. ModelError listing the outputs
/// otherwise. Returns C.
int classifier_classes(const std::vector<plan::TensorSpec>& outputs, int batch);

class Classifier {
 public:
  explicit Classifier(const std::filesystem::path& model, ClassifierOptions options = {});
  /// An engine already loaded (options.engine is not used).
  explicit Classifier(runtime::TRTEngine engine, ClassifierOptions options = {});
  ~Classifier();
  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  /// The top_k classes of one image, most probable first.
  std::vector<image::Classification> classify(const image::ImageView& image);
  /// One list per image; same batching rules as Detector::detect.
  std::vector<std::vector<image::Classification>> classify(
      std::span<const image::ImageView> images);

  const StageTiming& last_timing() const noexcept;
  const ClassifierOptions& options() const noexcept;
  int input_width() const noexcept;
  int input_height() const noexcept;
  int max_batch() const noexcept;
  int num_classes() const noexcept;
  std::size_t preprocess_allocation_count() const noexcept;
  runtime::TRTEngine& engine() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trtutils::vision
