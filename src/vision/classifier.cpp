#include "trtutils/vision/classifier.hpp"

#include <utility>

#include "trtutils/core/context.hpp"
#include "trtutils/core/error.hpp"
#include "vision/image_pipeline.hpp"

namespace trtutils::vision {

void check_options(const ClassifierOptions& options) {
  image::check_options(options.preprocess);
  TRTUTILS_CHECK(options.top_k > 0, "top_k is ", options.top_k,
                 ": it must be positive (it is capped at the number of classes)");
  TRTUTILS_CHECK(options.engine.warmup_iterations >= 0, "engine.warmup_iterations is ",
                 options.engine.warmup_iterations, ": it must be 0 or more");
}

int classifier_classes(const std::vector<plan::TensorSpec>& outputs, int batch) {
  const auto fits = [&] {
    if (outputs.size() != 1) return false;
    const plan::TensorSpec& s = outputs[0];
    if (s.dtype != DType::kFloat32 && s.dtype != DType::kFloat16) return false;
    if (s.dims.size() < 2 || s.dims[0] != batch || s.dims[1] < 1) return false;
    for (std::size_t axis = 2; axis < s.dims.size(); ++axis) {
      if (s.dims[axis] != 1) return false;
    }
    return true;
  };
  if (!fits()) {
    throw ModelError(trtutils::detail::concat(
        "the engine's outputs are not one class-score tensor [", batch,
        ", C] (or [B, C, 1, 1]) of f32 or f16:", describe_specs(outputs),
        "\nClassifier reads one output of logits (or probabilities, with apply_softmax off)"));
  }
  return static_cast<int>(outputs[0].dims[1]);
}

namespace {
runtime::TRTEngine load_engine(const std::filesystem::path& model,
                               const ClassifierOptions& options) {
  check_options(options);
  return runtime::TRTEngine(model, options.engine);
}
}  // namespace

struct Classifier::Impl {
  ClassifierOptions options;
  detail::ImagePipeline pipeline;
  int classes = 0;
  core::PinnedBuffer staged;
  std::vector<image::ImageTransform> transforms;

  Impl(runtime::TRTEngine engine, ClassifierOptions o)
      : options(std::move(o)), pipeline(std::move(engine), options.preprocess) {
    const auto& outputs = pipeline.engine().output_specs();
    classes = classifier_classes(outputs, pipeline.input().batch);
    staged = core::PinnedBuffer(static_cast<std::size_t>(element_count(outputs[0].dims)) *
                                dtype_size(outputs[0].dtype));
    transforms.resize(static_cast<std::size_t>(pipeline.input().batch));
  }
};

Classifier::Classifier(const std::filesystem::path& model, ClassifierOptions options)
    // A copy, not a move: the order in which arguments are evaluated is unspecified.
    : Classifier(load_engine(model, options), options) {}

Classifier::Classifier(runtime::TRTEngine engine, ClassifierOptions options) {
  check_options(options);
  core::DeviceGuard device(engine.engine().device());
  impl_ = std::make_unique<Impl>(std::move(engine), std::move(options));
}

Classifier::~Classifier() = default;
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;

std::vector<image::Classification> Classifier::classify(const image::ImageView& image) {
  return std::move(classify(std::span<const image::ImageView>(&image, 1)).front());
}

std::vector<std::vector<image::Classification>> Classifier::classify(
    std::span<const image::ImageView> images) {
  Impl& p = *impl_;
  detail::check_batch(images, p.pipeline.input());
  core::DeviceGuard device(p.pipeline.device());
  p.pipeline.begin_call();
  const DType dtype = p.pipeline.engine().output_specs()[0].dtype;
  std::vector<std::vector<image::Classification>> results;
  results.reserve(images.size());
  for (const BatchChunk& chunk : split_into_chunks(images.size(), p.pipeline.input().batch)) {
    const auto& outputs = p.pipeline.enqueue(images.subspan(chunk.first, chunk.count),
                                             std::span(p.transforms).first(chunk.count));
    const std::size_t values = chunk.count * static_cast<std::size_t>(p.classes);
    core::memcpy_device_to_host_async(p.staged.data(), outputs[0], values * dtype_size(dtype),
                                      p.pipeline.stream());
    p.pipeline.finish_chunk();
    auto ranked = image::classify(detail::to_floats(p.staged.data(), values, dtype),
                                  static_cast<int>(chunk.count), p.classes, p.options.top_k,
                                  p.options.apply_softmax);
    for (auto& r : ranked) results.push_back(std::move(r));
  }
  p.pipeline.end_call();
  return results;
}

const StageTiming& Classifier::last_timing() const noexcept { return impl_->pipeline.timing(); }
const ClassifierOptions& Classifier::options() const noexcept { return impl_->options; }
int Classifier::input_width() const noexcept { return impl_->pipeline.input().width; }
int Classifier::input_height() const noexcept { return impl_->pipeline.input().height; }
int Classifier::max_batch() const noexcept { return impl_->pipeline.input().batch; }
int Classifier::num_classes() const noexcept { return impl_->classes; }
std::size_t Classifier::preprocess_allocation_count() const noexcept {
  return impl_->pipeline.preprocess_allocation_count();
}
runtime::TRTEngine& Classifier::engine() noexcept { return impl_->pipeline.engine(); }

}  // namespace trtutils::vision
