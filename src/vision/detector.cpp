#include "trtutils/vision/detector.hpp"

#include <optional>
#include <utility>

#include "trtutils/core/context.hpp"
#include "trtutils/core/error.hpp"
#include "vision/image_pipeline.hpp"

namespace trtutils::vision {

void check_options(const DetectorOptions& options) {
  image::check_options(options.preprocess);
  image::check_nms_options(options.nms);
  TRTUTILS_CHECK(options.detr_top_k > 0, "detr_top_k is ", options.detr_top_k,
                 ": it must be positive (300 keeps DETR's usual number of queries)");
  TRTUTILS_CHECK(options.engine.warmup_iterations >= 0, "engine.warmup_iterations is ",
                 options.engine.warmup_iterations, ": it must be 0 or more");
}

namespace {

runtime::TRTEngine load_engine(const std::filesystem::path& model, const DetectorOptions& options) {
  check_options(options);
  return runtime::TRTEngine(model, options.engine);
}

}  // namespace

struct Detector::Impl {
  DetectorOptions options;
  detail::ImagePipeline pipeline;
  HeadLayout layout;
  std::optional<image::YoloPostprocessor> yolo;
  std::vector<core::PinnedBuffer> staged;  // kEndToEnd / kEfficientNms / kDetr: per output
  std::vector<image::ImageTransform> transforms;

  Impl(runtime::TRTEngine engine, DetectorOptions o)
      : options(std::move(o)), pipeline(std::move(engine), options.preprocess) {
    const auto& outputs = pipeline.engine().output_specs();
    layout = resolve_head(outputs, options.head, pipeline.input().batch, options.detr_scoring);
    if (layout.head == DetectionHead::kYoloRaw) {
      yolo.emplace(layout.batch, layout.channels, layout.rows, options.nms, outputs[0].dtype);
    } else {
      for (const plan::TensorSpec& spec : outputs) {
        staged.emplace_back(static_cast<std::size_t>(element_count(spec.dims)) *
                            dtype_size(spec.dtype));
      }
    }
    transforms.resize(static_cast<std::size_t>(layout.batch));
  }

  void queue_postprocess(const std::vector<void*>& device_outputs, int count) {
    if (yolo) {
      yolo->run_async(device_outputs[0], count, pipeline.stream());
      return;
    }
    for (std::size_t o = 0; o < staged.size(); ++o) {
      if (staged[o].size() == 0) continue;
      core::memcpy_device_to_host_async(staged[o].data(), device_outputs[o], staged[o].size(),
                                        pipeline.stream());
    }
  }

  /// The decoded detections of the chunk's `count` images, in model-input pixels.
  std::vector<std::vector<image::Detection>> decode(int count) const {
    const auto& specs = pipeline.engine().output_specs();
    const float threshold = options.nms.score_threshold;
    const auto n = static_cast<std::size_t>(count);
    const auto rows = static_cast<std::size_t>(layout.rows);
    const auto floats = [&](std::size_t role, std::size_t per_image) {
      const std::size_t o = layout.outputs[role];
      return detail::to_floats(staged[o].data(), n * per_image, specs[o].dtype);
    };
    std::vector<std::vector<image::Detection>> out;
    switch (layout.head) {
      case DetectionHead::kYoloRaw:
        for (int b = 0; b < count; ++b) out.push_back(yolo->results(b));
        return out;
      case DetectionHead::kEndToEnd:
        return image::decode_end_to_end(floats(0, rows * 6), count, layout.rows, threshold);
      case DetectionHead::kEfficientNms: {
        const std::size_t num_o = layout.outputs[0];
        const std::size_t class_o = layout.outputs[3];
        const std::size_t per_count = static_cast<std::size_t>(element_count(specs[num_o].dims)) /
                                      static_cast<std::size_t>(layout.batch);
        std::vector<std::int32_t> num_all =
            detail::to_ints(staged[num_o].data(), n * per_count, specs[num_o].dtype);
        std::vector<std::int32_t> nums(n);
        for (std::size_t b = 0; b < n; ++b) nums[b] = num_all[b * per_count];
        const std::vector<std::int32_t> classes =
            detail::to_ints(staged[class_o].data(), n * rows, specs[class_o].dtype);
        return image::decode_efficient_nms(nums, floats(1, rows * 4), floats(2, rows), classes,
                                           count, layout.rows, threshold);
      }
      case DetectionHead::kDetr:
        return image::decode_detr(
            floats(0, rows * 4), floats(1, rows * static_cast<std::size_t>(layout.channels)), count,
            layout.rows, layout.channels, options.detr_scoring, options.detr_top_k, threshold,
            pipeline.input().width, pipeline.input().height);
      case DetectionHead::kAuto:
        break;
    }
    return out;
  }
};

Detector::Detector(const std::filesystem::path& model, DetectorOptions options)
    // A copy, not a move: the order in which arguments are evaluated is unspecified.
    : Detector(load_engine(model, options), options) {}

Detector::Detector(runtime::TRTEngine engine, DetectorOptions options) {
  check_options(options);
  core::DeviceGuard device(engine.engine().device());
  impl_ = std::make_unique<Impl>(std::move(engine), std::move(options));
}

Detector::~Detector() = default;
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;

std::vector<image::Detection> Detector::detect(const image::ImageView& image) {
  return std::move(detect(std::span<const image::ImageView>(&image, 1)).front());
}

std::vector<std::vector<image::Detection>> Detector::detect(
    std::span<const image::ImageView> images) {
  Impl& p = *impl_;
  detail::check_batch(images, p.pipeline.input());
  core::DeviceGuard device(p.pipeline.device());
  p.pipeline.begin_call();
  std::vector<std::vector<image::Detection>> results;
  results.reserve(images.size());
  for (const BatchChunk& chunk : split_into_chunks(images.size(), p.layout.batch)) {
    const auto transforms = std::span(p.transforms).first(chunk.count);
    const auto& outputs = p.pipeline.enqueue(images.subspan(chunk.first, chunk.count), transforms);
    const int count = static_cast<int>(chunk.count);
    p.queue_postprocess(outputs, count);
    p.pipeline.finish_chunk();
    std::vector<std::vector<image::Detection>> decoded = p.decode(count);
    for (std::size_t i = 0; i < chunk.count; ++i) {
      std::vector<image::Detection>& d = decoded[i];
      if (d.size() > static_cast<std::size_t>(p.options.nms.max_detections)) {
        d.resize(static_cast<std::size_t>(p.options.nms.max_detections));
      }
      image::to_image(d, transforms[i]);
      results.push_back(std::move(d));
    }
  }
  p.pipeline.end_call();
  return results;
}

const StageTiming& Detector::last_timing() const noexcept { return impl_->pipeline.timing(); }
DetectionHead Detector::head() const noexcept { return impl_->layout.head; }
const HeadLayout& Detector::head_layout() const noexcept { return impl_->layout; }
const DetectorOptions& Detector::options() const noexcept { return impl_->options; }
int Detector::input_width() const noexcept { return impl_->pipeline.input().width; }
int Detector::input_height() const noexcept { return impl_->pipeline.input().height; }
int Detector::max_batch() const noexcept { return impl_->pipeline.input().batch; }
int Detector::num_classes() const noexcept { return impl_->layout.num_classes; }
std::size_t Detector::preprocess_allocation_count() const noexcept {
  return impl_->pipeline.preprocess_allocation_count();
}
runtime::TRTEngine& Detector::engine() noexcept { return impl_->pipeline.engine(); }

}  // namespace trtutils::vision
