#include "trtutils/image/preprocess.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "trtutils/core/error.hpp"
#include "trtutils/tensor/half.hpp"

namespace trtutils::image {

namespace {

// Source byte offset (within a pixel) of output channel c.
int source_channel(PixelFormat format, ChannelOrder order, int c) {
  if (format == PixelFormat::kGray8) return 0;
  const bool want_blue_first = order == ChannelOrder::kBGR;
  return is_blue_first(format) == want_blue_first ? c : 2 - c;
}

void check_batch(std::span<const ImageView> images) {
  TRTUTILS_CHECK(!images.empty(), "pre-processing needs at least one image, got an empty batch");
  for (std::size_t i = 0; i < images.size(); ++i) {
    check_image(images[i], i);
    TRTUTILS_CHECK(images[i].format == images[0].format, "image ", i, " is ",
                   pixel_format_name(images[i].format), " but image 0 is ",
                   pixel_format_name(images[0].format),
                   ": one batch shares one pixel format; convert or split the batch");
  }
}

// The sampling position along one axis (see the header): the lower tap, the
// upper tap and the weight of the upper one.
struct Tap {
  int lo;
  int hi;
  float weight;
};

Tap tap(int d, float scale, int size) {
  const float f = (static_cast<float>(d) + 0.5f) * scale - 0.5f;
  const float fl = std::floor(f);
  int lo = static_cast<int>(fl);
  float w = f - fl;
  if (lo < 0) {
    lo = 0;
    w = 0.0f;
  }
  if (lo >= size - 1) {
    lo = size - 1;
    w = 0.0f;
  }
  return {lo, std::min(lo + 1, size - 1), w};
}

}  // namespace

void check_options(const PreprocessOptions& options) {
  TRTUTILS_CHECK(options.output_width > 0 && options.output_height > 0, "output size ",
                 options.output_width, "x", options.output_height, " must be positive");
  TRTUTILS_CHECK(options.output_dtype == DType::kFloat32 || options.output_dtype == DType::kFloat16,
                 "pre-processing writes f32 or f16, not ", dtype_name(options.output_dtype));
  for (int c = 0; c < 3; ++c) {
    TRTUTILS_CHECK(options.std[static_cast<std::size_t>(c)] != 0.0f, "std[", c,
                   "] is 0: normalisation divides by it");
  }
}

ImageTransform compute_transform(int source_width, int source_height,
                                 const PreprocessOptions& options) {
  TRTUTILS_CHECK(source_width > 0 && source_height > 0, "image size ", source_width, "x",
                 source_height, " must be positive");
  ImageTransform t;
  t.source_width = source_width;
  t.source_height = source_height;
  const double out_w = options.output_width;
  const double out_h = options.output_height;
  if (options.resize == ResizeMode::kStretch) {
    t.resized_width = options.output_width;
    t.resized_height = options.output_height;
    t.scale_x = out_w / source_width;
    t.scale_y = out_h / source_height;
    return t;
  }
  const double r = std::min(out_w / source_width, out_h / source_height);
  // std::round is half away from zero; Python's round (Ultralytics) is half to
  // even. The sizes differ only when sw * r lands on exactly .5.
  t.resized_width =
      std::clamp(static_cast<int>(std::lround(source_width * r)), 1, options.output_width);
  t.resized_height =
      std::clamp(static_cast<int>(std::lround(source_height * r)), 1, options.output_height);
  t.pad_left = static_cast<int>(std::lround((out_w - t.resized_width) / 2.0 - 0.1));
  t.pad_top = static_cast<int>(std::lround((out_h - t.resized_height) / 2.0 - 0.1));
  t.pad_left = std::max(t.pad_left, 0);
  t.pad_top = std::max(t.pad_top, 0);
  t.scale_x = r;
  t.scale_y = r;
  return t;
}

Shape output_shape(std::size_t batch, PixelFormat format, const PreprocessOptions& options) {
  const auto b = static_cast<std::int64_t>(batch);
  const std::int64_t c = output_channels(format);
  if (options.layout == TensorLayout::kNCHW)
    return {b, c, options.output_height, options.output_width};
  return {b, options.output_height, options.output_width, c};
}

Normalisation normalisation_of(const PreprocessOptions& options) {
  Normalisation n;
  for (std::size_t c = 0; c < 3; ++c) {
    const double sd = options.std[c];
    n.mul[c] = static_cast<float>(static_cast<double>(options.scale) / sd);
    n.add[c] = static_cast<float>(-static_cast<double>(options.mean[c]) / sd);
  }
  return n;
}

HostTensor preprocess_reference(std::span<const ImageView> images, const PreprocessOptions& options,
                                std::vector<ImageTransform>* transforms) {
  check_options(options);
  check_batch(images);
  for (std::size_t i = 0; i < images.size(); ++i) {
    TRTUTILS_CHECK(images[i].memory != MemoryKind::kDevice, "preprocess_reference reads image ", i,
                   " on the host, but it is in device memory: copy it to the host first");
  }
  const PixelFormat format = images[0].format;
  const int channels = output_channels(format);
  const int bpp = bytes_per_pixel(format);
  const Normalisation norm = normalisation_of(options);
  const int out_w = options.output_width;
  const int out_h = options.output_height;
  HostTensor out(output_shape(images.size(), format, options), options.output_dtype);
  const bool f16 = options.output_dtype == DType::kFloat16;
  auto* out_f32 = f16 ? nullptr : out.values<float>().data();
  auto* out_f16 = f16 ? out.values<Half>().data() : nullptr;
  if (transforms != nullptr) transforms->resize(images.size());

  for (std::size_t b = 0; b < images.size(); ++b) {
    const ImageView& image = images[b];
    const ImageTransform t = compute_transform(image.width, image.height, options);
    if (transforms != nullptr) (*transforms)[b] = t;
    const float scale_x = static_cast<float>(static_cast<double>(image.width) / t.resized_width);
    const float scale_y = static_cast<float>(static_cast<double>(image.height) / t.resized_height);
    const auto* base = static_cast<const std::uint8_t*>(image.data);
    const std::size_t stride = image.row_stride();
    for (int y = 0; y < out_h; ++y) {
      for (int x = 0; x < out_w; ++x) {
        float v[3] = {options.pad_value, options.pad_value, options.pad_value};
        const int dx = x - t.pad_left;
        const int dy = y - t.pad_top;
        if (dx >= 0 && dy >= 0 && dx < t.resized_width && dy < t.resized_height) {
          const Tap tx = tap(dx, scale_x, image.width);
          const Tap ty = tap(dy, scale_y, image.height);
          const std::uint8_t* row0 = base + static_cast<std::size_t>(ty.lo) * stride;
          const std::uint8_t* row1 = base + static_cast<std::size_t>(ty.hi) * stride;
          for (int c = 0; c < channels; ++c) {
            const int k = source_channel(format, options.channel_order, c);
            const float p00 = row0[tx.lo * bpp + k];
            const float p01 = row0[tx.hi * bpp + k];
            const float p10 = row1[tx.lo * bpp + k];
            const float p11 = row1[tx.hi * bpp + k];
            const float top = std::fma(tx.weight, p01 - p00, p00);
            const float bot = std::fma(tx.weight, p11 - p10, p10);
            v[c] = std::fma(ty.weight, bot - top, top);
          }
        }
        for (int c = 0; c < channels; ++c) {
          const auto cc = static_cast<std::size_t>(c);
          const float value = std::fma(v[c], norm.mul[cc], norm.add[cc]);
          const std::size_t index =
              options.layout == TensorLayout::kNCHW
                  ? ((b * channels + cc) * out_h + static_cast<std::size_t>(y)) * out_w +
                        static_cast<std::size_t>(x)
                  : ((b * out_h + static_cast<std::size_t>(y)) * out_w +
                     static_cast<std::size_t>(x)) *
                            channels +
                        cc;
          if (f16)
            out_f16[index] = Half(value);
          else
            out_f32[index] = value;
        }
      }
    }
  }
  return out;
}

std::vector<std::string> preprocess_nvrtc_options() { return {"--fmad=false"}; }

std::string generate_preprocess_source(const PreprocessKernelConfig& config) {
  const bool f16 = config.output_dtype == DType::kFloat16;
  TRTUTILS_CHECK(f16 || config.output_dtype == DType::kFloat32,
                 "pre-processing writes f32 or f16, not ", dtype_name(config.output_dtype));
  const int channels = output_channels(config.input_format);
  const int bpp = bytes_per_pixel(config.input_format);
  std::string s;
  s += "// trtutils pre-processing: ";
  s += std::string(pixel_format_name(config.input_format)) + " u8 HWC -> " +
       (config.layout == TensorLayout::kNCHW ? "NCHW " : "NHWC ") + (f16 ? "f16" : "f32") + ", " +
       (config.channel_order == ChannelOrder::kRGB ? "RGB" : "BGR") +
       " order.\n// Formulas: include/trtutils/image/preprocess.hpp (compile with --fmad=false).\n";
  if (f16) s += "#include <cuda_fp16.h>\n";
  s += "struct ImageParams {\n"
       "  unsigned long long source; unsigned long long stride;\n"
       "  int sw, sh, rw, rh, left, top;\n"
       "  float scale_x, scale_y;\n"
       "};\n"
       "struct Normalisation { float mul[3]; float add[3]; };\n";
  s += detail::concat("#define CHANNELS ", channels, "\n#define BPP ", bpp, "\n");
  s += std::string("typedef ") + (f16 ? "__half" : "float") + " out_t;\n";
  s += f16 ? "__device__ __forceinline__ out_t to_out(float v) { return __float2half_rn(v); }\n"
           : "__device__ __forceinline__ out_t to_out(float v) { return v; }\n";
  s += detail::concat("__device__ __forceinline__ int source_channel(int c) { ",
                      channels == 1 ? "return 0;"
                      : source_channel(config.input_format, config.channel_order, 0) == 0
                          ? "return c;"
                          : "return 2 - c;",
                      " }\n");
  s += R"(
struct Tap { int lo; int hi; float weight; };
__device__ __forceinline__ Tap tap(int d, float scale, int size) {
  const float f = ((float)d + 0.5f) * scale - 0.5f;
  const float fl = floorf(f);
  Tap t;
  t.lo = (int)fl;
  t.weight = f - fl;
  if (t.lo < 0) { t.lo = 0; t.weight = 0.0f; }
  if (t.lo >= size - 1) { t.lo = size - 1; t.weight = 0.0f; }
  t.hi = min(t.lo + 1, size - 1);
  return t;
}

extern "C" __global__ void trtutils_preprocess(const ImageParams* __restrict__ table,
                                               out_t* __restrict__ out, Normalisation norm,
                                               float pad_value, int out_w, int out_h) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  const int b = blockIdx.z;
  if (x >= out_w || y >= out_h) return;
  const ImageParams p = table[b];
  float v[CHANNELS];
  const int dx = x - p.left;
  const int dy = y - p.top;
  if (dx >= 0 && dy >= 0 && dx < p.rw && dy < p.rh) {
    const Tap tx = tap(dx, p.scale_x, p.sw);
    const Tap ty = tap(dy, p.scale_y, p.sh);
    const unsigned char* base = (const unsigned char*)p.source;
    const unsigned char* row0 = base + (unsigned long long)ty.lo * p.stride;
    const unsigned char* row1 = base + (unsigned long long)ty.hi * p.stride;
#pragma unroll
    for (int c = 0; c < CHANNELS; ++c) {
      const int k = source_channel(c);
      const float p00 = (float)__ldg(row0 + tx.lo * BPP + k);
      const float p01 = (float)__ldg(row0 + tx.hi * BPP + k);
      const float p10 = (float)__ldg(row1 + tx.lo * BPP + k);
      const float p11 = (float)__ldg(row1 + tx.hi * BPP + k);
      const float top = fmaf(tx.weight, p01 - p00, p00);
      const float bot = fmaf(tx.weight, p11 - p10, p10);
      v[c] = fmaf(ty.weight, bot - top, top);
    }
  } else {
#pragma unroll
    for (int c = 0; c < CHANNELS; ++c) v[c] = pad_value;
  }
)";
  if (config.layout == TensorLayout::kNCHW) {
    s += R"(  const unsigned long long plane = (unsigned long long)out_w * out_h;
  out_t* dst = out + (unsigned long long)b * CHANNELS * plane + (unsigned long long)y * out_w + x;
#pragma unroll
  for (int c = 0; c < CHANNELS; ++c) dst[c * plane] = to_out(fmaf(v[c], norm.mul[c], norm.add[c]));
}
)";
  } else {
    s += R"(  out_t* dst = out + (((unsigned long long)b * out_h + y) * out_w + x) * CHANNELS;
#pragma unroll
  for (int c = 0; c < CHANNELS; ++c) dst[c] = to_out(fmaf(v[c], norm.mul[c], norm.add[c]));
}
)";
  }
  return s;
}

// --- Preprocessor -----------------------------------------------------------

Preprocessor::Preprocessor(PreprocessOptions options)
    : options_(options), norm_(normalisation_of(options)) {
  check_options(options_);
}
Preprocessor::Preprocessor(Preprocessor&&) noexcept = default;
Preprocessor& Preprocessor::operator=(Preprocessor&&) noexcept = default;
Preprocessor::~Preprocessor() = default;

std::size_t Preprocessor::output_bytes(std::size_t batch, PixelFormat format) const {
  std::size_t n = dtype_size(options_.output_dtype);
  for (const auto d : output_shape(batch, format, options_)) n *= static_cast<std::size_t>(d);
  return n;
}

const core::Kernel& Preprocessor::kernel_for(PixelFormat format) {
  for (const auto& [f, k] : kernels_) {
    if (f == format) return *k;
  }
  const PreprocessKernelConfig config{format, options_.channel_order, options_.layout,
                                      options_.output_dtype};
  kernels_.emplace_back(
      format, std::make_unique<core::Kernel>(generate_preprocess_source(config),
                                             kPreprocessKernelName, preprocess_nvrtc_options()));
  return *kernels_.back().second;
}

void Preprocessor::reserve(std::size_t batch, std::size_t staging_bytes) {
  const std::size_t table_bytes = batch * sizeof(PreprocessImageParams);
  if (params_host_.size() < table_bytes) {
    params_host_ = core::PinnedBuffer(table_bytes);
    params_device_ = core::DeviceBuffer(table_bytes);
    allocations_ += 2;
  }
  if (staging_bytes > staging_device_.size()) {
    staging_device_ = core::DeviceBuffer(staging_bytes);
    ++allocations_;
  }
}

std::vector<ImageTransform> Preprocessor::run(std::span<const ImageView> images, void* output,
                                              std::size_t output_capacity_bytes,
                                              core::StreamView stream) {
  std::vector<ImageTransform> transforms(images.size());
  run(images, output, output_capacity_bytes, transforms, stream);
  return transforms;
}

void Preprocessor::run(std::span<const ImageView> images, void* output,
                       std::size_t output_capacity_bytes, std::span<ImageTransform> transforms,
                       core::StreamView stream) {
  check_batch(images);
  TRTUTILS_CHECK(images.size() <= 65535, "a batch of ", images.size(),
                 " images is more than one launch takes (65535); split it");
  TRTUTILS_CHECK(transforms.size() == images.size(), "run() got ", images.size(),
                 " images but room for ", transforms.size(), " transforms");
  const PixelFormat format = images[0].format;
  const std::size_t needed = output_bytes(images.size(), format);
  TRTUTILS_CHECK(output != nullptr && output_capacity_bytes >= needed, "the output of ",
                 images.size(), " images needs ", needed, " bytes, the buffer holds ",
                 output_capacity_bytes);
  const core::Kernel& kernel = kernel_for(format);

  // Images not already on the device are uploaded into one staging buffer,
  // each at a 256-byte aligned offset; host images go through pinned memory.
  std::size_t staging = 0;
  std::size_t host_staging = 0;
  for (const ImageView& image : images) {
    if (image.memory == MemoryKind::kDevice) continue;
    staging = (staging + 255) / 256 * 256 + image.span_bytes();
    if (image.memory == MemoryKind::kHost)
      host_staging = (host_staging + 255) / 256 * 256 + image.span_bytes();
  }
  // The previous call's uploads (and kernel) may still read the staging and
  // table buffers: wait before overwriting or replacing them.
  if (uploads_pending_) {
    uploads_done_->synchronize();
    uploads_pending_ = false;
  }
  reserve(images.size(), staging);
  if (staging_host_.size() < host_staging) {
    staging_host_ = core::PinnedBuffer(host_staging);
    ++allocations_;
  }

  auto* table = static_cast<PreprocessImageParams*>(params_host_.data());
  auto* device_staging = static_cast<std::byte*>(staging_device_.data());
  auto* host_staging_bytes = static_cast<std::byte*>(staging_host_.data());
  std::size_t offset = 0;
  std::size_t host_offset = 0;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const ImageView& image = images[i];
    const ImageTransform t = compute_transform(image.width, image.height, options_);
    transforms[i] = t;
    PreprocessImageParams& p = table[i];
    p.stride_bytes = image.row_stride();
    p.source_width = image.width;
    p.source_height = image.height;
    p.resized_width = t.resized_width;
    p.resized_height = t.resized_height;
    p.pad_left = t.pad_left;
    p.pad_top = t.pad_top;
    p.scale_x = static_cast<float>(static_cast<double>(image.width) / t.resized_width);
    p.scale_y = static_cast<float>(static_cast<double>(image.height) / t.resized_height);
    if (image.memory == MemoryKind::kDevice) {
      p.source = reinterpret_cast<std::uint64_t>(image.data);
      continue;
    }
    offset = (offset + 255) / 256 * 256;
    const void* upload_from = image.data;
    if (image.memory == MemoryKind::kHost) {
      host_offset = (host_offset + 255) / 256 * 256;
      std::memcpy(host_staging_bytes + host_offset, image.data, image.span_bytes());
      upload_from = host_staging_bytes + host_offset;
      host_offset += image.span_bytes();
    }
    core::memcpy_host_to_device_async(device_staging + offset, upload_from, image.span_bytes(),
                                      stream);
    p.source = reinterpret_cast<std::uint64_t>(device_staging + offset);
    offset += image.span_bytes();
  }
  core::memcpy_host_to_device_async(params_device_.data(), params_host_.data(),
                                    images.size() * sizeof(PreprocessImageParams), stream);

  const dim3 block(32, 8, 1);
  const dim3 grid(static_cast<unsigned>((options_.output_width + 31) / 32),
                  static_cast<unsigned>((options_.output_height + 7) / 8),
                  static_cast<unsigned>(images.size()));
  kernel.launch(grid, block, stream,
                static_cast<const PreprocessImageParams*>(params_device_.data()), output, norm_,
                options_.pad_value, options_.output_width, options_.output_height);
  if (!uploads_done_)
    uploads_done_ = std::make_unique<core::Event>(core::EventOptions{false, false});
  uploads_done_->record(stream);
  uploads_pending_ = true;
}

}  // namespace trtutils::image
