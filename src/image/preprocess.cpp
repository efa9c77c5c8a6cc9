#include "trtutils/image/preprocess.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "trtutils/core/error.hpp"
#include "trtutils/tensor/half.hpp"

namespace {
// src/image/preprocess_kernel.cuh, embedded by src/CMakeLists.txt.
constexpr const char* kKernelBody =
#include "image/preprocess_kernel_source.inc"
    ;
}  // namespace

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

void check_tuning(const PreprocessTuning& tuning) {
  TRTUTILS_CHECK(tuning.tile_rows >= 1 && tuning.tile_rows <= 32, "tile_rows ", tuning.tile_rows,
                 " is not 1 to 32 (warps per block; a block holds at most 1024 threads)");
  TRTUTILS_CHECK(tuning.staging_loads >= 1 && tuning.staging_loads <= 8, "staging_loads ",
                 tuning.staging_loads, " is not 1 to 8 (16-byte loads in flight per lane)");
}

std::string tuning_name(const PreprocessTuning& tuning) {
  return detail::concat("rows ", tuning.tile_rows, ", loads ", tuning.staging_loads, ", PDL ",
                        tuning.programmatic_dependent_launch ? "on" : "off");
}

std::vector<std::string> preprocess_nvrtc_options() { return {"--fmad=false"}; }

std::string generate_preprocess_source(const PreprocessKernelConfig& config,
                                       const PreprocessTuning& tuning) {
  check_tuning(tuning);
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
  s += detail::concat(
      "#define CHANNELS ", channels, "\n#define BPP ", bpp, "\n#define NCHW ",
      config.layout == TensorLayout::kNCHW ? 1 : 0, "\n#define TILE_ROWS ", tuning.tile_rows,
      "\n#define TILE_WIDTH ", kPreprocessTileWidth, "\n#define PIXELS_PER_THREAD ",
      kPreprocessPixelsPerThread, "\n#define STAGING_LOADS ", tuning.staging_loads,
      "\n#define INLINE_IMAGES ", kPreprocessInlineImages,
      "\n#define TU_DEVICE __device__ __forceinline__\n#define UNROLL _Pragma(\"unroll\")\n");
  if (f16) {
    s += "typedef __half out_t;\n"
         "TU_DEVICE out_t to_out(float v) { return __float2half_rn(v); }\n"
         "TU_DEVICE unsigned pack2(float a, float b) {\n"
         "  return (unsigned)__half_as_ushort(__float2half_rn(a)) |\n"
         "         ((unsigned)__half_as_ushort(__float2half_rn(b)) << 16);\n"
         "}\n"
         "TU_DEVICE void store4(out_t* p, float a, float b, float c, float d) {\n"
         "  *(uint2*)p = make_uint2(pack2(a, b), pack2(c, d));\n"
         "}\n";
  } else {
    s += "typedef float out_t;\n"
         "TU_DEVICE out_t to_out(float v) { return v; }\n"
         "TU_DEVICE void store4(out_t* p, float a, float b, float c, float d) {\n"
         "  *(float4*)p = make_float4(a, b, c, d);\n"
         "}\n";
  }
  s += detail::concat("TU_DEVICE int source_channel(int c) { ",
                      channels == 1 ? "return 0;"
                      : source_channel(config.input_format, config.channel_order, 0) == 0
                          ? "return c;"
                          : "return 2 - c;",
                      " }\n");
  s += "TU_DEVICE unsigned char load_u8(const unsigned char* p) { return __ldg(p); }\n"
       "TU_DEVICE uint4 load_16(const unsigned char* p) { return __ldg((const uint4*)p); }\n"
       "TU_DEVICE void store_16(unsigned char* p, uint4 v) { *(uint4*)p = v; }\n";
  s += kKernelBody;
  return s;
}

PreprocessImageParams preprocess_image_params(const ImageView& image,
                                              const PreprocessOptions& options) {
  const ImageTransform t = compute_transform(image.width, image.height, options);
  PreprocessImageParams p;
  p.source = reinterpret_cast<std::uint64_t>(image.data);
  p.stride_bytes = image.row_stride();
  p.source_width = image.width;
  p.source_height = image.height;
  p.resized_width = t.resized_width;
  p.resized_height = t.resized_height;
  p.pad_left = t.pad_left;
  p.pad_top = t.pad_top;
  p.scale_x = static_cast<float>(static_cast<double>(image.width) / t.resized_width);
  p.scale_y = static_cast<float>(static_cast<double>(image.height) / t.resized_height);
  return p;
}

PreprocessLaunch plan_preprocess_launch(std::span<const PreprocessImageParams> images,
                                        PixelFormat format, const PreprocessOptions& options,
                                        const void* output, const PreprocessTuning& tuning) {
  check_tuning(tuning);
  TRTUTILS_CHECK(!images.empty() && images.size() <= 65535, "a batch of ", images.size(),
                 " images does not fit one launch (1 to 65535); split it");
  const int out_w = options.output_width;
  const int out_h = options.output_height;
  const int tile_rows = tuning.tile_rows;
  const auto tiles_y = (static_cast<std::int64_t>(out_h) + tile_rows - 1) / tile_rows;
  TRTUTILS_CHECK(tiles_y <= 65535, "output height ", out_h, " needs ", tiles_y,
                 " blocks in y, more than a launch takes (65535); use at most ",
                 std::int64_t{65535} * tile_rows, " rows");
  PreprocessLaunch launch;
  launch.params_by_value = preprocess_params_by_value(images.size());
  const std::size_t vector_bytes =
      static_cast<std::size_t>(kPreprocessPixelsPerThread) * dtype_size(options.output_dtype);
  launch.vector_stores = out_w % kPreprocessPixelsPerThread == 0 &&
                         reinterpret_cast<std::uintptr_t>(output) % vector_bytes == 0;
  // A warp's 128 output columns read source columns [floor(f(d)), floor(f(d + 127)) + 1]:
  // at most 127 * scale + 3 of them, plus one for float rounding; never more than sw.
  const int bpp = bytes_per_pixel(format);
  std::int64_t widest = 0;
  for (const PreprocessImageParams& p : images) {
    const double columns =
        std::ceil((kPreprocessTileWidth - 1) * static_cast<double>(p.scale_x)) + 4.0;
    const std::int64_t span =
        static_cast<std::int64_t>(std::min(columns, static_cast<double>(p.source_width))) * bpp;
    widest = std::max(widest, span);
  }
  const std::int64_t pitch = (widest + 15 + 15) / 16 * 16;
  const std::int64_t rows_per_block = 2 * tile_rows;
  if (pitch * rows_per_block <= static_cast<std::int64_t>(kPreprocessMaxSharedBytes)) {
    launch.row_pitch = static_cast<int>(pitch);
    launch.shared_bytes = static_cast<std::size_t>(pitch * rows_per_block);
  }
  launch.grid_x = static_cast<unsigned>((out_w + kPreprocessTileWidth - 1) / kPreprocessTileWidth);
  launch.grid_y = static_cast<unsigned>(tiles_y);
  launch.grid_z = static_cast<unsigned>(images.size());
  launch.block_y = static_cast<unsigned>(tile_rows);
  return launch;
}

std::size_t preprocess_source_bytes_read(const ImageView& image, const PreprocessOptions& options) {
  check_options(options);
  const ImageTransform t = compute_transform(image.width, image.height, options);
  const float scale_x = static_cast<float>(static_cast<double>(image.width) / t.resized_width);
  const float scale_y = static_cast<float>(static_cast<double>(image.height) / t.resized_height);
  const std::size_t bpp = static_cast<std::size_t>(bytes_per_pixel(image.format));
  const std::size_t stride = image.row_stride();
  // The kernel's rule: an upper tap of weight 0 is not read.
  std::vector<char> row_read(static_cast<std::size_t>(image.height), 0);
  for (int dy = 0; dy < t.resized_height; ++dy) {
    const Tap ty = tap(dy, scale_y, image.height);
    row_read[static_cast<std::size_t>(ty.lo)] = 1;
    if (ty.weight != 0.0f) row_read[static_cast<std::size_t>(ty.hi)] = 1;
  }
  // Column spans of the warps crossing the image (tiles start at output column 0).
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // bytes [first, last] within a row
  for (int tile = 0; tile < options.output_width; tile += kPreprocessTileWidth) {
    const int first = std::max(tile, t.pad_left);
    const int last = std::min({tile + kPreprocessTileWidth, options.output_width,
                               t.pad_left + t.resized_width}) -
                     1;
    if (first > last) continue;
    const int lo = tap(first - t.pad_left, scale_x, image.width).lo;
    const int last_lo = tap(last - t.pad_left, scale_x, image.width).lo;
    const int hi = std::min(last_lo + 1, image.width - 1);
    spans.emplace_back(static_cast<std::size_t>(lo) * bpp,
                       static_cast<std::size_t>(hi + 1) * bpp - 1);
  }
  std::size_t bytes = 0;
  std::vector<std::size_t> sectors;
  for (std::size_t y = 0; y < row_read.size(); ++y) {
    if (row_read[y] == 0) continue;
    sectors.clear();
    for (const auto& [first, last] : spans) {
      for (std::size_t s = (y * stride + first) / 32; s <= (y * stride + last) / 32; ++s)
        sectors.push_back(s);
    }
    std::sort(sectors.begin(), sectors.end());
    bytes += 32 * static_cast<std::size_t>(std::unique(sectors.begin(), sectors.end()) -
                                           sectors.begin());
  }
  return bytes;
}

// --- Preprocessor -----------------------------------------------------------

namespace {
// The kernel's LaunchParams (preprocess_kernel.cuh), field for field.
struct LaunchParams {
  Normalisation norm;
  float pad_value = 0.0f;
  int out_w = 0;
  int out_h = 0;
  int row_pitch = 0;
  int vector_stores = 0;
};
static_assert(sizeof(LaunchParams) == 44);
// The kernel's InlineTable.
struct InlineTable {
  PreprocessImageParams images[kPreprocessInlineImages];
};
static_assert(sizeof(InlineTable) == 48 * kPreprocessInlineImages);
}  // namespace

Preprocessor::Preprocessor(PreprocessOptions options, PreprocessTuning tuning)
    : options_(options), tuning_(tuning), norm_(normalisation_of(options)) {
  check_options(options_);
  check_tuning(tuning_);
}
Preprocessor::Preprocessor(Preprocessor&&) noexcept = default;
Preprocessor& Preprocessor::operator=(Preprocessor&&) noexcept = default;
Preprocessor::~Preprocessor() = default;

std::size_t Preprocessor::output_bytes(std::size_t batch, PixelFormat format) const {
  std::size_t n = dtype_size(options_.output_dtype);
  for (const auto d : output_shape(batch, format, options_)) n *= static_cast<std::size_t>(d);
  return n;
}

const core::Kernel& Preprocessor::kernel_for(PixelFormat format, bool by_value) {
  auto it = std::find_if(kernels_.begin(), kernels_.end(),
                         [&](const CompiledKernels& k) { return k.format == format; });
  if (it == kernels_.end()) {
    kernels_.push_back({format, nullptr, nullptr});
    it = std::prev(kernels_.end());
  }
  std::unique_ptr<core::Kernel>& kernel = by_value ? it->by_value : it->table;
  if (!kernel) {
    const PreprocessKernelConfig config{format, options_.channel_order, options_.layout,
                                        options_.output_dtype};
    // Both entry points share one source; the disk cache keeps each compiled once.
    kernel = std::make_unique<core::Kernel>(
        generate_preprocess_source(config, tuning_),
        by_value ? kPreprocessKernelName : kPreprocessTableKernelName, preprocess_nvrtc_options());
  }
  return *kernel;
}

void Preprocessor::wait_before_replacing_buffers() {
  if (buffers_in_use_) {
    buffers_read_->synchronize();
    buffers_in_use_ = false;
  }
  if (uploads_pending_) {
    uploads_done_->synchronize();
    uploads_pending_ = false;
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
  const bool by_value = preprocess_params_by_value(images.size());
  const core::Kernel& kernel = kernel_for(format, by_value);

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
  const std::size_t table_bytes = by_value ? 0 : images.size() * sizeof(PreprocessImageParams);
  if (staging > staging_device_.size() || host_staging > staging_host_.size() ||
      table_bytes > params_device_.size()) {
    wait_before_replacing_buffers();
    if (staging > staging_device_.size()) {
      staging_device_ = core::DeviceBuffer(staging);
      ++allocations_;
    }
    if (host_staging > staging_host_.size()) {
      staging_host_ = core::PinnedBuffer(host_staging);
      ++allocations_;
    }
    if (table_bytes > params_device_.size()) {
      params_device_ = core::DeviceBuffer(table_bytes);
      ++allocations_;
    }
  }
  // The previous call's uploads may still read staging_host_.
  if (host_staging > 0 && uploads_pending_) {
    uploads_done_->synchronize();
    uploads_pending_ = false;
  }
  const bool writes_device_buffers = staging > 0 || !by_value;
  // A previous kernel (maybe on another stream) may still read the device buffers.
  if (writes_device_buffers && buffers_in_use_) stream.wait(*buffers_read_);

  params_.resize(images.size());
  auto* device_staging = static_cast<std::byte*>(staging_device_.data());
  auto* host_staging_bytes = static_cast<std::byte*>(staging_host_.data());
  std::size_t offset = 0;
  std::size_t host_offset = 0;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const ImageView& image = images[i];
    transforms[i] = compute_transform(image.width, image.height, options_);
    PreprocessImageParams& p = params_[i];
    p = preprocess_image_params(image, options_);
    if (image.memory == MemoryKind::kDevice) continue;
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
  if (host_staging > 0) {
    if (!uploads_done_)
      uploads_done_ = std::make_unique<core::Event>(core::EventOptions{false, false});
    uploads_done_->record(stream);
    uploads_pending_ = true;
  }

  const PreprocessLaunch plan = plan_preprocess_launch(params_, format, options_, output, tuning_);
  LaunchParams launch_params;
  launch_params.norm = norm_;
  launch_params.pad_value = options_.pad_value;
  launch_params.out_w = options_.output_width;
  launch_params.out_h = options_.output_height;
  launch_params.row_pitch = plan.row_pitch;
  launch_params.vector_stores = plan.vector_stores ? 1 : 0;
  const dim3 grid(plan.grid_x, plan.grid_y, plan.grid_z);
  const dim3 block(32, plan.block_y, 1);
  core::LaunchOptions launch_options;
  launch_options.shared_mem = plan.shared_bytes;
  launch_options.programmatic_dependent_launch = tuning_.programmatic_dependent_launch;
  if (by_value) {
    InlineTable table{};
    std::copy(params_.begin(), params_.end(), table.images);
    kernel.call(grid, block, stream, kernel.create_args(table, output, launch_params),
                launch_options);
  } else {
    // Pageable source: cudaMemcpyAsync copies it to driver staging before it
    // returns, so params_ may be rewritten by the next call right away.
    core::memcpy_host_to_device_async(params_device_.data(), params_.data(), table_bytes, stream);
    kernel.call(grid, block, stream,
                kernel.create_args(static_cast<const PreprocessImageParams*>(params_device_.data()),
                                   output, launch_params),
                launch_options);
  }
  if (writes_device_buffers) {
    if (!buffers_read_)
      buffers_read_ = std::make_unique<core::Event>(core::EventOptions{false, false});
    buffers_read_->record(stream);
    buffers_in_use_ = true;
  }
}

}  // namespace trtutils::image
