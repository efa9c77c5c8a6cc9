#include "vision/image_pipeline.hpp"

#include <cstring>
#include <utility>

#include "trtutils/core/context.hpp"
#include "trtutils/core/error.hpp"
#include "trtutils/tensor/half.hpp"
#include "trtutils/tensor/host_tensor.hpp"

namespace trtutils::vision::detail {

void check_batch(std::span<const image::ImageView> images, const ModelInput& input) {
  for (std::size_t i = 0; i < images.size(); ++i) {
    const image::ImageView& view = images[i];
    TRTUTILS_CHECK(view.data != nullptr, "image ", i,
                   " has no data (null pointer); pass a view of loaded pixels");
    image::check_image(view, i);
    TRTUTILS_CHECK(view.format == images[0].format, "image ", i, " is ",
                   image::pixel_format_name(view.format), " but image 0 is ",
                   image::pixel_format_name(images[0].format),
                   "; the images of one call share a pixel format: convert them, or make one "
                   "call per format");
  }
  if (images.empty()) return;
  const int channels = image::output_channels(images[0].format);
  TRTUTILS_CHECK(channels == input.channels, "the model takes ", input.channels,
                 "-channel images but the images are ", image::pixel_format_name(images[0].format),
                 " (", channels, " channel", channels == 1 ? "" : "s", "); ",
                 input.channels == 3 ? "convert them to BGR8 or RGB8" : "convert them to Gray8");
}

std::vector<float> to_floats(const void* data, std::size_t count, DType dtype) {
  std::vector<float> out(count);
  if (dtype == DType::kFloat32) {
    if (count > 0) std::memcpy(out.data(), data, count * sizeof(float));
    return out;
  }
  TRTUTILS_CHECK(dtype == DType::kFloat16, "expected f32 or f16 values, got ", dtype_name(dtype));
  const auto* bits = static_cast<const std::uint16_t*>(data);
  for (std::size_t i = 0; i < count; ++i) out[i] = half_bits_to_float(bits[i]);
  return out;
}

std::vector<std::int32_t> to_ints(const void* data, std::size_t count, DType dtype) {
  std::vector<std::int32_t> out(count);
  if (dtype == DType::kInt32) {
    if (count > 0) std::memcpy(out.data(), data, count * sizeof(std::int32_t));
    return out;
  }
  const TensorView view{const_cast<void*>(data), Shape{static_cast<std::int64_t>(count)}, dtype};
  for (std::size_t i = 0; i < count; ++i) {
    out[i] = static_cast<std::int32_t>(element_as_double(view, static_cast<std::int64_t>(i)));
  }
  return out;
}

namespace {
image::PreprocessOptions checked(image::PreprocessOptions options) {
  image::check_options(options);
  return options;
}
}  // namespace

ImagePipeline::ImagePipeline(runtime::TRTEngine engine, const image::PreprocessOptions& options)
    : engine_(std::move(engine)),
      input_(describe_input(engine_.input_specs())),
      preprocessor_(checked(preprocess_options_for(input_, options))),
      input_buffer_(preprocessor_.output_bytes(
          static_cast<std::size_t>(input_.batch),
          input_.channels == 1 ? image::PixelFormat::kGray8 : image::PixelFormat::kBGR8)) {
  // Zeros: the part of the input a partial chunk leaves alone is defined.
  core::memset_device(input_buffer_, 0);
}

void ImagePipeline::begin_call() {
  timing_ = {};
  call_start_ = std::chrono::steady_clock::now();
}

const std::vector<void*>& ImagePipeline::enqueue(std::span<const image::ImageView> chunk,
                                                 std::span<image::ImageTransform> transforms) {
  const core::StreamView s = stream();
  started_.record(s);
  preprocessor_.run(chunk, input_buffer_.data(), input_buffer_.size(), transforms, s);
  preprocessed_.record(s);
  const void* const inputs[] = {input_buffer_.data()};
  outputs_ = engine_.direct_exec(inputs);
  inferred_.record(s);
  return outputs_;
}

void ImagePipeline::finish_chunk() {
  finished_.record(stream());
  finished_.synchronize();
  timing_.preprocess_ms += core::elapsed_ms(started_, preprocessed_);
  timing_.inference_ms += core::elapsed_ms(preprocessed_, inferred_);
  timing_.postprocess_ms += core::elapsed_ms(inferred_, finished_);
}

void ImagePipeline::end_call() {
  timing_.total_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - call_start_)
          .count();
}

}  // namespace trtutils::vision::detail
